# Every input of the three modules: a single imported key (modules/external-key), a rotating
# key with one generation (modules/rotating-key), and two keys in one instance of
# modules/external-keys (one helper run at plan and one at apply for both). Copy what you need.

data "aws_caller_identity" "current" {}

# The account root administers the keys: a source policy document, whose statements come
# first; the modules add their role-list statements and key_statements after it.
data "aws_iam_policy_document" "key" {
  # In a key policy, resources = ["*"] means this key only.
  #checkov:skip=CKV_AWS_109: a key policy's "*" resource is the key itself
  #checkov:skip=CKV_AWS_111: a key policy's "*" resource is the key itself
  #checkov:skip=CKV_AWS_356: a key policy's "*" resource is the key itself
  statement {
    sid       = "AccountRootAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

locals {
  account_root = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"

  # One extra key policy statement, in aws_iam_policy_document's shape: CloudWatch Logs may
  # use the key for this account's log groups.
  logs_statement = {
    sid        = "CloudWatchLogsUse"
    actions    = ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    principals = [{ type = "Service", identifiers = ["logs.${var.region}.amazonaws.com"] }]
    condition = [{
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:aws:logs:${var.region}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }]
  }
}

module "single" {
  source = "../../modules/external-key"

  material_source         = var.single_material_source
  material_fingerprint    = var.single_material_fingerprint
  key_spec                = "SYMMETRIC_DEFAULT"
  key_usage               = "ENCRYPT_DECRYPT"
  alias_name              = "alias/example-complete-single"
  description             = "example: complete, single key"
  wrapping_algorithm      = "RSA_AES_KEY_WRAP_SHA_256"
  wrapping_key_spec       = "RSA_4096"
  valid_to                = var.single_valid_to
  enabled                 = true
  deletion_window_in_days = 7
  material_rotations      = var.single_material_rotations # on-demand rotations: append only
  multi_region            = false                         # true + replica_regions: examples/multi-region
  replica_regions         = []
  tags                    = { example = "complete", owner = "platform" }
  helper_command          = var.helper_command
  profile                 = var.profile     # the provider's profile and assume_role: the helper
  assume_role             = var.assume_role # acts as the principal that creates the key

  # Expiry: warn at plan 30 days ahead; no alarm (expiry_alarm = { days_before = 14 } adds one).
  expiry_warning_days = 30
  expiry_alarm        = null

  # The key policy, built from role lists (policy = a full JSON document replaces all of it).
  policy                            = null
  enable_default_policy             = true
  key_owners                        = []
  key_administrators                = var.key_administrators
  key_users                         = var.key_users
  key_service_users                 = var.key_service_users
  key_service_roles_for_autoscaling = []
  key_statements                    = [local.logs_statement]
  source_policy_documents           = [data.aws_iam_policy_document.key.json]
  override_policy_documents         = []
  grants = {
    app-decrypt = {
      grantee_principal = local.account_root
      operations        = ["Decrypt", "DescribeKey"]
      constraints       = [{ encryption_context_equals = { purpose = "example" } }]
    }
  }
}

module "rotating" {
  source = "../../modules/rotating-key"

  alias_name        = "alias/example-complete-rotating"
  description       = "example: complete, rotating key"
  active_generation = "g1"
  generations = {
    g1 = {
      material_source         = var.rotating_material_source
      material_fingerprint    = null
      key_spec                = "SYMMETRIC_DEFAULT"
      key_usage               = "ENCRYPT_DECRYPT"
      valid_to                = null
      enabled                 = true
      deletion_window_in_days = 7
      description             = "example: complete, rotating key g1"
      wrapping_algorithm      = "RSAES_OAEP_SHA_1"
      wrapping_key_spec       = "RSA_2048"
      material_rotations      = []
      multi_region            = false
      replica_regions         = []
      alias_name              = null # an alias of the generation's own, besides alias_name above
    }
  }
  tags               = { example = "complete", owner = "platform" }
  helper_command     = var.helper_command
  import_parallelism = 4
  profile            = var.profile
  assume_role        = var.assume_role

  # Expiry: warn at plan 30 days ahead; an alarm per key with a valid_to and per replica.
  expiry_warning_days = 30
  expiry_alarm        = { days_before = 14, alarm_actions = [] }

  # The same policy inputs, shared by every generation's key.
  policy                            = null
  enable_default_policy             = true
  key_owners                        = []
  key_administrators                = var.key_administrators
  key_users                         = var.key_users
  key_service_users                 = []
  key_service_roles_for_autoscaling = []
  key_statements                    = []
  source_policy_documents           = [data.aws_iam_policy_document.key.json]
  override_policy_documents         = []
  grants                            = {}
}

module "many" {
  source = "../../modules/external-keys"

  keys = {
    a = {
      material_source         = "generate:complete-many-a?escrow=${var.many_escrow}"
      material_fingerprint    = null # null: plan computes it (one plan-keys run for the map)
      key_spec                = "SYMMETRIC_DEFAULT"
      key_usage               = "ENCRYPT_DECRYPT"
      alias_name              = "alias/example-complete-many-a"
      description             = "example: complete, many keys: a"
      wrapping_algorithm      = null # the helper chooses per key spec
      wrapping_key_spec       = "RSA_3072"
      valid_to                = null
      enabled                 = true
      deletion_window_in_days = 7
      tags                    = { key = "a" } # added to the shared tags
      multi_region            = false
      replica_regions         = []
      material_rotations      = []
    }
    b = {
      material_source         = "generate:complete-many-b?escrow=${var.many_escrow}"
      description             = "example: complete, many keys: b"
      deletion_window_in_days = 7
    }
  }
  tags               = { example = "complete", owner = "platform" }
  helper_command     = var.helper_command
  import_parallelism = 4
  profile            = var.profile
  assume_role        = var.assume_role

  # Expiry: warn at plan 30 days ahead; an alarm per key with a valid_to and per replica.
  expiry_warning_days = 30
  expiry_alarm        = { days_before = 14, alarm_actions = [] }

  # Shared by every key of the map.
  policy                            = null
  enable_default_policy             = true
  key_owners                        = []
  key_administrators                = var.key_administrators
  key_users                         = var.key_users
  key_service_users                 = []
  key_service_roles_for_autoscaling = []
  key_statements                    = []
  source_policy_documents           = [data.aws_iam_policy_document.key.json]
  override_policy_documents         = []
  grants = {
    app-decrypt = {
      grantee_principal = local.account_root
      operations        = ["Decrypt", "DescribeKey"]
    }
  }
}
