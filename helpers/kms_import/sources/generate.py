"""`generate:NAME?escrow=...`: new material from the OS CSPRNG, escrowed first.

On first use the material is drawn, written to the escrow and only then used (what is read
back from the escrow is what gets used); every later use reads the escrow, so re-imports and
replicas get the same material. Losing the escrow means the key can never be re-imported.

Escrows: `escrow=file:///abs/dir` (`<dir>/<NAME>.key`, 0600, in a 0700 folder this user
owns; written through securefile with no named temporary file, never overwritten; a file
there that is a symlink or another user's is refused) or `escrow=secretsmanager:PREFIX`
(the binary secret `PREFIX/NAME`, created once, never overwritten; no `*` or `?` in it;
`region=`/`kms-key-id=` inside the escrow URI, %-encoded as `%3F`/`%26`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from ..errors import SourceError
from ..keyspecs import KeySpec
from ..material import Material, checked
from ..securefile import PrivateDir, zero
from . import SourceRef, parse_ref

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


class Escrow(Protocol):
    """Where generated material is kept: written once, then always read from there."""

    def where(self, name: str) -> str: ...

    def load_or_create(
        self, name: str, spec: KeySpec, new_material: Callable[[KeySpec], bytes]
    ) -> Material: ...


@dataclass(frozen=True)
class FileEscrow:
    """`escrow=file:///abs/dir`: the material is `<dir>/<NAME>.key`, 0600, folder 0700."""

    directory: Path

    def file(self, name: str) -> Path:
        return self.directory / f"{name}.key"

    def where(self, name: str) -> str:
        return f"escrowed material {self.file(name)}"

    def load_or_create(
        self, name: str, spec: KeySpec, new_material: Callable[[KeySpec], bytes]
    ) -> Material:
        file = f"{name}.key"
        with PrivateDir(self.directory, "escrow folder", create=True) as folder:
            raw = folder.read(file, "escrow file")
            if raw is None:
                new = bytearray(new_material(spec))
                try:
                    folder.create(file, new)  # False: a racing writer won; use theirs
                finally:
                    zero(new)
                raw = folder.read(file, "escrow file")  # what the escrow holds gets used
            if raw is None:
                raise SourceError(
                    f"{self.where(name)} vanished right after it was written",
                    "check what else removes files in the escrow folder",
                )
        return checked(spec, Material(raw, self.where(name)))


@dataclass(frozen=True)
class GenerateSource:
    SCHEME: ClassVar[str] = "generate"
    EXAMPLE: ClassVar[str] = "generate:prod-2026?escrow=file:///secure/escrow"
    SUMMARY: ClassVar[str] = (
        "new random material, escrowed on first use (escrow=file:///dir or "
        "escrow=secretsmanager:prefix)"
    )

    name: str
    escrow: Escrow

    @classmethod
    def from_uri(cls, ref: SourceRef) -> GenerateSource:
        name = ref.path or "default"
        if not set(name) <= _NAME_CHARS or name.startswith("."):
            raise SourceError(
                f"generate name {name!r} is not a plain file name",
                "use letters, digits, '-', '_' and '.'",
            )
        escrow = ref.param("escrow")
        if not escrow:
            raise SourceError(
                f"generate source {ref.uri!r} has no escrow",
                "add ?escrow=file:///absolute/dir or ?escrow=secretsmanager:prefix (without an "
                "escrow the key could never be re-imported)",
            )
        return cls(name, _escrow(escrow))

    def read(self, spec: KeySpec) -> Material:
        return self.escrow.load_or_create(self.name, spec, _new_material)


def _escrow(uri: str) -> Escrow:
    escrow_ref = parse_ref(uri)
    if escrow_ref.scheme == "secretsmanager":
        from .secretsmanager import SecretsManagerEscrow

        return SecretsManagerEscrow.from_uri(uri)
    if escrow_ref.scheme != "file" or not escrow_ref.path.startswith("/"):
        raise SourceError(
            f"escrow {uri!r} is neither a file:///absolute/dir nor a secretsmanager:prefix URI",
            "write it as escrow=file:///absolute/dir or escrow=secretsmanager:prefix",
        )
    return FileEscrow(Path(escrow_ref.path))


def _new_material(spec: KeySpec) -> bytes:
    if spec.is_secret:
        return secrets.token_bytes(spec.generated_size())
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from ..keyspecs import Kind

    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=spec.rsa_bits)
        if spec.kind is Kind.RSA
        else ec.generate_private_key(_curve(spec.curve))
    )
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _curve(name: str):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric import ec

    return {
        "secp256r1": ec.SECP256R1(),
        "secp384r1": ec.SECP384R1(),
        "secp521r1": ec.SECP521R1(),
        "secp256k1": ec.SECP256K1(),
    }[name]


SOURCE = GenerateSource
