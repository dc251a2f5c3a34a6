# One KMS key for imported material. Terraform creates the key without material and only
# ever handles references; the kms-import helper reads, wraps and imports the material.

# Terraform evaluates every local of every module instance in each walk (plan and apply), each
# in a fresh evaluation context, so the module keeps few locals: values used once live where
# they are used (a provisioner's command is evaluated only when it runs).
locals {
  # The key spec's one usage; RSA keys have two, and var.key_usage's validation makes RSA
  # key specs name theirs, so the RSA entry here is never the one used.
  key_usage = coalesce(var.key_usage, (
    var.key_spec == "SYMMETRIC_DEFAULT" ? "ENCRYPT_DECRYPT"
    : startswith(var.key_spec, "HMAC_") ? "GENERATE_VERIFY_MAC"
    : startswith(var.key_spec, "ECC_") ? "SIGN_VERIFY"
    : "ENCRYPT_DECRYPT"
  ))

  # With wrapping_algorithm = null the helper chooses (an HSM source may only offer some
  # algorithms). The trigger records the helper's default for the key spec
  # (wrapping.default_algorithm), which for symmetric keys is the RSAES_OAEP_SHA_256 earlier
  # versions of this module recorded, so their import steps are not re-run by an upgrade.
  # Secret keys (symmetric, HMAC) fit OAEP; private keys need the AES key wrap.
  wrapping_algorithm = coalesce(
    var.wrapping_algorithm,
    var.key_spec == "SYMMETRIC_DEFAULT" || startswith(var.key_spec, "HMAC_") ? "RSAES_OAEP_SHA_256" : "RSA_AES_KEY_WRAP_SHA_256",
  )

  material_fingerprint = (
    var.material_fingerprint != null
    ? var.material_fingerprint
    : one(data.external.fingerprint[*].result.fingerprint)
  )

  # valid_to in UTC RFC 3339 (2031-06-17T20:00:00Z) whatever zone it was written in, so the
  # import trigger and KMS's own ValidTo always compare equal. Two locals, as before: the
  # trigger records this value's type too (null as "dynamic"), and terraform_data replaces
  # itself on any type change, which would re-run every key's import step.
  valid_to_parts = var.valid_to == null ? null : regex(
    "^(\\d{4}-\\d\\d-\\d\\d)[Tt](\\d\\d:\\d\\d:\\d\\d)(?:\\.\\d+)?(?:[Zz]|([+-])(\\d\\d):(\\d\\d))$",
    var.valid_to,
  )
  valid_to = local.valid_to_parts == null ? null : timeadd(
    "${local.valid_to_parts[0]}T${local.valid_to_parts[1]}Z",
    local.valid_to_parts[2] == null ? "0s" : "${local.valid_to_parts[2] == "+" ? "-" : ""}${local.valid_to_parts[3]}h${local.valid_to_parts[4]}m",
  )

  # The import step's command line; replicas.tf reuses all of it after the key ARN.
  import_args = concat(
    [
      var.helper_command, "import",
      "--key-id", aws_kms_external_key.this.arn,
      "--source", var.material_source,
      "--key-spec", var.key_spec,
      "--key-usage", local.key_usage,
      "--wrapping-key-spec", var.wrapping_key_spec,
      "--expect-fingerprint", local.material_fingerprint,
    ],
    var.wrapping_algorithm == null ? [] : ["--wrapping-algorithm", var.wrapping_algorithm],
    local.valid_to == null ? [] : ["--valid-to", local.valid_to],
    var.enabled ? [] : ["--disable"],
    length(var.material_rotations) == 0 ? [] : ["--with-rotations"],
  )

  # On-demand rotations: each entry's fingerprint, given or computed at plan time.
  rotation_fingerprints = [
    for i, r in var.material_rotations :
    r.material_fingerprint != null ? r.material_fingerprint : lookup(
      { for k, d in data.external.rotation_fingerprint : k => d.result.fingerprint }, tostring(i + 1), null,
    )
  ]
}

# Plan time: the helper reads the material and returns only its non-secret fingerprint.
data "external" "fingerprint" {
  count = var.material_fingerprint == null ? 1 : 0

  program = [var.helper_command, "fingerprint"]
  query = {
    source   = var.material_source
    key_spec = var.key_spec
  }
}

# Plan time, once per rotation entry without a material_fingerprint (keys "1", "2", ...).
data "external" "rotation_fingerprint" {
  for_each = {
    for i, r in var.material_rotations : tostring(i + 1) => r.material_source
    if r.material_fingerprint == null
  }

  program = [var.helper_command, "fingerprint"]
  query = {
    source   = each.value
    key_spec = var.key_spec
  }
}

resource "aws_kms_external_key" "this" {
  key_spec                = var.key_spec
  key_usage               = local.key_usage
  description             = var.description
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = local.key_policy
  multi_region            = var.multi_region
  tags                    = merge(var.tags, { "kms-import:fingerprint" = local.material_fingerprint })

  lifecycle {
    # No key_material_base64 here, so the provider must never attempt an import; it would
    # on any valid_to change. The import step below owns valid_to and enabled instead.
    # The fingerprint tag records the material the key was made for and never changes:
    # the helper refuses any other material before calling ImportKeyMaterial.
    # key_spec (ForceNew): the provider's Read never sets it (hashicorp/terraform-provider-aws
    # #46080, fix pending in #48518), so a key adopted with an import block (`make
    # cancel-deletion`) reads back without it and would be planned for replacement, which
    # schedules the adopted key's deletion. The import step checks the key's real spec
    # instead (--key-spec) and refuses a mismatch. key_usage needs no guard: Read sets it.
    ignore_changes = [valid_to, enabled, key_spec, tags["kms-import:fingerprint"]]
  }
}

# Apply time: import (or re-import with a new expiry), prove, then set enabled. It re-runs
# exactly when one of these references changes; the helper makes re-runs harmless.
resource "terraform_data" "material_import" {
  # ignore_changes hides a key_spec change from the key, so key_spec re-runs this step,
  # whose --key-spec check then refuses the change. Only non-default specs are recorded, so
  # the triggers of symmetric keys made by earlier versions of this module stay the same.
  triggers_replace = merge(
    {
      key_arn              = aws_kms_external_key.this.arn
      material_source      = var.material_source
      material_fingerprint = local.material_fingerprint
      wrapping_algorithm   = local.wrapping_algorithm
      wrapping_key_spec    = var.wrapping_key_spec
      valid_to             = local.valid_to
      enabled              = var.enabled
    },
    var.key_spec == "SYMMETRIC_DEFAULT" ? {} : { key_spec = var.key_spec },
  )

  provisioner "local-exec" {
    # Single-quoted for /bin/sh: references may hold ?, & and ; (PKCS#11 URIs do).
    command = join(" ", [for arg in local.import_args : "'${replace(arg, "'", "'\\''")}'"])
  }
}

# Apply time, after the import step: rotate in each material_rotations entry, in order, on
# the same key (import NEW_KEY_MATERIAL, RotateKeyOnDemand, prove). One step for the whole
# list, not one per entry: instances of one resource run in parallel, and KMS holds only one
# material pending rotation at a time. It re-runs whenever the import step does (renew,
# reimport, enable/disable: every rotated material is re-imported or re-checked with it) and
# when the list changes; the helper skips what is done, so re-runs are harmless.
resource "terraform_data" "material_rotation" {
  count = length(var.material_rotations) > 0 ? 1 : 0

  triggers_replace = {
    import_id = terraform_data.material_import.id
    rotations = [
      for i, r in var.material_rotations :
      { material_source = r.material_source, material_fingerprint = local.rotation_fingerprints[i] }
    ]
  }

  provisioner "local-exec" {
    command = join(" ", [
      for arg in concat(
        [
          var.helper_command, "rotate-material",
          "--key-id", aws_kms_external_key.this.arn,
          "--wrapping-algorithm", local.wrapping_algorithm,
          "--wrapping-key-spec", var.wrapping_key_spec,
        ],
        flatten([
          for i, r in var.material_rotations :
          ["--source", r.material_source, "--expect-fingerprint", local.rotation_fingerprints[i]]
        ]),
        local.valid_to == null ? [] : ["--valid-to", local.valid_to],
        var.enabled ? [] : ["--disable"],
      ) : "'${replace(arg, "'", "'\\''")}'"
    ])
  }

  lifecycle {
    precondition {
      condition     = var.key_spec == "SYMMETRIC_DEFAULT"
      error_message = "material_rotations needs a SYMMETRIC_DEFAULT key: KMS rotates imported material on demand only for symmetric encryption keys. Rotate other keys with a new generation (make rotate)."
    }
  }
}

resource "aws_kms_alias" "this" {
  count = var.alias_name == null ? 0 : 1

  name          = var.alias_name
  target_key_id = aws_kms_external_key.this.id

  # Point the alias only at a key that holds material, as the seed's users would.
  depends_on = [terraform_data.material_import]
}
