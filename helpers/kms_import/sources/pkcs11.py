"""`pkcs11:token=T;object=O[;id=%xx]?module-path=/lib.so&pin-source=file:/pin`: a key in an HSM.

The reference is an RFC 7512 PKCS#11 URI. The key stays in the token: the token wraps it for
KMS itself (C_WrapKey with the KMS wrapping public key imported as a session object), computes
the fingerprint and the HMAC proof, so the plaintext never enters this process.

- RSAES_OAEP_SHA_*: C_WrapKey with CKM_RSA_PKCS_OAEP (hash and MGF1 as named, no label).
- RSA_AES_KEY_WRAP_SHA_*: composed in the token: a temporary AES-256 session key (WRAP,
  EXTRACTABLE) wraps the key with CKM_AES_KEY_WRAP_PAD (RFC 5649), OAEP wraps the temporary
  key, and the two ciphertexts are concatenated, RSA part first (what KMS expects).
- `wrapping_algorithms` is measured on the token (a trial wrap of a throwaway session key
  under a throwaway public key), because a token's mechanism list does not say which OAEP
  hashes it takes (SoftHSM2 2.6 takes SHA-1 only).
- Fingerprint: HMAC-SHA256(key, label) computed with C_Sign CKM_SHA256_HMAC. Tokens refuse
  HMAC with an AES key object, so for those the token first makes a sensitive, non-extractable
  GENERIC_SECRET session copy (wrap under a temporary AES key, unwrap as a generic secret: the
  bytes only cross the token boundary encrypted under a key that never leaves it). The result
  equals the file source's fingerprint of the same bytes.
- `allow-extract=true` lets the helper read the value of a non-sensitive key into memory and
  behave like the file source (every wrapping algorithm, local HMAC). Without it the value is
  never read, whatever the key's attributes.

Only secret keys (SYMMETRIC_DEFAULT, HMAC_*) are supported; private keys in an HSM are not yet.
The PIN comes from `pin-source=file:/path` (0600, like material files); `pin-value` is refused
because the reference is stored in Terraform state.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from ..errors import MaterialError, SourceError, WrappingError
from ..keyspecs import KeySpec
from ..material import FINGERPRINT_LABEL, FINGERPRINT_PREFIX, Material
from ..securefile import read_private_file
from . import SourceRef

log = logging.getLogger("kms-import")

_PATH_ATTRS = ("token", "object", "id", "type", "serial")
_QUERY_ATTRS = ("module-path", "pin-source", "allow-extract")
_HMAC_MECHANISMS = {
    "sha224": "SHA224_HMAC",
    "sha256": "SHA256_HMAC",
    "sha384": "SHA384_HMAC",
    "sha512": "SHA512_HMAC",
}
_OAEP_HASHES = {"SHA_1": ("SHA_1", "SHA1"), "SHA_256": ("SHA256", "SHA256")}
_SECRET_KEY_TYPES = ("AES", "GENERIC_SECRET", "SHA224_HMAC", "SHA256_HMAC", "SHA384_HMAC",
                     "SHA512_HMAC", "SHA_1_HMAC")  # fmt: skip


@dataclass(frozen=True)
class Pkcs11Source:
    SCHEME: ClassVar[str] = "pkcs11"
    EXAMPLE: ClassVar[str] = (
        "pkcs11:token=kms;object=prod-2026?module-path=/usr/lib/softhsm/libsofthsm2.so"
        "&pin-source=file:/secure/hsm.pin"
    )
    SUMMARY: ClassVar[str] = (
        "a secret key in a PKCS#11 HSM (RFC 7512); the HSM wraps it, the plaintext stays there"
    )

    module_path: Path
    token: str | None = None
    serial: str | None = None
    label: str | None = None
    object_id: bytes | None = None
    pin_file: Path | None = None
    allow_extract: bool = False

    @classmethod
    def from_uri(cls, ref: SourceRef) -> Pkcs11Source:
        attrs = _path_attributes(ref.uri)
        _check_query(ref)
        module = ref.param("module-path")
        if not module.startswith("/"):
            raise SourceError(
                f"pkcs11 source {ref.uri!r} needs ?module-path=/absolute/path/to/module.so",
                "e.g. module-path=/usr/lib/softhsm/libsofthsm2.so",
            )
        if "object" not in attrs and "id" not in attrs:
            raise SourceError(
                f"pkcs11 source {ref.uri!r} names no key", "add ;object=<label> and/or ;id=%xx"
            )
        if attrs.get("type", b"secret-key") != b"secret-key":
            raise SourceError(
                f"pkcs11 source {ref.uri!r} asks for type={attrs['type'].decode()}",
                "only type=secret-key (SYMMETRIC_DEFAULT and HMAC keys) is supported",
            )
        return cls(
            module_path=Path(module),
            token=_text(attrs.get("token")),
            serial=_text(attrs.get("serial")),
            label=_text(attrs.get("object")),
            object_id=attrs.get("id"),
            pin_file=_pin_file(ref),
            allow_extract=_flag(ref, "allow-extract"),
        )

    @property
    def what(self) -> str:
        name = self.label if self.label is not None else f"id {(self.object_id or b'').hex()}"
        return f"HSM key {name!r} on token {self.token or self.serial!r}"

    def read(self, spec: KeySpec) -> HsmKey:
        if not spec.is_secret:
            raise SourceError(
                f"{self.what} cannot serve a {spec.name} key",
                "the pkcs11 source supports SYMMETRIC_DEFAULT and HMAC keys only",
            )
        _ONE_AT_A_TIME.acquire()  # released when the holder closes
        try:
            session = self._open(self._token(_library(self.module_path)))
        except BaseException:
            _ONE_AT_A_TIME.release()
            raise
        try:
            key = self._find(session)
            holder = HsmKey(session, key, self.what, self.allow_extract)
            holder.check(spec)
        except BaseException:
            session.close()
            _ONE_AT_A_TIME.release()
            raise
        return holder

    def _token(self, lib: Any) -> Any:
        import pkcs11
        from pkcs11 import exceptions as px

        query = {k: v for k, v in (("token_label", self.token), ("token_serial", self.serial)) if v}
        try:
            return lib.get_token(**query)
        except px.NoSuchToken:
            labels = sorted({t.label for t in lib.get_tokens() if t.label})
            raise SourceError(
                f"no token {self.token or self.serial!r} in PKCS#11 module {self.module_path}",
                f"check token= in the source (tokens there: {', '.join(labels) or 'none'})",
            ) from None
        except px.MultipleTokensReturned:
            raise SourceError(
                f"several tokens match {self.token!r} in {self.module_path}",
                "add ;serial=<token serial> to the source",
            ) from None
        except pkcs11.PKCS11Error as exc:
            raise _hsm_error(exc, f"finding token {self.token!r}") from None

    def _open(self, token: Any) -> Any:
        from pkcs11 import exceptions as px

        pin = _read_pin(self.pin_file) if self.pin_file else None
        try:
            return token.open(user_pin=pin, rw=True)  # rw: temporary session objects
        except px.PinIncorrect:
            raise SourceError(
                f"the PIN in {self.pin_file} is wrong for token {token.label!r}",
                "fix the PIN file (repeated wrong PINs can lock the token)",
            ) from None
        except px.PinLocked:
            raise SourceError(
                f"the user PIN of token {token.label!r} is locked",
                "have the token's security officer unlock it",
            ) from None
        except px.PKCS11Error as exc:
            raise _hsm_error(exc, f"logging in to token {token.label!r}") from None
        finally:
            del pin  # a str cannot be zeroed; python-pkcs11 takes the PIN only as str

    def _find(self, session: Any) -> Any:
        from pkcs11 import Attribute, ObjectClass

        query: dict[Any, Any] = {Attribute.CLASS: ObjectClass.SECRET_KEY}
        if self.label is not None:
            query[Attribute.LABEL] = self.label
        if self.object_id is not None:
            query[Attribute.ID] = self.object_id
        found = list(session.get_objects(query))
        if not found:
            login = "" if self.pin_file else "; private objects need ?pin-source=file:/path"
            raise SourceError(
                f"{self.what} does not exist",
                f"check object=/id= in the source (secret keys only){login}",
            )
        if len(found) > 1:
            raise SourceError(
                f"{len(found)} secret keys match {self.what}", "add ;id=%xx to the source"
            )
        return found[0]


@dataclass
class HsmKey:
    """A key inside a token, behind the KeyMaterial protocol; the session closes on exit."""

    session: Any
    key: Any
    description: str
    allow_extract: bool = False
    _algorithms: tuple[str, ...] | None = field(default=None, repr=False)
    _signer: Any = field(default=None, repr=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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
                "pass material_fingerprint explicitly (see README, pkcs11 limits)",
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


# --- loading the module ---------------------------------------------------------------------


# python-pkcs11 initialises the module with C_Initialize(NULL): the application promises
# PKCS#11 not to call it from several threads at once. import-keys and plan-keys run keys on
# threads, so a thread holds this from opening its session until its holder closes.
_ONE_AT_A_TIME = threading.RLock()


@cache
def _library(path: Path) -> Any:
    try:
        import pkcs11
    except ImportError:
        raise SourceError(
            "the pkcs11 source needs python-pkcs11",
            "install the helper with its HSM extra: pip install 'kms-imported-keys[hsm]'",
        ) from None
    if not path.is_file():
        hint = "sudo apt-get install softhsm2, or " if "softhsm" in path.name else ""
        raise SourceError(
            f"PKCS#11 module {path} does not exist", f"{hint}fix module-path in the source"
        )
    try:
        return pkcs11.lib(str(path))
    except pkcs11.PKCS11Error:
        raise SourceError(
            f"PKCS#11 module {path} cannot be loaded", "check that module-path names a PKCS#11 .so"
        ) from None


def _hsm_error(exc: BaseException, what: str) -> SourceError:
    return SourceError(f"the HSM failed {what}: {type(exc).__name__}", "check the token and key")


# --- parsing the URI ------------------------------------------------------------------------


def _path_attributes(uri: str) -> dict[str, bytes]:
    """RFC 7512 path attributes, %-decoded to bytes (id is binary; the rest UTF-8 text)."""
    path = urlsplit(uri).path
    attrs: dict[str, bytes] = {}
    for part in filter(None, path.split(";")):
        name, sep, value = part.partition("=")
        if not sep or name not in _PATH_ATTRS:
            raise SourceError(
                f"pkcs11 source attribute {name!r} is not supported",
                f"use {', '.join(_PATH_ATTRS)} (RFC 7512)",
            )
        if name in attrs:
            raise SourceError(f"pkcs11 attribute {name!r} is given twice", "give it once")
        attrs[name] = unquote_to_bytes(value)
    return attrs


def _check_query(ref: SourceRef) -> None:
    if "pin-value" in ref.params:
        raise SourceError(
            "pkcs11 source carries pin-value, which would put the PIN into Terraform state",
            "put the PIN into a 0600 file and use pin-source=file:/path",
        )
    unknown = sorted(set(ref.params) - set(_QUERY_ATTRS))
    if unknown:
        raise SourceError(
            f"pkcs11 source query attribute {unknown[0]!r} is not supported",
            f"use {', '.join(_QUERY_ATTRS)}",
        )


def _pin_file(ref: SourceRef) -> Path | None:
    source = ref.param("pin-source")
    if not source:
        return None
    path = unquote(source.removeprefix("file://") if source.startswith("file://") else source)
    path = path.removeprefix("file:")
    if not path.startswith("/"):
        raise SourceError(
            f"pin-source {source!r} is not a file:/absolute/path",
            "write it as pin-source=file:/absolute/path (commands are not supported)",
        )
    return Path(path)


def _read_pin(path: Path) -> str:
    raw = read_private_file(path, "PIN file")
    try:
        pin = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise SourceError(f"PIN file {path} is not UTF-8 text", "write the PIN as text") from None
    finally:
        for i in range(len(raw)):
            raw[i] = 0
    if not pin:
        raise SourceError(f"PIN file {path} is empty", "write the token's user PIN into it")
    return pin


def _flag(ref: SourceRef, name: str) -> bool:
    value = ref.param(name, "false").lower()
    if value not in ("true", "false"):
        raise SourceError(f"{name}={value!r} is not true or false", f"write {name}=true")
    return value == "true"


def _text(value: bytes | None) -> str | None:
    return value.decode("utf-8") if value is not None else None


SOURCE = Pkcs11Source
