"""Asymmetric operations on one private key, the way KMS performs them.

RSASSA-PSS uses a salt as long as the digest (moto uses the maximum, which KMS does not);
ECDSA signatures are DER; RSA encryption is OAEP with the same hash for MGF1.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from localaws.kms import specs
from localaws.kms.errors import (
    InvalidCiphertextException,
    KMSInvalidSignatureException,
    ValidationException,
)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class KeyPair:
    key_spec: str
    private: PrivateKey

    def public_der(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def signing_algorithms(self) -> list[str]:
        if self.key_spec in specs.CURVES:
            return [specs.ECDSA_ALGORITHM_FOR_SPEC[self.key_spec]]
        return sorted(name for name in specs.SIGNING_HASHES if name.startswith("RSASSA"))

    def sign(self, message: bytes, algorithm: str, message_type: str) -> bytes:
        prehashed = self._hash_for(algorithm, message, message_type)
        if isinstance(self.private, rsa.RSAPrivateKey):
            return self.private.sign(message, _rsa_padding(algorithm), prehashed)
        return self.private.sign(message, ec.ECDSA(prehashed))

    def verify(self, message: bytes, signature: bytes, algorithm: str, message_type: str) -> None:
        """Raises KMSInvalidSignatureException when the signature does not match."""
        prehashed = self._hash_for(algorithm, message, message_type)
        public = self.private.public_key()
        try:
            if isinstance(public, rsa.RSAPublicKey):
                public.verify(signature, message, _rsa_padding(algorithm), prehashed)
            else:
                public.verify(signature, message, ec.ECDSA(prehashed))
        except InvalidSignature as exc:
            raise KMSInvalidSignatureException("") from exc

    def encrypt(self, plaintext: bytes, algorithm: str) -> bytes:
        public = self.private.public_key()
        assert isinstance(public, rsa.RSAPublicKey)
        return public.encrypt(plaintext, _oaep(algorithm))

    def decrypt(self, ciphertext: bytes, algorithm: str) -> bytes:
        assert isinstance(self.private, rsa.RSAPrivateKey)
        try:
            return self.private.decrypt(ciphertext, _oaep(algorithm))
        except ValueError as exc:
            raise InvalidCiphertextException() from exc

    def _hash_for(
        self, algorithm: str, message: bytes, message_type: str
    ) -> hashes.HashAlgorithm | utils.Prehashed:
        if algorithm not in self.signing_algorithms():
            raise ValidationException(
                f"1 validation error detected: Value '{algorithm}' at 'SigningAlgorithm' "
                f"failed to satisfy constraint: Member must satisfy enum value set: "
                f"{self.signing_algorithms()}"
            )
        digest_hash = specs.SIGNING_HASHES[algorithm]()
        if message_type != "DIGEST":
            return digest_hash
        if len(message) != digest_hash.digest_size:
            raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")
        return utils.Prehashed(digest_hash)


def _rsa_padding(algorithm: str) -> padding.AsymmetricPadding:
    digest_hash = specs.SIGNING_HASHES[algorithm]()
    if algorithm.startswith("RSASSA_PSS"):
        return padding.PSS(mgf=padding.MGF1(digest_hash), salt_length=padding.PSS.DIGEST_LENGTH)
    return padding.PKCS1v15()


def _oaep(algorithm: str) -> padding.OAEP:
    digest_hash = specs.RSA_ENCRYPTION_HASHES[algorithm]()
    return padding.OAEP(mgf=padding.MGF1(digest_hash), algorithm=digest_hash, label=None)


def load_private_key(key_spec: str, der: bytes) -> PrivateKey | None:
    """The PKCS#8 DER private key if it parses and matches `key_spec`, else None."""
    if not _is_pkcs8(der):
        return None
    try:
        private = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError):
        return None
    if key_spec in specs.RSA_BITS:
        ok = isinstance(private, rsa.RSAPrivateKey) and private.key_size == specs.RSA_BITS[key_spec]
    else:
        ok = isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(
            private.curve, specs.CURVES[key_spec]
        )
    return private if ok else None  # type: ignore[return-value]


def _is_pkcs8(der: bytes) -> bool:
    """PKCS#8 is SEQUENCE { INTEGER version, SEQUENCE algorithm, ... }; PKCS#1 and SEC1
    keys (which cryptography would also load) have no algorithm SEQUENCE there."""
    if len(der) < 8 or der[0] != 0x30:
        return False
    offset = 2 + (der[1] & 0x7F if der[1] & 0x80 else 0)
    return der[offset : offset + 3] == b"\x02\x01\x00" and der[offset + 3] == 0x30
