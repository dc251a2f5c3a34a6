"""The import step against the local KMS in-process: the flow, idempotence and refusals."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import localaws
from kms_import.errors import AwsError, FingerprintMismatch, KeyStateError, UsageError
from kms_import.importer import ImportRequest, run_import
from kms_import.keys import FINGERPRINT_TAG
from kms_import.material import secret_fingerprint


@pytest.fixture
def calls(kms: Any) -> Counter[str]:
    """Operations the helper sends, counted on the client side."""
    seen: Counter[str] = Counter()
    kms.meta.events.register("before-call.kms.*", lambda model, **_: seen.update([model.name]))
    return seen


def _material(tmp_path: Path, size: int = 32) -> tuple[str, bytes]:
    material = os.urandom(size)
    path = tmp_path / f"m-{material[:4].hex()}.bin"
    path.write_bytes(material)
    path.chmod(0o600)
    return f"file://{path}", material


def _external_key(kms: Any, **kwargs: Any) -> str:
    return kms.create_key(Origin="EXTERNAL", **kwargs)["KeyMetadata"]["Arn"]


def test_first_import_enables_and_proves(kms: Any, calls: Counter[str], tmp_path: Path) -> None:
    source, material = _material(tmp_path)
    arn = _external_key(kms)
    outcome = run_import(ImportRequest(arn, source), kms=kms)

    assert outcome.imported and outcome.state == "Enabled"
    assert outcome.fingerprint == secret_fingerprint(material)
    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert calls["GetParametersForImport"] == 1 and calls["ImportKeyMaterial"] == 1
    assert calls["Encrypt"] == 1 and calls["Decrypt"] == 1


def test_second_run_does_not_reimport(kms: Any, calls: Counter[str], tmp_path: Path) -> None:
    source, _ = _material(tmp_path)
    arn = _external_key(kms)
    run_import(ImportRequest(arn, source), kms=kms)
    calls.clear()
    outcome = run_import(ImportRequest(arn, source), kms=kms)
    assert not outcome.imported
    assert calls["ImportKeyMaterial"] == 0 and calls["GetParametersForImport"] == 0


def test_new_valid_to_reimports_the_same_material(kms: Any, tmp_path: Path) -> None:
    source, _ = _material(tmp_path)
    arn = _external_key(kms)
    first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    run_import(ImportRequest(arn, source, valid_to=first), kms=kms)
    later = first + timedelta(days=300)
    outcome = run_import(ImportRequest(arn, source, valid_to=later), kms=kms)
    assert outcome.imported
    meta = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert meta["ValidTo"].astimezone(UTC) == later


def test_disable_after_proof(kms: Any, calls: Counter[str], tmp_path: Path) -> None:
    source, _ = _material(tmp_path)
    arn = _external_key(kms)
    outcome = run_import(ImportRequest(arn, source, enabled=False), kms=kms)
    assert outcome.state == "Disabled"
    assert calls["Encrypt"] == 1 and calls["DisableKey"] == 1
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Disabled"


def test_planned_fingerprint_mismatch_stops_before_any_import(
    kms: Any, calls: Counter[str], tmp_path: Path
) -> None:
    source, _ = _material(tmp_path)
    arn = _external_key(kms)
    other = secret_fingerprint(os.urandom(32))
    with pytest.raises(FingerprintMismatch, match="changed since the plan"):
        run_import(ImportRequest(arn, source, expect_fingerprint=other), kms=kms)
    assert calls["GetParametersForImport"] == 0 and calls["ImportKeyMaterial"] == 0
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_recorded_fingerprint_refuses_other_material_before_any_import(
    kms: Any, calls: Counter[str], tmp_path: Path
) -> None:
    _, material = _material(tmp_path)
    other_source, other = _material(tmp_path)
    arn = _external_key(
        kms, Tags=[{"TagKey": FINGERPRINT_TAG, "TagValue": secret_fingerprint(material)}]
    )
    with pytest.raises(FingerprintMismatch) as caught:
        run_import(ImportRequest(arn, other_source), kms=kms)
    assert secret_fingerprint(material) in str(caught.value)
    assert secret_fingerprint(other) in str(caught.value)
    assert calls["ImportKeyMaterial"] == 0


def test_deleted_material_reimports_and_old_ciphertext_decrypts(kms: Any, tmp_path: Path) -> None:
    source, _ = _material(tmp_path)
    arn = _external_key(kms)
    run_import(ImportRequest(arn, source), kms=kms)
    blob = kms.encrypt(KeyId=arn, Plaintext=b"old data")["CiphertextBlob"]
    kms.delete_imported_key_material(KeyId=arn)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"

    outcome = run_import(ImportRequest(arn, source), kms=kms)
    assert outcome.imported
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"old data"


def test_kms_refusing_other_material_is_one_clear_line(kms: Any, tmp_path: Path) -> None:
    source, _ = _material(tmp_path)
    other_source, _ = _material(tmp_path)
    arn = _external_key(kms)  # no fingerprint tag: only KMS can refuse
    run_import(ImportRequest(arn, source), kms=kms)
    kms.delete_imported_key_material(KeyId=arn)
    with pytest.raises(AwsError, match="IncorrectKeyMaterialException") as caught:
        run_import(ImportRequest(arn, other_source), kms=kms)
    assert "\n" not in str(caught.value)
    assert "its escrow" in str(caught.value)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_expired_token_is_refetched_once(
    kms: Any, calls: Counter[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, _ = _material(tmp_path)
    arn = _external_key(kms)
    from kms_import.material import Material

    original = Material.wrap
    moved = []

    def wrap_then_let_a_day_pass(self: Material, public_key: bytes, algorithm: str) -> bytes:
        if not moved:
            localaws.clock.advance(timedelta(hours=25).total_seconds())
            moved.append(True)
        return original(self, public_key, algorithm)

    monkeypatch.setattr(Material, "wrap", wrap_then_let_a_day_pass)
    outcome = run_import(ImportRequest(arn, source), kms=kms)
    assert outcome.imported
    assert calls["GetParametersForImport"] == 2 and calls["ImportKeyMaterial"] == 2


@pytest.mark.parametrize("state", ["PendingDeletion", "not-external"])
def test_keys_that_cannot_take_material_are_refused(
    kms: Any, calls: Counter[str], tmp_path: Path, state: str
) -> None:
    source, _ = _material(tmp_path)
    if state == "not-external":
        arn = kms.create_key()["KeyMetadata"]["Arn"]
    else:
        arn = _external_key(kms)
        kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    with pytest.raises(KeyStateError):
        run_import(ImportRequest(arn, source), kms=kms)
    assert calls["ImportKeyMaterial"] == 0


def test_valid_to_in_the_past_is_refused_before_any_call(kms: Any, tmp_path: Path) -> None:
    source, _ = _material(tmp_path)
    arn = _external_key(kms)
    with pytest.raises(UsageError, match="not in the future"):
        run_import(ImportRequest(arn, source, valid_to=datetime(2020, 1, 1, tzinfo=UTC)), kms=kms)


def test_expiry_returns_the_key_to_pending_import_and_renew_restores_it(
    kms: Any, tmp_path: Path
) -> None:
    source, _ = _material(tmp_path)
    arn = _external_key(kms)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    run_import(ImportRequest(arn, source, valid_to=soon), kms=kms)
    blob = kms.encrypt(KeyId=arn, Plaintext=b"before expiry")["CiphertextBlob"]
    localaws.clock.advance(timedelta(days=2).total_seconds())
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"

    renewed = datetime.now(UTC).replace(microsecond=0) + timedelta(days=300)
    outcome = run_import(ImportRequest(arn, source, valid_to=renewed), kms=kms)
    assert outcome.imported and outcome.state == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before expiry"


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        ({"key_spec": "HMAC_512"}, "has key spec HMAC_256, but HMAC_512 was asked for"),
        (
            {"key_usage": "ENCRYPT_DECRYPT"},
            "has key usage GENERATE_VERIFY_MAC, but ENCRYPT_DECRYPT",
        ),
    ],
)
def test_a_key_of_another_spec_or_usage_is_refused_before_any_import(
    kms: Any, calls: Counter[str], tmp_path: Path, wanted: dict[str, str], message: str
) -> None:
    """The module passes --key-spec/--key-usage: the provider never reads key_spec back, so
    this is where a key_spec edit on an existing generation is caught."""
    source, _ = _material(tmp_path)
    arn = _external_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    calls.clear()
    with pytest.raises(KeyStateError, match=message) as refused:
        run_import(ImportRequest(arn, source, **wanted), kms=kms)
    assert "can never change" in str(refused.value) and "new generation" in str(refused.value)
    assert calls["GetParametersForImport"] == 0 and calls["ImportKeyMaterial"] == 0
    outcome = run_import(
        ImportRequest(arn, source, key_spec="HMAC_256", key_usage="GENERATE_VERIFY_MAC"), kms=kms
    )
    assert outcome.imported and "GenerateMac" in outcome.proof


def _replica(
    kms: Any, primary_tags: list[dict[str, str]], replica_tags: list[dict[str, str]]
) -> tuple[Any, str]:
    """A multi-Region EXTERNAL primary in us-east-1 and its replica in eu-west-1."""
    import boto3

    primary = kms.create_key(Origin="EXTERNAL", MultiRegion=True, Tags=primary_tags)
    key_id = primary["KeyMetadata"]["KeyId"]
    kms.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1", Tags=replica_tags)
    west = boto3.client("kms", region_name="eu-west-1")
    return west, west.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]


def test_replica_gets_the_same_material_with_its_own_parameters(kms: Any, tmp_path: Path) -> None:
    source, material = _material(tmp_path)
    tag = [{"TagKey": FINGERPRINT_TAG, "TagValue": secret_fingerprint(material)}]
    west, replica_arn = _replica(kms, tag, tag)
    assert replica_arn.split(":")[3] == "eu-west-1"
    outcome = run_import(ImportRequest(replica_arn, source))  # the Region comes from the ARN
    assert outcome.imported and outcome.state == "Enabled"
    assert west.describe_key(KeyId=replica_arn)["KeyMetadata"]["KeyState"] == "Enabled"


@pytest.mark.parametrize("replica_tagged", [True, False])
def test_replica_refuses_other_material_before_any_import(
    kms: Any, tmp_path: Path, replica_tagged: bool
) -> None:
    """The replica's own tag, or else its primary's, names the material it was made for."""
    _, recorded = _material(tmp_path)
    tag = [{"TagKey": FINGERPRINT_TAG, "TagValue": secret_fingerprint(recorded)}]
    west, replica_arn = _replica(kms, tag, tag if replica_tagged else [])
    seen: Counter[str] = Counter()
    west.meta.events.register("before-call.kms.*", lambda model, **_: seen.update([model.name]))
    other, _ = _material(tmp_path)
    with pytest.raises(FingerprintMismatch, match="was made for material"):
        run_import(ImportRequest(replica_arn, other), kms=west)
    assert seen["GetParametersForImport"] == 0 and seen["ImportKeyMaterial"] == 0
    assert west.describe_key(KeyId=replica_arn)["KeyMetadata"]["KeyState"] == "PendingImport"
