output "single" {
  description = "The single key: key_id, key_arn, alias_name, alias_arn, expiration_model, valid_to, material_fingerprint."
  value = {
    key_id               = module.single.key_id
    key_arn              = module.single.key_arn
    alias_name           = module.single.alias_name
    alias_arn            = module.single.alias_arn
    expiration_model     = module.single.expiration_model
    valid_to             = module.single.valid_to
    material_fingerprint = module.single.material_fingerprint
    import_id            = module.single.import_id
  }
}

output "rotating" {
  description = "The rotating key: alias, active generation and its key, and every generation."
  value = {
    alias_name        = module.rotating.alias_name
    alias_arn         = module.rotating.alias_arn
    active_generation = module.rotating.active_generation
    active_key_id     = module.rotating.active_key_id
    active_key_arn    = module.rotating.active_key_arn
    generations       = module.rotating.generations
    key_arns          = module.rotating.key_arns
  }
}

output "many" {
  description = "The keys of module.many: key ARNs, aliases and fingerprints by key name."
  value = {
    key_arns              = module.many.key_arns
    alias_names           = module.many.alias_names
    material_fingerprints = module.many.material_fingerprints
  }
}
