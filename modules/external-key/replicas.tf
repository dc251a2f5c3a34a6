# Multi-Region: one replica of the primary per Region in replica_regions, each created without
# material (PendingImport) and then given the SAME material by the helper, with its own
# import parameters. The provider's v6 per-resource `region` argument places each replica;
# no extra provider blocks.

resource "aws_kms_replica_external_key" "this" {
  for_each = toset(var.replica_regions)

  region                  = each.key
  primary_key_arn         = aws_kms_external_key.this.arn
  description             = var.description
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = local.key_policy # the primary's, role lists and all
  # A replica's tags are its own: it carries the fingerprint tag too, so the helper refuses
  # other material for it before any ImportKeyMaterial call in that Region.
  tags = merge(var.tags, { "kms-import:fingerprint" = local.material_fingerprint })

  lifecycle {
    # As for the primary: no key_material_base64, so the provider must never import (it
    # would on a valid_to change); the import step owns valid_to and enabled.
    ignore_changes = [valid_to, enabled, tags["kms-import:fingerprint"]]

    precondition {
      condition     = each.key != split(":", aws_kms_external_key.this.arn)[3]
      error_message = "replica_regions must not name the primary key's own Region (${split(":", aws_kms_external_key.this.arn)[3]})."
    }
  }
}

# The same material into each replica. It re-runs when the replica, the material reference,
# the expiry or enabled change, and after every (re-)import into the primary (so `make
# reimport` reaches every Region); the helper skips a replica that already holds it.
resource "terraform_data" "replica_import" {
  for_each = aws_kms_replica_external_key.this

  triggers_replace = {
    key_arn              = each.value.arn
    primary_import_id    = terraform_data.material_import.id
    material_source      = var.material_source
    material_fingerprint = local.material_fingerprint
    wrapping_algorithm   = local.wrapping_algorithm
    wrapping_key_spec    = var.wrapping_key_spec
    valid_to             = local.valid_to
    enabled              = var.enabled
  }

  provisioner "local-exec" {
    # The primary's import command (main.tf) with this replica's ARN: a replica's import
    # differs only in the key it names.
    command = join(" ", [
      for arg in concat([var.helper_command, "import", "--key-id", each.value.arn], slice(local.import_args, 4, length(local.import_args))) :
      "'${replace(arg, "'", "'\\''")}'"
    ])
  }
}
