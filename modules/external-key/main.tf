# One KMS key for imported material: the one-key case of modules/external-keys (the key
# named "this"), with the inputs and outputs this module always had. Terraform creates the
# key without material and only ever handles references; the kms-import helper reads, wraps
# and imports the material.

module "keys" {
  source = "../external-keys"

  keys = {
    this = {
      material_source         = var.material_source
      material_fingerprint    = var.material_fingerprint
      key_spec                = var.key_spec
      key_usage               = var.key_usage
      alias_name              = var.alias_name
      description             = var.description
      wrapping_algorithm      = var.wrapping_algorithm
      wrapping_key_spec       = var.wrapping_key_spec
      valid_to                = var.valid_to
      enabled                 = var.enabled
      deletion_window_in_days = var.deletion_window_in_days
      multi_region            = var.multi_region
      replica_regions         = var.replica_regions
      material_rotations      = var.material_rotations
    }
  }

  tags                = var.tags
  helper_command      = var.helper_command
  profile             = var.profile
  assume_role         = var.assume_role
  import_parallelism  = 1
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

# State from earlier versions of this module: the key, its alias, replicas and grants move
# into the one key of external-keys unchanged. The old import steps are forgotten (they have
# no destroy-time action); module.keys's import step runs once in their place and finds the
# material already there (see CHANGELOG).
moved {
  from = aws_kms_external_key.this
  to   = module.keys.module.key["this"].aws_kms_external_key.this
}

moved {
  from = aws_kms_alias.this
  to   = module.keys.module.key["this"].aws_kms_alias.this
}

moved {
  from = aws_kms_replica_external_key.this
  to   = module.keys.module.key["this"].aws_kms_replica_external_key.this
}

moved {
  from = aws_kms_grant.this
  to   = module.keys.module.key["this"].aws_kms_grant.this
}

removed {
  from = terraform_data.material_import
  lifecycle {
    destroy = false
  }
}

removed {
  from = terraform_data.replica_import
  lifecycle {
    destroy = false
  }
}

removed {
  from = terraform_data.material_rotation
  lifecycle {
    destroy = false
  }
}
