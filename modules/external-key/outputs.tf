output "key_id" {
  description = "Id of the KMS key."
  value       = aws_kms_external_key.this.id
}

output "key_arn" {
  description = "ARN of the KMS key."
  value       = aws_kms_external_key.this.arn
}

output "key_spec" {
  description = "The key spec (SYMMETRIC_DEFAULT, HMAC_256, RSA_2048, ...)."
  value       = var.key_spec
}

output "key_usage" {
  description = "The key usage (ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC or SIGN_VERIFY)."
  value       = local.key_usage
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

output "rotated_material_fingerprints" {
  description = "Fingerprints of the materials rotated in on demand, in order; the last one is the key's current material when the list is not empty."
  value       = local.rotation_fingerprints
}

output "key_policy" {
  description = "The key policy JSON the module put on the key (built from the role lists, or var.policy)."
  value       = local.key_policy
}

output "grants" {
  description = "Grant ids by grant map key."
  value       = { for name, grant in aws_kms_grant.this : name => grant.grant_id }
}

output "importer_policy_json" {
  description = "IAM policy JSON the principal running kms-import needs for this key and its material source (plan's fingerprint and apply's import step), scoped to the key's ARN and the source's secret or parameter."
  value = jsonencode({
    Version   = "2012-10-17"
    Statement = local.importer_statements
  })
}

output "importer_policy_statements" {
  description = "The importer policy's statements (Sid, Effect, Action, Resource, Condition), for roots that merge several keys into one policy by Sid."
  value       = local.importer_statements
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
