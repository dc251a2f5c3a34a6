output "key_id" {
  description = "Id of the key."
  value       = module.key.key_id
}

output "key_arn" {
  description = "ARN of the key."
  value       = module.key.key_arn
}

output "alias_name" {
  description = "Alias of the key."
  value       = module.key.alias_name
}

output "material_fingerprint" {
  description = "Fingerprint of the HSM's key, computed inside the token (never its value)."
  value       = module.key.material_fingerprint
}
