"""Aliases (including UpdateAlias retargeting, as rotation does) and the call record."""

from __future__ import annotations

import os

from kms_conformance import expect_error, external_key, import_material

from localaws import calls


def test_alias_follows_update_alias_to_the_new_generation(kms):
    old, new = external_key(kms), external_key(kms)
    import_material(kms, old, os.urandom(32))
    import_material(kms, new, os.urandom(32))
    kms.create_alias(AliasName="alias/MyImportedKey", TargetKeyId=old)
    first = kms.encrypt(KeyId="alias/MyImportedKey", Plaintext=b"a")
    assert first["KeyId"].endswith(old)
    kms.update_alias(AliasName="alias/MyImportedKey", TargetKeyId=new)
    second = kms.encrypt(KeyId="alias/MyImportedKey", Plaintext=b"b")
    assert second["KeyId"].endswith(new)
    # Old ciphertexts still decrypt under the old key.
    assert kms.decrypt(CiphertextBlob=first["CiphertextBlob"])["Plaintext"] == b"a"
    aliases = kms.list_aliases(KeyId=new)["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/MyImportedKey"]


def test_alias_to_a_pending_import_key_is_allowed_but_cannot_encrypt(kms):
    key_id = external_key(kms)
    kms.create_alias(AliasName="alias/pending", TargetKeyId=key_id)
    expect_error("KMSInvalidStateException", kms.encrypt, KeyId="alias/pending", Plaintext=b"x")


def test_update_alias_refuses_a_key_of_another_type(kms):
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    kms.create_alias(AliasName="alias/typed", TargetKeyId=symmetric)
    expect_error(
        "ValidationException", kms.update_alias, AliasName="alias/typed", TargetKeyId=signing
    )


def test_alias_cannot_point_at_a_key_pending_deletion(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    expect_error(
        "KMSInvalidStateException", kms.create_alias, AliasName="alias/doomed", TargetKeyId=key_id
    )


def test_calls_are_recorded_with_action_region_and_key(kms):
    calls.clear()
    key_id = external_key(kms)
    kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    record = calls.calls()
    assert [c["action"] for c in record] == ["CreateKey", "GetParametersForImport"]
    assert record[1] | {"time": "t"} == {
        "service": "kms",
        "action": "GetParametersForImport",
        "region": "us-east-1",
        "key_id": key_id,
        # The caller's own key (mock_aws swaps in its fake credentials in-process).
        "access_key_id": kms._request_signer._credentials.access_key,
        "time": "t",
    }
    assert "key_id" not in record[0]
    calls.clear()
    assert calls.calls() == []
