"""KMS's key-state table: which states refuse which operations, for imported and
KMS-generated keys alike (stock moto lets Disabled and PendingDeletion keys encrypt)."""

from __future__ import annotations

import os

import pytest
from kms_conformance import expect_error, external_key, import_material, state

from localaws import clock


def _enabled_external(kms):
    key_id = external_key(kms)
    import_material(kms, key_id, os.urandom(32))
    return key_id


def test_pending_import_key_refuses_crypto_and_enable_disable(kms):
    key_id = external_key(kms)
    for call, kwargs in [
        (kms.encrypt, {"Plaintext": b"x"}),
        (kms.generate_data_key, {"KeySpec": "AES_256"}),
        (kms.generate_data_key_without_plaintext, {"KeySpec": "AES_256"}),
        (kms.enable_key, {}),
        (kms.disable_key, {}),
        (kms.cancel_key_deletion, {}),
    ]:
        expect_error("KMSInvalidStateException", call, KeyId=key_id, **kwargs)
    assert state(kms, key_id) == "PendingImport"


@pytest.mark.parametrize("origin", ["EXTERNAL", "AWS_KMS"])
def test_disabled_key_refuses_crypto_with_disabled_exception(kms, origin):
    key_id = (
        _enabled_external(kms) if origin == "EXTERNAL" else kms.create_key()["KeyMetadata"]["KeyId"]
    )
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    expect_error("DisabledException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    expect_error("DisabledException", kms.decrypt, CiphertextBlob=blob)
    expect_error("DisabledException", kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")
    expect_error("DisabledException", kms.re_encrypt, CiphertextBlob=blob, DestinationKeyId=key_id)
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


@pytest.mark.parametrize("origin", ["EXTERNAL", "AWS_KMS"])
def test_pending_deletion_key_refuses_crypto_and_enable(kms, origin):
    key_id = (
        _enabled_external(kms) if origin == "EXTERNAL" else kms.create_key()["KeyMetadata"]["KeyId"]
    )
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert state(kms, key_id) == "PendingDeletion"
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId=key_id, Plaintext=b"x")
    expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=blob)
    expect_error("KMSInvalidStateException", kms.enable_key, KeyId=key_id)
    expect_error("KMSInvalidStateException", kms.disable_key, KeyId=key_id)
    expect_error(
        "KMSInvalidStateException", kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=7
    )


@pytest.mark.parametrize("days", [1, 6, 31, 365])
def test_deletion_window_outside_7_to_30_is_a_validation_error(kms, days):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error(
        "ValidationException", kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=days
    )
    assert state(kms, key_id) == "Enabled"


def test_schedule_reports_deletion_date_and_default_window(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    answer = kms.schedule_key_deletion(KeyId=key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    days = (meta["DeletionDate"] - meta["CreationDate"]).total_seconds() / 86400
    assert 29.9 < days < 30.1
    assert answer["DeletionDate"] == meta["DeletionDate"]


def test_cancel_deletion_leaves_key_disabled_or_pending_import(kms):
    with_material = _enabled_external(kms)
    without = external_key(kms)
    for key_id in (with_material, without):
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        kms.cancel_key_deletion(KeyId=key_id)
    assert state(kms, with_material) == "Disabled"
    assert state(kms, without) == "PendingImport"
    expect_error("KMSInvalidStateException", kms.cancel_key_deletion, KeyId=with_material)


def test_key_is_gone_once_the_clock_passes_its_deletion_date(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    clock.advance(7 * 86400 - 60)
    assert state(kms, key_id) == "PendingDeletion"
    clock.advance(120)
    expect_error("NotFoundException", kms.describe_key, KeyId=key_id)


def test_enable_and_disable_accept_arns(kms):
    meta = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=meta["Arn"])
    assert state(kms, meta["KeyId"]) == "Disabled"
    kms.enable_key(KeyId=meta["Arn"])
    assert state(kms, meta["KeyId"]) == "Enabled"
