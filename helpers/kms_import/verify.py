"""Prove that a key holds the expected material, using only what KMS can be asked.

Symmetric keys: an Encrypt/Decrypt round trip (plus the fingerprint check before import).
HMAC keys: KMS's GenerateMac must equal the MAC computed here with the material.
Asymmetric keys: GetPublicKey must equal the material's public key, and a KMS signature must
verify here (ENCRYPT_DECRYPT keys: a local encryption must decrypt in KMS).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from . import aws
from .errors import VerificationError
from .keys import KeyInfo
from .keyspecs import PROOF_DECRYPTION_ALGORITHM, PROOF_ENCRYPTION_CONTEXT, KeySpec, Kind
from .material import KeyMaterial

# The seed's test plaintext: "sensitive data\n".
SEED_PLAINTEXT = b"sensitive data\n"
_HASHES = {"224": "sha224", "256": "sha256", "384": "sha384", "512": "sha512"}


def round_trip(
    kms: Any, key_id: str, plaintext: bytes = SEED_PLAINTEXT, context: dict[str, str] | None = None
) -> bytes:
    """Encrypt then decrypt through KMS (with `context` as encryption context, if any);
    returns the ciphertext blob."""
    extra = {"EncryptionContext": context} if context else {}
    blob = aws.call("Encrypt", kms.encrypt, KeyId=key_id, Plaintext=plaintext, **extra)[
        "CiphertextBlob"
    ]
    back = aws.call("Decrypt", kms.decrypt, KeyId=key_id, CiphertextBlob=blob, **extra)["Plaintext"]
    if back != plaintext:
        raise VerificationError(
            f"key {key_id} decrypted its own ciphertext to different bytes",
            "the key is not usable: check its state with `kms-import status`",
        )
    return bytes(blob)


def prove(kms: Any, key: KeyInfo, spec: KeySpec, material: KeyMaterial | None) -> str:
    """Run the proof that fits the key spec; returns a one-line description of what held."""
    if spec.kind is Kind.SYMMETRIC:
        round_trip(kms, key.arn, secrets.token_bytes(32), PROOF_ENCRYPTION_CONTEXT)
        return "encrypt/decrypt round trip"
    if material is None:
        raise VerificationError(
            f"cannot prove a {spec.name} key without its material", "pass --source"
        )
    if spec.kind is Kind.HMAC:
        return _prove_hmac(kms, key, spec, material)
    return _prove_private_key(kms, key, spec, material)


def _prove_hmac(kms: Any, key: KeyInfo, spec: KeySpec, material: KeyMaterial) -> str:
    message = secrets.token_bytes(32)
    algorithm = str(spec.mac_algorithm)
    remote = aws.call(
        "GenerateMac", kms.generate_mac, KeyId=key.arn, Message=message, MacAlgorithm=algorithm
    )["Mac"]
    local = material.mac(message, _HASHES[algorithm.rsplit("_", 1)[1]])
    if not hmac.compare_digest(remote, local):
        raise VerificationError(
            f"key {key.key_id} computes a different MAC than the material",
            "the key holds other material than this source; do not use it for this data",
        )
    return "GenerateMac equals the local HMAC"


def _prove_private_key(kms: Any, key: KeyInfo, spec: KeySpec, material: KeyMaterial) -> str:
    from cryptography.hazmat.primitives import serialization

    local_der = material.public_key_der()
    remote = aws.call("GetPublicKey", kms.get_public_key, KeyId=key.arn)
    if remote["PublicKey"] != local_der:
        raise VerificationError(
            f"key {key.key_id} has a different public key than the material",
            "the key holds other material than this source",
        )
    public_key = serialization.load_der_public_key(local_der)
    if key.key_usage == "ENCRYPT_DECRYPT":
        return _prove_decrypt(kms, key, public_key)
    return _prove_signature(kms, key, public_key, str(spec.signing_algorithm))


def _prove_decrypt(kms: Any, key: KeyInfo, public_key: Any) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    plaintext = secrets.token_bytes(32)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    blob = public_key.encrypt(plaintext, oaep)
    back = aws.call(
        "Decrypt",
        kms.decrypt,
        KeyId=key.arn,
        CiphertextBlob=blob,
        EncryptionAlgorithm=PROOF_DECRYPTION_ALGORITHM,
    )["Plaintext"]
    if back != plaintext:
        raise VerificationError(f"key {key.key_id} cannot decrypt for its public key", "re-import")
    return "GetPublicKey matches; a local RSA-OAEP encryption decrypts in KMS"


def _prove_signature(kms: Any, key: KeyInfo, public_key: Any, algorithm: str) -> str:
    """One RAW-message signature with the key spec's proof algorithm (keyspecs.py), the one
    the importer policy allows (kms:SigningAlgorithm, kms:MessageType)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    message = secrets.token_bytes(32)
    signature = aws.call(
        "Sign",
        kms.sign,
        KeyId=key.arn,
        Message=message,
        MessageType="RAW",
        SigningAlgorithm=algorithm,
    )["Signature"]
    digest = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[
        algorithm.rsplit("_", 1)[1]
    ]
    try:
        if algorithm.startswith("ECDSA"):
            public_key.verify(signature, message, ec.ECDSA(digest))
        elif algorithm.startswith("RSASSA_PSS"):
            pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
            public_key.verify(signature, message, pss, digest)
        else:
            public_key.verify(signature, message, padding.PKCS1v15(), digest)
    except InvalidSignature:
        raise VerificationError(
            f"a signature by key {key.key_id} does not verify with the material's public key",
            "the key holds other material than this source",
        ) from None
    return f"GetPublicKey matches; a KMS {algorithm} signature verifies locally"
