"""Key-state transitions for keys with imported material, judged on the add-on's clock.

moto's Key gets one extra attribute, `localaws`, an ImportRecord (versions.py) of its
materials; the current symmetric or HMAC material is also where moto keeps it
(`key_material`), so moto's own operations use it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from localaws import clock
from localaws.kms.versions import ImportRecord, MaterialVersion

EXTERNAL = "EXTERNAL"


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


def replica_record(primary: ImportRecord) -> ImportRecord:
    """A replica knows its primary's permanent materials but holds none of them yet."""
    return ImportRecord(versions=[v.unimported_copy() for v in primary.versions if v.permanent])


def refresh(key: Any) -> None:
    """Put the key's state and moto's `key_material` in line with its materials: usable
    only while every permanently associated material is imported."""
    rec = record(key)
    current = rec.current()
    if rec.has_material and current is not None and current.material is not None:
        key.key_material = current.material.secret
        if key.key_state == "PendingImport":
            key.key_state, key.enabled = "Enabled", True
        return
    key.key_material = None
    if key.key_state in ("Enabled", "Disabled"):
        key.key_state, key.enabled = "PendingImport", False


def drop(key: Any, version: MaterialVersion) -> None:
    """Material deleted or expired. Pending material is forgotten (different material may
    take its place); a permanent one waits for the same material to be imported again."""
    rec = record(key)
    if version.permanent:
        version.unload()
    else:
        rec.versions.remove(version)
    refresh(key)


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
        for version in list(rec.versions if rec is not None else ()):
            if version.imported and _before(version.valid_to, now):
                drop(key, version)


def _deletion_due(key: Any, now: datetime) -> bool:
    return key.key_state == "PendingDeletion" and _before(getattr(key, "deletion_date", None), now)


def _before(when: datetime | None, now: datetime) -> bool:
    if when is None:
        return False
    return (when if when.tzinfo else when.replace(tzinfo=UTC)) <= now
