# One KMS key for imported material. Terraform creates the key without material and only
# ever handles references; the kms-import helper reads, wraps and imports the material.

locals {
  fingerprint_tag = "kms-import:fingerprint"
  key_spec        = "SYMMETRIC_DEFAULT"

  wrapping_algorithm = coalesce(var.wrapping_algorithm, "RSAES_OAEP_SHA_256")

  material_fingerprint = (
    var.material_fingerprint != null
    ? var.material_fingerprint
    : one(data.external.fingerprint[*].result.fingerprint)
  )

  # valid_to in UTC RFC 3339 (2031-06-17T20:00:00Z) whatever zone it was written in, so the
  # import trigger and KMS's own ValidTo always compare equal.
  valid_to_parts = var.valid_to == null ? null : regex(
    "^(\\d{4}-\\d\\d-\\d\\d)[Tt](\\d\\d:\\d\\d:\\d\\d)(?:\\.\\d+)?(?:[Zz]|([+-])(\\d\\d):(\\d\\d))$",
    var.valid_to,
  )
  valid_to = local.valid_to_parts == null ? null : timeadd(
    "${local.valid_to_parts[0]}T${local.valid_to_parts[1]}Z",
    local.valid_to_parts[2] == null ? "0s" : "${local.valid_to_parts[2] == "+" ? "-" : ""}${local.valid_to_parts[3]}h${local.valid_to_parts[4]}m",
  )

  import_args = concat(
    [
      var.helper_command, "import",
      "--key-id", aws_kms_external_key.this.arn,
      "--source", var.material_source,
      "--wrapping-algorithm", local.wrapping_algorithm,
      "--wrapping-key-spec", var.wrapping_key_spec,
      "--expect-fingerprint", local.material_fingerprint,
    ],
    local.valid_to == null ? [] : ["--valid-to", local.valid_to],
    var.enabled ? [] : ["--disable"],
  )
  # Single-quoted for /bin/sh: references may hold ?, & and ; (PKCS#11 URIs do).
  import_command = join(" ", [for arg in local.import_args : "'${replace(arg, "'", "'\\''")}'"])
}

# Plan time: the helper reads the material and returns only its non-secret fingerprint.
data "external" "fingerprint" {
  count = var.material_fingerprint == null ? 1 : 0

  program = [var.helper_command, "fingerprint"]
  query = {
    source   = var.material_source
    key_spec = local.key_spec
  }
}

resource "aws_kms_external_key" "this" {
  description             = var.description
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = var.policy
  multi_region            = var.multi_region
  tags                    = merge(var.tags, { (local.fingerprint_tag) = local.material_fingerprint })

  lifecycle {
    # No key_material_base64 here, so the provider must never attempt an import; it would
    # on any valid_to change. The import step below owns valid_to and enabled instead.
    # The fingerprint tag records the material the key was made for and never changes:
    # the helper refuses any other material before calling ImportKeyMaterial.
    ignore_changes = [valid_to, enabled, tags["kms-import:fingerprint"]]
  }
}

# Apply time: import (or re-import with a new expiry), prove, then set enabled. It re-runs
# exactly when one of these references changes; the helper makes re-runs harmless.
resource "terraform_data" "material_import" {
  triggers_replace = {
    key_arn              = aws_kms_external_key.this.arn
    material_source      = var.material_source
    material_fingerprint = local.material_fingerprint
    wrapping_algorithm   = local.wrapping_algorithm
    wrapping_key_spec    = var.wrapping_key_spec
    valid_to             = local.valid_to
    enabled              = var.enabled
  }

  provisioner "local-exec" {
    command = local.import_command
  }
}

resource "aws_kms_alias" "this" {
  count = var.alias_name == null ? 0 : 1

  name          = var.alias_name
  target_key_id = aws_kms_external_key.this.id

  # Point the alias only at a key that holds material, as the seed's users would.
  depends_on = [terraform_data.material_import]
}
