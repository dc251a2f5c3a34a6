# One imported key through modules/external-key, every module input passed through, so the
# reliability tests can feed each input good and bad values without the root's own checks.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "material_source" {
  description = "Material reference for the key."
  type        = string
}

variable "material_fingerprint" {
  description = "Fingerprint of the material (null: computed at plan time)."
  type        = string
  default     = null
}

variable "alias_name" {
  description = "Alias of the key."
  type        = string
  default     = "alias/reliability"
}

variable "description" {
  description = "Description of the key."
  type        = string
  default     = null
}

variable "key_spec" {
  description = "Key spec of the key."
  type        = string
  default     = null
}

variable "key_usage" {
  description = "Key usage of the key."
  type        = string
  default     = null
}

variable "wrapping_algorithm" {
  description = "Wrapping algorithm for the import."
  type        = string
  default     = null
}

variable "wrapping_key_spec" {
  description = "Wrapping key spec for the import."
  type        = string
  default     = null
}

variable "valid_to" {
  description = "Expiry of the material."
  type        = string
  default     = null
}

variable "enabled" {
  description = "Whether the key is enabled."
  type        = bool
  default     = true
}

variable "deletion_window_in_days" {
  description = "Deletion window of the key."
  type        = number
  default     = null
}

variable "policy" {
  description = "Key policy JSON."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the key."
  type        = map(string)
  default     = null
}

variable "helper_command" {
  description = "The kms-import command."
  type        = string
  default     = null
}

variable "material_rotations" {
  description = "Material rotated into the key on demand, in order."
  type = list(object({
    material_source      = string
    material_fingerprint = optional(string)
  }))
  default = null
}

variable "key_owners" {
  description = "Key owners' principal ARNs."
  type        = list(string)
  default     = null
}

variable "key_users" {
  description = "Key users' principal ARNs."
  type        = list(string)
  default     = null
}

variable "key_statements" {
  description = "Extra key policy statements (the module types them)."
  type        = any
  default     = null
}

variable "grants" {
  description = "Grants on the key (the module types them)."
  type        = any
  default     = null
}

variable "expiry_warning_days" {
  description = "Days ahead of valid_to the plan warns (the module validates it)."
  type        = number
  default     = 30
}

variable "expiry_alarm" {
  description = "The expiry alarm (the module types and validates it)."
  type        = any
  default     = null
}

module "key" {
  source = "../modules/external-key"

  material_source         = var.material_source
  material_fingerprint    = var.material_fingerprint
  alias_name              = var.alias_name
  description             = var.description
  key_spec                = var.key_spec
  key_usage               = var.key_usage
  wrapping_algorithm      = var.wrapping_algorithm
  wrapping_key_spec       = var.wrapping_key_spec
  valid_to                = var.valid_to
  enabled                 = var.enabled
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = var.policy
  tags                    = var.tags
  helper_command          = var.helper_command
  material_rotations      = var.material_rotations
  expiry_warning_days     = var.expiry_warning_days
  expiry_alarm            = var.expiry_alarm
  key_owners              = var.key_owners
  key_users               = var.key_users
  key_statements          = var.key_statements
  grants                  = var.grants
}

output "key_id" {
  description = "Id of the key."
  value       = module.key.key_id
}

output "key_arn" {
  description = "ARN of the key."
  value       = module.key.key_arn
}

output "material_fingerprint" {
  description = "Fingerprint of the material."
  value       = module.key.material_fingerprint
}

output "import_id" {
  description = "Id of the import step."
  value       = module.key.import_id
}
