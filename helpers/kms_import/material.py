"""Key material held in memory as briefly and as erasably as Python allows."""

from __future__ import annotations

import hashlib
import hmac
from types import TracebackType
from typing import Protocol, Self

from . import wrapping
from .errors import MaterialError
from .keyspecs import WRAPPING_ALGORITHMS, KeySpec
from .privatekeys import check_private_key, public_key_der, public_key_fingerprint
from .securefile import Closing, zero

# Fixed label for the keyed check value: HMAC-SHA256(key=material, msg=label), 16 bytes.
# It identifies the material without revealing it, and never changes between versions.
FINGERPRINT_LABEL = b"kms-import material fingerprint v1"
FINGERPRINT_PREFIX = "hmac-sha256:"


class KeyMaterial(Protocol):
    """What the import needs from material, wherever it lives: in memory or in an HSM.

    A holder that keeps the plaintext inside a token (PKCS#11) wraps, fingerprints and MACs
    there; the import and the proof only ever use these methods.
    """

    description: str

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    @property
    def size(self) -> int | None:
        """Bytes of secret material, or None when the holder cannot tell."""
        ...

    @property
    def wrapping_algorithms(self) -> tuple[str, ...]:
        """The KMS wrapping algorithms this holder can produce."""
        ...

    def fingerprint(self, spec: KeySpec) -> str: ...

    def wrap(self, public_key_der: bytes, algorithm: str) -> bytes:
        """EncryptedKeyMaterial for ImportKeyMaterial."""
        ...

    def mac(self, message: bytes, hash_name: str) -> bytes:
        """HMAC of `message` under the material (HMAC keys' proof)."""
        ...

    def public_key_der(self) -> bytes:
        """SubjectPublicKeyInfo of a private key (asymmetric keys' proof)."""
        ...


class Material(Closing):
    """Plaintext key material in a bytearray that is zeroed on close.

    Use as a context manager. Python may still hold transient copies (e.g. inside a decoder);
    what this object owns is overwritten when the `with` block ends, on every exit path.
    """

    __slots__ = ("_buf", "description")

    def __init__(self, buf: bytearray, description: str) -> None:
        self._buf = buf
        self.description = description

    def __repr__(self) -> str:  # never show the bytes, even in a debugger or traceback
        return f"Material({self.description}, {len(self._buf)} bytes)"

    def __len__(self) -> int:
        return len(self._buf)

    @property
    def buffer(self) -> bytearray:
        """The plaintext itself; pass it on, never store or print it."""
        return self._buf

    @property
    def size(self) -> int:
        return len(self._buf)

    @property
    def wrapping_algorithms(self) -> tuple[str, ...]:
        return WRAPPING_ALGORITHMS

    def zero(self) -> None:
        zero(self._buf)

    close = zero  # `with material:` wipes it at the end

    def fingerprint(self, spec: KeySpec | None = None) -> str:
        """Secret material: keyed check value; private keys: SHA-256 of the public key."""
        if spec is None or spec.is_secret:
            return secret_fingerprint(self._buf)
        return public_key_fingerprint(self.public_key_der())

    def wrap(self, public_key_der: bytes, algorithm: str) -> bytes:
        return wrapping.wrap(self._buf, public_key_der, algorithm)

    def mac(self, message: bytes, hash_name: str) -> bytes:
        return hmac.new(self._buf, message, hash_name).digest()

    def public_key_der(self) -> bytes:
        return public_key_der(self._buf, self.description)


def secret_fingerprint(secret: bytes | bytearray) -> str:
    """The non-secret keyed check value Terraform sees instead of the material."""
    digest = hmac.new(secret, FINGERPRINT_LABEL, hashlib.sha256).digest()[:16]
    return FINGERPRINT_PREFIX + digest.hex()


def check_material(spec: KeySpec, material: Material) -> None:
    """Refuse material KMS would refuse, before any call to KMS."""
    if not spec.is_secret:
        check_private_key(spec, material.buffer, material.description)
        return
    size = len(material)
    if not spec.min_bytes <= size <= spec.max_bytes:
        wanted = (
            f"exactly {spec.min_bytes}"
            if spec.min_bytes == spec.max_bytes
            else f"{spec.min_bytes} to {spec.max_bytes}"
        )
        raise MaterialError(
            f"{material.description} holds {size} bytes but a {spec.name} key takes {wanted} bytes",
            "point the source at the right material, or set ?format= if it is encoded",
        )


def checked(spec: KeySpec, material: Material) -> Material:
    """check_material, zeroing the material when it is refused; returns it for chaining."""
    try:
        check_material(spec, material)
    except BaseException:
        material.zero()
        raise
    return material
