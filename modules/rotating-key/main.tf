# A key that rotates the way imported keys must: every generation is its own KMS key with
# its own material, and one alias follows the active generation (retargeted in place, like
# `aws kms update-alias`). Old generations keep decrypting what they encrypted.

module "generation" {
  source   = "../external-key"
  for_each = var.generations

  alias_name              = null
  description             = coalesce(each.value.description, "${var.description} (generation ${each.key})")
  material_source         = each.value.material_source
  material_fingerprint    = each.value.material_fingerprint
  wrapping_algorithm      = each.value.wrapping_algorithm
  wrapping_key_spec       = each.value.wrapping_key_spec
  key_spec                = each.value.key_spec
  key_usage               = each.value.key_usage
  material_rotations      = each.value.material_rotations
  valid_to                = each.value.valid_to
  enabled                 = each.value.enabled
  deletion_window_in_days = each.value.deletion_window_in_days
  policy                  = var.policy
  tags                    = merge(var.tags, { "kms-import:generation" = each.key })
  helper_command          = var.helper_command
  multi_region            = each.value.multi_region
  replica_regions         = each.value.replica_regions

  enable_default_policy             = var.enable_default_policy
  key_owners                        = var.key_owners
  key_administrators                = var.key_administrators
  key_users                         = var.key_users
  key_service_users                 = var.key_service_users
  key_service_roles_for_autoscaling = var.key_service_roles_for_autoscaling
  key_statements                    = var.key_statements
  source_policy_documents           = var.source_policy_documents
  override_policy_documents         = var.override_policy_documents
  grants                            = var.grants
}

locals {
  active = module.generation[var.active_generation]
}

resource "aws_kms_alias" "active" {
  name = var.alias_name
  # Naming import_id makes the alias wait for the active generation's import step, so it
  # never points at a key without material.
  target_key_id = local.active.import_id != null ? local.active.key_id : null
}

# One importer policy for all generations: each generation's statements, merged by Sid (the
# same Sid always carries the same actions), so it grows by ARNs, not by statements.
locals {
  importer_statements_by_sid = {
    for statement in flatten([for generation in module.generation : generation.importer_policy_statements]) :
    statement.Sid => statement...
  }
  importer_statements = [
    for sid, group in local.importer_statements_by_sid : merge(
      group[0],
      { Resource = sort(distinct(flatten([for statement in group : statement.Resource]))) },
      can(group[0].Condition) ? {
        Condition = {
          for test, variables in group[0].Condition : test => {
            for name, _ in variables : name => sort(distinct(flatten([for statement in group : statement.Condition[test][name]])))
          }
        }
      } : {},
    )
  ]
}
