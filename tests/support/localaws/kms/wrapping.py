"""Wrapping keys for GetParametersForImport, and unwrapping of imported material.

RSA key generation is slow (measured here: RSA_2048 ~0.07 s, RSA_3072 ~0.13 s,
RSA_4096 ~0.4 s), so one wrapping key is kept per (key, region, spec) while its
parameters are valid (24 h on the add-on's clock) and handed out again with a new token.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from localaws import clock
from localaws.kms import specs
from localaws.kms.errors import InvalidCiphertextException


@dataclass(frozen=True)
class WrappingKey:
    id: str
    spec: str
    private: rsa.RSAPrivateKey
    valid_to: datetime

    def public_der(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )


_lock = threading.Lock()
_by_id: dict[str, WrappingKey] = {}
_by_owner: dict[tuple[str, str, str, str], WrappingKey] = {}


def for_key(account: str, region: str, key_id: str, spec: str) -> WrappingKey:
    """The wrapping key to hand out for this key and spec: the cached one while valid."""
    owner = (account, region, key_id, spec)
    with _lock:
        current = _by_owner.get(owner)
        if current is not None and current.valid_to > clock.now():
            return current
    private = rsa.generate_private_key(
        public_exponent=65537, key_size=specs.WRAPPING_KEY_SPECS[spec]
    )
    fresh = WrappingKey(
        id=secrets.token_hex(16),
        spec=spec,
        private=private,
        valid_to=clock.now() + timedelta(hours=specs.IMPORT_PARAMETERS_VALID_HOURS),
    )
    with _lock:
        _by_owner[owner] = fresh
        _by_id[fresh.id] = fresh
    return fresh


def get(wrapping_id: str) -> WrappingKey | None:
    with _lock:
        return _by_id.get(wrapping_id)


def remember(key: WrappingKey, owner: tuple[str, str, str, str]) -> None:
    """Put back a wrapping key loaded from saved state."""
    with _lock:
        _by_id[key.id] = key
        _by_owner[owner] = key


def export() -> list[tuple[tuple[str, str, str, str], WrappingKey]]:
    """The cached wrapping keys with their owners, for saving."""
    with _lock:
        return list(_by_owner.items())


def restore(saved: list[tuple[tuple[str, str, str, str], WrappingKey]]) -> None:
    for owner, key in saved:
        remember(key, owner)


def unwrap(key: WrappingKey, algorithm: str, blob: bytes) -> bytes:
    """The plaintext material, or InvalidCiphertextException when it does not unwrap."""
    hash_type, aes_wrapped = specs.WRAPPING_ALGORITHMS[algorithm]
    oaep = padding.OAEP(mgf=padding.MGF1(hash_type()), algorithm=hash_type(), label=None)
    rsa_bytes = key.private.key_size // 8
    head, tail = (blob[:rsa_bytes], blob[rsa_bytes:]) if aes_wrapped else (blob, b"")
    try:
        opened = key.private.decrypt(head, oaep)
        if not aes_wrapped:
            return opened
        if len(opened) != 32 or not tail:
            raise InvalidCiphertextException()
        return aes_key_unwrap_with_padding(opened, tail)
    except (ValueError, InvalidUnwrap) as exc:
        raise InvalidCiphertextException() from exc
