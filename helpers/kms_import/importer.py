"""The import step Terraform runs: params -> material -> check -> wrap -> import -> prove.

Idempotent: a key that already holds this material with the requested expiry is not
re-imported; it is only proven and brought to the requested enabled state.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from . import aws, keys, materials, verify, wrapping
from .errors import AwsError, FingerprintMismatch, KeyStateError
from .keys import KeyInfo
from .keyspecs import KeySpec, key_spec
from .material import KeyMaterial
from .sources import open_source
from .validto import format_utc, require_future

log = logging.getLogger("kms-import")


@dataclass(frozen=True)
class ImportRequest:
    key_id: str
    source: str
    wrapping_algorithm: str | None = None
    wrapping_key_spec: str = "RSA_3072"
    valid_to: datetime | None = None
    expect_fingerprint: str | None = None
    enabled: bool = True
    region: str | None = None
    # The key also holds material rotated in on demand (a generation's material_rotations):
    # judge and re-import the first material by its own KeyMaterialId, not by the key's
    # (current) expiry, and leave the proof to the rotation step while those are missing.
    with_rotations: bool = False
    # What the caller (the Terraform module) expects the key to be; None: whatever it is.
    key_spec: str | None = None
    key_usage: str | None = None
    # A key without the fingerprint tag (Terraform sets it only from a recorded fingerprint)
    # is tagged with the source's fingerprint after the checks, before any ImportKeyMaterial.
    tag_if_untagged: bool = False
    # The drift token to record in DRIFT_TAG (import-keys); written in the same TagResource
    # as the fingerprint when the key is untagged. None: leave the tag alone.
    drift: str | None = None

    @property
    def expiration_model(self) -> str:
        return "KEY_MATERIAL_EXPIRES" if self.valid_to else "KEY_MATERIAL_DOES_NOT_EXPIRE"


@dataclass(frozen=True)
class ImportOutcome:
    key_id: str
    fingerprint: str
    imported: bool
    proof: str
    state: str
    # The key's DRIFT_TAG after run_import (which writes it only along with the fingerprint).
    recorded_drift: str | None = None


def run_import(
    request: ImportRequest, kms: Any = None, key: KeyInfo | None = None
) -> ImportOutcome:
    """`key`: what DescribeKey (with tags) said about request.key_id just now, if the caller
    asked already (import-keys does, to judge whether the key is up to date)."""
    kms = kms or aws.kms_client(request.key_id, request.region)
    key = key or keys.describe(kms, request.key_id, wait_for_new_key=True)
    key = _with_primary_fingerprint(key)
    _check_key(key)
    _check_kind(key, request)
    spec = key_spec(key.key_spec)
    if request.wrapping_algorithm:
        wrapping.check_combination(spec, request.wrapping_algorithm, request.wrapping_key_spec)
    if request.valid_to:
        require_future(request.valid_to)
    first = _first_material(kms, key) if request.with_rotations else None
    source = open_source(request.source)
    with source.read(spec) as material:
        fp = _check_fingerprint(request, key, spec, material)
        key = _tag_if_untagged(kms, key, fp, request)
        drift = key.recorded_drift  # later reads skip the tags
        imported = not (
            holds(key, request)
            if first is None
            else materials.holds(first, request.expiration_model, request.valid_to)
        )
        if imported:
            extra = (
                {"ImportType": "EXISTING_KEY_MATERIAL", "KeyMaterialId": first.material_id}
                if first is not None
                else {}
            )
            import_material(kms, key, material, spec, request, extra)
            key = _imported(key)
        else:
            log.info(
                "%s: already holds this material with this expiry; not re-imported", key.key_id
            )
        if first is not None and _rotated_material_missing(kms, key):
            log.info(
                "%s: rotated material is missing too; the rotation step re-imports and proves it",
                key.key_id,
            )
            key = keys.describe(kms, key.arn, tags=False)
            return ImportOutcome(
                key.key_id, fp, imported, "proof left to the rotation step", key.state, drift
            )
        try:
            key, proof = _enable_and_prove(kms, key, spec, material, request)
        except AwsError:
            if not imported:
                raise
            # KMS is eventually consistent: just after the import the key may still read
            # PendingImport. Only then wait for it (DescribeKey polls) and try once more.
            key = keys.wait_for_material(kms, key.arn)
            key, proof = _enable_and_prove(kms, key, spec, material, request)
    log.info("%s: verified: %s", key.key_id, proof)
    if not request.enabled:
        key = set_enabled(kms, key, False)
    return ImportOutcome(key.key_id, fp, imported, proof, key.state, drift)


def import_material(
    kms: Any,
    key: KeyInfo,
    material: KeyMaterial,
    spec: KeySpec,
    request: ImportRequest,
    extra: dict[str, Any] | None = None,
) -> None:
    """Wrap and import `material` into `key`, saying so; `extra` adds ImportType,
    KeyMaterialId and KeyMaterialDescription for keys with several materials."""
    algorithm = choose_wrapping(spec, request, material)
    log.info(
        "%s: importing material (%s, %s, %s)",
        key.key_id,
        algorithm,
        request.wrapping_key_spec,
        _expiry_text(request),
    )
    wrap_and_import(kms, key, material, algorithm, request, extra or {})


def choose_wrapping(spec: KeySpec, request: ImportRequest, material: KeyMaterial) -> str:
    """The wrapping algorithm for this import, refused up front if it cannot carry it."""
    algorithm = wrapping.choose_algorithm(
        spec, request.wrapping_algorithm, material.wrapping_algorithms, material.description
    )
    wrapping.check_combination(spec, algorithm, request.wrapping_key_spec, material.size)
    return algorithm


def _first_material(kms: Any, key: KeyInfo) -> materials.MaterialEntry | None:
    if key.key_spec != materials.SYMMETRIC:
        return None  # refused by the rotation step; the first import works as for any key
    return materials.first_material(materials.list_materials(kms, key.arn))


def _rotated_material_missing(kms: Any, key: KeyInfo) -> bool:
    """Some material rotated in earlier is not imported (deleted or expired): the key stays
    PendingImport until the rotation step imports it again."""
    return any(
        m.recorded is not None and m.state != materials.PENDING_ROTATION and not m.imported
        for m in materials.list_materials(kms, key.arn)
    )


def _imported(key: KeyInfo) -> KeyInfo:
    """The key as a successful ImportKeyMaterial leaves it: a PendingImport key becomes
    Enabled; a key that had material keeps its state. No DescribeKey poll: the proof's Encrypt
    shows the material is in place, and a failure there falls back to waiting."""
    return replace(key, state="Enabled") if key.state == "PendingImport" else key


def _enable_and_prove(
    kms: Any, key: KeyInfo, spec: KeySpec, material: KeyMaterial, request: ImportRequest
) -> tuple[KeyInfo, str]:
    key = set_enabled(kms, key, True) if request.enabled else key
    proof = (
        verify.prove(kms, key, spec, material)
        if key.state == "Enabled"
        else "not proven: the key is disabled"
    )
    return key, proof


def _with_primary_fingerprint(key: KeyInfo) -> KeyInfo:
    """A replica's tags are its own: the module tags each replica, but one made another way
    (or whose tags cannot be read) falls back to its primary's record, so other material is
    refused in every Region before any ImportKeyMaterial call."""
    if key.recorded_fingerprint or not key.primary_arn:
        return key
    primary = keys.describe(aws.kms_client(key.primary_arn), key.primary_arn)
    if primary.recorded_fingerprint:
        log.info("%s: replica has no fingerprint tag; using its primary's", key.arn)
    return replace(key, recorded_fingerprint=primary.recorded_fingerprint)


def _check_key(key: KeyInfo) -> None:
    if key.origin != "EXTERNAL":
        raise KeyStateError(
            f"key {key.key_id} has origin {key.origin}, not EXTERNAL",
            "only keys created for imported material (aws_kms_external_key) take material",
        )
    if key.state == "PendingDeletion":
        raise KeyStateError(
            f"key {key.key_id} is pending deletion",
            "cancel the deletion first (`make cancel-deletion KEY=...`)",
        )
    if key.state not in ("PendingImport", "Enabled", "Disabled"):
        raise KeyStateError(
            f"key {key.key_id} is {key.state}", "wait until it is ready and run again"
        )


def _check_kind(key: KeyInfo, request: ImportRequest) -> None:
    """Refuse a key whose spec or usage is not the configured one: neither can ever change,
    and the module cannot see the key's spec (the provider does not read it back)."""
    for what, wanted, actual in (
        ("key spec", request.key_spec, key.key_spec),
        ("key usage", request.key_usage, key.key_usage),
    ):
        if wanted and wanted != actual:
            raise KeyStateError(
                f"key {key.key_id} has {what} {actual}, but {wanted} was asked for",
                f"a key's {what} can never change: set it back to {actual}, or add a new "
                f"generation with {wanted} and rotate to it",
            )


def _check_fingerprint(
    request: ImportRequest, key: KeyInfo, spec: KeySpec, material: KeyMaterial
) -> str:
    fp = material.fingerprint(spec)
    if request.expect_fingerprint and fp != request.expect_fingerprint:
        raise FingerprintMismatch(
            f"the material from {request.source} has fingerprint {fp}, but Terraform planned "
            f"with {request.expect_fingerprint}",
            "point material_source back at the material its material_fingerprint names; if "
            "the material changed since the plan, run terraform plan and apply again",
        )
    if key.recorded_fingerprint and fp != key.recorded_fingerprint:
        raise FingerprintMismatch(
            f"key {key.key_id} was made for material {key.recorded_fingerprint}, but "
            f"{request.source} holds {fp}",
            "a key's material can never change: point the source back at the original "
            "material (its escrow), or rotate to a new generation for new material",
        )
    return fp


def _tag_if_untagged(kms: Any, key: KeyInfo, fp: str, request: ImportRequest) -> KeyInfo:
    if key.recorded_fingerprint or not request.tag_if_untagged:
        return key
    tags = {keys.FINGERPRINT_TAG: fp}
    if request.drift is not None and key.recorded_drift != request.drift:
        tags[keys.DRIFT_TAG] = request.drift
    keys.tag(kms, key, tags)
    log.info("%s: tagged %s %s", key.key_id, keys.FINGERPRINT_TAG, fp)
    return replace(
        key, recorded_fingerprint=fp, recorded_drift=tags.get(keys.DRIFT_TAG, key.recorded_drift)
    )


def holds(key: KeyInfo, request: ImportRequest) -> bool:
    """True when the key has material already and its expiry is the requested one."""
    if not key.has_material or key.expiration_model != request.expiration_model:
        return False
    if request.valid_to is None:
        return True
    return key.valid_to is not None and format_utc(key.valid_to) == format_utc(request.valid_to)


def _expiry_text(request: ImportRequest) -> str:
    if request.valid_to:
        return f"expires {format_utc(request.valid_to)}"
    return "does not expire"


def wrap_and_import(
    kms: Any,
    key: KeyInfo,
    material: KeyMaterial,
    algorithm: str,
    request: ImportRequest,
    extra: dict[str, Any],
) -> None:
    # One retry with fresh parameters covers a token that expired since it was fetched.
    for attempt in (1, 2):
        params = aws.call_when_propagated(
            "GetParametersForImport",
            kms.get_parameters_for_import,
            KeyId=key.arn,
            WrappingAlgorithm=algorithm,
            WrappingKeySpec=request.wrapping_key_spec,
        )
        args: dict[str, Any] = {
            "KeyId": key.arn,
            "ImportToken": params["ImportToken"],
            "EncryptedKeyMaterial": material.wrap(params["PublicKey"], algorithm),
            "ExpirationModel": request.expiration_model,
        }
        if request.valid_to:
            args["ValidTo"] = request.valid_to
        args.update(extra)
        try:
            kms.import_key_material(**args)
            return
        except Exception as exc:
            if aws.error_code(exc) == "ExpiredImportTokenException" and attempt == 1:
                log.info("%s: import token expired; fetching new parameters", key.key_id)
                continue
            raise aws.translate(exc, "ImportKeyMaterial") from None
        finally:
            args.clear()  # drop the wrapped material as soon as it is sent


def set_enabled(kms: Any, key: KeyInfo, enabled: bool) -> KeyInfo:
    if enabled and key.state == "Disabled":
        aws.call("EnableKey", kms.enable_key, KeyId=key.arn)
        log.info("%s: enabled", key.key_id)
        return replace(key, state="Enabled")
    if not enabled and key.state == "Enabled":
        aws.call("DisableKey", kms.disable_key, KeyId=key.arn)
        log.info("%s: disabled as requested", key.key_id)
        return replace(key, state="Disabled")
    return key
