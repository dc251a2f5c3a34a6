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

variable "alias_name" {
  description = "Alias that applications use, as in the seed; it follows active_generation."
  type        = string
  default     = "alias/MyImportedKey"
  nullable    = false
}

variable "description" {
  description = "Description of the keys (each adds its generation name)."
  type        = string
  default     = "External key"
  nullable    = false
}

variable "generations" {
  description = "Generations by name (see modules/rotating-key): material_source (a reference, never material), and optionally material_fingerprint, valid_to, enabled, deletion_window_in_days, description, wrapping_algorithm, wrapping_key_spec, multi_region, replica_regions (Regions that get a replica with the same material)."
  type = map(object({
    material_source         = string
    material_fingerprint    = optional(string)
    valid_to                = optional(string)
    enabled                 = optional(bool, true)
    deletion_window_in_days = optional(number, 30)
    description             = optional(string)
    wrapping_algorithm      = optional(string)
    wrapping_key_spec       = optional(string, "RSA_3072")
    multi_region            = optional(bool, false)
    replica_regions         = optional(list(string), [])
  }))

  validation {
    condition     = alltrue([for generation in var.generations : !contains(generation.replica_regions, var.region)])
    error_message = "replica_regions must not name the primary keys' own Region (var.region): list only the other Regions that get a replica."
  }
}

variable "active_generation" {
  description = "The generation alias_name points at."
  type        = string
}

variable "tags" {
  description = "Tags for every key."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "helper_command" {
  description = "kms-import command (on PATH, or an absolute path such as /path/to/repo/.venv/bin/kms-import)."
  type        = string
  default     = "kms-import"
  nullable    = false
}
