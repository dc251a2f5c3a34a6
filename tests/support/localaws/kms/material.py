"""Checks imported key material against the key spec and turns it into usable keys."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from localaws.kms import specs
from localaws.kms.errors import IncorrectKeyMaterialException
from localaws.kms.keypair import KeyPair, load_private_key


@dataclass(frozen=True)
class Material:
    """Key material ready for use: raw bytes for symmetric and HMAC keys, else a key pair."""

    secret: bytes | None
    keypair: KeyPair | None

    def fingerprint(self) -> bytes:
        """Identifies the material so a later import can be told same/different.

        For private keys the public key decides, so two encodings of one key count as same.
        """
        if self.keypair is not None:
            return hashlib.sha256(self.keypair.public_der()).digest()
        assert self.secret is not None
        return hashlib.sha256(self.secret).digest()


def parse(key_spec: str, raw: bytes) -> Material:
    """Material for `key_spec`, or IncorrectKeyMaterialException (KMS's answer to invalid
    material: wrong length, not PKCS#8, wrong key type or size)."""
    if key_spec == specs.SYMMETRIC:
        if len(raw) != specs.SYMMETRIC_MATERIAL_BYTES:
            raise IncorrectKeyMaterialException(
                f"Key material for {key_spec} must be {specs.SYMMETRIC_MATERIAL_BYTES} bytes."
            )
        return Material(secret=raw, keypair=None)
    if specs.is_hmac(key_spec):
        low, high = specs.HMAC_MATERIAL_BYTES[key_spec]
        if not low <= len(raw) <= high:
            raise IncorrectKeyMaterialException(
                f"Key material for {key_spec} must be {low} to {high} bytes."
            )
        return Material(secret=raw, keypair=None)
    if specs.is_asymmetric(key_spec):
        private = load_private_key(key_spec, raw)
        if private is None:
            raise IncorrectKeyMaterialException(
                f"Key material for {key_spec} must be a PKCS#8 DER private key of that spec."
            )
        return Material(secret=None, keypair=KeyPair(key_spec, private))
    raise IncorrectKeyMaterialException(f"Key spec {key_spec} does not support import.")
