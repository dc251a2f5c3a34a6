# One imported key whose material lives in a PKCS#11 HSM. The token wraps the key itself with
# the KMS wrapping public key (C_WrapKey), so the plaintext never enters kms-import, Terraform
# or this machine's memory; the fingerprint is computed inside the token too. The token's
# environment (SOFTHSM2_CONF for SoftHSM2, your vendor's for others) must be in Terraform's
# own environment: the external data source and local-exec pass it on to the helper.

module "key" {
  source = "../../modules/external-key"

  alias_name         = "alias/example-hsm"
  description        = "example: material in a PKCS#11 HSM"
  material_source    = var.material_source
  wrapping_algorithm = var.wrapping_algorithm
  helper_command     = var.helper_command
}
