# A key that rotates the way imported keys must: every generation is its own KMS key with
# its own material, and one alias follows the active generation (retargeted in place, like
# `aws kms update-alias`). Old generations keep decrypting what they encrypted.

module "generations" {
  source = "../external-keys"

  keys = {
    for name, generation in var.generations : name => {
      alias_name              = generation.alias_name
      description             = coalesce(generation.description, "${var.description} (generation ${name})")
      material_source         = generation.material_source
      material_fingerprint    = generation.material_fingerprint
      wrapping_algorithm      = generation.wrapping_algorithm
      wrapping_key_spec       = generation.wrapping_key_spec
      key_spec                = generation.key_spec
      key_usage               = generation.key_usage
      material_rotations      = generation.material_rotations
      valid_to                = generation.valid_to
      enabled                 = generation.enabled
      deletion_window_in_days = generation.deletion_window_in_days
      tags                    = { "kms-import:generation" = name }
      multi_region            = generation.multi_region
      replica_regions         = generation.replica_regions
    }
  }
  tags                = var.tags
  helper_command      = var.helper_command
  profile             = var.profile
  assume_role         = var.assume_role
  import_parallelism  = var.import_parallelism
  expiry_warning_days = var.expiry_warning_days
  expiry_alarm        = var.expiry_alarm

  policy                            = var.policy
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

# State from earlier versions (one modules/external-key per generation): each generation's
# key, replicas and grants move into its instance of external-keys' per-key module.
moved {
  from = module.generation
  to   = module.generations.module.key
}

resource "aws_kms_alias" "active" {
  name          = var.alias_name
  target_key_id = module.generations.key_ids[var.active_generation]

  lifecycle {
    # Naming the import step makes the alias wait for it, so it never points at a key
    # without material; a precondition rather than a value, so a re-run import step (any
    # generation's) does not show the alias as changing.
    precondition {
      condition     = module.generations.import_id != ""
      error_message = "The import step has not run."
    }
  }
}
