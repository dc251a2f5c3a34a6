"""What KMS says about one key, in the shape the import and status steps need."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import aws
from .errors import KeyStateError

# The module writes the material's fingerprint on the key under this tag when it creates the
# key; it records which material the key was made for, so a different one is refused before
# any ImportKeyMaterial call.
FINGERPRINT_TAG = "kms-import:fingerprint"
# The import run writes the drift token it healed (or "" once it has synced a key) under this
# tag: the memory that keeps the next plan clean (see modules/external-keys/key/drift.tf).
DRIFT_TAG = "kms-import:drift"
HAS_MATERIAL = ("Enabled", "Disabled")
# KMS is eventually consistent: a key may still read PendingImport just after an import.
MATERIAL_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    arn: str
    state: str
    key_spec: str
    key_usage: str
    origin: str
    expiration_model: str | None
    valid_to: datetime | None
    multi_region: bool
    deletion_date: datetime | None
    recorded_fingerprint: str | None
    # The material Encrypt uses (symmetric keys; changes with each on-demand rotation).
    current_material_id: str | None = None
    # A multi-Region primary's replicas (their ARNs), as DescribeKey lists them.
    replica_arns: tuple[str, ...] = ()
    # A multi-Region replica's primary (its ARN); None for any other key.
    primary_arn: str | None = None
    # DRIFT_TAG's value; None when the key has no such tag (or tags were not read).
    recorded_drift: str | None = None

    @property
    def has_material(self) -> bool:
        return self.state in HAS_MATERIAL

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]


def describe(
    kms: Any, key_id: str, *, wait_for_new_key: bool = False, tags: bool = True
) -> KeyInfo:
    """DescribeKey (+ ListResourceTags unless `tags` is False; then recorded_fingerprint is
    None, so pass False only where the fingerprint was already checked)."""
    # Only a key ARN may name a key too new to be visible; anything else fails at once.
    waits = wait_for_new_key and aws.is_key_arn(key_id)
    call = aws.call_when_propagated if waits else aws.call
    meta = call("DescribeKey", kms.describe_key, KeyId=key_id)["KeyMetadata"]
    found = _tags(kms, meta["KeyId"]) if tags else {}
    return KeyInfo(
        key_id=meta["KeyId"],
        arn=meta["Arn"],
        state=meta["KeyState"],
        key_spec=meta.get("KeySpec", "SYMMETRIC_DEFAULT"),
        key_usage=meta.get("KeyUsage", "ENCRYPT_DECRYPT"),
        origin=meta.get("Origin", ""),
        expiration_model=meta.get("ExpirationModel"),
        valid_to=meta.get("ValidTo"),
        multi_region=bool(meta.get("MultiRegion")),
        deletion_date=meta.get("DeletionDate"),
        recorded_fingerprint=found.get(FINGERPRINT_TAG),
        current_material_id=meta.get("CurrentKeyMaterialId"),
        replica_arns=_replica_arns(meta),
        primary_arn=_primary_arn(meta),
        recorded_drift=found.get(DRIFT_TAG),
    )


def _primary_arn(meta: dict[str, Any]) -> str | None:
    config = meta.get("MultiRegionConfiguration") or {}
    if config.get("MultiRegionKeyType") != "REPLICA":
        return None
    arn = (config.get("PrimaryKey") or {}).get("Arn")
    return str(arn) if arn else None


def _replica_arns(meta: dict[str, Any]) -> tuple[str, ...]:
    config = meta.get("MultiRegionConfiguration") or {}
    if config.get("MultiRegionKeyType") != "PRIMARY":
        return ()
    return tuple(replica["Arn"] for replica in config.get("ReplicaKeys", []) if "Arn" in replica)


def wait_for_material(kms: Any, key_id: str) -> KeyInfo:
    """DescribeKey until the key holds material (Enabled or Disabled), with backoff.

    Tags are not read again (callers checked the fingerprint before importing), which saves
    one ListResourceTags per poll; the result's recorded_fingerprint is None."""
    deadline = time.monotonic() + MATERIAL_TIMEOUT_S
    delay = 0.1
    while True:
        key = describe(kms, key_id, tags=False)
        if key.has_material:
            return key
        if time.monotonic() > deadline:
            raise KeyStateError(
                f"key {key.key_id} is still {key.state} {MATERIAL_TIMEOUT_S:.0f} s after import",
                "check it with `kms-import status` and run the import again",
            )
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def tag_fingerprint(kms: Any, key: KeyInfo, fingerprint: str) -> None:
    """Record on the key which material it is for (FINGERPRINT_TAG)."""
    tag(kms, key, {FINGERPRINT_TAG: fingerprint})


def tag(kms: Any, key: KeyInfo, tags: dict[str, str]) -> None:
    """One TagResource writing `tags` (say the fingerprint and the drift token together)."""
    aws.call(
        "TagResource",
        kms.tag_resource,
        KeyId=key.arn,
        Tags=[{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())],
    )


def aliases(kms: Any, key_id: str) -> list[str]:
    pages = kms.get_paginator("list_aliases").paginate(KeyId=key_id)
    try:
        return [alias["AliasName"] for page in pages for alias in page.get("Aliases", [])]
    except Exception as exc:
        raise aws.translate(exc, "ListAliases") from None


def _tags(kms: Any, key_id: str) -> dict[str, str]:
    try:
        pages = kms.get_paginator("list_resource_tags").paginate(KeyId=key_id)
        return {t["TagKey"]: t["TagValue"] for page in pages for t in page.get("Tags", [])}
    except Exception as exc:
        if aws.error_code(exc) == "AccessDeniedException":
            return {}  # tags are a safety net, not a requirement: KMS still guards re-imports
        raise aws.translate(exc, "ListResourceTags") from None
