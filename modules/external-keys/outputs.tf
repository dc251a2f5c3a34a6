output "key_ids" {
  description = "Id of each KMS key, by key name."
  value       = { for name, key in module.key : name => key.key_id }
}

output "key_arns" {
  description = "ARN of each KMS key, by key name."
  value       = { for name, key in module.key : name => key.key_arn }
}

output "key_specs" {
  description = "Key spec of each key (SYMMETRIC_DEFAULT, HMAC_256, RSA_2048, ...), by key name."
  value       = { for name, key in var.keys : name => key.key_spec }
}

output "key_usages" {
  description = "Key usage of each key (ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC or SIGN_VERIFY), by key name."
  value       = local.key_usages
}

output "alias_names" {
  description = "Alias name of each key, or null where none was asked for, by key name."
  value       = { for name, key in var.keys : name => key.alias_name }
}

output "alias_arns" {
  description = "Alias ARN of each key, or null where none was asked for, by key name."
  value       = { for name, key in module.key : name => key.alias_arn }
}

output "expiration_models" {
  description = "KEY_MATERIAL_EXPIRES where valid_to is set, else KEY_MATERIAL_DOES_NOT_EXPIRE (enforced by the import step), by key name."
  value       = { for name, valid_to in local.valid_tos : name => valid_to == null ? "KEY_MATERIAL_DOES_NOT_EXPIRE" : "KEY_MATERIAL_EXPIRES" }
}

output "valid_tos" {
  description = "When each key's material expires, in UTC RFC 3339, or null where it does not, by key name."
  value       = local.valid_tos
}

output "material_fingerprints" {
  description = "Non-secret fingerprint of each key's first material (also its kms-import:fingerprint tag), by key name."
  value       = local.fingerprints
}

output "rotated_material_fingerprints" {
  description = "Fingerprints of the materials rotated in on demand, in order, by key name; the last one is the key's current material when the list is not empty."
  value       = local.rotation_fingerprints
}

output "key_policies" {
  description = "The key policy JSON on each key (built from the role lists, or var.policy), by key name."
  value       = local.key_policies
}

output "grants" {
  description = "Grant ids by key name, then grant map key."
  value       = { for name, key in module.key : name => key.grants }
}

output "replica_arns" {
  description = "Replica key ARN by key name, then by Region (empty for single-Region keys)."
  value       = { for name, key in module.key : name => key.replica_arns }
}

output "replica_key_ids" {
  description = "Replica key id by key name, then by Region (a multi-Region key's replicas share the primary's mrk- id)."
  value       = { for name, key in module.key : name => key.replica_key_ids }
}

output "import_id" {
  description = "Id of the import step; it changes whenever any key's material is (re-)imported or checked again."
  value       = terraform_data.import.id
}

output "importer_policy_json" {
  description = "IAM policy JSON the principal running kms-import needs for these keys and their material sources (plan's data source and apply's import step), scoped to the keys' and replicas' ARNs and the sources' secrets or parameters."
  value = jsonencode({
    Version   = "2012-10-17"
    Statement = local.importer_statements
  })
}

output "importer_policy_statements" {
  description = "The importer policy's statements (Sid, Effect, Action, Resource, Condition), for roots that merge several instances into one policy by Sid."
  value       = local.importer_statements
}

output "expiry_alarm_arns" {
  description = "By key name: the expiry alarms' ARNs by Region (the key's own Region and each replica's). Empty maps without expiry_alarm or valid_to."
  value       = { for name, key in module.key : name => key.expiry_alarm_arns }
}
