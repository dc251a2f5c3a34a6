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

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from ..errors import SourceError
from ..keyspecs import KeySpec
from ..securefile import read_private_file, zero
from . import SourceRef
from ._pkcs11_key import _ONE_AT_A_TIME, HsmKey, _hsm_error

_PATH_ATTRS = ("token", "object", "id", "type", "serial")
_QUERY_ATTRS = ("module-path", "pin-source", "allow-extract")


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


# --- loading the module ---------------------------------------------------------------------


@cache
def _library(path: Path) -> Any:
    try:
        import pkcs11
    except ImportError:
        raise SourceError(
            "the pkcs11 source needs python-pkcs11",
            "install the helper with its hsm extra from your release tag: pipx install "
            "'kms-imported-keys[hsm] @ git+REPOSITORY@vX.Y.Z' (README: Using it on AWS)",
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
        zero(raw)
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

__all__ = ["SOURCE", "HsmKey", "Pkcs11Source"]
