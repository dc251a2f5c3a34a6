output "key_arn" {
  description = "ARN of the multi-Region primary key."
  value       = module.key.key_arn
}

output "replica_arns" {
  description = "ARN of each replica key by Region."
  value       = module.key.replica_arns
}

output "material_fingerprint" {
  description = "Fingerprint of the material in every Region (each key's kms-import:fingerprint tag)."
  value       = module.key.material_fingerprint
}

output "importer_policy_json" {
  description = "IAM policy for whoever runs kms-import: the primary's and every replica's ARN."
  value       = module.key.importer_policy_json
}
