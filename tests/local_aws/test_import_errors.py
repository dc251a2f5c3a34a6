"""Every way ImportKeyMaterial and GetParametersForImport refuse, with KMS's error code."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from kms_conformance import NO_EXPIRY, expect_error, external_key, import_material, state, wrap

from localaws import clock

OAEP = {"WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_2048"}


def _params(kms, key_id):
    return kms.get_parameters_for_import(KeyId=key_id, **OAEP)


def _import(kms, key_id, params, material, algorithm="RSAES_OAEP_SHA_256", **expiry):
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, material),
        **(expiry or NO_EXPIRY),
    )


def _import_fails(code, kms, key_id, params, material, **extra) -> ClientError:
    """_import, refused by KMS with this error code."""
    return expect_error(
        code, _import, kms=kms, key_id=key_id, params=params, material=material, **extra
    )


def test_non_external_keys_do_not_import(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    expect_error(
        "UnsupportedOperationException", kms.get_parameters_for_import, KeyId=key_id, **OAEP
    )
    expect_error("UnsupportedOperationException", kms.delete_imported_key_material, KeyId=key_id)


@pytest.mark.parametrize(
    "field,value", [("WrappingAlgorithm", "RSAES_PKCS1_V1_5"), ("WrappingKeySpec", "RSA_1024")]
)
def test_unknown_wrapping_choices_are_validation_errors(kms, field, value):
    expect_error(
        "ValidationException",
        kms.get_parameters_for_import,
        KeyId=external_key(kms),
        **{**OAEP, field: value},
    )


def test_unknown_key_is_not_found(kms):
    expect_error(
        "NotFoundException",
        kms.get_parameters_for_import,
        KeyId="11111111-2222-3333-4444-555555555555",
        **OAEP,
    )


def test_token_expires_after_24_hours_on_the_clock(kms):
    key_id = external_key(kms)
    params = _params(kms, key_id)
    clock.advance(24 * 3600 + 1)
    _import_fails("ExpiredImportTokenException", kms, key_id, params, os.urandom(32))
    assert state(kms, key_id) == "PendingImport"
    # Fresh parameters after the old ones expired come with a new wrapping key.
    fresh = _params(kms, key_id)
    assert fresh["PublicKey"] != params["PublicKey"]
    _import(kms, key_id, fresh, os.urandom(32))
    assert state(kms, key_id) == "Enabled"


def test_token_still_valid_just_before_24_hours(kms):
    key_id = external_key(kms)
    params = _params(kms, key_id)
    clock.advance(24 * 3600 - 60)
    _import(kms, key_id, params, os.urandom(32))
    assert state(kms, key_id) == "Enabled"


def test_another_keys_token_is_invalid(kms):
    mine, theirs = external_key(kms), external_key(kms)
    their_params = _params(kms, theirs)
    _import_fails("InvalidImportTokenException", kms, mine, their_params, os.urandom(32))


def _tampered_last_byte(token: bytes) -> bytes:
    return token[:-1] + (b"1" if token.endswith(b"0") else b"0")  # never the same byte


def test_garbage_and_tampered_tokens_are_invalid(kms):
    key_id = external_key(kms)
    params = _params(kms, key_id)
    for token in (
        b"not a token",
        _tampered_last_byte(params["ImportToken"]),
        params["ImportToken"].replace(b"LAIT1:", b"LAIT1:x"),
    ):
        _import_fails(
            "InvalidImportTokenException",
            kms,
            key_id,
            {**params, "ImportToken": token},
            os.urandom(32),
        )


def test_material_wrapped_for_other_parameters_does_not_unwrap(kms):
    key_id = external_key(kms)
    params = _params(kms, key_id)
    foreign = _params(kms, external_key(kms))
    wrapped_for_foreign = {**params, "PublicKey": foreign["PublicKey"]}
    _import_fails("InvalidCiphertextException", kms, key_id, wrapped_for_foreign, os.urandom(32))


def test_material_wrapped_with_another_algorithm_does_not_unwrap(kms):
    key_id = external_key(kms)
    params = _params(kms, key_id)  # token says RSAES_OAEP_SHA_256
    _import_fails(
        "InvalidCiphertextException",
        kms,
        key_id,
        params,
        os.urandom(32),
        algorithm="RSAES_OAEP_SHA_1",
    )


@pytest.mark.parametrize("size", [16, 31, 33, 64])
def test_symmetric_material_must_be_32_bytes(kms, size):
    key_id = external_key(kms)
    _import_fails(
        "IncorrectKeyMaterialException", kms, key_id, _params(kms, key_id), os.urandom(size)
    )
    assert state(kms, key_id) == "PendingImport"


def test_different_material_after_first_import_is_refused(kms):
    key_id = external_key(kms)
    import_material(kms, key_id, os.urandom(32))
    expect_error(
        "IncorrectKeyMaterialException",
        import_material,
        kms=kms,
        key_id=key_id,
        material=os.urandom(32),
    )
    kms.delete_imported_key_material(KeyId=key_id)
    expect_error(
        "IncorrectKeyMaterialException",
        import_material,
        kms=kms,
        key_id=key_id,
        material=os.urandom(32),
    )
    assert state(kms, key_id) == "PendingImport"


@pytest.mark.parametrize(
    "expiry",
    [
        {"ExpirationModel": "KEY_MATERIAL_EXPIRES"},
        {
            "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
            "ValidTo": datetime.now(UTC) + timedelta(days=1),
        },
        {
            "ExpirationModel": "KEY_MATERIAL_EXPIRES",
            "ValidTo": datetime.now(UTC) - timedelta(minutes=1),
        },
        {
            "ExpirationModel": "KEY_MATERIAL_EXPIRES",
            "ValidTo": datetime.now(UTC) + timedelta(days=366),
        },
    ],
    ids=[
        "expires-without-valid-to",
        "valid-to-with-does-not-expire",
        "valid-to-in-past",
        "valid-to-beyond-365-days",
    ],
)
def test_expiration_rules_are_validation_errors(kms, expiry):
    key_id = external_key(kms)
    _import_fails(
        "ValidationException", kms, key_id, _params(kms, key_id), os.urandom(32), **expiry
    )
    assert state(kms, key_id) == "PendingImport"


def test_pending_deletion_key_refuses_import(kms):
    key_id = external_key(kms)
    params = _params(kms, key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    _import_fails("KMSInvalidStateException", kms, key_id, params, os.urandom(32))
    expect_error("KMSInvalidStateException", kms.get_parameters_for_import, KeyId=key_id, **OAEP)
