# Who may administer, import into and use the key (the key policy), and what the principal
# running kms-import needs (the importer policy output). The role lists follow
# terraform-aws-modules/terraform-aws-kms and the KMS developer guide's default key policy.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # One statement per role that names principals, in terraform-aws-kms's order;
  # for_aws_resources adds the condition kms:GrantIsForAWSResource = true (grants only for
  # AWS services). Actions and principals are deduplicated and sorted in reverse, as the
  # provider's aws_iam_policy_document writes its string sets.
  role_statements = [for statement in [
    {
      # KMS's default: IAM policies in this account decide. Keeps the account from locking itself out.
      sid               = "Enable IAM User Permissions"
      actions           = ["kms:*"]
      principals        = var.enable_default_policy ? ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"] : []
      for_aws_resources = false
    },
    { sid = "KeyOwner", actions = ["kms:*"], principals = var.key_owners, for_aws_resources = false },
    {
      # KMS's key administrator statement, plus the material actions of an imported key named
      # explicitly (kms:Get* and kms:Delete* cover two of them already).
      sid = "KeyAdministration"
      actions = [
        "kms:CancelKeyDeletion", "kms:Create*", "kms:Delete*", "kms:DeleteImportedKeyMaterial",
        "kms:Describe*", "kms:Disable*", "kms:Enable*", "kms:Get*", "kms:GetParametersForImport",
        "kms:ImportKeyMaterial", "kms:List*", "kms:Put*", "kms:ReplicateKey", "kms:Revoke*",
        "kms:RotateKeyOnDemand", "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource",
        "kms:Update*",
      ]
      principals        = var.key_administrators
      for_aws_resources = false
    },
    {
      # What key users may do depends on the key spec and usage (KMS developer guide, "Allows
      # key users to use the KMS key"): secret keys encrypt or MAC, key pairs add GetPublicKey.
      sid = "KeyUsage"
      actions = {
        symmetric           = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        ENCRYPT_DECRYPT     = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GetPublicKey", "kms:ReEncrypt*"]
        GENERATE_VERIFY_MAC = ["kms:DescribeKey", "kms:GenerateMac", "kms:VerifyMac"]
        SIGN_VERIFY         = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"]
        KEY_AGREEMENT       = ["kms:DeriveSharedSecret", "kms:DescribeKey", "kms:GetPublicKey"]
      }[var.key_spec == "SYMMETRIC_DEFAULT" ? "symmetric" : local.key_usage]
      principals        = var.key_users
      for_aws_resources = false
    },
    {
      sid               = "KeyServiceUsage"
      actions           = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
      principals        = var.key_service_users
      for_aws_resources = true
    },
    {
      # EC2 Auto Scaling's service-linked roles launching instances with volumes encrypted by this key.
      sid               = "KeyServiceRolesASG"
      actions           = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
      principals        = var.key_service_roles_for_autoscaling
      for_aws_resources = false
    },
    {
      sid               = "KeyServiceRolesASGPersistentVol"
      actions           = ["kms:CreateGrant"]
      principals        = var.key_service_roles_for_autoscaling
      for_aws_resources = true
    },
    ] : merge(statement, {
      actions    = reverse(sort(distinct(statement.actions)))
      principals = reverse(sort(distinct(statement.principals)))
  }) if length(statement.principals) > 0]

  # Without documents or key_statements to merge, the module writes the policy itself,
  # byte for byte the JSON aws_iam_policy_document writes for the same statements
  # (json.MarshalIndent: fixed key order, two-space indent, a one-element list as a string):
  # a data source per key costs Terraform a graph node, provider calls and a state object
  # in every walk. tests/terraform/test_policy_document.py holds the two equal.
  key_policy = var.policy != null ? var.policy : length(var.source_policy_documents) + length(var.override_policy_documents) + length(var.key_statements) > 0 ? one(data.aws_iam_policy_document.key[*].json) : join("", [
    "{\n  \"Version\": \"2012-10-17\"",
    # Nothing but the default statement: KMS's own default policy, Id included, so keys made
    # before this module built policies plan no change.
    var.enable_default_policy && length(local.role_statements) == 1 ? ",\n  \"Id\": \"key-default-1\"" : "",
    length(local.role_statements) == 0 ? "" : ",\n  \"Statement\": [\n",
    join(",\n", [for s in local.role_statements : join("", [
      "    {\n      \"Sid\": ${jsonencode(s.sid)},\n      \"Effect\": \"Allow\",\n      \"Action\": ",
      length(s.actions) == 1 ? jsonencode(s.actions[0]) : "[\n${join(",\n", [for a in s.actions : "        ${jsonencode(a)}"])}\n      ]",
      ",\n      \"Resource\": \"*\",\n      \"Principal\": {\n        \"AWS\": ",
      length(s.principals) == 1 ? jsonencode(s.principals[0]) : "[\n${join(",\n", [for p in s.principals : "          ${jsonencode(p)}"])}\n        ]",
      "\n      }",
      s.for_aws_resources ? ",\n      \"Condition\": {\n        \"Bool\": {\n          \"kms:GrantIsForAWSResource\": \"true\"\n        }\n      }" : "",
      "\n    }",
    ])]),
    length(local.role_statements) == 0 ? "" : "\n  ]",
    "\n}",
  ])
}

# Only to merge policy documents or key_statements; key_policy builds the other policies.
data "aws_iam_policy_document" "key" {
  count = var.policy == null && length(var.source_policy_documents) + length(var.override_policy_documents) + length(var.key_statements) > 0 ? 1 : 0

  source_policy_documents   = var.source_policy_documents
  override_policy_documents = var.override_policy_documents

  # The role statements (locals.role_statements), in terraform-aws-kms's order.
  dynamic "statement" {
    for_each = local.role_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = statement.value.principals
      }
      dynamic "condition" {
        for_each = statement.value.for_aws_resources ? ["true"] : []
        content {
          test     = "Bool"
          variable = "kms:GrantIsForAWSResource"
          values   = [condition.value]
        }
      }
    }
  }

  dynamic "statement" {
    for_each = var.key_statements
    content {
      sid           = statement.value.sid
      effect        = statement.value.effect
      actions       = statement.value.actions
      not_actions   = statement.value.not_actions
      resources     = statement.value.resources
      not_resources = statement.value.not_resources
      dynamic "principals" {
        for_each = statement.value.principals
        content {
          type        = principals.value.type
          identifiers = principals.value.identifiers
        }
      }
      dynamic "not_principals" {
        for_each = statement.value.not_principals
        content {
          type        = not_principals.value.type
          identifiers = not_principals.value.identifiers
        }
      }
      dynamic "condition" {
        for_each = statement.value.condition
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

################################################################################
# Importer policy: the IAM policy the principal running kms-import (plan's fingerprint
# data source and apply's import step) needs for this key, scoped to it, and to the
# material source's secret or parameter when the source lives in AWS. Each statement's Sid
# names one feature; statements with the same Sid always hold the same actions, so roots
# can merge several keys' statements by Sid (modules/rotating-key does).
################################################################################

locals {
  key_arn_parts = split(":", aws_kms_external_key.this.arn)
  arn_partition = local.key_arn_parts[1]
  arn_region    = local.key_arn_parts[3]
  arn_account   = local.key_arn_parts[4]

  # The material source as kms-import parses it: scheme:path?name=value&...
  source_parts  = regex("^([A-Za-z][A-Za-z0-9+.-]*):([^?#]*)(?:\\?([^#]*))?", var.material_source)
  source_scheme = lower(local.source_parts[0])
  source_path   = local.source_parts[1]
  source_params = {
    for name, values in {
      for pair in split("&", local.source_parts[2] == null ? "" : local.source_parts[2]) :
      split("=", pair)[0] => join("=", slice(split("=", pair), 1, length(split("=", pair))))... if pair != ""
    } : name => values[0]
  }

  # generate:NAME?escrow=secretsmanager:PREFIX escrows in the secret PREFIX/NAME; the escrow
  # reference's own ?region= arrives %-encoded (Terraform has no URL decoding: these are the
  # escapes such a reference needs).
  escrow_ref = local.source_scheme != "generate" ? "" : replace(replace(replace(replace(
  lookup(local.source_params, "escrow", ""), "/%3[Ff]/", "?"), "/%3[Dd]/", "="), "/%26/", "&"), "/%2[Ff]/", "/")
  escrow_parts  = startswith(local.escrow_ref, "secretsmanager:") ? regex("^secretsmanager:([^?]*)(?:\\?(.*))?$", local.escrow_ref) : null
  escrow_region = local.escrow_parts == null ? null : try(regex("(?:^|&)region=([^&]+)", local.escrow_parts[1])[0], null)

  # A source's ?region= wins; else the helper works in its environment's Region, which this
  # policy takes to be the key's.
  source_region = lookup(local.source_params, "region", local.arn_region)

  # Secrets Manager appends -XXXXXX to a secret's name in its ARN.
  source_secret_arn = (
    local.source_scheme != "secretsmanager" ? null
    : startswith(local.source_path, "arn:") ? local.source_path
    : "arn:${local.arn_partition}:secretsmanager:${local.source_region}:${local.arn_account}:secret:${local.source_path}-??????"
  )
  escrow_secret_arn = local.escrow_parts == null ? null : format(
    "arn:%s:secretsmanager:%s:%s:secret:%s/%s-??????",
    local.arn_partition, coalesce(local.escrow_region, local.arn_region), local.arn_account,
    trim(local.escrow_parts[0], "/"), local.source_path,
  )
  parameter_arn = (
    local.source_scheme != "ssm" ? null
    : startswith(local.source_path, "arn:") ? local.source_path
    : "arn:${local.arn_partition}:ssm:${local.source_region}:${local.arn_account}:parameter/${trimprefix(local.source_path, "/")}"
  )

  # The proof kms-import runs after importing (helpers/kms_import/verify.py), by key kind.
  proof = {
    symmetric           = { sid = "KmsImportProveEncrypt", actions = ["kms:Decrypt", "kms:Encrypt"] }
    ENCRYPT_DECRYPT     = { sid = "KmsImportProveDecrypt", actions = ["kms:Decrypt", "kms:GetPublicKey"] }
    GENERATE_VERIFY_MAC = { sid = "KmsImportProveMac", actions = ["kms:GenerateMac"] }
    SIGN_VERIFY         = { sid = "KmsImportProveSign", actions = ["kms:GetPublicKey", "kms:Sign"] }
    KEY_AGREEMENT       = { sid = "KmsImportProvePublicKey", actions = ["kms:GetPublicKey"] }
  }[var.key_spec == "SYMMETRIC_DEFAULT" ? "symmetric" : local.key_usage]

  # Where the service holding the source decrypts it with its own KMS key on the caller's
  # behalf: only through that service, and only for that secret or parameter.
  via_service_keys = "arn:${local.arn_partition}:kms:*:${local.arn_account}:key/*"

  # The primary and each replica: the import step imports into, proves and enables each.
  importer_key_arns = concat(
    [aws_kms_external_key.this.arn], [for replica in aws_kms_replica_external_key.this : replica.arn],
  )

  importer_statements = concat(
    [
      {
        Sid      = "KmsImportMaterial"
        Effect   = "Allow"
        Action   = ["kms:DescribeKey", "kms:GetParametersForImport", "kms:ImportKeyMaterial", "kms:ListResourceTags"]
        Resource = local.importer_key_arns
      },
      {
        Sid      = local.proof.sid
        Effect   = "Allow"
        Action   = local.proof.actions
        Resource = local.importer_key_arns
      },
      {
        # The import step applies `enabled`: DisableKey, and EnableKey when set back to true.
        Sid      = "KmsImportEnabledState"
        Effect   = "Allow"
        Action   = ["kms:DisableKey", "kms:EnableKey"]
        Resource = local.importer_key_arns
      },
    ],
    [for statement in [
      {
        # On-demand rotation: the import step lists the key's materials to judge each one,
        # the rotation step imports NEW_KEY_MATERIAL and makes it current.
        Sid      = "KmsImportRotateMaterial"
        Effect   = "Allow"
        Action   = ["kms:ListKeyRotations", "kms:RotateKeyOnDemand"]
        Resource = [aws_kms_external_key.this.arn]
      },
    ] : statement if length(var.material_rotations) > 0],
    [for statement in [
      {
        Sid      = "KmsImportReadSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [local.source_secret_arn]
      },
      {
        Sid      = "KmsImportSecretKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [local.via_service_keys]
        Condition = {
          StringEquals = { "kms:ViaService" = ["secretsmanager.${local.source_region}.amazonaws.com"] }
          StringLike   = { "kms:EncryptionContext:SecretARN" = [local.source_secret_arn] }
        }
      },
    ] : statement if local.source_secret_arn != null],
    [for statement in [
      {
        # CreateSecret with tags needs TagResource as well; GetSecretValue reads it back.
        Sid      = "KmsImportEscrowSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:CreateSecret", "secretsmanager:GetSecretValue", "secretsmanager:TagResource"]
        Resource = [local.escrow_secret_arn]
      },
      {
        Sid      = "KmsImportEscrowSecretKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = [local.via_service_keys]
        Condition = {
          StringEquals = { "kms:ViaService" = ["secretsmanager.${coalesce(local.escrow_region, local.arn_region)}.amazonaws.com"] }
          StringLike   = { "kms:EncryptionContext:SecretARN" = [local.escrow_secret_arn] }
        }
      },
    ] : statement if local.escrow_secret_arn != null],
    [for statement in [
      {
        Sid      = "KmsImportReadParameter"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = [local.parameter_arn]
      },
      {
        Sid      = "KmsImportParameterKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [local.via_service_keys]
        Condition = {
          StringEquals = { "kms:ViaService" = ["ssm.${local.source_region}.amazonaws.com"] }
          StringLike   = { "kms:EncryptionContext:PARAMETER_ARN" = [local.parameter_arn] }
        }
      },
    ] : statement if local.parameter_arn != null],
  )
}
