"""A key inside a PKCS#11 token (pkcs11.py opens it from its URI): the token wraps it for KMS
(C_WrapKey), computes its fingerprint and HMAC proof, and measures which wrapping algorithms it
takes, so the plaintext never enters this process unless the URI says allow-extract=true."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..errors import MaterialError, SourceError, WrappingError
from ..keyspecs import KeySpec
from ..material import FINGERPRINT_LABEL, FINGERPRINT_PREFIX, Material
from ..securefile import Closing

log = logging.getLogger("kms-import")

_HMAC_MECHANISMS = {
    "sha224": "SHA224_HMAC",
    "sha256": "SHA256_HMAC",
    "sha384": "SHA384_HMAC",
    "sha512": "SHA512_HMAC",
}
_OAEP_HASHES = {"SHA_1": ("SHA_1", "SHA1"), "SHA_256": ("SHA256", "SHA256")}
_SECRET_KEY_TYPES = ("AES", "GENERIC_SECRET", "SHA224_HMAC", "SHA256_HMAC", "SHA384_HMAC",
                     "SHA512_HMAC", "SHA_1_HMAC")  # fmt: skip

# python-pkcs11 initialises the module with C_Initialize(NULL): the application promises
# PKCS#11 not to call it from several threads at once. import-keys and plan-keys run keys on
# threads, so a thread holds this from opening its session until its holder closes.
_ONE_AT_A_TIME = threading.RLock()


def _hsm_error(exc: BaseException, what: str) -> SourceError:
    return SourceError(f"the HSM failed {what}: {type(exc).__name__}", "check the token and key")


@dataclass
class HsmKey(Closing):
    """A key inside a token, behind the KeyMaterial protocol; the session closes on exit."""

    session: Any
    key: Any
    description: str
    allow_extract: bool = False
    _algorithms: tuple[str, ...] | None = field(default=None, repr=False)
    _signer: Any = field(default=None, repr=False)

    def close(self) -> None:
        self._signer = None
        try:
            self.session.close()  # session objects (copies, temporary keys) vanish with it
        finally:
            _ONE_AT_A_TIME.release()

    # --- what the key is -------------------------------------------------------------------

    def attribute(self, name: str) -> Any:
        from pkcs11 import Attribute

        return self.key[getattr(Attribute, name)]

    @property
    def key_type(self) -> str:
        return str(self.attribute("KEY_TYPE").name)

    @property
    def size(self) -> int:
        return int(self.attribute("VALUE_LEN"))

    @property
    def readable(self) -> bool:
        """True when the value may be read: the user allowed it and the token would allow it."""
        return (
            self.allow_extract
            and not self.attribute("SENSITIVE")
            and bool(self.attribute("EXTRACTABLE"))
        )

    def check(self, spec: KeySpec) -> None:
        """Refuse keys KMS could not take, before any call to KMS."""
        if self.key_type not in _SECRET_KEY_TYPES:
            raise SourceError(
                f"{self.description} is a {self.key_type} key",
                "KMS takes AES or generic-secret/HMAC key objects for secret key specs",
            )
        if not self.attribute("EXTRACTABLE"):
            raise SourceError(
                f"{self.description} is not extractable (CKA_EXTRACTABLE=false), so it cannot "
                "be wrapped for KMS",
                "create the HSM key with CKA_EXTRACTABLE=true (it may stay sensitive)",
            )
        if not spec.min_bytes <= self.size <= spec.max_bytes:
            wanted = (
                f"exactly {spec.min_bytes}"
                if spec.min_bytes == spec.max_bytes
                else f"{spec.min_bytes} to {spec.max_bytes}"
            )
            raise MaterialError(
                f"{self.description} holds {self.size} bytes but a {spec.name} key takes "
                f"{wanted} bytes",
                "point the source at the right HSM key",
            )

    # --- the KeyMaterial protocol ----------------------------------------------------------

    @property
    def wrapping_algorithms(self) -> tuple[str, ...]:
        if self._algorithms is None:
            self._algorithms = self._measure_algorithms()
        if self.readable:
            from ..wrapping import ALGORITHMS

            return ALGORITHMS
        return self._algorithms

    def fingerprint(self, spec: KeySpec) -> str:
        digest = self.mac(FINGERPRINT_LABEL, "sha256")[:16]
        return FINGERPRINT_PREFIX + digest.hex()

    def wrap(self, public_key_der: bytes, algorithm: str) -> bytes:
        if self._algorithms is None:
            self._algorithms = self._measure_algorithms()
        if algorithm not in self._algorithms:
            if self.readable:
                with self._extract() as material:
                    return material.wrap(public_key_der, algorithm)
            raise WrappingError(
                f"{self.description}: the token cannot wrap with {algorithm}",
                f"use one it supports ({', '.join(self._algorithms) or 'none'}), or allow "
                "reading a non-sensitive key with ?allow-extract=true",
            )
        public = self._import_public_key(public_key_der)
        try:
            return self._wrap_in_token(public, algorithm)
        finally:
            public.destroy()

    def mac(self, message: bytes, hash_name: str) -> bytes:
        from pkcs11 import Mechanism

        if self.readable:
            with self._extract() as material:
                return material.mac(message, hash_name)
        from pkcs11 import exceptions as px

        mechanism = getattr(Mechanism, _HMAC_MECHANISMS[hash_name])
        signer = self._signing_key()
        try:
            return bytes(signer.sign(message, mechanism=mechanism))
        except px.KeySizeRange:
            raise SourceError(
                f"the token refuses HMAC-{hash_name.upper()} with the {self.size}-byte "
                f"{self.description} (too short for that hash there)",
                "pass material_fingerprint explicitly (see docs/guide.md, Material sources)",
            ) from None
        except px.PKCS11Error as exc:
            raise _hsm_error(exc, f"computing an HMAC with {self.description}") from None

    def public_key_der(self) -> bytes:
        raise MaterialError(
            f"{self.description} is a secret key and has no public key",
            "asymmetric key specs cannot use the pkcs11 source yet",
        )

    # --- inside the token ------------------------------------------------------------------

    def _wrap_in_token(self, public: Any, algorithm: str) -> bytes:
        from pkcs11 import Mechanism
        from pkcs11 import exceptions as px

        oaep = _oaep_param("SHA_" + algorithm.rsplit("_SHA_", 1)[1])
        try:
            if algorithm.startswith("RSAES_OAEP"):
                return bytes(
                    public.wrap_key(
                        self.key, mechanism=Mechanism.RSA_PKCS_OAEP, mechanism_param=oaep
                    )
                )
            temporary = self._temporary_aes_key(extractable=True)
            try:
                rsa_part = public.wrap_key(
                    temporary, mechanism=Mechanism.RSA_PKCS_OAEP, mechanism_param=oaep
                )
                aes_part = temporary.wrap_key(self.key, mechanism=Mechanism.AES_KEY_WRAP_PAD)
                return bytes(rsa_part) + bytes(aes_part)
            finally:
                temporary.destroy()
        except (px.KeyUnextractable, px.KeyNotWrappable):
            raise SourceError(
                f"the token refuses to wrap {self.description}",
                "create the HSM key with CKA_EXTRACTABLE=true (and CKA_WRAP_WITH_TRUSTED=false)",
            ) from None
        except px.PKCS11Error as exc:
            raise _hsm_error(exc, f"wrapping {self.description} with {algorithm}") from None

    def _signing_key(self) -> Any:
        """The key itself when the token may HMAC with it, else a sensitive session copy."""
        if self._signer is not None:
            return self._signer
        if self.key_type != "AES" and self.attribute("SIGN"):
            self._signer = self.key
            return self._signer
        from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
        from pkcs11 import exceptions as px

        temporary = self._temporary_aes_key(extractable=False)
        try:
            blob = temporary.wrap_key(self.key, mechanism=Mechanism.AES_KEY_WRAP_PAD)
            self._signer = temporary.unwrap_key(
                ObjectClass.SECRET_KEY,
                KeyType.GENERIC_SECRET,
                blob,
                mechanism=Mechanism.AES_KEY_WRAP_PAD,
                template={
                    Attribute.TOKEN: False,
                    Attribute.SIGN: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                },
            )
        except (px.KeyUnextractable, px.KeyNotWrappable):
            raise SourceError(
                f"the token cannot compute the fingerprint of {self.description} (it may not "
                "HMAC with this key, nor copy it)",
                "pass material_fingerprint explicitly (kms-import fingerprint on a host that "
                "may read the material)",
            ) from None
        except px.PKCS11Error as exc:
            raise _hsm_error(exc, f"fingerprinting {self.description}") from None
        finally:
            temporary.destroy()
        return self._signer

    def _temporary_aes_key(self, *, extractable: bool) -> Any:
        from pkcs11 import Attribute, KeyType

        return self.session.generate_key(
            KeyType.AES,
            256,
            store=False,
            template={
                Attribute.TOKEN: False,
                Attribute.WRAP: True,
                Attribute.UNWRAP: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: extractable,
            },
        )

    def _import_public_key(self, public_key_der: bytes) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from pkcs11 import Attribute, KeyType, ObjectClass

        public_key = serialization.load_der_public_key(public_key_der)
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise WrappingError("the wrapping public key from KMS is not an RSA key", "report this")
        numbers = public_key.public_numbers()
        return self.session.create_object(
            {
                Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                Attribute.KEY_TYPE: KeyType.RSA,
                Attribute.TOKEN: False,
                Attribute.WRAP: True,
                Attribute.ENCRYPT: True,
                Attribute.MODULUS: _unsigned(numbers.n),
                Attribute.PUBLIC_EXPONENT: _unsigned(numbers.e),
            }
        )

    def _measure_algorithms(self) -> tuple[str, ...]:
        """The KMS wrapping algorithms this token can produce, by trial on throwaway keys."""
        from pkcs11 import Mechanism

        offered = set(self.session.token.slot.get_mechanisms())
        if Mechanism.RSA_PKCS_OAEP not in offered:
            return ()
        public = self._import_public_key(_probe_public_key())
        probe = self._temporary_aes_key(extractable=True)
        try:
            hashes = [h for h in ("SHA_1", "SHA_256") if _can_oaep_wrap(public, probe, h)]
        finally:
            probe.destroy()
            public.destroy()
        found = [f"RSAES_OAEP_{h}" for h in hashes]
        if Mechanism.AES_KEY_WRAP_PAD in offered:
            found += [f"RSA_AES_KEY_WRAP_{h}" for h in hashes]
        log.debug("%s: the token wraps with %s", self.description, ", ".join(found) or "nothing")
        return tuple(found)

    def _extract(self) -> Material:
        """The plaintext, read only because the user allowed it (allow-extract=true)."""
        from pkcs11 import Attribute

        log.info("%s: reading the key value (allow-extract=true)", self.description)
        return Material(bytearray(self.key[Attribute.VALUE]), self.description)


def _can_oaep_wrap(public: Any, probe: Any, hash_name: str) -> bool:
    from pkcs11 import Mechanism
    from pkcs11 import exceptions as px

    try:
        public.wrap_key(
            probe, mechanism=Mechanism.RSA_PKCS_OAEP, mechanism_param=_oaep_param(hash_name)
        )
    except (px.ArgumentsBad, px.MechanismParamInvalid, px.MechanismInvalid):
        return False
    return True


def _oaep_param(hash_name: str) -> tuple[Any, Any, None]:
    from pkcs11 import MGF, Mechanism

    digest, mgf = _OAEP_HASHES[hash_name]
    return getattr(Mechanism, digest), getattr(MGF, mgf), None


@cache
def _probe_public_key() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _unsigned(number: int) -> bytes:
    return number.to_bytes((number.bit_length() + 7) // 8, "big")
