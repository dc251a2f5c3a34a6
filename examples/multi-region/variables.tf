variable "region" {
  description = "AWS Region of the primary key."
  type        = string
  default     = "us-east-1"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-\\d$", var.region))
    error_message = "region must be an AWS Region name such as us-east-1 or eu-west-1."
  }
}

variable "replica_regions" {
  description = "Regions that get a replica with the same material (not var.region)."
  type        = list(string)
  default     = ["us-west-2", "eu-west-1"]
  nullable    = false

  validation {
    condition     = !contains(var.replica_regions, var.region)
    error_message = "replica_regions must not name the primary's own Region (var.region)."
  }
}

variable "material_source" {
  description = "Material reference, e.g. generate:mr?escrow=file:///secure/escrow. Never the material itself."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9+.-]*:", var.material_source))
    error_message = "material_source must be a URI reference such as file:///abs/path; run `kms-import sources` for the forms."
  }
}

variable "helper_command" {
  description = "kms-import command (on PATH, or an absolute path)."
  type        = string
  default     = "kms-import"
  nullable    = false
}
