# Drift: what the key and its replicas differ in from the configuration, as one token that
# the parent's import trigger carries. Terraform's own refresh already reads each key and
# replica (DescribeKey: key_state, enabled, valid_to; ListResourceTags) before the plan, so
# the token costs no helper run and no extra AWS call, and a key that does not exist yet has
# an unknown token rather than a call. The token:
#
# - "" while kms-import has not synced the key (no kms-import:drift tag: just created, or
#   made by an older version): the import step handles a new key anyway;
# - the tag's value while the key is as configured: the token recorded by the last apply,
#   so the trigger stays equal and the plan clean;
# - "what differs / seen TIME" otherwise: a new value, so the plan names the key and the
#   difference (exit 2), and apply re-runs the import, which heals the key and writes the
#   token into the tag. The next plan finds the key in sync and reads that token back. (The
#   tag is the memory Terraform lacks: a trigger recorded from a reading taken before the
#   heal would differ from every later one.)
#
# The token is a tag value: at most 256 characters of letters, digits, spaces and _ . : / =
# + - @ (the tag character set AWS services share).

locals {
  drift_tag = "kms-import:drift"

  # Label ("" for the key, the Region for each replica) => what the refresh read.
  readings = merge(
    { "" = { state = aws_kms_external_key.this.key_state, valid_to = aws_kms_external_key.this.valid_to } },
    { for region, replica in aws_kms_replica_external_key.this : region => { state = replica.key_state, valid_to = replica.valid_to } },
  )

  # valid_to compared as times, not strings: the provider formats KMS's time in the zone of
  # the machine running Terraform.
  differences = flatten([
    for label, reading in local.readings : [
      for what in(
        contains(["PendingDeletion", "PendingReplicaDeletion"], reading.state) ? [replace(lower(reading.state), "pending", "pending ")] :
        reading.state == "PendingImport" ? ["material missing"] :
        !contains(["Enabled", "Disabled"], reading.state) ? ["state ${reading.state}"] :
        concat(
          var.enabled == (reading.state == "Enabled") ? [] : [var.enabled ? "disabled" : "enabled"],
          (reading.valid_to == null) == (var.valid_to == null) && timecmp(coalesce(reading.valid_to, local.epoch), coalesce(var.valid_to, local.epoch)) == 0 ? [] : [
            "valid_to ${coalesce(reading.valid_to, "none")} configured ${coalesce(var.valid_to, "none")}"
          ],
        )
      ) : label == "" ? what : "${label}: ${what}"
    ]
  ])
  epoch = "1970-01-01T00:00:00Z"

  recorded_drift = try(aws_kms_external_key.this.tags[local.drift_tag], null)
  drift_seen     = " / seen ${formatdate("YYYY-MM-DD'T'hh:mm:ss'Z'", plantimestamp())}"
  drift_what     = join(" / ", local.differences)
  drift = (
    local.recorded_drift == null ? "" :
    length(local.differences) == 0 ? local.recorded_drift :
    length(local.drift_what) + length(local.drift_seen) <= 256 ? "${local.drift_what}${local.drift_seen}" :
    "${substr(local.drift_what, 0, 253 - length(local.drift_seen))}...${local.drift_seen}"
  )
}
