# Inputs come from modules/external-keys, which validates and defaults them; see its
# variables.tf for what each means.

variable "key_spec" {
  description = "The key spec (validated by the parent)."
  type        = string
  nullable    = false
}

variable "key_usage" {
  description = "The key usage, resolved by the parent (never null)."
  type        = string
  nullable    = false
}

variable "description" {
  description = "Description of the KMS key and its replicas."
  type        = string
  nullable    = false
}

variable "deletion_window_in_days" {
  description = "Days KMS waits before deleting the key or a replica once scheduled."
  type        = number
  nullable    = false
}

variable "policy" {
  description = "The key policy JSON, built by the parent."
  type        = string
  nullable    = false
}

variable "multi_region" {
  description = "Create the key as a multi-Region primary."
  type        = bool
  nullable    = false
}

variable "replica_regions" {
  description = "Regions to replicate the key into."
  type        = list(string)
  nullable    = false
}

variable "tags" {
  description = "Tags for the key and its replicas (the parent adds kms-import:fingerprint when it is recorded)."
  type        = map(string)
  nullable    = false
}

variable "alias_name" {
  description = "Alias for the key, or null for none."
  type        = string
  default     = null
}

variable "grants" {
  description = "Grants on the key, by grant map key (the parent's grants input)."
  type = map(object({
    grantee_principal = string
    operations        = list(string)
    name              = optional(string)
    constraints = optional(list(object({
      encryption_context_equals = optional(map(string))
      encryption_context_subset = optional(map(string))
    })), [])
    retiring_principal    = optional(string)
    grant_creation_tokens = optional(list(string))
    retire_on_delete      = optional(bool, false)
  }))
  nullable = false
}

variable "name" {
  description = "The key's name in the parent's keys map (named in the expiry warning and alarms)."
  type        = string
}

variable "enabled" {
  description = "Whether the key should be enabled (the parent's import step sets it; drift.tf compares it with the key's state)."
  type        = bool
  default     = true
  nullable    = false
}

variable "valid_to" {
  description = "The key's valid_to in UTC RFC 3339, or null (material does not expire)."
  type        = string
  default     = null
}

variable "expiry_warning_days" {
  description = "Warn at plan when valid_to is this many days away or fewer (0: never)."
  type        = number
  default     = 30
  nullable    = false
}

variable "expiry_alarm" {
  description = "null, or { days_before, alarm_actions }: the expiry alarms (see ../variables.tf)."
  type = object({
    days_before   = number
    alarm_actions = optional(list(string), [])
  })
  default = null
}
