variable "region" {
  description = "AWS Region of the key."
  type        = string
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d$", var.region))
    error_message = "region must be an AWS Region name such as us-east-1 or eu-west-1."
  }
}

variable "material_source" {
  description = "RFC 7512 PKCS#11 URI of the key object, e.g. pkcs11:token=kms;object=prod?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/secure/hsm.pin. The PIN comes from pin-source, never from Terraform."
  type        = string
  nullable    = false

  validation {
    condition     = startswith(var.material_source, "pkcs11:") && !can(regex("pin-value=", var.material_source))
    error_message = "material_source must be a pkcs11: URI that reads its PIN from pin-source=file:... (a pin-value would put the PIN in state)."
  }
}

variable "wrapping_algorithm" {
  description = "Wrapping algorithm both the token and KMS support: SoftHSM2 does SHA-1 OAEP only, so RSA_AES_KEY_WRAP_SHA_1 or RSAES_OAEP_SHA_1; null lets kms-import choose."
  type        = string
  default     = "RSA_AES_KEY_WRAP_SHA_1"

  validation {
    condition     = var.wrapping_algorithm == null || contains(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"], coalesce(var.wrapping_algorithm, "-"))
    error_message = "wrapping_algorithm must be RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256 or null."
  }
}

variable "helper_command" {
  description = "kms-import command (on PATH, or an absolute path)."
  type        = string
  default     = "kms-import"
  nullable    = false
}
