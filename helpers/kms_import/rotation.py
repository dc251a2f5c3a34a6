"""On-demand rotation of imported material: the same key, new material, old data readable.

For each entry of a generation's `material_rotations`, in order: import the material as
ImportType=NEW_KEY_MATERIAL (state PENDING_ROTATION), then RotateKeyOnDemand so it becomes
the CURRENT material; prove that Encrypt now uses it and that a ciphertext made before still
decrypts. KMS allows this for symmetric encryption keys only, not for multi-Region keys here.

Each rotated material carries its fingerprint in its KeyMaterialDescription
(`kms-import rotation N <fingerprint>`), so a re-run recognises what is done, re-imports a
material only when it is missing or its expiry changed (EXISTING_KEY_MATERIAL with its
KeyMaterialId), and refuses different material under an entry before any ImportKeyMaterial.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import aws, keys, verify
from .errors import FingerprintMismatch, KeyStateError, UsageError, VerificationError
from .fingerprint import fingerprint_of
from .importer import ImportRequest, import_material, set_enabled
from .keys import KeyInfo
from .keyspecs import PROOF_ENCRYPTION_CONTEXT, key_spec
from .materials import (
    PENDING_ROTATION,
    SYMMETRIC,
    MaterialEntry,
    description,
    first_material,
    holds,
    list_materials,
)
from .sources import open_source
from .validto import require_future

log = logging.getLogger("kms-import")

# KMS allows 25 on-demand rotations per key.
MAX_ROTATIONS = 25
# KMS is eventually consistent: DescribeKey may name the old material just after a rotation.
CURRENT_TIMEOUT_S = 60.0


def check_rotatable(key: KeyInfo) -> None:
    """Refuse, before reading any material, a key KMS cannot rotate on demand."""
    if key.origin != "EXTERNAL":
        raise KeyStateError(
            f"key {key.key_id} has origin {key.origin}, not EXTERNAL",
            "material_rotations is for keys created for imported material",
        )
    if key.key_spec != SYMMETRIC:
        raise KeyStateError(
            f"key {key.key_id} is {key.key_spec}: KMS rotates imported material on demand only "
            "for SYMMETRIC_DEFAULT keys",
            "remove material_rotations from this generation; rotate it with a new generation "
            "(`make rotate`)",
        )
    if key.multi_region:
        raise KeyStateError(
            f"key {key.key_id} is a multi-Region key; kms-import does not rotate their "
            "material on demand (every replica must import it first)",
            "rotate with a new generation (`make rotate`)",
        )
    if key.state not in ("Enabled", "Disabled", "PendingImport"):
        raise KeyStateError(
            f"key {key.key_id} is {key.state}", "wait until it is ready and run again"
        )


@dataclass(frozen=True)
class RotationRequest:
    key_id: str
    sources: tuple[str, ...]
    expect_fingerprints: tuple[str | None, ...]
    wrapping_algorithm: str | None = None
    wrapping_key_spec: str = "RSA_3072"
    valid_to: datetime | None = None
    enabled: bool = True
    region: str | None = None

    @property
    def expiration_model(self) -> str:
        return "KEY_MATERIAL_EXPIRES" if self.valid_to else "KEY_MATERIAL_DOES_NOT_EXPIRE"

    def import_request(self, source: str, fingerprint: str) -> ImportRequest:
        return ImportRequest(
            key_id=self.key_id,
            source=source,
            wrapping_algorithm=self.wrapping_algorithm,
            wrapping_key_spec=self.wrapping_key_spec,
            valid_to=self.valid_to,
            expect_fingerprint=fingerprint,
            enabled=self.enabled,
            region=self.region,
        )


@dataclass(frozen=True)
class RotationOutcome:
    key_id: str
    rotated: int  # rotations performed in this run
    reimported: int  # rotated materials imported again (missing, or a new expiry)
    current_fingerprint: str
    proof: str
    state: str


@dataclass(frozen=True)
class _Step:
    number: int
    source: str
    fingerprint: str
    entry: MaterialEntry | None  # None: not rotated in yet


def run_rotations(request: RotationRequest, kms: Any = None) -> RotationOutcome:
    if not request.sources:
        raise UsageError("no material to rotate in", "pass --source at least once")
    if len(request.expect_fingerprints) != len(request.sources):
        raise UsageError(
            "--expect-fingerprint must be given once per --source, in the same order",
            "pass both for every material",
        )
    if len(request.sources) > MAX_ROTATIONS:
        raise UsageError(
            f"{len(request.sources)} rotations asked; KMS allows {MAX_ROTATIONS} per key",
            "rotate to a new generation (`make rotate`) instead",
        )
    kms = kms or aws.kms_client(request.key_id, request.region)
    key = keys.describe(kms, request.key_id, wait_for_new_key=True)
    check_rotatable(key)
    if request.valid_to:
        require_future(request.valid_to)
    steps = _plan(request, key, list_materials(kms, key.arn))
    done = [_apply_step(kms, key, step, request) for step in steps]
    key = keys.describe(kms, key.arn, tags=False)
    if request.enabled:
        key = set_enabled(kms, key, True)
    proof = _final_proof(kms, key)
    if not request.enabled:
        key = set_enabled(kms, key, False)
    return RotationOutcome(
        key.key_id,
        done.count("rotated"),
        done.count("reimported"),
        steps[-1].fingerprint,
        proof,
        key.state,
    )


def all_done(
    materials: list[MaterialEntry], fingerprints: list[str], request: RotationRequest
) -> bool:
    """Every entry is rotated in (in order, with these fingerprints) and imported with the
    requested expiry, the last one is current, and the key holds no other material; reads
    nothing but `materials` (ListKeyRotations), so an up-to-date key costs no source read."""
    first = first_material(materials)
    rotated = {m.recorded: m for m in materials if m.recorded is not None}
    wanted = [(n, fp) for n, fp in enumerate(fingerprints, start=1)]
    if first is None or len(materials) != 1 + len(wanted) or set(rotated) != set(wanted):
        return False
    if not all(
        holds(m, request.expiration_model, request.valid_to) and m.state != PENDING_ROTATION
        for m in (first, *rotated.values())
    ):
        return False
    return not wanted or rotated[wanted[-1]].state == "CURRENT"


def _apply_step(kms: Any, key: KeyInfo, step: _Step, request: RotationRequest) -> str:
    """Bring one entry's material into place: "rotated", "reimported" or "held"."""
    held = step.entry is not None and holds(step.entry, request.expiration_model, request.valid_to)
    if step.entry is not None and step.entry.state != PENDING_ROTATION:
        if held:
            return "held"
        _reimport(kms, key, step, request)
        return "reimported"
    if not held:
        _import_new(kms, key, step, request)
    key = keys.describe(kms, key.arn, tags=False)
    if key.state == "Disabled":
        key = set_enabled(kms, key, True)  # KMS rotates enabled keys only
    _rotate_and_prove(kms, key, step)
    return "rotated"


def _plan(request: RotationRequest, key: KeyInfo, materials: list[MaterialEntry]) -> list[_Step]:
    """Every check that needs no import, before any import: fingerprints, order, foreign
    material. Reads each source once for its fingerprint (generate: escrows it here)."""
    if first_material(materials) is None:
        # ImportType NEW into a key that never had material would make it the FIRST material.
        raise KeyStateError(
            f"key {key.key_id} has no material of its own yet, so there is nothing to rotate from",
            "import its material_source first (the import step, `make reimport`), then apply again",
        )
    recorded: dict[int, tuple[MaterialEntry, str]] = {
        r[0]: (m, r[1]) for m in materials if (r := m.recorded) is not None
    }
    foreign = [m for m in materials if m.recorded is None and m is not first_material(materials)]
    if foreign:
        raise KeyStateError(
            f"key {key.key_id} holds material {foreign[0].material_id} "
            f"({foreign[0].state}) that kms-import did not rotate in",
            "delete pending material with `aws kms delete-imported-key-material --key-id ... "
            "--key-material-id ...`, or manage this key's rotations by hand",
        )
    extra = sorted(n for n in recorded if n > len(request.sources))
    if extra:
        _, fp = recorded[extra[0]]
        raise FingerprintMismatch(
            f"key {key.key_id} holds rotated material {extra[0]} ({fp}), but "
            f"material_rotations has only {len(request.sources)} entries",
            "material cannot be taken back from a key: put the entry back (its source is in "
            "the escrow); rotate to a new generation to retire it",
        )
    steps: list[_Step] = []
    seen = {key.recorded_fingerprint} if key.recorded_fingerprint else set()
    for number, (source, expected) in enumerate(
        zip(request.sources, request.expect_fingerprints, strict=True), start=1
    ):
        fp = fingerprint_of(source, SYMMETRIC)
        if expected and fp != expected:
            raise FingerprintMismatch(
                f"rotation {number}: the material from {source} has fingerprint {fp}, but "
                f"Terraform planned with {expected}",
                "the material changed since the plan: run terraform plan and apply again",
            )
        known = recorded.get(number)
        entry = known[0] if known else None
        if known is not None and known[1] != fp:
            raise FingerprintMismatch(
                f"key {key.key_id} rotated in material {known[1]} as rotation {number}, but "
                f"{source} holds {fp}",
                "a key's materials never change: point the entry back at its original "
                "material (its escrow), and append new material as a new entry",
            )
        if fp in seen:
            raise FingerprintMismatch(
                f"rotation {number}: {source} holds material {fp}, which this key already has",
                "each rotation needs new material (`make rotate-material` makes some)",
            )
        seen.add(fp)
        steps.append(_Step(number, source, fp, entry))
    return steps


def _reimport(kms: Any, key: KeyInfo, step: _Step, request: RotationRequest) -> None:
    assert step.entry is not None
    log.info("%s: re-importing rotated material %d (%s)", key.key_id, step.number, step.fingerprint)
    extra = {"ImportType": "EXISTING_KEY_MATERIAL", "KeyMaterialId": step.entry.material_id}
    _import(kms, key, step, request, extra)


def _import_new(kms: Any, key: KeyInfo, step: _Step, request: RotationRequest) -> None:
    log.info(
        "%s: importing new material %d (%s) for on-demand rotation",
        key.key_id,
        step.number,
        step.fingerprint,
    )
    extra: dict[str, Any] = {"ImportType": "NEW_KEY_MATERIAL"}
    if step.entry is not None:  # pending already (an earlier run stopped before rotating)
        extra = {"ImportType": "EXISTING_KEY_MATERIAL", "KeyMaterialId": step.entry.material_id}
    _import(kms, key, step, request, extra)


def _import(
    kms: Any, key: KeyInfo, step: _Step, request: RotationRequest, extra: dict[str, Any]
) -> None:
    extra["KeyMaterialDescription"] = description(step.number, step.fingerprint)
    spec = key_spec(SYMMETRIC)
    sub = request.import_request(step.source, step.fingerprint)
    with open_source(step.source).read(spec) as material:
        if material.fingerprint(spec) != step.fingerprint:
            raise FingerprintMismatch(
                f"rotation {step.number}: {step.source} changed while it was being imported",
                "run the apply again",
            )
        import_material(kms, key, material, spec, sub, extra)


def _rotate_and_prove(kms: Any, key: KeyInfo, step: _Step) -> None:
    """RotateKeyOnDemand, then: DescribeKey names the new material, Encrypt uses it, and a
    ciphertext made just before still decrypts. All with the proofs' fixed encryption context,
    the only one the importer policy allows."""
    context = {"EncryptionContext": PROOF_ENCRYPTION_CONTEXT}
    before_plain = secrets.token_bytes(32)
    before = aws.call("Encrypt", kms.encrypt, KeyId=key.arn, Plaintext=before_plain, **context)
    aws.call("RotateKeyOnDemand", kms.rotate_key_on_demand, KeyId=key.arn)
    new_id = _wait_current(kms, key, step)
    log.info("%s: rotated on demand to material %d (%s)", key.key_id, step.number, new_id)
    after_plain = secrets.token_bytes(32)
    after = aws.call("Encrypt", kms.encrypt, KeyId=key.arn, Plaintext=after_plain, **context)
    for blob, plain, wanted in (
        (after["CiphertextBlob"], after_plain, new_id),
        (before["CiphertextBlob"], before_plain, None),
    ):
        answer = aws.call("Decrypt", kms.decrypt, KeyId=key.arn, CiphertextBlob=blob, **context)
        if answer["Plaintext"] != plain:
            raise VerificationError(
                f"key {key.key_id} decrypted a ciphertext to different bytes after rotation",
                "check the key with `kms-import status` before using it",
            )
        used = answer.get("KeyMaterialId")
        if wanted is not None and used is not None and used != wanted:
            raise VerificationError(
                f"key {key.key_id} still encrypts with material {used} after rotating to {wanted}",
                "check the key with `kms-import status`; run the apply again",
            )
        if wanted is None and used == new_id:
            raise VerificationError(
                f"key {key.key_id}: a ciphertext made before the rotation names the new material",
                "check the key with `kms-import status`",
            )


def _wait_current(kms: Any, key: KeyInfo, step: _Step) -> str:
    """The id of the rotated-in material, once DescribeKey reports it as current."""
    deadline = time.monotonic() + CURRENT_TIMEOUT_S
    delay = 0.1
    while True:
        materials = list_materials(kms, key.arn)
        mine = next((m for m in materials if m.recorded == (step.number, step.fingerprint)), None)
        current = keys.describe(kms, key.arn, tags=False).current_material_id
        if mine is not None and mine.state == "CURRENT" and current == mine.material_id:
            return mine.material_id
        if time.monotonic() > deadline:
            raise KeyStateError(
                f"key {key.key_id} does not report material {step.number} as current "
                f"{CURRENT_TIMEOUT_S:.0f} s after RotateKeyOnDemand",
                "check it with `kms-import status` and run the apply again",
            )
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def _final_proof(kms: Any, key: KeyInfo) -> str:
    if key.state != "Enabled":
        return f"not proven: the key is {key.state}"
    # The proofs' fixed context: the importer policy allows Encrypt/Decrypt only with it.
    verify.round_trip(kms, key.arn, secrets.token_bytes(32), PROOF_ENCRYPTION_CONTEXT)
    return "encrypt/decrypt round trip with the current material"
