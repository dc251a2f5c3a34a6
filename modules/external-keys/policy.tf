# Who may administer, import into and use the keys (the key policy), and what the principal
# running kms-import needs (the importer policy output). The role lists follow
# terraform-aws-modules/terraform-aws-kms and the KMS developer guide's default key policy.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # Key users' actions depend on the key's kind (KMS developer guide, "Allows key users to
  # use the KMS key"): secret keys encrypt or MAC, key pairs add GetPublicKey. Nothing else
  # in the policy differs between keys, so there is one policy document per kind in use.
  kinds = {
    for name, key in var.keys : name => key.key_spec == "SYMMETRIC_DEFAULT" ? "symmetric" : local.key_usages[name]
  }
  key_user_actions = {
    symmetric           = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
    ENCRYPT_DECRYPT     = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GetPublicKey", "kms:ReEncrypt*"]
    GENERATE_VERIFY_MAC = ["kms:DescribeKey", "kms:GenerateMac", "kms:VerifyMac"]
    SIGN_VERIFY         = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"]
    KEY_AGREEMENT       = ["kms:DeriveSharedSecret", "kms:DescribeKey", "kms:GetPublicKey"]
  }

  # One statement per role that names principals, in terraform-aws-kms's order;
  # for_aws_resources adds the condition kms:GrantIsForAWSResource = true (grants only for
  # AWS services). KeyUsage's actions (empty here) come from the kind.
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
    { sid = "KeyUsage", actions = [], principals = var.key_users, for_aws_resources = false },
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
  ] : statement if length(statement.principals) > 0]

  key_policies = {
    for name, kind in local.kinds : name => var.policy != null ? var.policy : data.aws_iam_policy_document.key[kind].json
  }
}

# The key policy of every key of one kind, built one way whatever is merged in.
data "aws_iam_policy_document" "key" {
  for_each = var.policy == null ? toset(values(local.kinds)) : toset([])

  # Nothing but the default statement: KMS's own default policy, Id included, so keys made
  # before this module built policies plan no change.
  policy_id = (
    var.enable_default_policy && length(local.role_statements) == 1
    && length(var.key_statements) + length(var.source_policy_documents) + length(var.override_policy_documents) == 0
  ) ? "key-default-1" : null

  source_policy_documents   = var.source_policy_documents
  override_policy_documents = var.override_policy_documents

  dynamic "statement" {
    for_each = local.role_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.sid == "KeyUsage" ? local.key_user_actions[each.key] : statement.value.actions
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
# Importer policy: the IAM policy the principal running kms-import (plan's data source and
# apply's import step) needs for these keys, scoped to them and their replicas, and to the
# material sources' secrets or parameters when they live in AWS. Each statement's Sid names
# one feature; statements with the same Sid always hold the same actions, so the keys'
# statements merge by Sid (ARNs added up) and roots can merge several instances the same way.
################################################################################

locals {
  # Each key's ARN parts, and its material sources as kms-import parses them:
  # scheme:path?name=value&... (rotated materials too: they may live elsewhere).
  arn_parts = { for name, key in module.key : name => split(":", key.key_arn) }
  sources = {
    for entry in flatten([
      for name, key in var.keys : [
        for i, source in concat([key.material_source], [for r in key.material_rotations : r.material_source]) : {
          id    = "${name}#${i}"
          name  = name
          parts = regex("^([A-Za-z][A-Za-z0-9+.-]*):([^?#]*)(?:\\?([^#]*))?", source)
        }
      ]
    ]) : entry.id => entry
  }
  source_params = {
    for id, source in local.sources : id => {
      for param, values in {
        for pair in split("&", source.parts[2] == null ? "" : source.parts[2]) :
        split("=", pair)[0] => join("=", slice(split("=", pair), 1, length(split("=", pair))))... if pair != ""
      } : param => values[0]
    }
  }

  # Per source: the secret or parameter it reads, and for generate: with a Secrets Manager
  # escrow the secret it writes. A source's ?region= wins; else the helper works in its
  # environment's Region, which this policy takes to be the key's.
  source_arns = {
    for id, source in local.sources : id => {
      scheme     = lower(source.parts[0])
      path       = source.parts[1]
      partition  = local.arn_parts[source.name][1]
      account    = local.arn_parts[source.name][4]
      key_region = local.arn_parts[source.name][3]
      region     = lookup(local.source_params[id], "region", local.arn_parts[source.name][3])
      # generate:NAME?escrow=secretsmanager:PREFIX escrows in the secret PREFIX/NAME; the
      # escrow reference's own ?region= arrives %-encoded (Terraform has no URL decoding:
      # these are the escapes such a reference needs).
      escrow = lower(source.parts[0]) != "generate" ? "" : replace(replace(replace(replace(
      lookup(local.source_params[id], "escrow", ""), "/%3[Ff]/", "?"), "/%3[Dd]/", "="), "/%26/", "&"), "/%2[Ff]/", "/")
    }
  }
  escrows = {
    for id, s in local.source_arns : id => regex("^secretsmanager:([^?]*)(?:\\?(.*))?$", s.escrow)
    if startswith(s.escrow, "secretsmanager:")
  }

  # Secrets Manager appends -XXXXXX to a secret's name in its ARN.
  secret_arns = {
    for id, s in local.source_arns : id => startswith(s.path, "arn:") ? s.path : "arn:${s.partition}:secretsmanager:${s.region}:${s.account}:secret:${s.path}-??????"
    if s.scheme == "secretsmanager"
  }
  escrow_regions = {
    for id, parts in local.escrows : id => coalesce(try(regex("(?:^|&)region=([^&]+)", parts[1])[0], null), local.source_arns[id].key_region)
  }
  escrow_secret_arns = {
    for id, parts in local.escrows : id => format(
      "arn:%s:secretsmanager:%s:%s:secret:%s/%s-??????",
      local.source_arns[id].partition, local.escrow_regions[id], local.source_arns[id].account,
      trim(parts[0], "/"), local.source_arns[id].path,
    )
  }
  parameter_arns = {
    for id, s in local.source_arns : id => startswith(s.path, "arn:") ? s.path : "arn:${s.partition}:ssm:${s.region}:${s.account}:parameter/${trimprefix(s.path, "/")}"
    if s.scheme == "ssm"
  }

  # The proof kms-import runs after importing (helpers/kms_import/verify.py), by key kind.
  proofs = {
    symmetric           = { sid = "KmsImportProveEncrypt", actions = ["kms:Decrypt", "kms:Encrypt"] }
    ENCRYPT_DECRYPT     = { sid = "KmsImportProveDecrypt", actions = ["kms:Decrypt", "kms:GetPublicKey"] }
    GENERATE_VERIFY_MAC = { sid = "KmsImportProveMac", actions = ["kms:GenerateMac"] }
    SIGN_VERIFY         = { sid = "KmsImportProveSign", actions = ["kms:GetPublicKey", "kms:Sign"] }
    KEY_AGREEMENT       = { sid = "KmsImportProvePublicKey", actions = ["kms:GetPublicKey"] }
  }

  # Every statement of every key; same Sid, same actions (and condition keys).
  importer_statements_all = flatten([
    for name, key in var.keys : concat(
      [
        {
          # TagResource: the import run writes the kms-import:fingerprint tag of a key whose
          # fingerprint was not recorded, before its first ImportKeyMaterial, and the
          # kms-import:drift tag after it handled a key. DescribeKey and ListResourceTags are
          # also what plan-keys calls at plan time to read drift.
          Sid      = "KmsImportMaterial"
          Effect   = "Allow"
          Action   = ["kms:DescribeKey", "kms:GetParametersForImport", "kms:ImportKeyMaterial", "kms:ListResourceTags", "kms:TagResource"]
          Resource = concat([module.key[name].key_arn], values(module.key[name].replica_arns))
        },
        {
          Sid      = local.proofs[local.kinds[name]].sid
          Effect   = "Allow"
          Action   = local.proofs[local.kinds[name]].actions
          Resource = concat([module.key[name].key_arn], values(module.key[name].replica_arns))
        },
        {
          # The import step applies `enabled`: DisableKey, and EnableKey when set back to true.
          Sid      = "KmsImportEnabledState"
          Effect   = "Allow"
          Action   = ["kms:DisableKey", "kms:EnableKey"]
          Resource = concat([module.key[name].key_arn], values(module.key[name].replica_arns))
        },
      ],
      [for statement in [
        {
          # On-demand rotation: the import run lists the key's materials to judge each one,
          # imports NEW_KEY_MATERIAL and makes it current.
          Sid      = "KmsImportRotateMaterial"
          Effect   = "Allow"
          Action   = ["kms:ListKeyRotations", "kms:RotateKeyOnDemand"]
          Resource = [module.key[name].key_arn]
        },
      ] : statement if length(key.material_rotations) > 0],
    )
  ])
  importer_source_statements = flatten([
    [for id, arn in local.secret_arns : [
      {
        Sid      = "KmsImportReadSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [arn]
      },
      {
        Sid      = "KmsImportSecretKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = ["arn:${local.source_arns[id].partition}:kms:*:${local.source_arns[id].account}:key/*"]
        Condition = {
          StringEquals = { "kms:ViaService" = ["secretsmanager.${local.source_arns[id].region}.amazonaws.com"] }
          StringLike   = { "kms:EncryptionContext:SecretARN" = [arn] }
        }
      },
    ]],
    [for id, arn in local.escrow_secret_arns : [
      {
        # CreateSecret with tags needs TagResource as well; GetSecretValue reads it back.
        Sid      = "KmsImportEscrowSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:CreateSecret", "secretsmanager:GetSecretValue", "secretsmanager:TagResource"]
        Resource = [arn]
      },
      {
        Sid      = "KmsImportEscrowSecretKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = ["arn:${local.source_arns[id].partition}:kms:*:${local.source_arns[id].account}:key/*"]
        Condition = {
          StringEquals = { "kms:ViaService" = ["secretsmanager.${local.escrow_regions[id]}.amazonaws.com"] }
          StringLike   = { "kms:EncryptionContext:SecretARN" = [arn] }
        }
      },
    ]],
    [for id, arn in local.parameter_arns : [
      {
        Sid      = "KmsImportReadParameter"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter"]
        Resource = [arn]
      },
      {
        Sid      = "KmsImportParameterKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = ["arn:${local.source_arns[id].partition}:kms:*:${local.source_arns[id].account}:key/*"]
        Condition = {
          StringEquals = { "kms:ViaService" = ["ssm.${local.source_arns[id].region}.amazonaws.com"] }
          StringLike   = { "kms:EncryptionContext:PARAMETER_ARN" = [arn] }
        }
      },
    ]],
  ])

  # Merged by Sid: the ARNs (and condition values) of every key, in a fixed Sid order.
  importer_statements_by_sid = {
    for statement in concat(local.importer_statements_all, local.importer_source_statements) :
    statement.Sid => statement...
  }
  importer_statements = [
    for sid in [
      "KmsImportMaterial", "KmsImportProveEncrypt", "KmsImportProveDecrypt", "KmsImportProveMac",
      "KmsImportProveSign", "KmsImportProvePublicKey", "KmsImportEnabledState", "KmsImportRotateMaterial",
      "KmsImportReadSecret", "KmsImportSecretKey", "KmsImportEscrowSecret", "KmsImportEscrowSecretKey",
      "KmsImportReadParameter", "KmsImportParameterKey",
      ] : merge(
      local.importer_statements_by_sid[sid][0],
      { Resource = sort(distinct(flatten([for statement in local.importer_statements_by_sid[sid] : statement.Resource]))) },
      can(local.importer_statements_by_sid[sid][0].Condition) ? {
        Condition = {
          for test, variables in local.importer_statements_by_sid[sid][0].Condition : test => {
            for name, _ in variables : name => sort(distinct(flatten([for statement in local.importer_statements_by_sid[sid] : statement.Condition[test][name]])))
          }
        }
      } : {},
    ) if contains(keys(local.importer_statements_by_sid), sid)
  ]
}
