# One key of modules/external-keys: the KMS key, its alias, replicas and grants, with the
# resource names modules/external-key used, so state from it moves here with static `moved`
# blocks. Everything shared or computed once (policy, defaults, fingerprints, the import
# step) lives in the parent: an instance of this module is only its resources.
#
# Nothing here waits for the parent's import step: that step reads this module's outputs,
# and Terraform makes a reference to a for_each module call wait for all of the module, so
# any wait here would be a cycle. The alias and grants are made right after the key, while
# it is PendingImport, as the seed's own `create-key` then `create-alias` did; the rotating
# alias of modules/rotating-key, outside this module, still waits for the material.

resource "aws_kms_external_key" "this" {
  key_spec                = var.key_spec
  key_usage               = var.key_usage
  description             = var.description
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = var.policy
  multi_region            = var.multi_region
  tags                    = var.tags

  lifecycle {
    # No key_material_base64 here, so the provider must never attempt an import; it would
    # on any valid_to change. The parent's import step owns valid_to and enabled instead.
    # The fingerprint tag records the material the key was made for and never changes
    # (Terraform sets it only from a recorded fingerprint; otherwise the import run tags
    # the key before its first ImportKeyMaterial); the helper refuses other material.
    # key_spec (ForceNew): the provider's Read never sets it (hashicorp/terraform-provider-aws
    # #46080, fix pending in #48518), so a key adopted with an import block (`make
    # cancel-deletion`) reads back without it and would be planned for replacement, which
    # schedules the adopted key's deletion. The import step checks the key's real spec
    # instead and refuses a mismatch. key_usage needs no guard: Read sets it.
    ignore_changes = [valid_to, enabled, key_spec, tags["kms-import:fingerprint"], tags["kms-import:drift"]]
  }
}

resource "aws_kms_alias" "this" {
  count = var.alias_name == null ? 0 : 1

  name          = var.alias_name
  target_key_id = aws_kms_external_key.this.id
}

# Multi-Region: one replica of the primary per Region, created without material
# (PendingImport); the import step gives each the SAME material. The provider's v6
# per-resource `region` argument places each replica; no extra provider blocks.
resource "aws_kms_replica_external_key" "this" {
  for_each = toset(var.replica_regions)

  region                  = each.key
  primary_key_arn         = aws_kms_external_key.this.arn
  description             = var.description
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = var.policy # the primary's, role lists and all
  # A replica's tags are its own: it carries the fingerprint tag too, so the helper refuses
  # other material for it before any ImportKeyMaterial call in that Region.
  tags = var.tags

  lifecycle {
    ignore_changes = [valid_to, enabled, tags["kms-import:fingerprint"], tags["kms-import:drift"]]

    precondition {
      condition     = each.key != split(":", aws_kms_external_key.this.arn)[3]
      error_message = "replica_regions must not name the primary key's own Region (${split(":", aws_kms_external_key.this.arn)[3]})."
    }
  }
}

# Grants on the key (the parent's `grants`, the same for every key).
resource "aws_kms_grant" "this" {
  for_each = var.grants

  name                  = coalesce(each.value.name, each.key)
  key_id                = aws_kms_external_key.this.id
  grantee_principal     = each.value.grantee_principal
  operations            = each.value.operations
  retiring_principal    = each.value.retiring_principal
  grant_creation_tokens = each.value.grant_creation_tokens
  retire_on_delete      = each.value.retire_on_delete

  dynamic "constraints" {
    for_each = each.value.constraints
    content {
      encryption_context_equals = constraints.value.encryption_context_equals
      encryption_context_subset = constraints.value.encryption_context_subset
    }
  }
}

# The per-key import steps of modules/external-key before external-keys (state moved here
# with the key by modules/rotating-key's moved block). They have no destroy-time action and
# the parent's one import step replaces them, so Terraform forgets them rather than
# planning them as destroyed.
removed {
  from = terraform_data.material_import
  lifecycle {
    destroy = false
  }
}

removed {
  from = terraform_data.replica_import
  lifecycle {
    destroy = false
  }
}

removed {
  from = terraform_data.material_rotation
  lifecycle {
    destroy = false
  }
}

# Expiry seen coming: a warning at plan (and apply) when valid_to is near; never an error, so
# a plan that renews the key is not blocked by it. A passed valid_to fails the parent's
# validation instead, naming `make renew`.
check "expiry" {
  assert {
    condition     = var.valid_to == null || var.expiry_warning_days == 0 || timecmp(var.valid_to, timeadd(plantimestamp(), "${var.expiry_warning_days * 24}h")) > 0
    error_message = "${var.name}: key material expires at ${coalesce(var.valid_to, "-")}, within ${var.expiry_warning_days} days: renew it (make renew GEN=${var.name} VALID_TO=<later>) or rotate to a new generation."
  }
}

# KMS publishes AWS/KMS SecondsUntilKeyMaterialExpiration (dimension KeyId) for keys whose
# material expires. Missing data keeps the alarm's state ("missing"): a new alarm waits for
# the first datapoint instead of firing, and an alarm already in ALARM stays there when the
# material expires and the metric stops (the plan-time drift read then names the key too).
locals {
  alarmed = var.expiry_alarm == null || var.valid_to == null ? {} : merge(
    { (data.aws_region.this.region) = aws_kms_external_key.this.id },
    { for region, replica in aws_kms_replica_external_key.this : region => replica.key_id },
  )
}

data "aws_region" "this" {}

resource "aws_cloudwatch_metric_alarm" "expiry" {
  for_each = local.alarmed

  region              = each.key
  alarm_name          = "kms-import-expiry-${var.name}-${each.value}"
  alarm_description   = "KMS key ${var.name} (${each.value}, ${each.key}): imported material expires in fewer than ${var.expiry_alarm.days_before} days; renew it (make renew GEN=${var.name})."
  namespace           = "AWS/KMS"
  metric_name         = "SecondsUntilKeyMaterialExpiration"
  dimensions          = { KeyId = each.value }
  statistic           = "Minimum"
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.expiry_alarm.days_before * 86400
  treat_missing_data  = "missing"
  alarm_actions       = var.expiry_alarm.alarm_actions
  tags                = var.tags
}
