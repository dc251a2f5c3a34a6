"""Wrapping: what the helper sends unwraps, with the private key, to the exact material."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding

from kms_import import wrapping
from kms_import.errors import WrappingError
from kms_import.keyspecs import key_spec

_KEYS: dict[int, rsa.RSAPrivateKey] = {}


def _wrapping_key(bits: int) -> rsa.RSAPrivateKey:
    if bits not in _KEYS:
        _KEYS[bits] = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return _KEYS[bits]


def _unwrap(private: rsa.RSAPrivateKey, blob: bytes, algorithm: str) -> bytes:
    digest = hashes.SHA256() if algorithm.endswith("SHA_256") else hashes.SHA1()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return private.decrypt(blob, oaep)
    size = private.key_size // 8
    aes_key = private.decrypt(blob[:size], oaep)
    return aes_key_unwrap_with_padding(aes_key, blob[size:])


@pytest.mark.parametrize("algorithm", wrapping.ALGORITHMS)
@pytest.mark.parametrize("bits", [2048, 3072, 4096])
def test_wrap_unwraps_to_the_material(algorithm: str, bits: int) -> None:
    private = _wrapping_key(bits)
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    material = bytearray(os.urandom(32))
    blob = wrapping.wrap(material, der, algorithm)
    assert _unwrap(private, blob, algorithm) == bytes(material)
    assert bytes(material) not in blob


def test_wrapping_is_randomised() -> None:
    der = (
        _wrapping_key(2048)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    material = os.urandom(32)
    assert wrapping.wrap(material, der, "RSAES_OAEP_SHA_256") != wrapping.wrap(
        material, der, "RSAES_OAEP_SHA_256"
    )


def test_defaults_follow_the_seed_for_secret_keys() -> None:
    assert wrapping.default_algorithm(key_spec("SYMMETRIC_DEFAULT")) == "RSAES_OAEP_SHA_256"
    assert wrapping.default_algorithm(key_spec("HMAC_512")) == "RSAES_OAEP_SHA_256"
    assert wrapping.default_algorithm(key_spec("RSA_2048")) == "RSA_AES_KEY_WRAP_SHA_256"


def test_private_key_with_oaep_is_refused_up_front() -> None:
    with pytest.raises(WrappingError, match="RSA_AES_KEY_WRAP_SHA_256"):
        wrapping.check_combination(key_spec("RSA_2048"), "RSAES_OAEP_SHA_256", "RSA_4096")


def test_oaep_capacity_is_checked() -> None:
    assert wrapping.oaep_capacity("RSAES_OAEP_SHA_256", "RSA_2048") == 190
    assert wrapping.oaep_capacity("RSAES_OAEP_SHA_1", "RSA_2048") == 214
    wrapping.check_combination(key_spec("HMAC_512"), "RSAES_OAEP_SHA_256", "RSA_2048", 128)
    with pytest.raises(WrappingError, match="at most 190 bytes"):
        wrapping.check_combination(key_spec("HMAC_512"), "RSAES_OAEP_SHA_256", "RSA_2048", 191)


@pytest.mark.parametrize(
    ("algorithm", "spec"), [("RSAES_OAEP_SHA_512", "RSA_2048"), ("RSAES_OAEP_SHA_256", "RSA_1024")]
)
def test_unknown_names_are_refused(algorithm: str, spec: str) -> None:
    with pytest.raises(WrappingError, match="unknown"):
        wrapping.check_combination(key_spec("SYMMETRIC_DEFAULT"), algorithm, spec)
