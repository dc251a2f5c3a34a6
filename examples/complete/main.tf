# Every input of both modules, one key each: a single imported key (modules/external-key)
# and a rotating key with one generation (modules/rotating-key). Copy what you need.

data "aws_caller_identity" "current" {}

# The account root administers the keys (KMS's default policy, written out so it can be
# narrowed: add your key users and administrators here).
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

module "single" {
  source = "../../modules/external-key"

  material_source         = var.single_material_source
  material_fingerprint    = var.single_material_fingerprint
  alias_name              = "alias/example-complete-single"
  description             = "example: complete, single key"
  wrapping_algorithm      = "RSA_AES_KEY_WRAP_SHA_256"
  wrapping_key_spec       = "RSA_4096"
  valid_to                = var.single_valid_to
  enabled                 = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = { example = "complete", owner = "platform" }
  helper_command          = var.helper_command
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
      valid_to                = null
      enabled                 = true
      deletion_window_in_days = 7
      description             = "example: complete, rotating key g1"
      wrapping_algorithm      = "RSAES_OAEP_SHA_1"
      wrapping_key_spec       = "RSA_2048"
    }
  }
  policy         = data.aws_iam_policy_document.key.json
  tags           = { example = "complete", owner = "platform" }
  helper_command = var.helper_command
}
