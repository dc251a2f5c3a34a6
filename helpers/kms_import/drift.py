"""Drift: what a key (and its replicas) differs in from its configuration, read at plan time.

Terraform cannot see imported material, expiry or a key disabled by hand (the module keeps the
provider away from them), so the plan-time helper run reads each existing key and returns a
drift token per key, which the import step's triggers record:

- A key kms-import has not synced yet (no DRIFT_TAG: just created, or made by an older version)
  gets "": the import step runs for it anyway.
- A key in sync gets its DRIFT_TAG value: the token recorded by the last apply, so the
  triggers stay equal and the plan stays clean.
- A key that differs gets "what differs / seen TIME": a new token, so the triggers change, the
  plan shows it (exit 2) and apply re-runs the import, which heals the key and then writes the
  token into DRIFT_TAG. The next plan finds the key in sync, reads the same token back, and is
  clean again. (A trigger recorded from a pre-heal reading would otherwise differ from every
  later one: the tag is the memory Terraform does not have.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from .keys import DRIFT_TAG, KeyInfo
from .validto import format_utc

__all__ = ["DRIFT_TAG", "Wanted", "differences", "token"]
_GONE = ("PendingDeletion", "PendingReplicaDeletion")
# The token is a tag value: at most 256 characters, and only letters, digits, spaces and
# _ . : / = + - @ (the tag character set AWS services share), so no parentheses or commas.
MAX_TAG_VALUE = 256


@dataclass(frozen=True)
class Wanted:
    """What the configuration asks of a key."""

    enabled: bool
    valid_to: datetime | None


def differences(key: KeyInfo, wanted: Wanted) -> list[str]:
    """What the key differs in, each a few words; empty when it is as configured."""
    if key.state in _GONE:
        return [f"{key.state.lower().replace('pending', 'pending ')}"]
    if not key.has_material:
        return ["material missing" if key.state == "PendingImport" else f"state {key.state}"]
    found = []
    if wanted.enabled != (key.state == "Enabled"):
        found.append("disabled" if wanted.enabled else "enabled")
    actual = format_utc(key.valid_to) if key.valid_to else None
    desired = format_utc(wanted.valid_to) if wanted.valid_to else None
    if actual != desired:
        found.append(f"valid_to {actual or 'none'} configured {desired or 'none'}")
    return found


def token(readings: dict[str, KeyInfo], wanted: Wanted, now: datetime | None = None) -> str:
    """The drift token of one configured key: `readings` maps a label ("" for the primary, a
    Region for each replica) to what KMS says of that key (keys.describe, tags read)."""
    recorded = readings[""].recorded_drift
    if recorded is None:
        return ""  # never synced by kms-import: the import step handles it regardless
    found = [
        f"{label}: {what}" if label else what
        for label, key in sorted(readings.items())
        for what in differences(key, wanted)
    ]
    if not found:
        return recorded
    seen = f" / seen {format_utc(now or datetime.now(UTC))}"
    what = " / ".join(found)
    if len(what) + len(seen) > MAX_TAG_VALUE:  # many replicas: the start names the first ones
        what = what[: MAX_TAG_VALUE - len(seen) - 3] + "..."
    return what + seen
