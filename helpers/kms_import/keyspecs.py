"""What material each importable KMS key spec takes, and how to identify it.

Sizes follow the KMS developer guide ("Import key material: requirements"): symmetric keys take
exactly 256 bits; HMAC keys take between the digest size and the block size of their hash;
asymmetric keys take a PKCS#8 DER private key of the key spec's algorithm and size.

Which wrapping fits which material follows the GetParametersForImport API reference
(WrappingAlgorithm, WrappingKeySpec): RSA private keys only through RSA_AES_KEY_WRAP_*;
RSAES_OAEP_* for everything else as long as the material fits, so never ECC_NIST_P521 with an
RSA_2048 wrapping key. See wrapping.check_combination.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum

from .errors import MaterialError, UsageError
from .material import Material


class Kind(Enum):
    SYMMETRIC = "symmetric"
    HMAC = "hmac"
    RSA = "rsa"
    ECC = "ecc"


@dataclass(frozen=True)
class KeySpec:
    name: str
    kind: Kind
    min_bytes: int = 0  # secret material only
    # The largest material a wrapping must carry: secret keys' maximum; for ECC the PKCS#8 DER
    # with its public key (measured with cryptography); 0 for RSA, which KMS takes only through
    # RSA_AES_KEY_WRAP_* (no OAEP limit applies).
    max_bytes: int = 0
    rsa_bits: int = 0
    curve: str = ""  # cryptography's curve name for ECC specs

    @property
    def is_secret(self) -> bool:
        return self.kind in (Kind.SYMMETRIC, Kind.HMAC)

    def generated_size(self) -> int:
        """Bytes `generate:` draws for secret specs: the digest size (the spec's minimum)."""
        return self.min_bytes


SPECS: dict[str, KeySpec] = {
    spec.name: spec
    for spec in (
        KeySpec("SYMMETRIC_DEFAULT", Kind.SYMMETRIC, 32, 32),
        KeySpec("HMAC_224", Kind.HMAC, 28, 64),
        KeySpec("HMAC_256", Kind.HMAC, 32, 64),
        KeySpec("HMAC_384", Kind.HMAC, 48, 128),
        KeySpec("HMAC_512", Kind.HMAC, 64, 128),
        KeySpec("RSA_2048", Kind.RSA, rsa_bits=2048),
        KeySpec("RSA_3072", Kind.RSA, rsa_bits=3072),
        KeySpec("RSA_4096", Kind.RSA, rsa_bits=4096),
        KeySpec("ECC_NIST_P256", Kind.ECC, max_bytes=138, curve="secp256r1"),
        KeySpec("ECC_NIST_P384", Kind.ECC, max_bytes=185, curve="secp384r1"),
        KeySpec("ECC_NIST_P521", Kind.ECC, max_bytes=241, curve="secp521r1"),
        KeySpec("ECC_SECG_P256K1", Kind.ECC, max_bytes=135, curve="secp256k1"),
    )
}


# Key usages an imported key can have that kms-import can prove (KEY_AGREEMENT: no proof yet).
KEY_USAGES = ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC")


def key_spec(name: str) -> KeySpec:
    try:
        return SPECS[name]
    except KeyError:
        raise UsageError(f"unknown key spec {name!r}", f"use one of {', '.join(SPECS)}") from None


def check_material(spec: KeySpec, material: Material) -> None:
    """Refuse material KMS would refuse, before any call to KMS."""
    if spec.is_secret:
        size = len(material)
        if not spec.min_bytes <= size <= spec.max_bytes:
            wanted = (
                f"exactly {spec.min_bytes}"
                if spec.min_bytes == spec.max_bytes
                else f"{spec.min_bytes} to {spec.max_bytes}"
            )
            raise MaterialError(
                f"{material.description} holds {size} bytes but a {spec.name} key takes "
                f"{wanted} bytes",
                "point the source at the right material, or set ?format= if it is encoded",
            )
        return
    _check_private_key(spec, material)


def checked(spec: KeySpec, material: Material) -> Material:
    """check_material, zeroing the material when it is refused; returns it for chaining."""
    try:
        check_material(spec, material)
    except BaseException:
        material.zero()
        raise
    return material


def public_key_fingerprint(spki_der: bytes) -> str:
    return "sha256-spki:" + hashlib.sha256(spki_der).hexdigest()


def public_key_der(material: Material) -> bytes:
    """The SubjectPublicKeyInfo of a PKCS#8 DER private key."""
    from cryptography.hazmat.primitives import serialization

    # check_material already validated the key; RSA validation costs 0.2-0.5 s per load for
    # RSA_3072/4096, and the fingerprint and the proof each derive the public key again.
    key = _load_private_key(material, validate=False)
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _load_private_key(material: Material, validate: bool = True):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_der_private_key(
            bytes(material.buffer), password=None, unsafe_skip_rsa_key_validation=not validate
        )
    except (ValueError, TypeError):
        raise MaterialError(
            f"{material.description} is not a PKCS#8 DER private key",
            "asymmetric keys take a private key: use ?format=pem or ?format=der",
        ) from None


def _check_private_key(spec: KeySpec, material: Material) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = _load_private_key(material)
    if spec.kind is Kind.RSA:
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != spec.rsa_bits:
            raise MaterialError(
                f"{material.description} is not an RSA-{spec.rsa_bits} private key",
                f"a {spec.name} key takes an RSA private key of {spec.rsa_bits} bits",
            )
    elif not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != spec.curve:
        raise MaterialError(
            f"{material.description} is not a {spec.curve} private key",
            f"a {spec.name} key takes an EC private key on {spec.curve}",
        )
