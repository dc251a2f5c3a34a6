output "key_id" {
  description = "Id of the KMS key."
  value       = aws_kms_external_key.this.id
}

output "key_arn" {
  description = "ARN of the KMS key."
  value       = aws_kms_external_key.this.arn
}

output "replica_arns" {
  description = "ARN of each replica key by Region."
  value       = { for region, replica in aws_kms_replica_external_key.this : region => replica.arn }
}

output "replica_key_ids" {
  description = "Id of each replica key by Region."
  value       = { for region, replica in aws_kms_replica_external_key.this : region => replica.key_id }
}

output "alias_arn" {
  description = "ARN of the alias, or null when none was asked for."
  value       = one(aws_kms_alias.this[*].arn)
}

output "grants" {
  description = "Grant ids by grant map key."
  value       = { for name, grant in aws_kms_grant.this : name => grant.grant_id }
}

output "expiry_alarm_arns" {
  description = "The expiry alarms' ARNs by Region (the key's own Region and each replica's); empty without expiry_alarm or valid_to."
  value       = { for region, alarm in aws_cloudwatch_metric_alarm.expiry : region => alarm.arn }
}

output "drift" {
  description = "The key's drift token (drift.tf): \"\" before kms-import synced it, the recorded token while it is as configured, else what it and its replicas differ in and when that was seen. Unknown while the key is being created."
  value       = local.drift
}
