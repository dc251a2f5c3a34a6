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
  description = "Material reference, e.g. generate:reports?escrow=file:///secure/escrow. Never the material itself."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9+.-]*:", var.material_source))
    error_message = "material_source must be a URI reference such as file:///abs/path; run `kms-import sources` for the forms."
  }
}

variable "valid_to" {
  description = "When KMS deletes the material: RFC 3339 with a zone, in the future, at most 365 days ahead. Renew by setting a later time and applying."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^\\d{4}-\\d\\d-\\d\\d[Tt]\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?([Zz]|[+-]\\d\\d:\\d\\d)$", var.valid_to))
    error_message = "valid_to must be an RFC 3339 timestamp with a zone, like 2027-06-17T20:00:00Z."
  }
}

variable "helper_command" {
  description = "kms-import command (on PATH, or an absolute path)."
  type        = string
  default     = "kms-import"
  nullable    = false
}
