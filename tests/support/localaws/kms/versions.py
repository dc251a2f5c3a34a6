"""The key materials of one EXTERNAL key, as ListKeyRotations describes them.

A symmetric key can hold several materials: the first one, one per on-demand rotation, and at
most one imported for the next rotation (PENDING_ROTATION). CURRENT and NON_CURRENT materials
are permanently associated with the key; a PENDING_ROTATION one is not (it can be deleted and
replaced by different material). Asymmetric and HMAC keys only ever have their first material.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from localaws.kms.material import Material

CURRENT = "CURRENT"
NON_CURRENT = "NON_CURRENT"
PENDING_ROTATION = "PENDING_ROTATION"

# KMS allows this many on-demand rotations per key (the API reference's current figure).
MAX_ON_DEMAND_ROTATIONS = 25


def material_id(key_id: str, fingerprint: bytes) -> str:
    """KMS derives the KeyMaterialId from the key id and the material: 64 hex digits. A
    multi-Region replica shares its primary's key id, so one material has one id everywhere."""
    return hashlib.sha256(key_id.encode() + b"\0" + fingerprint).hexdigest()


@dataclass
class MaterialVersion:
    id: str
    fingerprint: bytes
    state: str
    material: Material | None = None  # None while not imported (deleted, expired, replica)
    expiration_model: str | None = None
    valid_to: datetime | None = None
    description: str | None = None
    rotation_date: datetime | None = None  # set when an on-demand rotation made it current

    @property
    def imported(self) -> bool:
        return self.material is not None

    @property
    def permanent(self) -> bool:
        return self.state != PENDING_ROTATION

    def load(
        self,
        material: Material,
        model: str,
        valid_to: datetime | None,
        description: str | None,
    ) -> None:
        self.material, self.expiration_model, self.valid_to = material, model, valid_to
        if description is not None:  # KMS keeps the last description when none is given
            self.description = description

    def unload(self) -> None:
        self.material, self.expiration_model, self.valid_to = None, None, None

    def unimported_copy(self) -> MaterialVersion:
        """The same material as a replica knows it before its own import."""
        return MaterialVersion(
            self.id,
            self.fingerprint,
            self.state,
            description=self.description,
            rotation_date=self.rotation_date,
        )


@dataclass
class ImportRecord:
    """What KMS remembers about a key's imported materials, oldest first."""

    versions: list[MaterialVersion] = field(default_factory=list)
    rotations: int = 0  # on-demand rotations performed

    def current(self) -> MaterialVersion | None:
        return next((v for v in self.versions if v.state == CURRENT), None)

    def pending(self) -> MaterialVersion | None:
        return next((v for v in self.versions if v.state == PENDING_ROTATION), None)

    def by_id(self, wanted: str) -> MaterialVersion | None:
        return next((v for v in self.versions if v.id == wanted), None)

    def by_fingerprint(self, fingerprint: bytes) -> MaterialVersion | None:
        return next((v for v in self.versions if v.fingerprint == fingerprint), None)

    @property
    def has_material(self) -> bool:
        """Usable: every permanently associated material is imported."""
        permanent = [v for v in self.versions if v.permanent]
        return bool(permanent) and all(v.imported for v in permanent)
