"""ValidTo expiry on the movable clock, DeleteImportedKeyMaterial, and re-import of the
same material bringing old ciphertexts back."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from kms_conformance import expect_error, external_key, import_material, state

import localaws
from localaws import clock


def _expiring(kms, days=1):
    key_id = external_key(kms)
    material = os.urandom(32)
    valid_to = datetime.now(UTC) + timedelta(days=days)
    import_material(kms, key_id, material, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    return key_id, material, valid_to


def test_describe_reports_valid_to_while_material_lives(kms):
    key_id, _, valid_to = _expiring(kms)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs((meta["ValidTo"] - valid_to).total_seconds()) < 1


def test_material_expires_when_the_clock_passes_valid_to(kms):
    key_id, material, _ = _expiring(kms)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"data")["CiphertextBlob"]
    clock.advance(86400 - 60)
    assert state(kms, key_id) == "Enabled"
    clock.advance(120)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingImport" and meta["Enabled"] is False
    assert "ValidTo" not in meta and "ExpirationModel" not in meta
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)
    # Same material again: the old ciphertext decrypts.
    import_material(kms, key_id, material)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"data"


def test_expiry_is_seen_by_the_first_call_after_it(kms):
    """No background timer: whichever call comes first after ValidTo sees PendingImport."""
    key_id, _, _ = _expiring(kms)
    clock.set(datetime.now(UTC) + timedelta(days=2))
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=key_id, Plaintext=b"x")


def test_delete_imported_material_then_reimport_restores_ciphertexts(kms):
    key_id = external_key(kms)
    material = os.urandom(32)
    import_material(kms, key_id, material)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"keep")["CiphertextBlob"]
    assert kms.delete_imported_key_material(KeyId=key_id)["KeyId"].endswith(key_id)
    assert state(kms, key_id) == "PendingImport"
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)
    # Deleting again is allowed and changes nothing.
    kms.delete_imported_key_material(KeyId=key_id)
    import_material(kms, key_id, material, algorithm="RSA_AES_KEY_WRAP_SHA_256", spec="RSA_3072")
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"keep"


def test_deleting_material_of_a_disabled_key_makes_it_pending_import(kms):
    key_id = external_key(kms)
    import_material(kms, key_id, os.urandom(32))
    kms.disable_key(KeyId=key_id)
    kms.delete_imported_key_material(KeyId=key_id)
    assert state(kms, key_id) == "PendingImport"


def test_clock_api_moves_and_resets():
    start = clock.now()
    moved = clock.advance(3600)
    assert timedelta(minutes=59) < moved - start < timedelta(minutes=61)
    target = datetime(2031, 6, 17, 20, 0, tzinfo=UTC)
    assert abs((clock.set(target) - target).total_seconds()) < 1
    clock.reset()
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 1
    assert localaws.clock is clock
