output "key_id" {
  description = "Id of the imported key."
  value       = module.imported_key.key_id
}

output "key_arn" {
  description = "ARN of the imported key."
  value       = module.imported_key.key_arn
}

output "alias_name" {
  description = "Alias pointing at the key."
  value       = module.imported_key.alias_name
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = module.imported_key.alias_arn
}

output "expiration_model" {
  description = "KEY_MATERIAL_EXPIRES or KEY_MATERIAL_DOES_NOT_EXPIRE."
  value       = module.imported_key.expiration_model
}

output "material_fingerprint" {
  description = "Non-secret fingerprint of the imported material."
  value       = module.imported_key.material_fingerprint
}
