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

variable "alias_name" {
  description = "Alias that applications use, as in the seed."
  type        = string
  default     = "alias/MyImportedKey"
}

variable "description" {
  description = "Description of the KMS key."
  type        = string
  default     = "External key"
}

variable "material_source" {
  description = "Material reference for the helper (never the material): file:///abs/path?format=raw, generate:NAME?escrow=file:///abs/dir, ..."
  type        = string
}

variable "material_fingerprint" {
  description = "Fingerprint from `kms-import fingerprint`; set it when plan must not read the material source."
  type        = string
  default     = null
}

variable "wrapping_key_spec" {
  description = "RSA wrapping key size for the import; the seed uses RSA_3072."
  type        = string
  default     = "RSA_3072"
}

variable "valid_to" {
  description = "Material expiry in RFC 3339 (the seed's KEY_MATERIAL_EXPIRES); null = does not expire."
  type        = string
  default     = null
}

variable "enabled" {
  description = "Whether the key is enabled after import."
  type        = bool
  default     = true
}

variable "deletion_window_in_days" {
  description = "Waiting period (7-30 days) when the key's deletion is scheduled."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags for the key."
  type        = map(string)
  default     = {}
}

variable "helper_command" {
  description = "kms-import command (on PATH, or an absolute path such as /path/to/repo/.venv/bin/kms-import)."
  type        = string
  default     = "kms-import"
}
