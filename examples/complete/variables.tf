variable "region" {
  description = "AWS Region of the keys."
  type        = string
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d$", var.region))
    error_message = "region must be an AWS Region name such as us-east-1 or eu-west-1."
  }
}

variable "single_material_source" {
  description = "Material reference of the single key (modules/external-key), e.g. file:///secure/keys/payments.bin. Never the material itself."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9+.-]*:", var.single_material_source))
    error_message = "single_material_source must be a URI reference such as file:///abs/path; run `kms-import sources` for the forms."
  }
}

variable "single_material_fingerprint" {
  description = "Fingerprint of the single key's material (`kms-import fingerprint --source ...`), so plan never reads the source; null lets plan compute it."
  type        = string
  default     = null
}

variable "single_valid_to" {
  description = "Expiry of the single key's material (RFC 3339, at most 365 days ahead); null: it does not expire."
  type        = string
  default     = null
}

variable "rotating_material_source" {
  description = "Material reference of the rotating key's generation g1, e.g. generate:g1?escrow=file:///secure/escrow."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9+.-]*:", var.rotating_material_source))
    error_message = "rotating_material_source must be a URI reference such as generate:g1?escrow=file:///abs/dir; run `kms-import sources` for the forms."
  }
}

variable "many_escrow" {
  description = "Escrow for module.many's generated materials: file:///ABS/DIR (or secretsmanager:PREFIX)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^(file:///|secretsmanager:)", var.many_escrow))
    error_message = "many_escrow must be file:///ABS/DIR or secretsmanager:PREFIX."
  }
}

variable "helper_command" {
  description = "kms-import command (on PATH, or an absolute path such as /opt/kms-import/bin/kms-import)."
  type        = string
  default     = "kms-import"
  nullable    = false
}

variable "single_material_rotations" {
  description = "Material rotated into the single key on demand, in order (append only); each entry's material_source is a reference like the first one's."
  type = list(object({
    material_source      = string
    material_fingerprint = optional(string)
  }))
  default  = []
  nullable = false
}

variable "key_administrators" {
  description = "IAM principal ARNs that administer the keys and manage their material (not use them)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_users" {
  description = "IAM principal ARNs that encrypt and decrypt with the keys."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_service_users" {
  description = "IAM principal ARNs that may grant AWS services (EBS, RDS, ...) use of the single key."
  type        = list(string)
  default     = []
  nullable    = false
}
