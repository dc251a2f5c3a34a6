variable "alias_name" {
  description = "The alias applications use (e.g. \"alias/MyImportedKey\"); it points at the active generation's key."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.alias_name)) && !startswith(var.alias_name, "alias/aws/")
    error_message = "alias_name must look like alias/NAME (letters, digits, /, _ and -) and must not start with alias/aws/."
  }
}

variable "generations" {
  description = "Generations of the key, by name: each is one KMS key with its own imported material. Old generations stay (and decrypt their ciphertexts) until removed, which schedules their deletion."
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
  nullable = false

  validation {
    condition     = length(var.generations) > 0
    error_message = "generations must hold at least one generation (the active one)."
  }

  validation {
    condition     = alltrue([for name in keys(var.generations) : can(regex("^[a-z0-9][a-z0-9-]{0,30}$", name))])
    error_message = "Generation names must be 1-31 lower-case letters, digits or '-', starting with a letter or digit (e.g. g1, 2026-11)."
  }
}

variable "active_generation" {
  description = "Name of the generation the alias points at (new encryptions use it)."
  type        = string
  nullable    = false

  validation {
    condition     = contains(keys(var.generations), var.active_generation)
    error_message = "active_generation must be one of the names in generations."
  }
}

variable "description" {
  description = "Description of the keys; each key's description adds its generation name."
  type        = string
  default     = "Imported key material (managed by kms-import)"
  nullable    = false
}

variable "policy" {
  description = "Key policy JSON for every generation; null lets KMS apply its default policy."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every generation's key. The module adds kms-import:generation and kms-import:fingerprint."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "helper_command" {
  description = "The kms-import command Terraform runs (a name on PATH or an absolute path)."
  type        = string
  default     = "kms-import"
  nullable    = false
}
