output "alias_name" {
  description = "Name of the alias."
  value       = aws_kms_alias.active.name
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = aws_kms_alias.active.arn
}

output "active_generation" {
  description = "The generation the alias points at."
  value       = var.active_generation
}

output "active_key_id" {
  description = "Id of the active generation's key."
  value       = local.active.key_id
}

output "active_key_arn" {
  description = "ARN of the active generation's key."
  value       = local.active.key_arn
}

output "generations" {
  description = "Per generation: key_id, key_arn, expiration_model, valid_to, material_fingerprint, enabled, key_spec, key_usage."
  value = {
    for name, generation in module.generation : name => {
      key_id               = generation.key_id
      key_arn              = generation.key_arn
      expiration_model     = generation.expiration_model
      valid_to             = generation.valid_to
      material_fingerprint = generation.material_fingerprint
      enabled              = var.generations[name].enabled
      key_spec             = generation.key_spec
      key_usage            = generation.key_usage
    }
  }
}

output "key_arns" {
  description = "Key ARN by generation name (what `make status` reads)."
  value       = { for name, generation in module.generation : name => generation.key_arn }
}

output "key_policies" {
  description = "The key policy JSON on each generation's key, by generation name."
  value       = { for name, generation in module.generation : name => generation.key_policy }
}

output "grants" {
  description = "Grant ids by generation name, then grant map key."
  value       = { for name, generation in module.generation : name => generation.grants }
}

output "importer_policy_json" {
  description = "IAM policy JSON the principal running kms-import needs for every generation (import, proof, enabled state, and the material sources' secrets or parameters), scoped to the generations' key ARNs."
  value = jsonencode({
    Version   = "2012-10-17"
    Statement = local.importer_statements
  })
}

output "replica_arns" {
  description = "Replica key ARN by generation name, then by Region (empty for single-Region generations)."
  value       = { for name, generation in module.generation : name => generation.replica_arns }
}
