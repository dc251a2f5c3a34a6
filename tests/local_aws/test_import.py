"""GetParametersForImport and ImportKeyMaterial for symmetric keys: the happy paths."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from kms_conformance import external_key, import_material, state, wrap


def test_external_key_starts_pending_import_without_material(kms):
    meta = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert meta["Origin"] == "EXTERNAL"
    assert meta["KeyState"] == "PendingImport"
    assert meta["Enabled"] is False
    assert "ExpirationModel" not in meta and "ValidTo" not in meta


@pytest.mark.parametrize("spec,bits", [("RSA_2048", 2048), ("RSA_3072", 3072), ("RSA_4096", 4096)])
def test_parameters_give_a_real_rsa_wrapping_key_for_24_hours(kms, spec, bits):
    key_id = external_key(kms)
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec=spec
    )
    public = serialization.load_der_public_key(params["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == bits
    assert params["KeyId"].endswith(key_id)
    remaining = params["ParametersValidTo"] - datetime.now(UTC)
    assert timedelta(hours=23, minutes=59) < remaining <= timedelta(hours=24)
    assert params["ImportToken"]


@pytest.mark.parametrize(
    "algorithm",
    [
        "RSAES_OAEP_SHA_1",
        "RSAES_OAEP_SHA_256",
        "RSA_AES_KEY_WRAP_SHA_1",
        "RSA_AES_KEY_WRAP_SHA_256",
    ],
)
def test_imported_symmetric_material_encrypts_and_decrypts(kms, algorithm):
    key_id = external_key(kms)
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048"
    )
    answer = kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, os.urandom(32)),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert answer["KeyId"] == meta["Arn"]
    assert answer["KeyMaterialId"] == meta["CurrentKeyMaterialId"]
    assert len(answer["KeyMaterialId"]) == 64
    assert (meta["KeyState"], meta["Enabled"]) == ("Enabled", True)
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "ValidTo" not in meta
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionContext={"app": "x"})[
        "CiphertextBlob"
    ]
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "x"})
    assert out["Plaintext"] == b"secret" and out["KeyId"].endswith(key_id)


def test_ciphertext_depends_on_the_material_not_on_the_key(kms):
    """Two keys holding the same material must not decrypt each other's blobs (the blob
    names its key), while a wrong encryption context must fail."""
    key_id = external_key(kms)
    import_material(kms, key_id, os.urandom(32))
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"p", EncryptionContext={"a": "1"})["CiphertextBlob"]
    from kms_conformance import expect_error

    expect_error(
        "InvalidCiphertextException", kms.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "2"}
    )
    expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=b"garbage" * 10)
    other = external_key(kms)
    import_material(kms, other, os.urandom(32))
    expect_error(
        "IncorrectKeyException",
        kms.decrypt,
        CiphertextBlob=blob,
        KeyId=other,
        EncryptionContext={"a": "1"},
    )


def test_data_keys_and_reencrypt_use_the_imported_material(kms):
    first, second = external_key(kms), external_key(kms)
    import_material(kms, first, os.urandom(32))
    import_material(kms, second, os.urandom(32))
    data_key = kms.generate_data_key(KeyId=first, KeySpec="AES_256")
    assert len(data_key["Plaintext"]) == 32
    assert (
        kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    )
    blind = kms.generate_data_key_without_plaintext(KeyId=first, NumberOfBytes=16)
    assert len(kms.decrypt(CiphertextBlob=blind["CiphertextBlob"])["Plaintext"]) == 16
    moved = kms.re_encrypt(CiphertextBlob=data_key["CiphertextBlob"], DestinationKeyId=second)
    assert moved["KeyId"].endswith(second) and moved["SourceKeyId"].endswith(first)
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]


def test_same_material_reimport_into_enabled_key_changes_valid_to(kms):
    key_id = external_key(kms)
    material = os.urandom(32)
    import_material(kms, key_id, material)
    later = datetime.now(UTC) + timedelta(days=30)
    import_material(kms, key_id, material, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=later)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs((meta["ValidTo"] - later).total_seconds()) < 1
    assert meta["KeyState"] == "Enabled"


def test_reimport_keeps_a_disabled_key_disabled(kms):
    key_id = external_key(kms)
    material = os.urandom(32)
    import_material(kms, key_id, material)
    kms.disable_key(KeyId=key_id)
    import_material(kms, key_id, material)
    assert state(kms, key_id) == "Disabled"


def test_expiration_model_defaults_to_expires(kms):
    """Omitting ExpirationModel means KEY_MATERIAL_EXPIRES, which needs ValidTo."""
    from kms_conformance import expect_error

    key_id = external_key(kms)
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    blob = wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    expect_error(
        "ValidationException",
        kms.import_key_material,
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=blob,
    )
    valid_to = datetime.now(UTC) + timedelta(days=1)
    kms.import_key_material(
        KeyId=key_id, ImportToken=params["ImportToken"], EncryptedKeyMaterial=blob, ValidTo=valid_to
    )
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["ExpirationModel"] == (
        "KEY_MATERIAL_EXPIRES"
    )


def test_parameters_are_reusable_for_the_same_key_and_spec(kms):
    """The wrapping key is kept per key and spec for its validity (RSA generation is
    slow); each call still gets a fresh token and both tokens work."""
    key_id = external_key(kms)
    one = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_1", WrappingKeySpec="RSA_2048"
    )
    two = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    other = kms.get_parameters_for_import(
        KeyId=external_key(kms), WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    assert one["PublicKey"] == two["PublicKey"] != other["PublicKey"]
    assert one["ImportToken"] != two["ImportToken"]
    material = os.urandom(32)
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=one["ImportToken"],
        EncryptedKeyMaterial=wrap(one["PublicKey"], "RSAES_OAEP_SHA_1", material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    assert state(kms, key_id) == "Enabled"
