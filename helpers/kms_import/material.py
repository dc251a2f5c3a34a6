"""Key material held in memory as briefly and as erasably as Python allows."""

from __future__ import annotations

import hashlib
import hmac
from types import TracebackType

# Fixed label for the keyed check value: HMAC-SHA256(key=material, msg=label), 16 bytes.
# It identifies the material without revealing it, and never changes between versions.
FINGERPRINT_LABEL = b"kms-import material fingerprint v1"
FINGERPRINT_PREFIX = "hmac-sha256:"


class Material:
    """Plaintext key material in a bytearray that is zeroed on close.

    Use as a context manager. Python may still hold transient copies (e.g. inside a decoder);
    what this object owns is overwritten when the `with` block ends, on every exit path.
    """

    __slots__ = ("_buf", "description")

    def __init__(self, buf: bytearray, description: str) -> None:
        self._buf = buf
        self.description = description

    def __enter__(self) -> Material:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.zero()

    def __repr__(self) -> str:  # never show the bytes, even in a debugger or traceback
        return f"Material({self.description}, {len(self._buf)} bytes)"

    def __len__(self) -> int:
        return len(self._buf)

    @property
    def buffer(self) -> bytearray:
        """The plaintext itself; pass it on, never store or print it."""
        return self._buf

    def zero(self) -> None:
        for i in range(len(self._buf)):
            self._buf[i] = 0

    def fingerprint(self) -> str:
        return secret_fingerprint(self._buf)


def secret_fingerprint(secret: bytes | bytearray) -> str:
    """The non-secret keyed check value Terraform sees instead of the material."""
    digest = hmac.new(secret, FINGERPRINT_LABEL, hashlib.sha256).digest()[:16]
    return FINGERPRINT_PREFIX + digest.hex()
