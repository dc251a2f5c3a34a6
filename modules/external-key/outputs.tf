output "key_id" {
  description = "Id of the KMS key."
  value       = module.keys.key_ids["this"]
}

output "key_arn" {
  description = "ARN of the KMS key."
  value       = module.keys.key_arns["this"]
}

output "key_spec" {
  description = "The key spec (SYMMETRIC_DEFAULT, HMAC_256, RSA_2048, ...)."
  value       = module.keys.key_specs["this"]
}

output "key_usage" {
  description = "The key usage (ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC or SIGN_VERIFY)."
  value       = module.keys.key_usages["this"]
}

output "alias_name" {
  description = "Name of the alias, or null when none was asked for."
  value       = module.keys.alias_names["this"]
}

output "alias_arn" {
  description = "ARN of the alias, or null when none was asked for."
  value       = module.keys.alias_arns["this"]
}

output "expiration_model" {
  description = "KEY_MATERIAL_EXPIRES when valid_to is set, else KEY_MATERIAL_DOES_NOT_EXPIRE (enforced by the import step)."
  value       = module.keys.expiration_models["this"]
}

output "valid_to" {
  description = "When the material expires, in UTC RFC 3339, or null when it does not."
  value       = module.keys.valid_tos["this"]
}

output "material_fingerprint" {
  description = "Non-secret fingerprint of the material (also the key's kms-import:fingerprint tag)."
  value       = module.keys.material_fingerprints["this"]
}

output "import_id" {
  description = "Id of the import step; it changes whenever the material is (re-)imported or checked again."
  value       = module.keys.import_id
}

output "rotated_material_fingerprints" {
  description = "Fingerprints of the materials rotated in on demand, in order; the last one is the key's current material when the list is not empty."
  value       = module.keys.rotated_material_fingerprints["this"]
}

output "key_policy" {
  description = "The key policy JSON the module put on the key (built from the role lists, or var.policy)."
  value       = module.keys.key_policies["this"]
}

output "grants" {
  description = "Grant ids by grant map key."
  value       = module.keys.grants["this"]
}

output "importer_policy_json" {
  description = "IAM policy JSON the principal running kms-import needs for this key and its material source (plan's data source and apply's import step), scoped to the key's ARN and the source's secret or parameter."
  value       = module.keys.importer_policy_json
}

output "importer_policy_statements" {
  description = "The importer policy's statements (Sid, Effect, Action, Resource, Condition), for roots that merge several keys into one policy by Sid."
  value       = module.keys.importer_policy_statements
}

output "replica_arns" {
  description = "ARN of each replica key by Region (empty for a single-Region key)."
  value       = module.keys.replica_arns["this"]
}

output "replica_key_ids" {
  description = "Id of each replica key by Region (a multi-Region key's replicas share the primary's mrk- id)."
  value       = module.keys.replica_key_ids["this"]
}

output "replica_import_ids" {
  description = "Id of the import step by Region: one step imports into the key and every replica, so each is import_id."
  value       = { for region in keys(module.keys.replica_arns["this"]) : region => module.keys.import_id }
}

output "expiry_alarm_arns" {
  description = "The expiry alarms' ARNs by Region (the key's and each replica's); empty without expiry_alarm or valid_to."
  value       = module.keys.expiry_alarm_arns["this"]
}
