variable "material_source" {
  description = "Where the helper reads the key material: a URI reference such as file:///abs/path?format=raw or generate:NAME?escrow=file:///abs/dir (see `kms-import sources`). Never the material itself."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9+.-]*:", var.material_source))
    error_message = "material_source must be a URI reference such as file:///abs/path or generate:NAME?escrow=file:///abs/dir, never the material itself; run `kms-import sources` for the forms."
  }
}

variable "material_fingerprint" {
  description = "The material's fingerprint as printed by `kms-import fingerprint --source ...`. Set it when plan runners must not read the material source; null makes plan compute it with the helper."
  type        = string
  default     = null

  validation {
    condition     = var.material_fingerprint == null || can(regex("^(hmac-sha256:[0-9a-f]{32}|sha256-spki:[0-9a-f]{64})$", var.material_fingerprint))
    error_message = "material_fingerprint must be the exact output of `kms-import fingerprint --source ...` (hmac-sha256:<32 hex> or sha256-spki:<64 hex>)."
  }
}

variable "material_rotations" {
  description = "New material rotated into this same key on demand, in order (SYMMETRIC_DEFAULT keys only): each entry is imported with ImportType NEW_KEY_MATERIAL and made current with RotateKeyOnDemand. The key id and any alias stay; older ciphertexts still decrypt. Append only: KMS keeps every material a key had, so an entry can never change or go. material_fingerprint works as for the first material."
  type = list(object({
    material_source      = string
    material_fingerprint = optional(string)
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for r in var.material_rotations : can(regex("^[a-z][a-z0-9+.-]*:", r.material_source))])
    error_message = "Each material_rotations material_source must be a URI reference such as generate:NAME?escrow=file:///abs/dir, never the material itself; run `kms-import sources` for the forms."
  }

  validation {
    condition     = alltrue([for r in var.material_rotations : r.material_fingerprint == null || can(regex("^hmac-sha256:[0-9a-f]{32}$", coalesce(r.material_fingerprint, "-")))])
    error_message = "Each material_rotations material_fingerprint must be the output of `kms-import fingerprint --source ...` for symmetric material (hmac-sha256:<32 hex>), or null."
  }

  validation {
    condition     = length(var.material_rotations) <= 25
    error_message = "KMS allows at most 25 on-demand rotations per key; rotate to a new generation instead."
  }

  validation {
    condition     = length(distinct([for r in var.material_rotations : r.material_source])) == length(var.material_rotations)
    error_message = "Each material_rotations entry needs its own new material: a source may appear only once (the helper also refuses the key's own material)."
  }
}

variable "key_spec" {
  description = "What the key is: SYMMETRIC_DEFAULT (32 bytes), HMAC_224/256/384/512, RSA_2048/3072/4096 or ECC_NIST_P256/P384/P521 and ECC_SECG_P256K1 (private keys). A key's spec never changes: change it by adding a new generation."
  type        = string
  default     = "SYMMETRIC_DEFAULT"
  nullable    = false

  validation {
    condition = contains([
      "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "RSA_2048", "RSA_3072",
      "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
    ], var.key_spec)
    error_message = "key_spec must be one of the importable key specs: SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512, RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1 (see docs/supported.md)."
  }
}

variable "key_usage" {
  description = "What the key does; null means the key spec's one usage: ENCRYPT_DECRYPT (SYMMETRIC_DEFAULT), GENERATE_VERIFY_MAC (HMAC_*), SIGN_VERIFY (ECC_*). RSA keys have two, so RSA_* key specs need it set: ENCRYPT_DECRYPT or SIGN_VERIFY."
  type        = string
  default     = null

  validation {
    condition     = var.key_usage == null || contains(["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"], coalesce(var.key_usage, "-"))
    error_message = "key_usage must be null (the key spec's usage), ENCRYPT_DECRYPT, SIGN_VERIFY or GENERATE_VERIFY_MAC; KEY_AGREEMENT is not supported (kms-import cannot prove such a key)."
  }

  validation {
    condition     = var.key_usage != null || !startswith(var.key_spec, "RSA_")
    error_message = "key_usage must be set for an RSA key spec: ENCRYPT_DECRYPT or SIGN_VERIFY (a key's usage can never change, so the module does not guess)."
  }

  # Only for known names (the checks above and key_spec's own report unknown ones), so each
  # mistake gives exactly one message.
  validation {
    condition = !contains(["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"], coalesce(var.key_usage, "-")) || contains(lookup({
      SYMMETRIC_DEFAULT = ["ENCRYPT_DECRYPT"],
      HMAC_224          = ["GENERATE_VERIFY_MAC"],
      HMAC_256          = ["GENERATE_VERIFY_MAC"],
      HMAC_384          = ["GENERATE_VERIFY_MAC"],
      HMAC_512          = ["GENERATE_VERIFY_MAC"],
      RSA_2048          = ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
      RSA_3072          = ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
      RSA_4096          = ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
      ECC_NIST_P256     = ["SIGN_VERIFY"],
      ECC_NIST_P384     = ["SIGN_VERIFY"],
      ECC_NIST_P521     = ["SIGN_VERIFY"],
      ECC_SECG_P256K1   = ["SIGN_VERIFY"],
    }, var.key_spec, ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"]), coalesce(var.key_usage, "-"))
    error_message = "key_usage does not fit key_spec: SYMMETRIC_DEFAULT takes ENCRYPT_DECRYPT, HMAC_* take GENERATE_VERIFY_MAC, RSA_* take ENCRYPT_DECRYPT or SIGN_VERIFY, ECC_* take SIGN_VERIFY; fix one of the two (or leave key_usage null)."
  }
}

variable "alias_name" {
  description = "Alias for the key, e.g. \"alias/MyImportedKey\"; null creates no alias."
  type        = string
  default     = null

  validation {
    condition     = var.alias_name == null || can(regex("^alias/[a-zA-Z0-9/_-]{1,250}$", var.alias_name))
    error_message = "alias_name must look like alias/NAME (letters, digits, /, _ and -; at most 256 characters)."
  }

  validation {
    condition     = var.alias_name == null || !startswith(coalesce(var.alias_name, "-"), "alias/aws/")
    error_message = "alias_name must not start with alias/aws/: that prefix is reserved for AWS managed keys."
  }
}

variable "description" {
  description = "Description of the KMS key."
  type        = string
  default     = "Imported key material (managed by kms-import)"
  nullable    = false

  validation {
    condition     = length(var.description) <= 8192
    error_message = "description must be at most 8192 characters."
  }
}

variable "wrapping_algorithm" {
  description = "How the helper wraps the material for import; null lets the helper choose: RSAES_OAEP_SHA_256 for symmetric and HMAC keys (as the seed does), RSA_AES_KEY_WRAP_SHA_256 for private keys, or what an HSM source's token offers."
  type        = string
  default     = null

  validation {
    condition     = var.wrapping_algorithm == null || contains(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"], coalesce(var.wrapping_algorithm, "-"))
    error_message = "wrapping_algorithm must be null or one of RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256."
  }

  validation {
    condition     = !(startswith(coalesce(var.wrapping_algorithm, "-"), "RSAES_OAEP") && startswith(var.key_spec, "RSA_"))
    error_message = "wrapping_algorithm RSAES_OAEP_* cannot carry an RSA private key (KMS takes those only through RSA_AES_KEY_WRAP_*); use RSA_AES_KEY_WRAP_SHA_256, or leave it null."
  }
}

variable "wrapping_key_spec" {
  description = "Size of the RSA wrapping key KMS issues for the import."
  type        = string
  default     = "RSA_3072"
  nullable    = false

  validation {
    condition     = contains(["RSA_2048", "RSA_3072", "RSA_4096"], var.wrapping_key_spec)
    error_message = "wrapping_key_spec must be RSA_2048, RSA_3072 or RSA_4096."
  }
}

variable "valid_to" {
  description = "When KMS deletes the imported material (RFC 3339 with a zone, in the future and at most 365 days ahead); null means the material does not expire. Changing it re-imports the same material with the new expiry."
  type        = string
  default     = null

  validation {
    # timeadd parses the date too, so 2031-02-30 is refused here rather than in the locals.
    condition     = var.valid_to == null || can(timeadd(format("%sT%sZ", regex("^(\\d{4}-\\d\\d-\\d\\d)[Tt](\\d\\d:\\d\\d:\\d\\d)(?:\\.\\d+)?(?:[Zz]|[+-]\\d\\d:\\d\\d)$", coalesce(var.valid_to, "-"))...), "0s"))
    error_message = "valid_to must be an RFC 3339 timestamp with a zone, like 2031-06-17T20:00:00Z."
  }

  validation {
    condition     = var.valid_to == null || try(timecmp(var.valid_to, plantimestamp()) > 0, true)
    error_message = "valid_to must be in the future: KMS refuses an expiry in the past. Renew with a later time, or set null for material that does not expire."
  }

  validation {
    condition     = var.valid_to == null || try(timecmp(var.valid_to, timeadd(plantimestamp(), "8760h")) <= 0, true)
    error_message = "valid_to must be at most 365 days ahead (KMS's limit); renew with a later date before it passes."
  }
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

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number from 7 to 30 (KMS's limits)."
  }
}

variable "policy" {
  description = "Full key policy JSON, used as is (the role lists, key_statements and policy documents are then ignored); null builds the policy from enable_default_policy, the role lists, key_statements and source/override_policy_documents."
  type        = string
  default     = null

  validation {
    condition     = var.policy == null || can(jsondecode(coalesce(var.policy, "{}")))
    error_message = "policy must be a JSON document (use jsonencode or aws_iam_policy_document)."
  }
}

variable "tags" {
  description = "Tags for the key. The module adds kms-import:fingerprint itself."
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

################################################################################
# Key policy and grants (policy.tf, grants.tf): who may administer, import into and use
# the key. Modelled on terraform-aws-modules/terraform-aws-kms's role lists.
################################################################################

variable "enable_default_policy" {
  description = "Keep KMS's default statement: the account root (that is, IAM policies in this account) may do everything with the key. It is what stops a policy from locking the account out; turn it off only with key_owners or key_administrators set."
  type        = bool
  default     = true
  nullable    = false

  validation {
    condition     = var.enable_default_policy || var.policy != null || length(var.key_owners) + length(var.key_administrators) > 0
    error_message = "enable_default_policy = false needs key_owners or key_administrators: otherwise nobody could change the key policy again and KMS refuses it (lock-out). Add the principals that administer the key, or keep enable_default_policy = true."
  }
}

variable "key_owners" {
  description = "IAM principal ARNs allowed every KMS action on the key (kms:*)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_owners : can(regex("^arn:aws[a-z-]*:(iam|sts)::\\d{12}:.+$", arn))])
    error_message = "key_owners must be IAM principal ARNs such as arn:aws:iam::111122223333:role/KeyOwner (or an account root arn:aws:iam::111122223333:root)."
  }
}

variable "key_administrators" {
  description = "IAM principal ARNs that administer the key (KMS's key administrator statement) and manage its material: kms:GetParametersForImport, kms:ImportKeyMaterial, kms:DeleteImportedKeyMaterial, kms:RotateKeyOnDemand. Administrators cannot use the key for cryptography."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_administrators : can(regex("^arn:aws[a-z-]*:(iam|sts)::\\d{12}:.+$", arn))])
    error_message = "key_administrators must be IAM principal ARNs such as arn:aws:iam::111122223333:role/KeyAdmin."
  }
}

variable "key_users" {
  description = "IAM principal ARNs that use the key for the operations its key spec and usage allow: encrypt/decrypt (symmetric: also GenerateDataKey*, ReEncrypt*), GenerateMac/VerifyMac (HMAC), Sign/Verify (signing keys); always DescribeKey."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_users : can(regex("^arn:aws[a-z-]*:(iam|sts)::\\d{12}:.+$", arn))])
    error_message = "key_users must be IAM principal ARNs such as arn:aws:iam::111122223333:role/App."
  }
}

variable "key_service_users" {
  description = "IAM principal ARNs that may create, list and revoke grants on the key for AWS services (EBS, RDS, ...): only when kms:GrantIsForAWSResource is true."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.key_service_users : can(regex("^arn:aws[a-z-]*:(iam|sts)::\\d{12}:.+$", arn))])
    error_message = "key_service_users must be IAM principal ARNs such as arn:aws:iam::111122223333:role/App."
  }
}

variable "key_service_roles_for_autoscaling" {
  description = "ARNs of AWSServiceRoleForAutoScaling roles that use the key for encrypted EBS volumes (key users' symmetric actions, and CreateGrant for AWS resources)."
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

  validation {
    condition     = alltrue([for region in var.replica_regions : can(regex("^[a-z]{2}(-[a-z]+)+-\\d{1,2}$", region))])
    error_message = "replica_regions must hold AWS Region names such as us-west-2 or eu-west-1."
  }

  validation {
    condition     = length(distinct(var.replica_regions)) == length(var.replica_regions)
    error_message = "replica_regions must not name a Region twice."
  }

  validation {
    condition     = length(var.replica_regions) == 0 || var.multi_region
    error_message = "replica_regions needs multi_region = true: only a multi-Region primary can be replicated."
  }
}
