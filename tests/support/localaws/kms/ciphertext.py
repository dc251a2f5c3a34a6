"""The ciphertext blob of symmetric KMS keys.

AES-256-GCM under the key material itself, so a blob keeps decrypting after the same
material is deleted and imported again. The blob names its key (as KMS's does); the key id
and the encryption context are authenticated. Layout (not KMS's, which is private):
  0x01 | len(key id) | key id | 12-byte IV | ciphertext+tag
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from localaws.kms.errors import InvalidCiphertextException

_VERSION = 1
_IV_BYTES = 12


def _aad(key_id: str, context: dict[str, str] | None) -> bytes:
    return json.dumps([key_id, sorted((context or {}).items())]).encode()


def seal(key_id: str, material: bytes, plaintext: bytes, context: dict[str, str] | None) -> bytes:
    iv = os.urandom(_IV_BYTES)
    name = key_id.encode()
    body = AESGCM(material).encrypt(iv, plaintext, _aad(key_id, context))
    return bytes([_VERSION, len(name)]) + name + iv + body


def key_id_of(blob: bytes) -> str | None:
    """The key id a blob names, or None when it is not one of ours."""
    if len(blob) < 2 or blob[0] != _VERSION:
        return None
    end = 2 + blob[1]
    if len(blob) < end + _IV_BYTES + 16:
        return None
    try:
        return blob[2:end].decode()
    except UnicodeDecodeError:
        return None


def open_blob(material: bytes, blob: bytes, context: dict[str, str] | None) -> bytes:
    key_id = key_id_of(blob)
    if key_id is None:
        raise InvalidCiphertextException()
    start = 2 + blob[1]
    iv, body = blob[start : start + _IV_BYTES], blob[start + _IV_BYTES :]
    try:
        return AESGCM(material).decrypt(iv, body, _aad(key_id, context))
    except InvalidTag as exc:
        raise InvalidCiphertextException() from exc
