# Who may administer, import into and use the keys (the key policy), and what the principal
# running kms-import needs (the importer policy output). The role lists follow
# terraform-aws-modules/terraform-aws-kms and the KMS developer guide's default key policy.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  # Key users' actions depend on the key's kind (KMS developer guide, "Allows key users to
  # use the KMS key"): secret keys encrypt or MAC, key pairs add GetPublicKey (the kind comes
  # from the generated key-spec table, specs.tf). Nothing else in the policy differs between
  # keys, so there is one policy document per kind in use.
  kinds = {
    for name, key in var.keys : name => local.key_specs[key.key_spec].kind == "symmetric" ? "symmetric" : local.key_usages[name]
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
# material sources' secrets or parameters when they live in AWS, and conditioned on the
# request values kms-import sends (KMS condition keys). Each statement's Sid names one feature
# and, where a condition's value differs between keys (wrapping, expiration model), that value
# too: statements with the same Sid always hold the same actions and condition keys, so the
# keys' statements merge by Sid (ARNs and condition values added up) and roots can merge
# several instances the same way.
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

  # The wrapping each key's imports may ask GetParametersForImport for (kms:WrappingAlgorithm,
  # kms:WrappingKeySpec). A set wrapping_algorithm is the one the helper uses. Null lets the
  # helper choose: the key spec's default, except that a pkcs11: source (first material or
  # rotation) wraps inside its token with whatever the token offers (SoftHSM: only SHA-1),
  # which is only known when the token is open at apply. For such a key the policy allows
  # every algorithm KMS accepts for the key spec; set wrapping_algorithm to narrow it to one.
  importer_wrappings = {
    for name, key in var.keys : name => {
      algorithms = key.wrapping_algorithm != null ? [key.wrapping_algorithm] : sort(distinct(flatten([
        for source in concat([key.material_source], [for r in key.material_rotations : r.material_source]) :
        lower(split(":", source)[0]) == "pkcs11"
        ? local.key_specs[key.key_spec].wrapping_algorithms
        : [local.key_specs[key.key_spec].default_wrapping_algorithm]
      ])))
      key_spec = key.wrapping_key_spec
    }
  }
  # The Sid spells the allowed values (Sids are letters and digits only), e.g.
  # KmsImportParametersOaep256Rsa3072: keys asking for the same wrapping share a statement.
  importer_parameter_sids = {
    for name, w in local.importer_wrappings : name => format(
      "KmsImportParameters%s%s",
      join("", [for a in w.algorithms : replace(replace(a, "RSAES_OAEP_SHA_", "Oaep"), "RSA_AES_KEY_WRAP_SHA_", "AesKeyWrap")]),
      replace(w.key_spec, "RSA_", "Rsa"),
    )
  }

  # The tags the import run writes on a key (TagResource): its material's fingerprint, and
  # the drift marker. aws:TagKeys with ForAllValues: every tag key of the request is one of these.
  importer_tag_keys = ["kms-import:drift", "kms-import:fingerprint"]

  # The proof kms-import runs after importing (helpers/kms_import/verify.py), by key kind, each
  # limited to the one request the proof makes: Encrypt/Decrypt only with the proofs' fixed
  # encryption context (exactly its keys), so this role cannot decrypt the key's other
  # ciphertexts; GenerateMac and Sign only with the key spec's proof algorithm (Sign on a RAW
  # message); the private key's decrypt proof only with its one algorithm. GetPublicKey takes
  # no such condition. Keys of different specs share the MAC and Sign statements with their
  # algorithms added up: KMS binds each HMAC and ECC key spec to its one algorithm and RSA
  # signing keys to RSASSA_*, so the union lets no key use an algorithm it would not anyway.
  importer_public_key = { Order = 5, Sid = "KmsImportPublicKey", Action = ["kms:GetPublicKey"] }
  importer_proofs = {
    for name, key in var.keys : name => {
      symmetric = [{
        Order  = 4
        Sid    = "KmsImportProveEncrypt"
        Action = ["kms:Decrypt", "kms:Encrypt"]
        Condition = {
          StringEquals                = { for k, v in local.proof_encryption_context : "kms:EncryptionContext:${k}" => [v] }
          "ForAllValues:StringEquals" = { "kms:EncryptionContextKeys" = keys(local.proof_encryption_context) }
        }
      }]
      ENCRYPT_DECRYPT = [local.importer_public_key, {
        Order     = 6
        Sid       = "KmsImportProveDecrypt"
        Action    = ["kms:Decrypt"]
        Condition = { StringEquals = { "kms:EncryptionAlgorithm" = [local.proof_decryption_algorithm] } }
      }]
      GENERATE_VERIFY_MAC = [{
        Order     = 7
        Sid       = "KmsImportProveMac"
        Action    = ["kms:GenerateMac"]
        Condition = { StringEquals = { "kms:MacAlgorithm" = [local.key_specs[key.key_spec].mac_algorithm] } }
      }]
      SIGN_VERIFY = [local.importer_public_key, {
        Order  = 8
        Sid    = "KmsImportProveSign"
        Action = ["kms:Sign"]
        Condition = { StringEquals = {
          "kms:SigningAlgorithm" = [local.key_specs[key.key_spec].signing_algorithm]
          "kms:MessageType"      = ["RAW"]
        } }
      }]
    }[local.kinds[name]]
  }

  # Every statement of every key; same Sid, same actions and condition keys. Order only sorts
  # the merged statements (it is not part of the output).
  importer_statements_all = flatten([
    for name, key in var.keys : [
      for statement in concat(
        [
          { Order = 0, Sid = "KmsImportDescribe", Action = ["kms:DescribeKey", "kms:ListResourceTags"] },
          {
            # The import run tags a key whose fingerprint was not recorded, before its first
            # ImportKeyMaterial, and marks drift; it may write no other tag.
            Order     = 1
            Sid       = "KmsImportTag"
            Action    = ["kms:TagResource"]
            Condition = { "ForAllValues:StringEquals" = { "aws:TagKeys" = local.importer_tag_keys } }
          },
          {
            Order  = 2
            Sid    = local.importer_parameter_sids[name]
            Action = ["kms:GetParametersForImport"]
            Condition = { StringEquals = {
              "kms:WrappingAlgorithm" = local.importer_wrappings[name].algorithms
              "kms:WrappingKeySpec"   = [local.importer_wrappings[name].key_spec]
            } }
          },
          {
            # Only the expiration model configured: material that must not expire cannot be
            # imported to expire, nor the other way round. kms:ValidTo is left out on purpose:
            # the one bound it could give is the configured valid_to itself (KMS already caps
            # it at 365 days), and pinning that would make every renewal (a new valid_to) wait
            # for a change of this policy, usually applied by another, more privileged run.
            Order     = 3
            Sid       = key.valid_to == null ? "KmsImportMaterialDoesNotExpire" : "KmsImportMaterialExpires"
            Action    = ["kms:ImportKeyMaterial"]
            Condition = { StringEquals = { "kms:ExpirationModel" = [key.valid_to == null ? "KEY_MATERIAL_DOES_NOT_EXPIRE" : "KEY_MATERIAL_EXPIRES"] } }
          },
          # The import step applies `enabled`: DisableKey, and EnableKey when set back to true.
          { Order = 9, Sid = "KmsImportEnabledState", Action = ["kms:DisableKey", "kms:EnableKey"] },
        ],
        local.importer_proofs[name],
      ) : merge(statement, { Resource = concat([module.key[name].key_arn], values(module.key[name].replica_arns)) })
    ]
  ])
  # On-demand rotation: the import run lists the key's materials to judge each one, imports
  # NEW_KEY_MATERIAL and makes it current (the primary only: replicas follow it).
  importer_rotation_statements = [
    for name, key in var.keys : {
      Order    = 10
      Sid      = "KmsImportRotateMaterial"
      Action   = ["kms:ListKeyRotations", "kms:RotateKeyOnDemand"]
      Resource = [module.key[name].key_arn]
    } if length(key.material_rotations) > 0
  ]
  importer_source_statements = flatten([
    [for id, arn in local.secret_arns : [
      {
        Order    = 11
        Sid      = "KmsImportReadSecret"
        Action   = ["secretsmanager:GetSecretValue"]
        Resource = [arn]
      },
      {
        Order    = 12
        Sid      = "KmsImportSecretKey"
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
        Order    = 13
        Sid      = "KmsImportEscrowSecret"
        Action   = ["secretsmanager:CreateSecret", "secretsmanager:GetSecretValue", "secretsmanager:TagResource"]
        Resource = [arn]
      },
      {
        Order    = 14
        Sid      = "KmsImportEscrowSecretKey"
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
        Order    = 15
        Sid      = "KmsImportReadParameter"
        Action   = ["ssm:GetParameter"]
        Resource = [arn]
      },
      {
        Order    = 16
        Sid      = "KmsImportParameterKey"
        Action   = ["kms:Decrypt"]
        Resource = ["arn:${local.source_arns[id].partition}:kms:*:${local.source_arns[id].account}:key/*"]
        Condition = {
          StringEquals = { "kms:ViaService" = ["ssm.${local.source_arns[id].region}.amazonaws.com"] }
          StringLike   = { "kms:EncryptionContext:PARAMETER_ARN" = [arn] }
        }
      },
    ]],
  ])

  # Merged by Sid, in a fixed order: the ARNs and condition values of every key.
  importer_statements_by_sid = {
    for statement in concat(local.importer_statements_all, local.importer_rotation_statements, local.importer_source_statements) :
    format("%02d %s", statement.Order, statement.Sid) => statement...
  }
  importer_statements = [
    for id in sort(keys(local.importer_statements_by_sid)) : merge(
      {
        Sid      = local.importer_statements_by_sid[id][0].Sid
        Effect   = "Allow"
        Action   = local.importer_statements_by_sid[id][0].Action
        Resource = sort(distinct(flatten([for statement in local.importer_statements_by_sid[id] : statement.Resource])))
      },
      can(local.importer_statements_by_sid[id][0].Condition) ? {
        Condition = {
          for test, variables in local.importer_statements_by_sid[id][0].Condition : test => {
            for name, _ in variables : name => sort(distinct(flatten([for statement in local.importer_statements_by_sid[id] : statement.Condition[test][name]])))
          }
        }
      } : {},
    )
  ]
}
