output "alias_name" {
  description = "Name of the alias."
  value       = aws_kms_alias.active.name
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = aws_kms_alias.active.arn
}

output "active_generation" {
  description = "The generation the alias points at."
  value       = var.active_generation
}

output "active_key_id" {
  description = "Id of the active generation's key."
  value       = module.generations.key_ids[var.active_generation]
}

output "active_key_arn" {
  description = "ARN of the active generation's key."
  value       = module.generations.key_arns[var.active_generation]
}

output "generations" {
  description = "Per generation: key_id, key_arn, expiration_model, valid_to, material_fingerprint, enabled, key_spec, key_usage."
  value = {
    for name, generation in var.generations : name => {
      key_id               = module.generations.key_ids[name]
      key_arn              = module.generations.key_arns[name]
      expiration_model     = module.generations.expiration_models[name]
      valid_to             = module.generations.valid_tos[name]
      material_fingerprint = module.generations.material_fingerprints[name]
      enabled              = generation.enabled
      key_spec             = module.generations.key_specs[name]
      key_usage            = module.generations.key_usages[name]
    }
  }
}

output "key_arns" {
  description = "Key ARN by generation name (what `make status` reads)."
  value       = module.generations.key_arns
}

output "key_policies" {
  description = "The key policy JSON on each generation's key, by generation name."
  value       = module.generations.key_policies
}

output "grants" {
  description = "Grant ids by generation name, then grant map key."
  value       = module.generations.grants
}

output "importer_policy_json" {
  description = "IAM policy JSON the principal running kms-import needs for every generation (import, proof, enabled state, and the material sources' secrets or parameters), scoped to the generations' key ARNs."
  value       = module.generations.importer_policy_json
}

output "replica_arns" {
  description = "Replica key ARN by generation name, then by Region (empty for single-Region generations)."
  value       = module.generations.replica_arns
}

output "expiry_alarm_arns" {
  description = "By generation: the expiry alarms' ARNs by Region. Empty maps without expiry_alarm or valid_to."
  value       = module.generations.expiry_alarm_arns
}
