"""Client-side helpers for the local KMS conformance suite: wrapping done independently of
the add-on, as a KMS user would do it, and short-hands for common calls. (A module of its
own: every conftest is named `conftest`, so importing from one is ambiguous under xdist.)"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from offline.inprocess import in_process_aws

REGION = "us-east-1"
NO_EXPIRY = {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}


@contextmanager
def in_process_kms(patch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A boto3 KMS client on moto + the add-on, away from any endpoint or profile around."""
    with in_process_aws(patch):
        yield boto3.client("kms", region_name=REGION)


def expect_error(code: str, call: Callable[..., Any], **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["Error"]["Code"] == code, caught.value.response["Error"]
    return caught.value


def wrap(public_der: bytes, algorithm: str, material: bytes) -> bytes:
    """What a KMS user does with the PublicKey from GetParametersForImport."""
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    hash_type = hashes.SHA1 if algorithm.endswith("SHA_1") else hashes.SHA256
    oaep = padding.OAEP(mgf=padding.MGF1(hash_type()), algorithm=hash_type(), label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep)
    aes_key = os.urandom(32)
    return public.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)


def import_material(
    kms: Any,
    key_id: str,
    material: bytes,
    algorithm: str = "RSAES_OAEP_SHA_256",
    spec: str = "RSA_2048",
    **expiry: Any,
) -> dict[str, Any]:
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec
    )
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], algorithm, material),
        **(expiry or NO_EXPIRY),
    )
    return params


def external_key(kms: Any, **kwargs: Any) -> str:
    return str(kms.create_key(Origin="EXTERNAL", **kwargs)["KeyMetadata"]["KeyId"])


def state(kms: Any, key_id: str) -> str:
    return str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"])


@functools.cache
def private_key(key_spec: str) -> Any:
    """One private key per spec per worker: RSA-4096 generation is slow."""
    if key_spec.startswith("RSA_"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_spec[4:]))
    curves = {
        "ECC_NIST_P256": ec.SECP256R1(),
        "ECC_NIST_P384": ec.SECP384R1(),
        "ECC_NIST_P521": ec.SECP521R1(),
        "ECC_SECG_P256K1": ec.SECP256K1(),
    }
    return ec.generate_private_key(curves[key_spec])


def pkcs8(key: Any) -> bytes:
    return bytes(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
