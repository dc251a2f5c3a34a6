"""The ciphertext blob of symmetric KMS keys.

AES-256-GCM under one key material, so a blob keeps decrypting after that material is
deleted and imported again, and after rotations. The blob names its key and the material
(as KMS's names its backing key); both and the encryption context are authenticated.
Layout (not KMS's, which is private):
  0x02 | len(key id) | key id | 32-byte KeyMaterialId | 12-byte IV | ciphertext+tag
Blobs of the first layout (0x01, no material id) still open with the key's first material.
"""

from __future__ import annotations

import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from localaws.kms.errors import InvalidCiphertextException

_V1, _V2 = 1, 2
_IV_BYTES = 12
_ID_BYTES = 32
_TAG_BYTES = 16


def _aad(key_id: str, material_id: str | None, context: dict[str, str] | None) -> bytes:
    names = [key_id] if material_id is None else [key_id, material_id]
    return json.dumps([*names, sorted((context or {}).items())]).encode()


def seal(
    key_id: str,
    material_id: str,
    material: bytes,
    plaintext: bytes,
    context: dict[str, str] | None,
) -> bytes:
    iv = os.urandom(_IV_BYTES)
    name = key_id.encode()
    body = AESGCM(material).encrypt(iv, plaintext, _aad(key_id, material_id, context))
    return bytes([_V2, len(name)]) + name + bytes.fromhex(material_id) + iv + body


def _parse(blob: bytes) -> tuple[str, str | None, int] | None:
    """(key id, material id or None for the first layout, offset of the IV)."""
    if len(blob) < 2 or blob[0] not in (_V1, _V2):
        return None
    end = 2 + blob[1]
    id_bytes = _ID_BYTES if blob[0] == _V2 else 0
    if len(blob) < end + id_bytes + _IV_BYTES + _TAG_BYTES:
        return None
    try:
        key_id = blob[2:end].decode()
    except UnicodeDecodeError:
        return None
    material_id = blob[end : end + id_bytes].hex() if id_bytes else None
    return key_id, material_id, end + id_bytes


def key_id_of(blob: bytes) -> str | None:
    """The key id a blob names, or None when it is not one of ours."""
    parsed = _parse(blob)
    return parsed[0] if parsed else None


def material_id_of(blob: bytes) -> str | None:
    """The KeyMaterialId a blob names (None: first layout, or not one of ours)."""
    parsed = _parse(blob)
    return parsed[1] if parsed else None


def gcm_parts(blob: bytes, context: dict[str, str] | None) -> tuple[bytes, bytes, bytes]:
    """(IV, associated data, ciphertext+tag): what AES-256-GCM under the material opens. Tests
    use it to open a blob with the key elsewhere (e.g. inside an HSM that holds it)."""
    parsed = _parse(blob)
    if parsed is None:
        raise InvalidCiphertextException()
    key_id, material_id, start = parsed
    iv, body = blob[start : start + _IV_BYTES], blob[start + _IV_BYTES :]
    return iv, _aad(key_id, material_id, context), body


def open_blob(material: bytes, blob: bytes, context: dict[str, str] | None) -> bytes:
    iv, aad, body = gcm_parts(blob, context)
    try:
        return AESGCM(material).decrypt(iv, body, aad)
    except InvalidTag as exc:
        raise InvalidCiphertextException() from exc
