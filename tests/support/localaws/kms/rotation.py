"""Which material an import, a rotation or a deletion acts on, and KMS's errors for each
(ImportType / KeyMaterialId / KeyMaterialDescription, RotateKeyOnDemand,
DeleteImportedKeyMaterial KeyMaterialId, ListKeyRotations IncludeKeyMaterial).

Error codes and messages marked "recorded" are AWS's answers as recorded against real KMS
(localstack's validated snapshots, tests/aws/services/kms/test_kms.snapshot.json, 2025-11);
the others follow the API reference's error lists where AWS's wording is not published.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from localaws import clock
from localaws.kms import lifecycle, specs
from localaws.kms.errors import (
    IncorrectKeyMaterialException,
    KMSInvalidStateException,
    LimitExceededException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from localaws.kms.material import Material
from localaws.kms.versions import (
    CURRENT,
    MAX_ON_DEMAND_ROTATIONS,
    NON_CURRENT,
    PENDING_ROTATION,
    MaterialVersion,
    material_id,
)

NEW = "NEW_KEY_MATERIAL"
EXISTING = "EXISTING_KEY_MATERIAL"
IMPORT_TYPES = (NEW, EXISTING)
ALL_KEY_MATERIAL = "ALL_KEY_MATERIAL"
ROTATIONS_ONLY = "ROTATIONS_ONLY"
INCLUDE_KEY_MATERIAL = (ALL_KEY_MATERIAL, ROTATIONS_ONLY)

_MATERIAL_ID = re.compile(r"^[a-f0-9]{64}$")
_DESCRIPTION = re.compile(r"^[a-zA-Z0-9:/_\s.-]+$")


# --- request checks (before any token or material is looked at) -------------------------


def check_import_request(
    key: Any, import_type: str | None, wanted_id: str | None, description: str | None
) -> None:
    if import_type is not None and import_type not in IMPORT_TYPES:
        raise _enum_error("importType", import_type, IMPORT_TYPES)
    if wanted_id is not None:
        check_material_id(wanted_id)
    if description is not None and (
        len(description) > 256 or (description and not _DESCRIPTION.match(description))
    ):
        raise ValidationException(
            "1 validation error detected: Value at 'keyMaterialDescription' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_\\s.-]+$ "
            "and have length less than or equal to 256"
        )
    if key.key_spec != specs.SYMMETRIC and (
        import_type is not None or wanted_id is not None or description is not None
    ):
        raise UnsupportedOperationException(
            "ImportType, KeyMaterialId and KeyMaterialDescription are only valid for "
            f"symmetric encryption keys; {key.arn} is {key.key_spec}."
        )
    if import_type == NEW and wanted_id is not None:
        raise ValidationException(
            "KeyMaterialId cannot be specified when ImportType is NEW_KEY_MATERIAL."
        )


def check_material_id(value: str) -> None:
    if not _MATERIAL_ID.match(value):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at 'keyMaterialId' failed to satisfy "
            "constraint: Member must have length 64 and match pattern ^[a-f0-9]+$"
        )


def _enum_error(field: str, value: str, allowed: tuple[str, ...]) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


# --- ImportKeyMaterial -------------------------------------------------------------------


def import_material(
    key: Any,
    new: Material,
    import_type: str | None,
    wanted_id: str | None,
    description: str | None,
    model: str,
    valid_to: datetime | None,
) -> MaterialVersion:
    """Associate (NEW) or re-import (EXISTING) material; returns the version it went to.

    ImportType defaults to NEW while the key has never had material, to EXISTING after."""
    rec = lifecycle.record(key)
    fingerprint = new.fingerprint()
    new_id = material_id(key.id, fingerprint)
    kind = import_type or (EXISTING if rec.versions else NEW)
    if kind == NEW:
        version = _new_version(key, new_id, fingerprint)
    else:
        version = _existing_version(key, new_id, fingerprint, wanted_id)
    version.load(new, model, valid_to, description)
    if version not in rec.versions:
        rec.versions.append(version)
    lifecycle.refresh(key)
    return version


def _new_version(key: Any, new_id: str, fingerprint: bytes) -> MaterialVersion:
    rec = lifecycle.record(key)
    if not rec.versions:
        return MaterialVersion(new_id, fingerprint, CURRENT)
    if getattr(key, "multi_region", False):
        # KMS: NEW into the primary, EXISTING into every replica, then rotate the primary
        # (PENDING_MULTI_REGION_IMPORT_AND_ROTATION). Not modelled here.
        raise UnsupportedOperationException(
            f"{key.arn}: rotating the imported material of multi-Region keys is not "
            "supported by the local KMS."
        )
    pending = rec.pending()
    if pending is not None:  # recorded
        raise KMSInvalidStateException(
            f"New key material (id: {new_id}) cannot be imported into KMS key {key.id}, "
            f"because another key material (id: {pending.id}) is pending rotation."
        )
    known = rec.by_fingerprint(fingerprint)
    if known is not None:
        raise IncorrectKeyMaterialException(
            f"Key material {known.id} is already associated with {key.arn}; import it with "
            "ImportType EXISTING_KEY_MATERIAL."
        )
    return MaterialVersion(new_id, fingerprint, PENDING_ROTATION)


def _existing_version(
    key: Any, new_id: str, fingerprint: bytes, wanted_id: str | None
) -> MaterialVersion:
    rec = lifecycle.record(key)
    if wanted_id is None:
        version = rec.by_fingerprint(fingerprint)
        if version is None:
            raise IncorrectKeyMaterialException(
                "The key material doesn't match any material previously imported into this key."
            )
        return version
    version = rec.by_id(wanted_id)
    if version is None:
        raise IncorrectKeyMaterialException(
            f"Key material {wanted_id} is not associated with {key.arn}."
        )
    if version.fingerprint != fingerprint:
        raise IncorrectKeyMaterialException(
            f"The key material (id: {new_id}) doesn't match the KeyMaterialId {wanted_id}."
        )
    return version


# --- RotateKeyOnDemand -------------------------------------------------------------------


def rotate_on_demand(key: Any) -> None:
    """Make the PENDING_ROTATION material current; the old current one stays for decryption."""
    rec = lifecycle.record(key)
    if getattr(key, "multi_region", False):
        raise UnsupportedOperationException(
            f"{key.arn}: on-demand rotation of multi-Region keys with imported material is not "
            "supported by the local KMS."
        )
    pending = rec.pending()
    if pending is None or not pending.imported:  # recorded
        raise KMSInvalidStateException(
            f"No available key material pending rotation for the key: {key.arn}."
        )
    if rec.rotations >= MAX_ON_DEMAND_ROTATIONS:  # recorded
        raise LimitExceededException(
            "The on-demand rotations limit has been reached for the given keyId. No more "
            f"on-demand rotations can be performed for this key: {key.arn}"
        )
    current = rec.current()
    if current is not None:
        current.state = NON_CURRENT
    pending.state, pending.rotation_date = CURRENT, clock.now()
    rec.rotations += 1
    lifecycle.refresh(key)


# --- DeleteImportedKeyMaterial -----------------------------------------------------------


def delete_material(key: Any, wanted_id: str | None) -> MaterialVersion | None:
    """Delete one material (the current one by default); None when there was nothing."""
    rec = lifecycle.record(key)
    if wanted_id is None:
        version = rec.current()
    else:
        check_material_id(wanted_id)
        if key.key_spec != specs.SYMMETRIC:
            raise UnsupportedOperationException(
                f"KeyMaterialId is only valid for symmetric encryption keys; {key.arn} is "
                f"{key.key_spec}."
            )
        version = rec.by_id(wanted_id)
        if version is None:
            raise NotFoundException(f"Key material {wanted_id} is not associated with {key.arn}.")
    if version is None or not version.imported:
        return version
    lifecycle.drop(key, version)
    return version


# --- ListKeyRotations --------------------------------------------------------------------


def rotation_entries(key: Any, include: str | None) -> list[dict[str, Any]]:
    include = include or ROTATIONS_ONLY
    if include not in INCLUDE_KEY_MATERIAL:
        raise _enum_error("includeKeyMaterial", include, INCLUDE_KEY_MATERIAL)
    if key.key_spec != specs.SYMMETRIC:
        raise UnsupportedOperationException(
            f"{key.arn} key spec {key.key_spec} does not support key rotation."
        )
    versions = lifecycle.record(key).versions
    if include == ROTATIONS_ONLY:
        versions = [v for v in versions if v.rotation_date is not None]
    return [_entry(key, v) for v in versions]


def _entry(key: Any, version: MaterialVersion) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "KeyId": key.id,
        "KeyMaterialId": version.id,
        "ImportState": "IMPORTED" if version.imported else "PENDING_IMPORT",
        "KeyMaterialState": version.state,
    }
    if version.description is not None:
        entry["KeyMaterialDescription"] = version.description
    if version.expiration_model is not None:
        entry["ExpirationModel"] = version.expiration_model
    if version.valid_to is not None:
        entry["ValidTo"] = version.valid_to.timestamp()
    if version.rotation_date is not None:
        entry["RotationDate"] = version.rotation_date.timestamp()
        entry["RotationType"] = "ON_DEMAND"
    return entry
