variable "keys" {
  description = "The keys, by name (letters, digits, _ . / -): each is one KMS key with imported material. material_source is required; material_fingerprint (recorded: plan then reads no material), key_spec (default SYMMETRIC_DEFAULT), key_usage (null: the key spec's one usage; RSA specs must set it), alias_name, description, wrapping_algorithm (null: the helper chooses), wrapping_key_spec, valid_to (RFC 3339 with a zone, at most 365 days ahead; null: no expiry), enabled, deletion_window_in_days, tags (added to the module's tags), multi_region, replica_regions and material_rotations (on-demand rotations of a SYMMETRIC_DEFAULT key, append only) are as for modules/external-key. Removing a key schedules its deletion."
  type = map(object({
    material_source         = string
    material_fingerprint    = optional(string)
    key_spec                = optional(string, "SYMMETRIC_DEFAULT")
    key_usage               = optional(string)
    alias_name              = optional(string)
    description             = optional(string, "Imported key material (managed by kms-import)")
    wrapping_algorithm      = optional(string)
    wrapping_key_spec       = optional(string, "RSA_3072")
    valid_to                = optional(string)
    enabled                 = optional(bool, true)
    deletion_window_in_days = optional(number, 30)
    tags                    = optional(map(string), {})
    multi_region            = optional(bool, false)
    replica_regions         = optional(list(string), [])
    material_rotations = optional(list(object({
      material_source      = string
      material_fingerprint = optional(string)
    })), [])
  }))
  nullable = false

  validation {
    condition     = length(var.keys) > 0
    error_message = "keys must hold at least one key."
  }

  # Each rule below names the keys that break it: "keys a, b: ...".
  validation {
    condition     = alltrue([for name in keys(var.keys) : can(regex("^[A-Za-z0-9][A-Za-z0-9_./-]{0,127}$", name))])
    error_message = "keys ${join(", ", [for name in keys(var.keys) : name if !can(regex("^[A-Za-z0-9][A-Za-z0-9_./-]{0,127}$", name))])}: a key name is 1-128 letters, digits, _, ., / or -, starting with a letter or digit."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : can(regex("^[a-z][a-z0-9+.-]*:", k.material_source))])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !can(regex("^[a-z][a-z0-9+.-]*:", k.material_source))])}: material_source must be a URI reference such as file:///abs/path or generate:NAME?escrow=file:///abs/dir, never the material itself; run `kms-import sources` for the forms."
  }

  # A wildcard in a name would widen the importer policy (policy.tf builds ARNs from names);
  # the helper refuses them too.
  validation {
    condition     = alltrue([for k in values(var.keys) : !can(regex("(?i)^(secretsmanager|ssm):[^?]*(\\*|%2a|%3f)", k.material_source)) && !can(regex("(?i)[?&]escrow=secretsmanager(:|%3a)[^&]*(\\*|%2a|%252a|%253f)", k.material_source))])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(!can(regex("(?i)^(secretsmanager|ssm):[^?]*(\\*|%2a|%3f)", k.material_source)) && !can(regex("(?i)[?&]escrow=secretsmanager(:|%3a)[^&]*(\\*|%2a|%252a|%253f)", k.material_source)))])}: material_source must name its secret or parameter exactly: * and ? (also %-encoded) in a secretsmanager: or ssm: name, or in a generate: source's escrow=secretsmanager: prefix, are IAM wildcards: the importer policy would cover every matching secret or parameter. Name it exactly."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : k.material_fingerprint == null || can(regex("^(hmac-sha256:[0-9a-f]{32}|sha256-spki:[0-9a-f]{64})$", coalesce(k.material_fingerprint, "-")))])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(k.material_fingerprint == null || can(regex("^(hmac-sha256:[0-9a-f]{32}|sha256-spki:[0-9a-f]{64})$", coalesce(k.material_fingerprint, "-"))))])}: material_fingerprint must be the exact output of `kms-import fingerprint --source ...` (hmac-sha256:<32 hex> or sha256-spki:<64 hex>)."
  }

  # The key-spec rules come from the generated table (specs.tf, from the helper's keyspecs.py).
  validation {
    condition     = alltrue([for k in values(var.keys) : contains(keys(local.key_specs), k.key_spec)])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !contains(keys(local.key_specs), k.key_spec)])}: key_spec must be one of the importable key specs: ${join(", ", keys(local.key_specs))} (see docs/supported.md)."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : k.key_usage == null || contains(distinct(flatten(values(local.key_specs)[*].usages)), coalesce(k.key_usage, "-"))])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(k.key_usage == null || contains(distinct(flatten(values(local.key_specs)[*].usages)), coalesce(k.key_usage, "-")))])}: key_usage must be null (the key spec's usage) or one of ${join(", ", sort(distinct(flatten(values(local.key_specs)[*].usages))))}; KEY_AGREEMENT is not supported (kms-import cannot prove such a key)."
  }

  # Only for known key specs (the rule above reports unknown ones).
  validation {
    condition     = alltrue([for k in values(var.keys) : k.key_usage != null || try(local.key_specs[k.key_spec].default_usage != null, true)])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(k.key_usage != null || try(local.key_specs[k.key_spec].default_usage != null, true))])}: key_usage must be set for a key spec with two usages (the RSA_* ones: ENCRYPT_DECRYPT or SIGN_VERIFY); a key's usage can never change, so the module does not guess."
  }

  # Only for known names (the rules above report unknown ones), so each mistake gives
  # exactly one message.
  validation {
    condition     = alltrue([for k in values(var.keys) : k.key_usage == null || !contains(keys(local.key_specs), k.key_spec) || try(contains(local.key_specs[k.key_spec].usages, k.key_usage), true) || !contains(distinct(flatten(values(local.key_specs)[*].usages)), coalesce(k.key_usage, "-"))])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(k.key_usage == null || !contains(keys(local.key_specs), k.key_spec) || try(contains(local.key_specs[k.key_spec].usages, k.key_usage), true) || !contains(distinct(flatten(values(local.key_specs)[*].usages)), coalesce(k.key_usage, "-")))])}: key_usage does not fit key_spec: ${join("; ", distinct([for n, k in var.keys : "${k.key_spec} takes ${join(" or ", try(local.key_specs[k.key_spec].usages, []))}" if !(k.key_usage == null || !contains(keys(local.key_specs), k.key_spec) || try(contains(local.key_specs[k.key_spec].usages, k.key_usage), true) || !contains(distinct(flatten(values(local.key_specs)[*].usages)), coalesce(k.key_usage, "-")))]))}; fix one of the two (or leave key_usage null)."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : k.alias_name == null || can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", coalesce(k.alias_name, "-")))])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(k.alias_name == null || can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", coalesce(k.alias_name, "-"))))])}: alias_name must look like alias/NAME (letters, digits, /, _ and -; at most 256 characters)."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : !startswith(coalesce(k.alias_name, "-"), "alias/aws/")])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if startswith(coalesce(k.alias_name, "-"), "alias/aws/")])}: alias_name must not start with alias/aws/: that prefix is reserved for AWS managed keys."
  }

  validation {
    condition     = length(compact([for k in values(var.keys) : k.alias_name])) == length(distinct(compact([for k in values(var.keys) : k.alias_name])))
    error_message = "keys: each alias_name may name one key only; ${join(", ", distinct([for a in compact([for k in values(var.keys) : k.alias_name]) : a if length([for k in values(var.keys) : k if k.alias_name == a]) > 1]))} is set on several."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : length(k.description) <= 8192])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if length(k.description) > 8192])}: description must be at most 8192 characters."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : k.wrapping_algorithm == null || contains(local.wrapping_algorithms, coalesce(k.wrapping_algorithm, "-"))])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(k.wrapping_algorithm == null || contains(local.wrapping_algorithms, coalesce(k.wrapping_algorithm, "-")))])}: wrapping_algorithm must be null or one of ${join(", ", local.wrapping_algorithms)}."
  }

  # Only for known algorithms and key specs (the rules above report unknown ones).
  validation {
    condition     = alltrue([for k in values(var.keys) : !contains(local.wrapping_algorithms, coalesce(k.wrapping_algorithm, "-")) || try(contains(local.key_specs[k.key_spec].wrapping_algorithms, k.wrapping_algorithm), true)])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(!contains(local.wrapping_algorithms, coalesce(k.wrapping_algorithm, "-")) || try(contains(local.key_specs[k.key_spec].wrapping_algorithms, k.wrapping_algorithm), true))])}: wrapping_algorithm does not fit key_spec (an RSA private key travels only through RSA_AES_KEY_WRAP_*): ${join("; ", distinct([for n, k in var.keys : "${k.key_spec} takes ${join(", ", try(local.key_specs[k.key_spec].wrapping_algorithms, []))}" if !(!contains(local.wrapping_algorithms, coalesce(k.wrapping_algorithm, "-")) || try(contains(local.key_specs[k.key_spec].wrapping_algorithms, k.wrapping_algorithm), true))]))}; or leave it null for the key spec's default."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : contains(local.wrapping_key_specs, k.wrapping_key_spec)])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !contains(local.wrapping_key_specs, k.wrapping_key_spec)])}: wrapping_key_spec must be one of ${join(", ", local.wrapping_key_specs)}."
  }

  validation {
    # timeadd parses the date too, so 2031-02-30 is refused here rather than in the locals.
    condition     = alltrue([for k in values(var.keys) : k.valid_to == null || can(timeadd(format("%sT%sZ", regex("^(\\d{4}-\\d\\d-\\d\\d)[Tt](\\d\\d:\\d\\d:\\d\\d)(?:\\.\\d+)?(?:[Zz]|[+-]\\d\\d:\\d\\d)$", coalesce(k.valid_to, "-"))...), "0s"))])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(k.valid_to == null || can(timeadd(format("%sT%sZ", regex("^(\\d{4}-\\d\\d-\\d\\d)[Tt](\\d\\d:\\d\\d:\\d\\d)(?:\\.\\d+)?(?:[Zz]|[+-]\\d\\d:\\d\\d)$", coalesce(k.valid_to, "-"))...), "0s")))])}: valid_to must be an RFC 3339 timestamp with a zone, like 2031-06-17T20:00:00Z."
  }

  validation {
    condition = alltrue([for k in values(var.keys) : k.valid_to == null || try(timecmp(k.valid_to, plantimestamp()) > 0, true)])
    # Fails the plan, so apply never tries an import KMS would refuse. One line per key.
    error_message = join("; ", [for n, k in var.keys : "${n}: valid_to ${k.valid_to} has passed (KMS refuses an expiry in the past): make renew GEN=${n} VALID_TO=<RFC 3339, at most 365 days ahead> (outside the root: set a later valid_to, or null)" if !(k.valid_to == null || try(timecmp(k.valid_to, plantimestamp()) > 0, true))])
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : k.valid_to == null || try(timecmp(k.valid_to, timeadd(plantimestamp(), "8760h")) <= 0, true)])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(k.valid_to == null || try(timecmp(k.valid_to, timeadd(plantimestamp(), "8760h")) <= 0, true))])}: valid_to must be at most 365 days ahead (KMS's limit); renew with a later date before it passes."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : k.deletion_window_in_days >= 7 && k.deletion_window_in_days <= 30 && floor(k.deletion_window_in_days) == k.deletion_window_in_days])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(k.deletion_window_in_days >= 7 && k.deletion_window_in_days <= 30 && floor(k.deletion_window_in_days) == k.deletion_window_in_days)])}: deletion_window_in_days must be a whole number from 7 to 30 (KMS's limits)."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : !contains(keys(k.tags), "kms-import:fingerprint")])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if contains(keys(k.tags), "kms-import:fingerprint")])}: the tag kms-import:fingerprint is set by the module; remove it from tags."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : alltrue([for region in k.replica_regions : can(regex("^[a-z]{2}(-[a-z]+)+-\\d{1,2}$", region))])])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !alltrue([for region in k.replica_regions : can(regex("^[a-z]{2}(-[a-z]+)+-\\d{1,2}$", region))])])}: replica_regions must hold AWS Region names such as us-west-2 or eu-west-1."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : length(distinct(k.replica_regions)) == length(k.replica_regions)])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if length(distinct(k.replica_regions)) != length(k.replica_regions)])}: replica_regions must not name a Region twice."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : length(k.replica_regions) == 0 || k.multi_region])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(length(k.replica_regions) == 0 || k.multi_region)])}: replica_regions needs multi_region = true: only a multi-Region primary can be replicated."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : alltrue([for r in k.material_rotations : can(regex("^[a-z][a-z0-9+.-]*:", r.material_source))])])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !alltrue([for r in k.material_rotations : can(regex("^[a-z][a-z0-9+.-]*:", r.material_source))])])}: each material_rotations material_source must be a URI reference such as generate:NAME?escrow=file:///abs/dir, never the material itself; run `kms-import sources` for the forms."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : alltrue([for r in k.material_rotations : !can(regex("(?i)^(secretsmanager|ssm):[^?]*(\\*|%2a|%3f)", r.material_source)) && !can(regex("(?i)[?&]escrow=secretsmanager(:|%3a)[^&]*(\\*|%2a|%252a|%253f)", r.material_source))])])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(alltrue([for r in k.material_rotations : !can(regex("(?i)^(secretsmanager|ssm):[^?]*(\\*|%2a|%3f)", r.material_source)) && !can(regex("(?i)[?&]escrow=secretsmanager(:|%3a)[^&]*(\\*|%2a|%252a|%253f)", r.material_source))]))])}: each material_rotations material_source must name its secret or parameter exactly: * and ? (also %-encoded) in a secretsmanager: or ssm: name, or in a generate: source's escrow=secretsmanager: prefix, are IAM wildcards: the importer policy would cover every matching secret or parameter. Name it exactly."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : alltrue([for r in k.material_rotations : r.material_fingerprint == null || can(regex("^hmac-sha256:[0-9a-f]{32}$", coalesce(r.material_fingerprint, "-")))])])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !alltrue([for r in k.material_rotations : r.material_fingerprint == null || can(regex("^hmac-sha256:[0-9a-f]{32}$", coalesce(r.material_fingerprint, "-")))])])}: each material_rotations material_fingerprint must be the output of `kms-import fingerprint --source ...` for symmetric material (hmac-sha256:<32 hex>), or null."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : length(k.material_rotations) <= 25])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if length(k.material_rotations) > 25])}: KMS allows at most 25 on-demand rotations per key; rotate to a new generation instead."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : length(distinct([for r in k.material_rotations : r.material_source])) == length(k.material_rotations)])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if length(distinct([for r in k.material_rotations : r.material_source])) != length(k.material_rotations)])}: each material_rotations entry needs its own new material: a source may appear only once (the helper also refuses the key's own material)."
  }

  validation {
    condition     = alltrue([for k in values(var.keys) : length(k.material_rotations) == 0 || try(local.key_specs[k.key_spec].kind == "symmetric", true)])
    error_message = "keys ${join(", ", [for n, k in var.keys : n if !(length(k.material_rotations) == 0 || try(local.key_specs[k.key_spec].kind == "symmetric", true))])}: material_rotations needs a SYMMETRIC_DEFAULT key: KMS rotates imported material on demand only for symmetric encryption keys. Rotate other keys with a new generation (make rotate)."
  }
}

variable "tags" {
  description = "Tags for every key and replica (each key's own tags are added). The module adds kms-import:fingerprint itself."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = !contains(keys(var.tags), "kms-import:fingerprint")
    error_message = "The tag kms-import:fingerprint is set by the module; remove it from tags."
  }
}

variable "helper_command" {
  description = "The kms-import command Terraform runs (a name on PATH or an absolute path)."
  type        = string
  default     = "kms-import"
  nullable    = false

  validation {
    condition     = length(trimspace(var.helper_command)) > 0
    error_message = "helper_command must name the kms-import command, e.g. kms-import or /opt/venv/bin/kms-import."
  }
}

variable "expiry_warning_days" {
  description = "A key whose valid_to is this many days away or fewer gets a warning at plan (a check block per key; never an error). 0 turns the warning off."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.expiry_warning_days >= 0 && var.expiry_warning_days <= 365 && floor(var.expiry_warning_days) == var.expiry_warning_days
    error_message = "expiry_warning_days must be a whole number from 0 to 365 (valid_to is at most 365 days ahead)."
  }
}

variable "expiry_alarm" {
  description = "null: no alarm. Else one CloudWatch alarm per key with a valid_to and per replica (in the replica's Region) on AWS/KMS SecondsUntilKeyMaterialExpiration, firing when fewer than days_before days remain; alarm_actions are the ARNs notified (SNS topics, ...)."
  type = object({
    days_before   = number
    alarm_actions = optional(list(string), [])
  })
  default = null

  validation {
    condition     = var.expiry_alarm == null || try(var.expiry_alarm.days_before >= 1 && var.expiry_alarm.days_before <= 365 && floor(var.expiry_alarm.days_before) == var.expiry_alarm.days_before, false)
    error_message = "expiry_alarm.days_before must be a whole number from 1 to 365."
  }

  validation {
    condition     = var.expiry_alarm == null || try(length(var.expiry_alarm.alarm_actions) <= 5 && alltrue([for a in var.expiry_alarm.alarm_actions : startswith(a, "arn:")]), false)
    error_message = "expiry_alarm.alarm_actions must be at most 5 ARNs (CloudWatch's limit), each starting with arn:."
  }
}

variable "import_parallelism" {
  description = "How many keys the import step imports at once (threads in its one kms-import process)."
  type        = number
  default     = 8
  nullable    = false

  validation {
    condition     = var.import_parallelism >= 1 && var.import_parallelism <= 64 && floor(var.import_parallelism) == var.import_parallelism
    error_message = "import_parallelism must be a whole number from 1 to 64."
  }
}

variable "policy" {
  description = "Full key policy JSON for every key, used as is (the role lists, key_statements and policy documents are then ignored); null builds the policy from enable_default_policy, the role lists, key_statements and source/override_policy_documents."
  type        = string
  default     = null

  validation {
    condition     = var.policy == null || can(jsondecode(coalesce(var.policy, "{}")))
    error_message = "policy must be a JSON document (use jsonencode or aws_iam_policy_document)."
  }
}

################################################################################
# Key policy and grants (policy.tf), the same for every key in the map: who may administer,
# import into and use the keys. Modelled on terraform-aws-modules/terraform-aws-kms's role lists.
################################################################################

variable "enable_default_policy" {
  description = "Keep KMS's default statement: the account root (that is, IAM policies in this account) may do everything with the keys. It is what stops a policy from locking the account out; turn it off only with key_owners or key_administrators set."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.enable_default_policy || var.policy != null || length(var.key_owners) + length(var.key_administrators) > 0
    error_message = "enable_default_policy = false needs key_owners or key_administrators: otherwise nobody could change the key policy again and KMS refuses it (lock-out). Add the principals that administer the key, or keep enable_default_policy = true."
  }
}

variable "key_owners" {
  description = "IAM principal ARNs allowed every KMS action on the keys (kms:*)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_owners : can(regex("^arn:aws[a-z-]*:(iam|sts)::\\d{12}:.+$", arn))])
    error_message = "key_owners must be IAM principal ARNs such as arn:aws:iam::111122223333:role/KeyOwner (or an account root arn:aws:iam::111122223333:root)."
  }
}

variable "key_administrators" {
  description = "IAM principal ARNs that administer the keys (KMS's key administrator statement) and manage their material: kms:GetParametersForImport, kms:ImportKeyMaterial, kms:DeleteImportedKeyMaterial, kms:RotateKeyOnDemand. Administrators cannot use the keys for cryptography."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_administrators : can(regex("^arn:aws[a-z-]*:(iam|sts)::\\d{12}:.+$", arn))])
    error_message = "key_administrators must be IAM principal ARNs such as arn:aws:iam::111122223333:role/KeyAdmin."
  }
}

variable "key_users" {
  description = "IAM principal ARNs that use the keys for the operations each key's spec and usage allow: encrypt/decrypt (symmetric: also GenerateDataKey*, ReEncrypt*), GenerateMac/VerifyMac (HMAC), Sign/Verify (signing keys); always DescribeKey."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_users : can(regex("^arn:aws[a-z-]*:(iam|sts)::\\d{12}:.+$", arn))])
    error_message = "key_users must be IAM principal ARNs such as arn:aws:iam::111122223333:role/App."
  }
}

variable "key_service_users" {
  description = "IAM principal ARNs that may create, list and revoke grants on the keys for AWS services (EBS, RDS, ...): only when kms:GrantIsForAWSResource is true."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_service_users : can(regex("^arn:aws[a-z-]*:(iam|sts)::\\d{12}:.+$", arn))])
    error_message = "key_service_users must be IAM principal ARNs such as arn:aws:iam::111122223333:role/App."
  }
}

variable "key_service_roles_for_autoscaling" {
  description = "ARNs of AWSServiceRoleForAutoScaling roles that use the keys for encrypted EBS volumes (key users' symmetric actions, and CreateGrant for AWS resources)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_service_roles_for_autoscaling : can(regex("^arn:aws[a-z-]*:iam::\\d{12}:role/.+$", arn))])
    error_message = "key_service_roles_for_autoscaling must be role ARNs such as arn:aws:iam::111122223333:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling."
  }
}

variable "key_statements" {
  description = "Extra key policy statements, in aws_iam_policy_document's statement shape (sid, effect, actions, not_actions, resources, not_resources, principals, not_principals, condition), added after the built-in ones. Sids must be unique and differ from the built-in ones (Enable IAM User Permissions, KeyOwner, KeyAdministration, KeyUsage, KeyServiceUsage, KeyServiceRolesASG, KeyServiceRolesASGPersistentVol); to replace a built-in statement use override_policy_documents."
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

  validation {
    condition     = alltrue([for s in var.key_statements : contains(["Allow", "Deny"], s.effect)])
    error_message = "key_statements: effect must be Allow or Deny."
  }

  validation {
    condition     = alltrue([for s in var.key_statements : (s.actions == null) != (s.not_actions == null)])
    error_message = "key_statements: each statement needs exactly one of actions or not_actions."
  }

  validation {
    condition = length(compact([for s in var.key_statements : s.sid])) == length(distinct(compact([for s in var.key_statements : s.sid]))) && length(setintersection(compact([for s in var.key_statements : s.sid]), [
      "Enable IAM User Permissions", "KeyOwner", "KeyAdministration", "KeyUsage", "KeyServiceUsage", "KeyServiceRolesASG", "KeyServiceRolesASGPersistentVol",
    ])) == 0
    error_message = "key_statements: sids must be unique and must not reuse a built-in sid (Enable IAM User Permissions, KeyOwner, KeyAdministration, KeyUsage, KeyServiceUsage, KeyServiceRolesASG, KeyServiceRolesASGPersistentVol); replace a built-in statement with override_policy_documents instead."
  }
}

variable "source_policy_documents" {
  description = "Policy JSON documents whose statements come first; the module's statements with the same sid replace theirs."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for doc in var.source_policy_documents : can(jsondecode(doc).Statement)])
    error_message = "source_policy_documents must be policy JSON documents with a Statement (use jsonencode or aws_iam_policy_document)."
  }
}

variable "override_policy_documents" {
  description = "Policy JSON documents merged last: their statements replace the module's statements with the same sid, the others are added."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for doc in var.override_policy_documents : can(jsondecode(doc).Statement)])
    error_message = "override_policy_documents must be policy JSON documents with a Statement (use jsonencode or aws_iam_policy_document)."
  }
}

variable "grants" {
  description = "Grants created on every key, by name (the map key is the grant's name unless name is set): grantee_principal, operations, and optionally constraints (encryption context), retiring_principal, grant_creation_tokens, retire_on_delete."
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

  validation {
    condition = alltrue(flatten([for g in values(var.grants) : [for op in g.operations : contains([
      "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
      "ReEncryptTo", "Sign", "Verify", "GetPublicKey", "CreateGrant", "RetireGrant", "DescribeKey",
      "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateMac", "VerifyMac",
      "DeriveSharedSecret",
    ], op)]]))
    error_message = "grants: operations must be KMS grant operations such as Encrypt, Decrypt, GenerateDataKey, GenerateMac, VerifyMac, Sign, Verify, DescribeKey."
  }

  validation {
    condition     = alltrue([for g in values(var.grants) : length(g.operations) > 0 && can(regex("^arn:aws[a-z-]*:iam::\\d{12}:.+$|^[a-z0-9.-]+\\.amazonaws\\.com$", g.grantee_principal))])
    error_message = "grants: each grant needs at least one operation and a grantee_principal that is an IAM principal ARN (or an AWS service principal such as logs.us-east-1.amazonaws.com)."
  }

  validation {
    condition     = alltrue([for k, g in var.grants : can(regex("^[a-zA-Z0-9:/_-]{1,256}$", coalesce(g.name, k)))])
    error_message = "grants: a grant's name (the map key unless name is set) may hold letters, digits, :, /, _ and - (at most 256)."
  }
}


################################################################################
# Credentials: who the helper acts as. Set them as the provider block's, so the helper
# imports as the principal that created the keys. Only references reach the helper's
# command line and state (a profile name, a role ARN, an external id), never credentials.
################################################################################

variable "profile" {
  description = "AWS profile the helper uses, as the provider block's profile: a name from the AWS config files (never credentials). null: the default credential chain (AWS_PROFILE, environment, instance role)."
  type        = string
  default     = null

  validation {
    condition     = var.profile == null ? true : can(regex("^[A-Za-z0-9_][A-Za-z0-9_.+=,@:/-]{0,127}$", var.profile))
    error_message = "profile must be a profile name from the AWS config files: up to 128 letters, digits and _.+=,@:/- (not starting with - or .), or null."
  }
}

variable "assume_role" {
  description = "Role the helper assumes, as the provider block's assume_role: role_arn, and optionally session_name (default kms-import), external_id and duration (\"1h\", \"15m\", \"1h30m\"; 15m to 12h). Assumed with the profile's (or the default) credentials. null: no role."
  type = object({
    role_arn     = string
    session_name = optional(string)
    external_id  = optional(string)
    duration     = optional(string)
  })
  default = null

  validation {
    condition     = var.assume_role == null ? true : can(regex("^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$", var.assume_role.role_arn))
    error_message = "assume_role.role_arn must be an IAM role ARN: arn:aws:iam::ACCOUNT:role/NAME."
  }

  validation {
    condition     = var.assume_role == null ? true : var.assume_role.session_name == null ? true : can(regex("^[\\w+=,.@-]{2,64}$", var.assume_role.session_name))
    error_message = "assume_role.session_name must be 2 to 64 letters, digits and +=,.@_- (or null for kms-import)."
  }

  validation {
    # The length apart: RE2 repeats count to 1000 at most.
    condition = var.assume_role == null ? true : var.assume_role.external_id == null ? true : alltrue([
      can(regex("^[\\w+=,.@:/-]+$", var.assume_role.external_id)),
      length(var.assume_role.external_id) >= 2,
      length(var.assume_role.external_id) <= 1224,
    ])
    error_message = "assume_role.external_id must be 2 to 1224 letters, digits and +=,.@:/_- (or null)."
  }

  validation {
    condition = var.assume_role == null ? true : var.assume_role.duration == null ? true : try(alltrue([
      for seconds in [sum([
        for i, part in regex("^(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?$", var.assume_role.duration) :
        parseint(coalesce(part, "0"), 10) * [3600, 60, 1][i]
      ])] : seconds >= 900 && seconds <= 43200
    ]), false)
    error_message = "assume_role.duration must be a duration like \"1h\", \"15m\" or \"1h30m\", from 15m to 12h (or null for the role's default)."
  }
}
