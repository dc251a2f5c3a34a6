# The inputs of one key. modules/external-keys validates each (a mistake names the key
# "this"), so the rules live once.

variable "material_source" {
  description = "Where the helper reads the key material: a URI reference such as file:///abs/path?format=raw or generate:NAME?escrow=file:///abs/dir (see `kms-import sources`). Never the material itself."
  type        = string
  nullable    = false
}

variable "material_fingerprint" {
  description = "The material's fingerprint as printed by `kms-import fingerprint --source ...`. Set it when plan runners must not read the material source; null makes plan compute it with the helper."
  type        = string
  default     = null
}

variable "material_rotations" {
  description = "New material rotated into this same key on demand, in order (SYMMETRIC_DEFAULT keys only): each entry is imported with ImportType NEW_KEY_MATERIAL and made current with RotateKeyOnDemand. The key id and any alias stay; older ciphertexts still decrypt. Append only: KMS keeps every material a key had, so an entry can never change or go. material_fingerprint works as for the first material."
  type = list(object({
    material_source      = string
    material_fingerprint = optional(string)
  }))
  default  = []
  nullable = false
}

variable "key_spec" {
  description = "What the key is: SYMMETRIC_DEFAULT (32 bytes), an HMAC_* key spec, or an RSA_* or ECC_* key spec (private keys); modules/external-keys checks it against the generated key-spec table (docs/supported.md lists them). A key's spec never changes: change it by adding a new generation."
  type        = string
  default     = "SYMMETRIC_DEFAULT"
  nullable    = false
}

variable "key_usage" {
  description = "What the key does; null means the key spec's one usage: ENCRYPT_DECRYPT (SYMMETRIC_DEFAULT), GENERATE_VERIFY_MAC (HMAC_*), SIGN_VERIFY (ECC_*). RSA keys have two, so RSA_* key specs need it set: ENCRYPT_DECRYPT or SIGN_VERIFY."
  type        = string
  default     = null
}

variable "alias_name" {
  description = "Alias for the key, e.g. \"alias/MyImportedKey\"; null creates no alias."
  type        = string
  default     = null
}

variable "description" {
  description = "Description of the KMS key."
  type        = string
  default     = "Imported key material (managed by kms-import)"
  nullable    = false
}

variable "wrapping_algorithm" {
  description = "How the helper wraps the material for import; null lets the helper choose: RSAES_OAEP_SHA_256 for symmetric and HMAC keys (as the seed does), RSA_AES_KEY_WRAP_SHA_256 for private keys, or what an HSM source's token offers."
  type        = string
  default     = null
}

variable "wrapping_key_spec" {
  description = "Size of the RSA wrapping key KMS issues for the import."
  type        = string
  default     = "RSA_3072"
  nullable    = false
}

variable "valid_to" {
  description = "When KMS deletes the imported material (RFC 3339 with a zone, in the future and at most 365 days ahead); null means the material does not expire. Changing it re-imports the same material with the new expiry."
  type        = string
  default     = null
}

variable "enabled" {
  description = "Whether the key is enabled. The helper imports first, proves the key, then disables it when false."
  type        = bool
  default     = true
  nullable    = false
}

variable "deletion_window_in_days" {
  description = "Days KMS waits before deleting the key once its deletion is scheduled (destroy or removal)."
  type        = number
  default     = 30
  nullable    = false
}

variable "policy" {
  description = "Full key policy JSON, used as is (the role lists, key_statements and policy documents are then ignored); null builds the policy from enable_default_policy, the role lists, key_statements and source/override_policy_documents."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for the key. The module adds kms-import:fingerprint itself."
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

################################################################################
# Key policy and grants: who may administer, import into and use the key. Modelled on
# terraform-aws-modules/terraform-aws-kms's role lists.
################################################################################

variable "enable_default_policy" {
  description = "Keep KMS's default statement: the account root (that is, IAM policies in this account) may do everything with the key. It is what stops a policy from locking the account out; turn it off only with key_owners or key_administrators set."
  type        = bool
  default     = true
  nullable    = false
}

variable "key_owners" {
  description = "IAM principal ARNs allowed every KMS action on the key (kms:*)."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_administrators" {
  description = "IAM principal ARNs that administer the key (KMS's key administrator statement) and manage its material: kms:GetParametersForImport, kms:ImportKeyMaterial, kms:DeleteImportedKeyMaterial, kms:RotateKeyOnDemand. Administrators cannot use the key for cryptography."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_users" {
  description = "IAM principal ARNs that use the key for the operations its key spec and usage allow: encrypt/decrypt (symmetric: also GenerateDataKey*, ReEncrypt*), GenerateMac/VerifyMac (HMAC), Sign/Verify (signing keys); always DescribeKey."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_service_users" {
  description = "IAM principal ARNs that may create, list and revoke grants on the key for AWS services (EBS, RDS, ...): only when kms:GrantIsForAWSResource is true."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "key_service_roles_for_autoscaling" {
  description = "ARNs of AWSServiceRoleForAutoScaling roles that use the key for encrypted EBS volumes (key users' symmetric actions, and CreateGrant for AWS resources)."
  type        = list(string)
  default     = []
  nullable    = false
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
}

variable "source_policy_documents" {
  description = "Policy JSON documents whose statements come first; the module's statements with the same sid replace theirs."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "override_policy_documents" {
  description = "Policy JSON documents merged last: their statements replace the module's statements with the same sid, the others are added."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "grants" {
  description = "Grants on the key, by name (the map key is the grant's name unless name is set): grantee_principal, operations, and optionally constraints (encryption context), retiring_principal, grant_creation_tokens, retire_on_delete."
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

variable "multi_region" {
  description = "Create the key as a multi-Region primary (needed for replica_regions). Changing it replaces the key."
  type        = bool
  default     = false
  nullable    = false
}

variable "replica_regions" {
  description = "Regions to replicate the multi-Region key into; the helper imports the same material into each replica. Adding a Region replicates and imports only there; removing one schedules that replica's deletion."
  type        = list(string)
  default     = []
  nullable    = false
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
