output "key_id" {
  description = "Id of the KMS key."
  value       = aws_kms_external_key.this.id
}

output "key_arn" {
  description = "ARN of the KMS key."
  value       = aws_kms_external_key.this.arn
}

output "alias_name" {
  description = "Name of the alias, or null when none was asked for."
  value       = one(aws_kms_alias.this[*].name)
}

output "alias_arn" {
  description = "ARN of the alias, or null when none was asked for."
  value       = one(aws_kms_alias.this[*].arn)
}

output "expiration_model" {
  description = "KEY_MATERIAL_EXPIRES when valid_to is set, else KEY_MATERIAL_DOES_NOT_EXPIRE (enforced by the import step)."
  value       = local.valid_to == null ? "KEY_MATERIAL_DOES_NOT_EXPIRE" : "KEY_MATERIAL_EXPIRES"
}

output "valid_to" {
  description = "When the material expires, in UTC RFC 3339, or null when it does not."
  value       = local.valid_to
}

output "material_fingerprint" {
  description = "Non-secret fingerprint of the material (also the key's kms-import:fingerprint tag)."
  value       = local.material_fingerprint
}

output "import_id" {
  description = "Id of the import step; it changes whenever the material is (re-)imported."
  value       = terraform_data.material_import.id
}

output "replica_arns" {
  description = "ARN of each replica key by Region (empty for a single-Region key)."
  value       = { for region, replica in aws_kms_replica_external_key.this : region => replica.arn }
}

output "replica_key_ids" {
  description = "Id of each replica key by Region (a multi-Region key's replicas share the primary's mrk- id)."
  value       = { for region, replica in aws_kms_replica_external_key.this : region => replica.key_id }
}

output "replica_import_ids" {
  description = "Id of each replica's import step by Region; it changes whenever that replica's material is (re-)imported."
  value       = { for region, step in terraform_data.replica_import : region => step.id }
}
