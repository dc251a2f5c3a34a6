output "alias_name" {
  description = "Alias pointing at the active generation's key."
  value       = module.key.alias_name
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = module.key.alias_arn
}

output "active_generation" {
  description = "The generation the alias points at."
  value       = module.key.active_generation
}

output "key_id" {
  description = "Id of the active generation's key."
  value       = module.key.active_key_id
}

output "key_arn" {
  description = "ARN of the active generation's key."
  value       = module.key.active_key_arn
}

output "generations" {
  description = "Per generation: key_id, key_arn, expiration_model, valid_to, material_fingerprint, enabled, key_spec, key_usage."
  value       = module.key.generations
}

output "key_arns" {
  description = "Key ARN by generation name (read by `make status`)."
  value       = module.key.key_arns
}

output "key_policies" {
  description = "The key policy JSON on each generation's key, by generation name."
  value       = module.key.key_policies
}

output "grants" {
  description = "Grant ids by generation name, then grant map key."
  value       = module.key.grants
}

output "importer_policy_json" {
  description = "IAM policy JSON for the principal that runs plan and apply's kms-import steps: exactly the calls the helper makes for these generations, scoped to their keys and material sources (see docs/guide.md, Least-privilege importer)."
  value       = module.key.importer_policy_json
}

output "replica_arns" {
  description = "Replica key ARN by generation name, then by Region (read by `make delete-material`)."
  value       = module.key.replica_arns
}

output "expiry_alarm_arns" {
  description = "By generation: the expiry alarms' ARNs by Region. Empty maps without expiry_alarm or valid_to."
  value       = module.key.expiry_alarm_arns
}
