"""Private keys (the material of RSA and ECC keys) as PKCS#8 DER: check them against their key
spec, derive the public key, fingerprint it. Works on buffers, so it needs no Material."""

from __future__ import annotations

import hashlib
from typing import Any

from .errors import MaterialError
from .keyspecs import KeySpec, Kind


def public_key_fingerprint(spki_der: bytes) -> str:
    return "sha256-spki:" + hashlib.sha256(spki_der).hexdigest()


def public_key_der(private_der: bytes | bytearray, description: str) -> bytes:
    """The SubjectPublicKeyInfo of a PKCS#8 DER private key."""
    from cryptography.hazmat.primitives import serialization

    # check_private_key already validated the key; RSA validation costs 0.2-0.5 s per load for
    # RSA_3072/4096, and the fingerprint and the proof each derive the public key again.
    key = _load(private_der, description, validate=False)
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def check_private_key(spec: KeySpec, private_der: bytes | bytearray, description: str) -> None:
    """Refuse a private key KMS would refuse for `spec`, before any call to KMS."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = _load(private_der, description)
    if spec.kind is Kind.RSA:
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != spec.rsa_bits:
            raise MaterialError(
                f"{description} is not an RSA-{spec.rsa_bits} private key",
                f"a {spec.name} key takes an RSA private key of {spec.rsa_bits} bits",
            )
    elif not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != spec.curve:
        raise MaterialError(
            f"{description} is not a {spec.curve} private key",
            f"a {spec.name} key takes an EC private key on {spec.curve}",
        )


def _load(private_der: bytes | bytearray, description: str, validate: bool = True) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_der_private_key(
            bytes(private_der), password=None, unsafe_skip_rsa_key_validation=not validate
        )
    except (ValueError, TypeError):
        raise MaterialError(
            f"{description} is not a PKCS#8 DER private key",
            "asymmetric keys take a private key: use ?format=pem or ?format=der",
        ) from None
