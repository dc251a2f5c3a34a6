output "alias_name" {
  description = "The alias applications use."
  value       = module.key.alias_name
}

output "active_generation" {
  description = "The generation the alias points at."
  value       = module.key.active_generation
}

output "active_key_id" {
  description = "Id of the active generation's key."
  value       = module.key.active_key_id
}

output "key_arns" {
  description = "Key ARN by generation name."
  value       = module.key.key_arns
}
