# The root as the seed-workflow version shipped it (one key, module "imported_key"); kept
# to test that the current root upgrades it without replacing the key.

# The seed's alias/MyImportedKey: one EXTERNAL key with imported material and its alias,
# built from the reusable module. Copy this root and adapt the tfvars.

module "imported_key" {
  source = "./modules/external-key"

  alias_name              = var.alias_name
  description             = var.description
  material_source         = var.material_source
  material_fingerprint    = var.material_fingerprint
  wrapping_key_spec       = var.wrapping_key_spec
  valid_to                = var.valid_to
  enabled                 = var.enabled
  deletion_window_in_days = var.deletion_window_in_days
  tags                    = var.tags
  helper_command          = var.helper_command
}
