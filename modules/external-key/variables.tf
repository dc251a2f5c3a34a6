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
  description = "How the helper wraps the material for import; null chooses RSAES_OAEP_SHA_256 for symmetric and HMAC keys (as the seed does) and RSA_AES_KEY_WRAP_SHA_256 for private keys."
  type        = string
  default     = null

  validation {
    condition     = var.wrapping_algorithm == null || contains(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"], coalesce(var.wrapping_algorithm, "-"))
    error_message = "wrapping_algorithm must be null or one of RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256."
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
  description = "Key policy JSON; null lets KMS apply its default policy (the account root may administer the key)."
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
