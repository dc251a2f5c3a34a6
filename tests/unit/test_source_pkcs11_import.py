"""The import step with keys that stay in SoftHSM2, against the local KMS (moto + localaws).

The HSM wraps (the helper never reads the keys: `_extract` fails the test if called), KMS
accepts the blob, and KMS then behaves as the HSM's key does: GenerateMac equals the token's
own HMAC, and the symmetric key round-trips.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

import pytest

from kms_import.errors import AwsError, WrappingError
from kms_import.importer import ImportRequest, run_import
from kms_import.keyspecs import key_spec
from kms_import.material import secret_fingerprint
from kms_import.sources import open_source
from kms_import.sources import pkcs11 as source

SoftHsm = Any  # conftest.SoftHsm: the token, its PIN file, the known bytes of each key


@pytest.fixture(autouse=True)
def never_extract(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Any) -> None:
        raise AssertionError("the helper read the key value out of the HSM")

    monkeypatch.setattr(source.HsmKey, "_extract", refuse)


@pytest.fixture
def wrapping_algorithms(kms: Any) -> list[str]:
    """The WrappingAlgorithm of every GetParametersForImport the helper sends."""
    seen: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(params["WrappingAlgorithm"])

    kms.meta.events.register("provide-client-params.kms.GetParametersForImport", record)
    return seen


def test_hmac_key_from_the_hsm_macs_in_kms_as_in_the_hsm(
    kms: Any, softhsm: SoftHsm, wrapping_algorithms: list[str]
) -> None:
    arn = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")[
        "KeyMetadata"
    ]["Arn"]
    uri = softhsm.uri("hmac-256")
    outcome = run_import(ImportRequest(arn, uri), kms=kms)
    assert outcome.imported
    assert outcome.state == "Enabled"
    assert outcome.proof == "GenerateMac equals the local HMAC"
    assert outcome.fingerprint == secret_fingerprint(softhsm.values["hmac-256"])
    # The token offers no SHA-256 OAEP, so the helper picked what it can do in the token.
    assert wrapping_algorithms == ["RSA_AES_KEY_WRAP_SHA_1"]

    message = os.urandom(64)
    remote = kms.generate_mac(KeyId=arn, Message=message, MacAlgorithm="HMAC_SHA_256")["Mac"]
    with open_source(uri).read(key_spec("HMAC_256")) as holder:
        assert remote == holder.mac(message, "sha256")
    assert remote == hmac.new(softhsm.values["hmac-256"], message, hashlib.sha256).digest()


def test_symmetric_key_from_the_hsm_round_trips_and_reimports(
    kms: Any, softhsm: SoftHsm, wrapping_algorithms: list[str]
) -> None:
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    request = ImportRequest(arn, softhsm.uri("aes-1"), wrapping_algorithm="RSAES_OAEP_SHA_1")
    first = run_import(request, kms=kms)
    assert first.imported
    assert first.proof == "encrypt/decrypt round trip"
    assert first.fingerprint == secret_fingerprint(softhsm.values["aes-1"])
    blob = kms.encrypt(KeyId=arn, Plaintext=b"sensitive data\n")["CiphertextBlob"]

    again = run_import(request, kms=kms)
    assert not again.imported  # idempotent: same material, same expiry

    kms.delete_imported_key_material(KeyId=arn)
    restored = run_import(request, kms=kms)  # re-import from the HSM after deletion
    assert restored.imported
    assert kms.decrypt(KeyId=arn, CiphertextBlob=blob)["Plaintext"] == b"sensitive data\n"
    assert wrapping_algorithms == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_1"]


def test_another_hsm_key_is_refused_by_kms_after_deletion(kms: Any, softhsm: SoftHsm) -> None:
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    run_import(ImportRequest(arn, softhsm.uri("aes-1")), kms=kms)
    kms.delete_imported_key_material(KeyId=arn)
    with pytest.raises(AwsError, match="IncorrectKeyMaterialException") as exc:
        run_import(ImportRequest(arn, softhsm.uri("not-sensitive")), kms=kms)
    assert "\n" not in str(exc.value)


def test_a_wrapping_algorithm_the_token_lacks_is_refused_before_import(
    kms: Any, softhsm: SoftHsm
) -> None:
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    request = ImportRequest(arn, softhsm.uri("aes-1"), wrapping_algorithm="RSAES_OAEP_SHA_256")
    with pytest.raises(WrappingError, match="cannot wrap with RSAES_OAEP_SHA_256") as exc:
        run_import(request, kms=kms)
    assert "\n" not in str(exc.value)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"
