"""Key-state transitions for keys with imported material, judged on the add-on's clock.

moto's Key gets one extra attribute, `localaws`, an ImportRecord; symmetric and HMAC
material lives where moto keeps it (`key_material`), a private key in `record.keypair`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from localaws import clock
from localaws.kms.keypair import KeyPair
from localaws.kms.material import Material

EXTERNAL = "EXTERNAL"


@dataclass
class ImportRecord:
    """What KMS remembers about a key's imported material."""

    fingerprint: bytes | None = None  # of the first material ever imported; fixed for life
    expiration_model: str | None = None
    valid_to: datetime | None = None
    keypair: KeyPair | None = None
    has_material: bool = False


def record(key: Any) -> ImportRecord:
    rec = getattr(key, "localaws", None)
    if rec is None:
        rec = ImportRecord()
        key.localaws = rec
    return rec


def is_external(key: Any) -> bool:
    return getattr(key, "origin", None) == EXTERNAL


def start_pending_import(key: Any) -> None:
    """A new EXTERNAL key: no material, PendingImport, not enabled."""
    record(key)
    key.key_material = None
    key.key_state = "PendingImport"
    key.enabled = False


def install_material(key: Any, material: Material, model: str, valid_to: datetime | None) -> None:
    rec = record(key)
    if rec.fingerprint is None:
        rec.fingerprint = material.fingerprint()
    rec.has_material = True
    rec.expiration_model = model
    rec.valid_to = valid_to
    rec.keypair = material.keypair
    key.key_material = material.secret
    if key.key_state == "PendingImport":
        key.key_state = "Enabled"
        key.enabled = True


def remove_material(key: Any) -> None:
    """Material deleted or expired: unusable until the same material is imported again."""
    rec = record(key)
    rec.has_material = False
    rec.expiration_model = None
    rec.valid_to = None
    rec.keypair = None
    key.key_material = None
    if key.key_state in ("Enabled", "Disabled"):
        key.key_state = "PendingImport"
        key.enabled = False


def schedule_deletion(key: Any, days: int) -> datetime:
    when = clock.now() + timedelta(days=days)
    key.key_state = "PendingDeletion"
    key.enabled = False
    key.deletion_date = when.replace(tzinfo=None)  # moto's unix_time wants naive UTC
    return when


def cancel_deletion(key: Any) -> None:
    """KMS puts a cancelled key in Disabled, or PendingImport when it has no material."""
    key.deletion_date = None
    no_material = is_external(key) and not record(key).has_material
    key.key_state = "PendingImport" if no_material else "Disabled"
    key.enabled = False


def sweep(backend: Any) -> None:
    """Apply what the clock says has happened: material past ValidTo is gone, keys past
    their deletion date are deleted."""
    now = clock.now()
    for key in list(backend.keys.values()):
        if _deletion_due(key, now):
            backend.delete_key(key.id)
            continue
        rec = getattr(key, "localaws", None)
        if rec is not None and rec.has_material and _before(rec.valid_to, now):
            remove_material(key)


def _deletion_due(key: Any, now: datetime) -> bool:
    return key.key_state == "PendingDeletion" and _before(getattr(key, "deletion_date", None), now)


def _before(when: datetime | None, now: datetime) -> bool:
    if when is None:
        return False
    return (when if when.tzinfo else when.replace(tzinfo=UTC)) <= now
