"""Wrap material for ImportKeyMaterial with the public key from GetParametersForImport.

RSAES_OAEP_SHA_*: RSA-OAEP with the named hash for both the digest and MGF1, empty label.
RSA_AES_KEY_WRAP_SHA_*: a fresh AES-256 key wrapped with RSA-OAEP (hash as named), then the
material wrapped under it with AES Key Wrap with Padding (RFC 5649); KMS takes the two
ciphertexts concatenated, RSA part first.
"""

from __future__ import annotations

import secrets

from .errors import WrappingError
from .keyspecs import WRAPPING_ALGORITHMS as ALGORITHMS
from .keyspecs import WRAPPING_KEY_SPECS, KeySpec

_RSA_BYTES = {"RSA_2048": 256, "RSA_3072": 384, "RSA_4096": 512}


__all__ = ["ALGORITHMS", "WRAPPING_KEY_SPECS", "check_combination", "choose_algorithm", "wrap"]


def default_algorithm(spec: KeySpec) -> str:
    return spec.default_wrapping_algorithm


def oaep_allowed(spec: KeySpec) -> bool:
    """KMS takes RSA private keys only through RSA_AES_KEY_WRAP_* (GetParametersForImport,
    WrappingAlgorithm); symmetric, HMAC and ECC material may be OAEP-wrapped if it fits."""
    return "RSAES_OAEP_SHA_256" in spec.wrapping_algorithms


def choose_algorithm(
    spec: KeySpec, requested: str | None, offered: tuple[str, ...], holder: str
) -> str:
    """The requested algorithm if the material's holder can produce it, else the best default."""
    if requested:
        if requested not in offered:
            raise WrappingError(
                f"{holder} cannot wrap with {requested}",
                f"use one it supports: {', '.join(offered)}",
            )
        return requested
    preferred = default_algorithm(spec)
    if preferred in offered:
        return preferred
    fits = [a for a in offered if oaep_allowed(spec) or not a.startswith("RSAES_OAEP")]
    if not fits:
        raise WrappingError(
            f"{holder} offers no wrapping algorithm KMS accepts for a {spec.name} key",
            "use a source that can wrap with RSA_AES_KEY_WRAP_SHA_1 or _SHA_256",
        )
    return fits[-1]


def check_combination(
    spec: KeySpec, algorithm: str, wrapping_key_spec: str, material_size: int | None = None
) -> None:
    """Refuse up front what KMS would refuse (or what could not carry the material)."""
    if algorithm not in ALGORITHMS:
        raise WrappingError(
            f"unknown wrapping algorithm {algorithm!r}", f"use one of {', '.join(ALGORITHMS)}"
        )
    if wrapping_key_spec not in WRAPPING_KEY_SPECS:
        raise WrappingError(
            f"unknown wrapping key spec {wrapping_key_spec!r}",
            f"use one of {', '.join(WRAPPING_KEY_SPECS)}",
        )
    if not algorithm.startswith("RSAES_OAEP"):
        return
    if not oaep_allowed(spec):
        raise WrappingError(
            f"{algorithm} cannot wrap a {spec.name} private key (KMS takes RSA private keys "
            "only through RSA_AES_KEY_WRAP_*)",
            "use RSA_AES_KEY_WRAP_SHA_256 (or leave the wrapping algorithm unset)",
        )
    limit = oaep_capacity(algorithm, wrapping_key_spec)
    size = material_size if material_size else spec.max_bytes
    if size > limit:
        raise WrappingError(
            f"{algorithm} with {wrapping_key_spec} carries at most {limit} bytes, "
            f"the material has {size}",
            "use a larger wrapping key spec or an RSA_AES_KEY_WRAP algorithm",
        )


def oaep_capacity(algorithm: str, wrapping_key_spec: str) -> int:
    hash_bytes = 32 if algorithm.endswith("SHA_256") else 20
    return _RSA_BYTES[wrapping_key_spec] - 2 * hash_bytes - 2


def wrap(material: bytes | bytearray, public_key_der: bytes, algorithm: str) -> bytes:
    """The EncryptedKeyMaterial for ImportKeyMaterial."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public_key = serialization.load_der_public_key(public_key_der)
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise WrappingError("the wrapping public key from KMS is not an RSA key", "report this")
    oaep = _oaep(algorithm)
    # cryptography takes only immutable bytes here: a transient copy we cannot zero.
    if algorithm.startswith("RSAES_OAEP"):
        return public_key.encrypt(bytes(material), oaep)
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

    aes_key = bytearray(secrets.token_bytes(32))
    try:
        return public_key.encrypt(bytes(aes_key), oaep) + aes_key_wrap_with_padding(
            bytes(aes_key), bytes(material)
        )
    finally:
        for i in range(len(aes_key)):
            aes_key[i] = 0


def _oaep(algorithm: str):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    digest = hashes.SHA256() if algorithm.endswith("SHA_256") else hashes.SHA1()  # noqa: S303
    return padding.OAEP(mgf=padding.MGF1(algorithm=digest), algorithm=digest, label=None)
