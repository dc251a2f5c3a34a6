"""`generate:NAME?escrow=file:///abs/dir`: new material from the OS CSPRNG, escrowed first.

On first use the material is drawn, written to the escrow (`<dir>/<NAME>.key`, 0600, folder
0700, never overwritten) and only then used; every later use reads the escrow, so re-imports
and replicas get the same material. Losing the escrow means the key can never be re-imported.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..errors import SourceError
from ..keyspecs import KeySpec, check_material
from ..material import Material
from ..securefile import ensure_private_dir, read_private_file, write_new_private_file
from . import SourceRef, parse_ref

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


@dataclass(frozen=True)
class GenerateSource:
    SCHEME: ClassVar[str] = "generate"
    EXAMPLE: ClassVar[str] = "generate:prod-2026?escrow=file:///secure/escrow"
    SUMMARY: ClassVar[str] = "new random material, written to an escrow folder on first use"

    name: str
    escrow_dir: Path

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
                "add ?escrow=file:///absolute/dir (without an escrow the key could never be "
                "re-imported)",
            )
        escrow_ref = parse_ref(escrow)
        if escrow_ref.scheme != "file" or not escrow_ref.path.startswith("/"):
            raise SourceError(
                f"escrow {escrow!r} is not a file:///absolute/dir URI",
                "write it as escrow=file:///absolute/dir",
            )
        return cls(name, Path(escrow_ref.path))

    @property
    def escrow_file(self) -> Path:
        return self.escrow_dir / f"{self.name}.key"

    def read(self, spec: KeySpec) -> Material:
        ensure_private_dir(self.escrow_dir)
        if not self.escrow_file.exists():
            self._create(spec)
        description = f"escrowed material {self.escrow_file}"
        material = Material(read_private_file(self.escrow_file, "escrow file"), description)
        try:
            check_material(spec, material)
        except BaseException:
            material.zero()
            raise
        return material

    def _create(self, spec: KeySpec) -> None:
        new = bytearray(_new_material(spec))
        try:
            write_new_private_file(self.escrow_file, new)  # a racing writer may have won
        finally:
            for i in range(len(new)):
                new[i] = 0


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
