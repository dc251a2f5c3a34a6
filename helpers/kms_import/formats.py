"""Decode material from the encodings a file may hold: raw, base64, hex, pem, der.

Private keys in PEM (PKCS#8, PKCS#1 or SEC1) or DER are converted to the PKCS#8 DER that KMS
expects, in memory.
"""

from __future__ import annotations

import binascii

from .errors import MaterialError, UsageError

FORMATS = ("raw", "base64", "hex", "pem", "der")


def decode(data: bytearray, fmt: str, description: str) -> bytearray:
    """Material bytes from the file's bytes; `data` is zeroed when a copy was made."""
    if fmt == "raw":
        return data
    try:
        if fmt == "base64":
            out = bytearray(binascii.a2b_base64(bytes(data).strip(), strict_mode=True))
        elif fmt == "hex":
            out = bytearray(bytes.fromhex(data.decode("ascii").strip()))
        elif fmt in ("pem", "der"):
            out = _private_key_to_pkcs8_der(data, fmt)
        else:
            raise UsageError(f"unknown material format {fmt!r}", f"use ?format= one of {FORMATS}")
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise MaterialError(
            f"{description} is not valid {fmt}", "check the file, or fix ?format= in the source"
        ) from None
    finally:
        for i in range(len(data)):
            data[i] = 0
    return out


def _private_key_to_pkcs8_der(data: bytearray, fmt: str) -> bytearray:
    from cryptography.hazmat.primitives import serialization

    load = (
        serialization.load_pem_private_key if fmt == "pem" else serialization.load_der_private_key
    )
    key = load(bytes(data), password=None)
    return bytearray(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
