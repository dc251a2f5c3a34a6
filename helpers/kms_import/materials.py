"""The materials of one symmetric EXTERNAL key, as ListKeyRotations describes them.

A symmetric key with imported material can hold several: the first one, one per on-demand
rotation (NON_CURRENT once superseded) and at most one PENDING_ROTATION. kms-import writes
`kms-import rotation N <fingerprint>` into the KeyMaterialDescription of every material it
rotates in, so the entry of material_rotations each belongs to is known without the material.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import aws
from .validto import format_utc

SYMMETRIC = "SYMMETRIC_DEFAULT"
PENDING_ROTATION = "PENDING_ROTATION"
_DESCRIPTION = re.compile(r"^kms-import rotation (\d+) (\S+)$")


@dataclass(frozen=True)
class MaterialEntry:
    """One ListKeyRotations(IncludeKeyMaterial=ALL_KEY_MATERIAL) entry."""

    material_id: str
    state: str  # CURRENT, NON_CURRENT, PENDING_ROTATION, ...
    imported: bool
    expiration_model: str | None
    valid_to: datetime | None
    rotated: bool  # RotationDate present: made current by a rotation
    description: str | None

    @property
    def recorded(self) -> tuple[int, str] | None:
        """(entry number from 1, fingerprint) when kms-import rotated this material in."""
        match = _DESCRIPTION.match(self.description or "")
        return (int(match.group(1)), match.group(2)) if match else None


def description(number: int, fingerprint: str) -> str:
    return f"kms-import rotation {number} {fingerprint}"


def list_materials(kms: Any, key_arn: str) -> list[MaterialEntry]:
    """Every material of the key, oldest first (ListKeyRotations with ALL_KEY_MATERIAL)."""
    try:
        pages = kms.get_paginator("list_key_rotations").paginate(
            KeyId=key_arn, IncludeKeyMaterial="ALL_KEY_MATERIAL"
        )
        return [_entry(item) for page in pages for item in page.get("Rotations", [])]
    except Exception as exc:
        raise aws.translate(exc, "ListKeyRotations") from None


def _entry(item: dict[str, Any]) -> MaterialEntry:
    return MaterialEntry(
        material_id=str(item.get("KeyMaterialId", "")),
        state=str(item.get("KeyMaterialState", "")),
        imported=item.get("ImportState") == "IMPORTED",
        expiration_model=item.get("ExpirationModel"),
        valid_to=item.get("ValidTo"),
        rotated="RotationDate" in item,
        description=item.get("KeyMaterialDescription"),
    )


def first_material(materials: list[MaterialEntry]) -> MaterialEntry | None:
    """The material the key was created for: never rotated in, never pending."""
    return next(
        (
            m
            for m in materials
            if not m.rotated and m.state != PENDING_ROTATION and m.recorded is None
        ),
        None,
    )


def holds(entry: MaterialEntry, expiration_model: str, valid_to: datetime | None) -> bool:
    """The material is imported with this expiry."""
    if not entry.imported or entry.expiration_model != expiration_model:
        return False
    if valid_to is None:
        return True
    return entry.valid_to is not None and format_utc(entry.valid_to) == format_utc(valid_to)
