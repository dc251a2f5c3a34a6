# Many KMS keys with imported material in one instance. Terraform creates each key without
# material and only ever handles references; the kms-import helper reads, wraps and imports
# the material. Per Terraform run the helper starts at most twice for the whole map: once at
# plan (data.external.plan: the version handshake, and fingerprints of materials without a
# recorded one) and once at apply (terraform_data.import, one process with a bounded pool of
# threads). Drift made outside Terraform comes from Terraform's own refresh of each key
# (key/drift.tf), so the plan-time run names no key and always runs at plan: a bad source,
# a role that cannot be assumed or a helper out of range fails the plan, before any key is
# created.
#
# Everything computed per key lives here, once per walk for the whole map, so that each
# instance of ./key is only its resources (200 keys must plan and apply fast).

locals {
  # The key spec's one usage (the generated table, specs.tf); a key spec with two (RSA) has
  # none, and the keys validation makes such keys name theirs.
  key_usages = {
    for name, key in var.keys : name => coalesce(key.key_usage, local.key_specs[key.key_spec].default_usage)
  }

  # valid_to in UTC RFC 3339 (2031-06-17T20:00:00Z) whatever zone it was written in, so the
  # import trigger and KMS's own ValidTo always compare equal.
  valid_tos = {
    for name, parts in {
      for name, key in var.keys : name => key.valid_to == null ? null : regex(
        "^(\\d{4}-\\d\\d-\\d\\d)[Tt](\\d\\d:\\d\\d:\\d\\d)(?:\\.\\d+)?(?:[Zz]|([+-])(\\d\\d):(\\d\\d))$",
        key.valid_to,
      )
      } : name => parts == null ? null : timeadd(
      "${parts[0]}T${parts[1]}Z",
      parts[2] == null ? "0s" : "${parts[2] == "+" ? "-" : ""}${parts[3]}h${parts[4]}m",
    )
  }

  # What plan-keys is asked: one entry per material without a recorded fingerprint, "NAME"
  # for a key's first material and "NAME#N" for its N-th material_rotations entry.
  unrecorded = merge(
    {
      for name, key in var.keys : name => jsonencode({ source = key.material_source, key_spec = key.key_spec })
      if key.material_fingerprint == null
    },
    {
      for entry in flatten([
        for name, key in var.keys : [
          for i, rotation in key.material_rotations : {
            id    = "${name}#${i + 1}"
            query = jsonencode({ source = rotation.material_source, key_spec = key.key_spec })
          } if rotation.material_fingerprint == null
        ]
      ]) : entry.id => entry.query
    },
  )

  # Each material's fingerprint: recorded, or computed at plan. A key missing from the
  # helper's answer fails the plan here rather than reaching the import step.
  computed_fingerprints = one(data.external.plan[*].result)
  fingerprints = {
    for name, key in var.keys : name => (
      key.material_fingerprint != null ? key.material_fingerprint : local.computed_fingerprints[name]
    )
  }
  rotation_fingerprints = {
    for name, key in var.keys : name => [
      for i, rotation in key.material_rotations : (
        rotation.material_fingerprint != null ? rotation.material_fingerprint : local.computed_fingerprints["${name}#${i + 1}"]
      )
    ]
  }

  # The import step's triggers, by key: a change in one key's entry re-runs the step, whose
  # helper run skips every key that already holds its material with the wanted expiry and
  # enabled state. key_spec (and key_usage) only when not the default: the key ignores
  # key_spec changes, so the import step sees them and refuses them. `drift` is what
  # reality differs in (key/drift.tf), so drift made outside Terraform shows in the plan as
  # this key's `drift` changing, and apply heals it.
  imports = {
    for name, key in var.keys : name => merge(
      {
        key_arn              = module.key[name].key_arn
        material_source      = key.material_source
        material_fingerprint = local.fingerprints[name]
        wrapping_algorithm   = key.wrapping_algorithm # null: the helper chooses (HSM tokens offer only some)
        wrapping_key_spec    = key.wrapping_key_spec
        valid_to             = local.valid_tos[name]
        enabled              = key.enabled
        drift                = module.key[name].drift
        replicas             = module.key[name].replica_arns
        rotations = [
          for i, rotation in key.material_rotations :
          { material_source = rotation.material_source, material_fingerprint = local.rotation_fingerprints[name][i] }
        ]
      },
      key.key_spec == "SYMMETRIC_DEFAULT" ? {} : { key_spec = key.key_spec, key_usage = local.key_usages[name] },
    )
  }
}

# Plan time, once for the whole map: the helper checks its version against the module's
# range and reads each material without a recorded fingerprint, returning only its
# non-secret fingerprint. It names no key, so it never waits for one and always runs at
# plan, even with nothing to read (then it is the version and credentials check).
data "external" "plan" {
  count = length(var.keys) > 0 ? 1 : 0

  program = concat([var.helper_command, "--requires", local.helper_versions, "plan-keys"], local.credential_args)
  query   = local.unrecorded
}

module "key" {
  source   = "./key"
  for_each = var.keys

  key_spec                = each.value.key_spec
  key_usage               = local.key_usages[each.key]
  description             = each.value.description
  deletion_window_in_days = each.value.deletion_window_in_days
  policy                  = local.key_policies[each.key]
  multi_region            = each.value.multi_region
  replica_regions         = each.value.replica_regions
  alias_name              = each.value.alias_name
  grants                  = var.grants

  # Expiry: the check block warns at plan; the alarms are per key and replica.
  name                = each.key
  enabled             = each.value.enabled
  valid_to            = local.valid_tos[each.key]
  expiry_warning_days = var.expiry_warning_days
  expiry_alarm        = var.expiry_alarm

  # Terraform writes the fingerprint tag only when it is recorded; otherwise the import run
  # tags the key (and its replicas) before its first ImportKeyMaterial.
  tags = merge(
    var.tags,
    each.value.tags,
    each.value.material_fingerprint == null ? {} : { "kms-import:fingerprint" = each.value.material_fingerprint },
  )
}

# Apply time, once for the whole map: import (or re-import with a new expiry), prove, set
# enabled, then the key's replicas and on-demand rotations, for every key whose entry
# changed or whose material is missing, in one kms-import process. One argument per key
# (Linux caps a single argument at 128 KiB) and no shell: interpreter + command is the argv.
resource "terraform_data" "import" {
  triggers_replace = local.imports

  provisioner "local-exec" {
    interpreter = concat(
      [var.helper_command, "--requires", local.helper_versions, "import-keys"],
      local.credential_args,
      flatten([for name in sort(keys(local.imports)) : ["--key", jsonencode(merge({ name = name }, local.imports[name]))]]),
      ["--parallelism"],
    )
    command = tostring(var.import_parallelism)
  }
}
