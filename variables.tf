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
  description = "Generations by name (see modules/rotating-key): material_source (a reference, never material), and optionally material_fingerprint, valid_to, enabled, deletion_window_in_days, description, wrapping_algorithm, wrapping_key_spec, key_spec (default SYMMETRIC_DEFAULT), key_usage (null: the key spec's usage; RSA key specs must set it), material_rotations (on-demand rotations, append only), multi_region, replica_regions (Regions that get a replica with the same material)."
  type = map(object({
    material_source         = string
    material_fingerprint    = optional(string)
    valid_to                = optional(string)
    enabled                 = optional(bool, true)
    deletion_window_in_days = optional(number, 30)
    description             = optional(string)
    wrapping_algorithm      = optional(string)
    wrapping_key_spec       = optional(string, "RSA_3072")
    key_spec                = optional(string, "SYMMETRIC_DEFAULT")
    key_usage               = optional(string)
    material_rotations = optional(list(object({
      material_source      = string
      material_fingerprint = optional(string)
    })), [])
    multi_region    = optional(bool, false)
    replica_regions = optional(list(string), [])
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

variable "profile" {
  description = "AWS profile (a name from the AWS config files, never credentials) for the provider and the helper alike, so both act as the same principal. null: the default credential chain."
  type        = string
  default     = null
}

variable "assume_role" {
  description = "Role the provider and the helper both assume, in the provider block's assume_role shape: role_arn, and optionally session_name, external_id and duration (\"1h\", \"15m\", \"1h30m\"; 15m to 12h). null: no role. Validated by modules/external-keys."
  type = object({
    role_arn     = string
    session_name = optional(string)
    external_id  = optional(string)
    duration     = optional(string)
  })
  default = null
}

################################################################################
# Key policy and grants, the same for every generation: passed to modules/external-key,
# which validates them and documents each (see its README).
################################################################################

variable "policy" {
  description = "Full key policy JSON for every generation, used as is; null builds it from the role lists below."
  type        = string
  default     = null
}

variable "enable_default_policy" {
  description = "Keep KMS's default statement (the account root, i.e. IAM policies in this account, may do everything with the keys). Turn it off only with key_owners or key_administrators set."
  type        = bool
  default     = true
  nullable    = false
}

variable "key_owners" {
  description = "IAM principal ARNs allowed every KMS action on the keys (kms:*)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_administrators" {
  description = "IAM principal ARNs that administer the keys and manage their material (GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial, RotateKeyOnDemand), without cryptographic use."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_users" {
  description = "IAM principal ARNs that use the keys for what their key spec allows (encrypt/decrypt, MAC, sign/verify)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_service_users" {
  description = "IAM principal ARNs that may create, list and revoke grants on the keys for AWS services (kms:GrantIsForAWSResource)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_service_roles_for_autoscaling" {
  description = "ARNs of AWSServiceRoleForAutoScaling roles that use the keys for encrypted EBS volumes."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_statements" {
  description = "Extra key policy statements (aws_iam_policy_document's statement shape); sids unique and not a built-in one."
  type = list(object({
    sid           = optional(string)
    effect        = optional(string, "Allow")
    actions       = optional(list(string))
    not_actions   = optional(list(string))
    resources     = optional(list(string), ["*"])
    not_resources = optional(list(string))
    principals = optional(list(object({
      type        = string
      identifiers = list(string)
    })), [])
    not_principals = optional(list(object({
      type        = string
      identifiers = list(string)
    })), [])
    condition = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default  = []
  nullable = false
}

variable "source_policy_documents" {
  description = "Policy JSON documents whose statements come first in every key policy."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "override_policy_documents" {
  description = "Policy JSON documents merged last into every key policy: same-sid statements replace the built-in ones."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "grants" {
  description = "Grants created on every generation's key, by name: grantee_principal, operations, and optionally constraints, retiring_principal, grant_creation_tokens, retire_on_delete."
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
  default  = {}
  nullable = false
}

variable "expiry_warning_days" {
  description = "Warn at plan (a check block per key; never an error) when a key's valid_to is this many days away or fewer. 0 turns the warning off. Validated by modules/external-keys."
  type        = number
  default     = 30
  nullable    = false
}

variable "expiry_alarm" {
  description = "null: no alarm. Else one CloudWatch alarm per key with a valid_to and per replica (in the replica's Region) on AWS/KMS SecondsUntilKeyMaterialExpiration, firing when fewer than days_before days remain; alarm_actions are the ARNs notified. Validated by modules/external-keys."
  type = object({
    days_before   = number
    alarm_actions = optional(list(string), [])
  })
  default = null
}
