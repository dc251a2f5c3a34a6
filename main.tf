# The seed's alias/MyImportedKey as generations of imported keys: each generation is one
# EXTERNAL key with its own material, and the alias follows active_generation. Rotation,
# renewal and retirement are edits of terraform.tfvars (see `make help`), then apply.

module "key" {
  source = "./modules/rotating-key"

  alias_name          = var.alias_name
  description         = var.description
  generations         = var.generations
  active_generation   = var.active_generation
  tags                = var.tags
  helper_command      = var.helper_command
  profile             = var.profile
  assume_role         = var.assume_role
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

# Upgrade from the single-key root (module "imported_key"): its key becomes generation
# "g1" and its alias the rotating alias, without replacing either.
moved {
  from = module.imported_key.aws_kms_alias.this[0]
  to   = module.key.aws_kms_alias.active
}

moved {
  from = module.imported_key
  to   = module.key.module.generations.module.key["g1"]
}
