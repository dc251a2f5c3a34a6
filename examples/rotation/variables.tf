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

variable "generations" {
  description = "Generations by name -> material_source (a reference) and optional valid_to, enabled; each is its own key with its own material."
  type = map(object({
    material_source = string
    valid_to        = optional(string)
    enabled         = optional(bool, true)
  }))
  nullable = false

  validation {
    condition     = length(var.generations) > 0
    error_message = "generations must hold at least one generation."
  }
}

variable "active_generation" {
  description = "The generation the alias points at; new encryptions use its key."
  type        = string
  nullable    = false

  validation {
    condition     = contains(keys(var.generations), var.active_generation)
    error_message = "active_generation must be one of the names in generations."
  }
}

variable "helper_command" {
  description = "kms-import command (on PATH, or an absolute path)."
  type        = string
  default     = "kms-import"
  nullable    = false
}
