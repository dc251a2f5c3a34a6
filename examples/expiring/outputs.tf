output "key_id" {
  description = "Id of the key."
  value       = module.key.key_id
}

output "alias_name" {
  description = "Alias of the key."
  value       = module.key.alias_name
}

output "expiration_model" {
  description = "KEY_MATERIAL_EXPIRES."
  value       = module.key.expiration_model
}

output "valid_to" {
  description = "When the material expires, in UTC RFC 3339: renew before then."
  value       = module.key.valid_to
}

output "import_id" {
  description = "Id of the import step; a renewal changes it (the same material is re-imported)."
  value       = module.key.import_id
}
