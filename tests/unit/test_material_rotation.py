"""On-demand rotation of imported material (rotate-material) against the local KMS in-process:
refusals before any import call, idempotent re-runs, renew and reimport of rotated keys."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kms_import import cli
from kms_import.importer import ImportRequest, run_import
from kms_import.material import secret_fingerprint
from kms_import.rotation import RotationRequest, run_rotations
from localaws import calls as local_calls


def _material(tmp_path: Path) -> tuple[str, bytes]:
    material = os.urandom(32)
    path = tmp_path / f"m-{material[:4].hex()}.bin"
    path.write_bytes(material)
    path.chmod(0o600)
    return f"file://{path}", material


# RSA_2048 wrapping keys: the local KMS makes one per key, and 3072-bit ones cost seconds.
WRAP = "RSA_2048"


def _rotate(arn: str, *sources: str, **options: Any) -> Any:
    request = RotationRequest(
        arn, tuple(sources), (None,) * len(sources), wrapping_key_spec=WRAP, **options
    )
    return run_rotations(request)


def _first(arn: str, source: str, **options: Any) -> Any:
    return run_import(ImportRequest(arn, source, wrapping_key_spec=WRAP, **options))


def _materials(kms: Any, arn: str) -> list[dict[str, Any]]:
    answer = kms.list_key_rotations(KeyId=arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    return list(answer["Rotations"])


def _actions() -> list[str]:
    return [c["action"] for c in local_calls.calls()]


@pytest.fixture
def rotated(kms: Any, tmp_path: Path) -> tuple[str, str, str, bytes]:
    """A key with its first material and one rotation: (arn, first source, rotated source,
    a ciphertext made under the first material)."""
    first, _ = _material(tmp_path)
    second, _ = _material(tmp_path)
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    _first(arn, first)
    blob = kms.encrypt(KeyId=arn, Plaintext=b"before")["CiphertextBlob"]
    outcome = _rotate(arn, second)
    assert outcome.rotated == 1 and outcome.state == "Enabled"
    return arn, first, second, blob


def test_different_material_under_an_entry_is_refused_before_any_import(
    kms: Any, rotated: tuple[str, str, str, bytes], tmp_path: Path, capsys: Any
) -> None:
    arn, _, second, _ = rotated
    other, other_bytes = _material(tmp_path)
    local_calls.clear()
    argv = ["rotate-material", "--key-id", arn, "--source", other, "--wrapping-key-spec", WRAP]
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"rotated in material {secret_fingerprint(Path(second[7:]).read_bytes())}" in err
    assert f"as rotation 1, but {other} holds {secret_fingerprint(other_bytes)}" in err
    assert "ImportKeyMaterial" not in _actions() and "GetParametersForImport" not in _actions()
    assert "RotateKeyOnDemand" not in _actions()
    assert len(_materials(kms, arn)) == 2  # nothing was added

    # The right material under entry 1 and new material as entry 2: one more rotation.
    local_calls.clear()
    assert _rotate(arn, second, other).rotated == 1
    assert _actions().count("ImportKeyMaterial") == 1
    assert [m["KeyMaterialState"] for m in _materials(kms, arn)] == [
        "NON_CURRENT",
        "NON_CURRENT",
        "CURRENT",
    ]


def test_rerun_changes_nothing_and_old_ciphertexts_decrypt(
    kms: Any, rotated: tuple[str, str, str, bytes], capsys: Any
) -> None:
    arn, _, second, blob = rotated
    entries = _materials(kms, arn)
    assert [m["KeyMaterialState"] for m in entries] == ["NON_CURRENT", "CURRENT"]
    fingerprint = secret_fingerprint(Path(second[7:]).read_bytes())
    assert entries[1]["KeyMaterialDescription"] == f"kms-import rotation 1 {fingerprint}"
    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["CurrentKeyMaterialId"] == entries[1]["KeyMaterialId"]
    new = kms.encrypt(KeyId=arn, Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new)["KeyMaterialId"] == entries[1]["KeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"

    assert cli.main(["status", "--key-id", arn, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["rotations"], row["current_material"]) == (1, fingerprint)

    local_calls.clear()
    again = _rotate(arn, second)
    assert (again.rotated, again.reimported) == (0, 0)
    assert "ImportKeyMaterial" not in _actions() and "RotateKeyOnDemand" not in _actions()


def test_renew_and_reimport_cover_every_material(
    kms: Any, rotated: tuple[str, str, str, bytes]
) -> None:
    arn, first, second, blob = rotated
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=200)
    local_calls.clear()
    assert _first(arn, first, valid_to=later, with_rotations=True).imported
    assert _rotate(arn, second, valid_to=later).reimported == 1
    assert _actions().count("ImportKeyMaterial") == 2
    entries = _materials(kms, arn)
    assert all(m["ValidTo"].astimezone(UTC) == later for m in entries), entries
    assert [m["KeyMaterialState"] for m in entries] == ["NON_CURRENT", "CURRENT"]

    # Delete the current (rotated) material: the key waits for it; reimport brings it back.
    kms.delete_imported_key_material(KeyId=arn)
    outcome = _first(arn, first, valid_to=later, with_rotations=True)
    assert not outcome.imported and outcome.state == "PendingImport"
    assert outcome.proof == "proof left to the rotation step"
    assert _rotate(arn, second, valid_to=later).reimported == 1
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"


def test_keys_that_cannot_rotate_are_refused_before_reading_material(
    kms: Any, tmp_path: Path, capsys: Any
) -> None:
    hmac_key = kms.create_key(
        Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC"
    )["KeyMetadata"]["Arn"]
    local_calls.clear()
    missing = f"file://{tmp_path}/never-read.bin"
    code = cli.main(["rotate-material", "--key-id", hmac_key, "--source", missing])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "is HMAC_256: KMS rotates imported material on demand only for SYMMETRIC_DEFAULT" in err
    assert "ImportKeyMaterial" not in _actions()

    # A key without its first material: NEW_KEY_MATERIAL would become that first material.
    empty = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    source, _ = _material(tmp_path)
    assert cli.main(["rotate-material", "--key-id", empty, "--source", source]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no material of its own yet" in err, err
    assert "ImportKeyMaterial" not in _actions()
