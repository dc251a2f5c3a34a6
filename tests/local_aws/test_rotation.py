"""On-demand rotation of imported symmetric material (issue 6, item 1): ImportType,
KeyMaterialId, KeyMaterialDescription, RotateKeyOnDemand, ListKeyRotations and
DeleteImportedKeyMaterial with a KeyMaterialId."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from kms_conformance import (
    NO_EXPIRY,
    expect_error,
    external_key,
    in_process_kms,
    pkcs8,
    private_key,
    state,
    wrap,
)

from localaws import clock


@pytest.fixture(scope="module")
def kms() -> Iterator[Any]:
    """One in-process KMS for the module (every test makes its own keys): a boto3 client
    costs ~0.2 s to build, most of this module's time with a client per test."""
    with pytest.MonkeyPatch.context() as patch, in_process_kms(patch) as client:
        yield client


def _import(kms: Any, key_id: str, material: bytes, **extra: Any) -> dict[str, Any]:
    # RSA_AES_KEY_WRAP takes any material, private keys included.
    algorithm = "RSA_AES_KEY_WRAP_SHA_256"
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048"
    )
    fields = {**NO_EXPIRY, **extra} if "ValidTo" not in extra else extra
    return dict(
        kms.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, material),
            **fields,
        )
    )


def _import_fails(code: str, kms: Any, key_id: str, material: bytes, **extra: Any) -> Exception:
    """_import, refused by KMS with this error code."""
    return expect_error(code, _import, kms=kms, key_id=key_id, material=material, **extra)


def _materials(kms: Any, key_id: str, include: str = "ALL_KEY_MATERIAL") -> list[dict[str, Any]]:
    return list(kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial=include)["Rotations"])


def _current(kms: Any, key_id: str) -> str:
    return str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"])


@pytest.fixture
def imported(kms: Any) -> tuple[str, bytes, str]:
    """An EXTERNAL symmetric key with its first material: (key id, material, material id)."""
    key_id = external_key(kms)
    material = os.urandom(32)
    first = _import(kms, key_id, material, KeyMaterialDescription="gen 1")["KeyMaterialId"]
    return key_id, material, first


def test_new_material_waits_pending_then_rotation_makes_it_current(kms, imported):
    key_id, _, first = imported
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
    second = _import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    assert second != first and len(second) == 64
    # Pending material is not used yet: DescribeKey and Encrypt stay on the first.
    assert _current(kms, key_id) == first
    assert [(m["KeyMaterialId"], m["KeyMaterialState"]) for m in _materials(kms, key_id)] == [
        (first, "CURRENT"),
        (second, "PENDING_ROTATION"),
    ]
    assert _materials(kms, key_id, "ROTATIONS_ONLY") == []
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []  # default ROTATIONS_ONLY

    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"].endswith(key_id)
    assert _current(kms, key_id) == second
    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"after")["CiphertextBlob"]
    old_answer = kms.decrypt(CiphertextBlob=old_blob)
    new_answer = kms.decrypt(CiphertextBlob=new_blob)
    assert old_answer["Plaintext"] == b"before" and new_answer["Plaintext"] == b"after"
    # Decrypt names the material that decrypted (DecryptResponse KeyMaterialId).
    assert (old_answer["KeyMaterialId"], new_answer["KeyMaterialId"]) == (first, second)
    first_entry, second_entry = _materials(kms, key_id)
    assert first_entry["KeyMaterialState"] == "NON_CURRENT"
    assert first_entry["KeyMaterialDescription"] == "gen 1"
    assert "RotationDate" not in first_entry and "RotationType" not in first_entry
    assert second_entry["KeyMaterialState"] == "CURRENT"
    assert second_entry["RotationType"] == "ON_DEMAND"
    assert isinstance(second_entry["RotationDate"], datetime)
    for entry in (first_entry, second_entry):
        assert entry["ImportState"] == "IMPORTED"
        assert entry["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
        assert entry["KeyId"] == key_id
    assert [r["KeyMaterialId"] for r in _materials(kms, key_id, "ROTATIONS_ONLY")] == [second]


def test_every_old_ciphertext_decrypts_after_several_rotations(kms, imported):
    key_id, _, _ = imported
    blobs = []
    for generation in range(4):
        blobs.append(kms.encrypt(KeyId=key_id, Plaintext=f"g{generation}".encode()))
        _import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
        kms.rotate_key_on_demand(KeyId=key_id)
    for generation, blob in enumerate(blobs):
        out = kms.decrypt(CiphertextBlob=blob["CiphertextBlob"])
        assert out["Plaintext"] == f"g{generation}".encode()
    states = [m["KeyMaterialState"] for m in _materials(kms, key_id)]
    assert states == ["NON_CURRENT"] * 4 + ["CURRENT"]


def test_rotation_without_pending_material_is_refused(kms, imported):
    key_id, _, _ = imported
    error = expect_error("KMSInvalidStateException", kms.rotate_key_on_demand, KeyId=key_id)
    assert "No available key material pending rotation" in str(error)


def test_rotation_of_a_key_pending_import_is_refused(kms):
    key_id = external_key(kms)
    error = expect_error("KMSInvalidStateException", kms.rotate_key_on_demand, KeyId=key_id)
    assert "pending import" in str(error)


def test_rotation_of_a_disabled_key_is_refused(kms, imported):
    key_id, _, _ = imported
    _import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    kms.disable_key(KeyId=key_id)
    expect_error("DisabledException", kms.rotate_key_on_demand, KeyId=key_id)


def test_only_one_material_may_be_pending(kms, imported):
    key_id, _, _ = imported
    pending = _import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    error = _import_fails(
        "KMSInvalidStateException", kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL"
    )
    assert f"another key material (id: {pending}) is pending rotation" in str(error)


def test_new_material_must_be_new(kms, imported):
    key_id, material, _ = imported
    _import_fails(
        "IncorrectKeyMaterialException", kms, key_id, material, ImportType="NEW_KEY_MATERIAL"
    )


def test_new_material_cannot_name_a_material_id(kms, imported):
    key_id, _, first = imported
    _import_fails(
        "ValidationException",
        kms,
        key_id,
        os.urandom(32),
        ImportType="NEW_KEY_MATERIAL",
        KeyMaterialId=first,
    )


def test_import_type_defaults_to_existing_once_material_was_imported(kms, imported):
    key_id, material, first = imported
    # Different material without ImportType is a re-import attempt, so it is refused...
    expect_error(
        "IncorrectKeyMaterialException", _import, kms=kms, key_id=key_id, material=os.urandom(32)
    )
    # ...and the same material re-imports into the same KeyMaterialId.
    assert _import(kms, key_id, material)["KeyMaterialId"] == first
    assert [m["KeyMaterialState"] for m in _materials(kms, key_id)] == ["CURRENT"]


def test_existing_material_needs_the_right_material_id(kms, imported):
    key_id, material, first = imported
    second_material = os.urandom(32)
    second = _import(kms, key_id, second_material, ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    kms.rotate_key_on_demand(KeyId=key_id)
    # The first material under the second's id, or under an id the key never had: refused.
    for wrong_id in (second, "0" * 64):
        _import_fails(
            "IncorrectKeyMaterialException",
            kms,
            key_id,
            material,
            ImportType="EXISTING_KEY_MATERIAL",
            KeyMaterialId=wrong_id,
        )
    _import_fails("ValidationException", kms, key_id, material, KeyMaterialId="Z" * 64)
    answer = _import(kms, key_id, material, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=first)
    assert answer["KeyMaterialId"] == first
    # Without an id, the material itself finds its version.
    assert _import(kms, key_id, second_material)["KeyMaterialId"] == second


def test_material_ids_depend_on_the_key(kms):
    material = os.urandom(32)
    ids = {_import(kms, external_key(kms), material)["KeyMaterialId"] for _ in range(2)}
    assert len(ids) == 2


def test_deleting_non_current_material_blocks_the_key_until_it_is_reimported(kms, imported):
    key_id, material, first = imported
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    _import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    kms.rotate_key_on_demand(KeyId=key_id)
    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"new")["CiphertextBlob"]

    deleted = kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId=first)
    assert deleted["KeyMaterialId"] == first
    assert state(kms, key_id) == "PendingImport"
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=old_blob)
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=new_blob)
    entries = {m["KeyMaterialId"]: m for m in _materials(kms, key_id)}
    assert entries[first]["ImportState"] == "PENDING_IMPORT"
    assert entries[first]["KeyMaterialState"] == "NON_CURRENT"
    assert "ExpirationModel" not in entries[first]

    _import(kms, key_id, material, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=first)
    assert state(kms, key_id) == "Enabled"
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"
    assert kms.decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"new"


def test_delete_without_an_id_deletes_the_current_material(kms, imported):
    key_id, _, _ = imported
    second_material = os.urandom(32)
    second = _import(kms, key_id, second_material, ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    kms.rotate_key_on_demand(KeyId=key_id)
    assert kms.delete_imported_key_material(KeyId=key_id)["KeyMaterialId"] == second
    assert state(kms, key_id) == "PendingImport"
    assert _import(kms, key_id, second_material)["KeyMaterialId"] == second
    assert state(kms, key_id) == "Enabled"


def test_deleting_pending_material_forgets_it_and_keeps_the_key_usable(kms, imported):
    key_id, _, first = imported
    pending = _import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId=pending)
    assert state(kms, key_id) == "Enabled"
    assert [m["KeyMaterialId"] for m in _materials(kms, key_id)] == [first]
    # Different material may now take its place.
    replacement = _import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    assert replacement["KeyMaterialId"] != pending
    expect_error(
        "NotFoundException", kms.delete_imported_key_material, KeyId=key_id, KeyMaterialId=pending
    )


def test_expired_pending_material_is_forgotten_and_expired_current_blocks(kms, imported):
    key_id, _, first = imported
    soon = datetime.now(UTC) + timedelta(hours=1)
    _import(
        kms,
        key_id,
        os.urandom(32),
        ImportType="NEW_KEY_MATERIAL",
        ExpirationModel="KEY_MATERIAL_EXPIRES",
        ValidTo=soon,
    )
    pending = _materials(kms, key_id)[1]
    assert pending["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs(pending["ValidTo"].timestamp() - soon.timestamp()) < 1
    clock.advance(2 * 3600)
    assert [m["KeyMaterialId"] for m in _materials(kms, key_id)] == [first]
    assert state(kms, key_id) == "Enabled"


def test_descriptions_are_kept_unless_replaced(kms, imported):
    key_id, material, _ = imported
    _import(kms, key_id, material)
    assert _materials(kms, key_id)[0]["KeyMaterialDescription"] == "gen 1"
    _import(kms, key_id, material, KeyMaterialDescription="renamed gen 1")
    assert _materials(kms, key_id)[0]["KeyMaterialDescription"] == "renamed gen 1"
    _import_fails(
        "ValidationException", kms, key_id, material, KeyMaterialDescription="no <angle> brackets"
    )


def test_rotation_limit(kms, imported):
    key_id, _, _ = imported
    for _ in range(25):
        _import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
        kms.rotate_key_on_demand(KeyId=key_id)
    _import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    expect_error("LimitExceededException", kms.rotate_key_on_demand, KeyId=key_id)
    rotations = kms.list_key_rotations(KeyId=key_id, Limit=10)
    assert rotations["Truncated"] and len(rotations["Rotations"]) == 10
    rest = kms.list_key_rotations(KeyId=key_id, Limit=100, Marker=rotations["NextMarker"])
    assert not rest["Truncated"] and len(rest["Rotations"]) == 15


def test_asymmetric_and_hmac_keys_take_no_import_type_and_do_not_rotate(kms):
    rsa_key = external_key(kms, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    der = pkcs8(private_key("RSA_2048"))
    _import_fails("UnsupportedOperationException", kms, rsa_key, der, ImportType="NEW_KEY_MATERIAL")
    answer = _import(kms, rsa_key, der)
    assert "KeyMaterialId" not in answer
    assert "CurrentKeyMaterialId" not in kms.describe_key(KeyId=rsa_key)["KeyMetadata"]
    expect_error("UnsupportedOperationException", kms.rotate_key_on_demand, KeyId=rsa_key)
    expect_error("UnsupportedOperationException", kms.list_key_rotations, KeyId=rsa_key)

    hmac_key = external_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    _import(kms, hmac_key, os.urandom(32))
    _import_fails(
        "UnsupportedOperationException",
        kms,
        hmac_key,
        os.urandom(32),
        ImportType="NEW_KEY_MATERIAL",
    )
    expect_error("UnsupportedOperationException", kms.rotate_key_on_demand, KeyId=hmac_key)


def test_bad_enum_values_are_validation_errors(kms, imported):
    key_id, material, _ = imported
    _import_fails("ValidationException", kms, key_id, material, ImportType="SOMETIMES")
    expect_error(
        "ValidationException", kms.list_key_rotations, KeyId=key_id, IncludeKeyMaterial="SOME"
    )


def test_multi_region_rotation_is_refused_locally(kms):
    primary = external_key(kms, MultiRegion=True)
    _import(kms, primary, os.urandom(32))
    _import_fails(
        "UnsupportedOperationException", kms, primary, os.urandom(32), ImportType="NEW_KEY_MATERIAL"
    )
