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
  description = "Generations of the key, by name: each is one KMS key with its own imported material. Old generations stay (and decrypt their ciphertexts) until removed, which schedules their deletion. Each may set key_spec (default SYMMETRIC_DEFAULT) and key_usage (null: the key spec's usage), checked by modules/external-keys; the alias can only move between keys of the same spec and usage. A generation may also set alias_name: an alias of its own that stays on its key."
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
    alias_name      = optional(string)
  }))
  nullable = false

  validation {
    condition     = alltrue([for generation in values(var.generations) : generation.alias_name != var.alias_name])
    error_message = "A generation's alias_name must differ from alias_name, the alias that follows the active generation."
  }

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

variable "profile" {
  description = "AWS profile the helper uses, as the provider block's profile: a name from the AWS config files (never credentials). null: the default credential chain. Validated by modules/external-keys."
  type        = string
  default     = null
}

variable "assume_role" {
  description = "Role the helper assumes, as the provider block's assume_role: role_arn, and optionally session_name (default kms-import), external_id and duration (\"1h\", \"15m\", \"1h30m\"; 15m to 12h). null: no role. Validated by modules/external-keys."
  type = object({
    role_arn     = string
    session_name = optional(string)
    external_id  = optional(string)
    duration     = optional(string)
  })
  default = null
}

variable "import_parallelism" {
  description = "How many generations the import step imports at once (threads in its one kms-import process)."
  type        = number
  default     = 8
  nullable    = false
}

################################################################################
# Key policy and grants, the same for every generation: passed to modules/external-keys,
# which validates them and documents each (see its README).
################################################################################

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
