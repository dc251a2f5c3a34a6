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
  valid_to                = each.value.valid_to
  enabled                 = each.value.enabled
  deletion_window_in_days = each.value.deletion_window_in_days
  policy                  = var.policy
  tags                    = merge(var.tags, { "kms-import:generation" = each.key })
  helper_command          = var.helper_command
  multi_region            = each.value.multi_region
  replica_regions         = each.value.replica_regions
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
