# One imported key whose material expires. KMS deletes expired material (the key goes to
# PendingImport and stops working); renewing is setting a later valid_to and applying,
# which re-imports the same material with the new expiry. The key is never replaced.

module "key" {
  source = "../../modules/external-key"

  alias_name      = "alias/example-expiring"
  description     = "example: expiring material"
  material_source = var.material_source
  valid_to        = var.valid_to
  helper_command  = var.helper_command
}
