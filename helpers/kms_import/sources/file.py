"""`file:///abs/path?format=raw|base64|hex|pem|der`: material kept in a local file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..errors import SourceError
from ..formats import FORMATS, decode
from ..keyspecs import KeySpec
from ..material import Material, checked
from ..securefile import read_private_file
from . import SourceRef


@dataclass(frozen=True)
class FileSource:
    SCHEME: ClassVar[str] = "file"
    EXAMPLE: ClassVar[str] = "file:///secure/keys/material.bin?format=raw"
    SUMMARY: ClassVar[str] = "a local file, 0600, raw or encoded (format=raw|base64|hex|pem|der)"

    path: Path
    format: str

    @classmethod
    def from_uri(cls, ref: SourceRef) -> FileSource:
        if not ref.path.startswith("/"):
            raise SourceError(
                f"file source {ref.uri!r} needs an absolute path",
                "write it as file:///absolute/path (three slashes)",
            )
        fmt = ref.param("format", "raw")
        if fmt not in FORMATS:
            raise SourceError(
                f"unknown format {fmt!r} in {ref.uri!r}",
                f"use ?format= one of {', '.join(FORMATS)}",
            )
        unknown = set(ref.params) - {"format"}
        if unknown:
            raise SourceError(
                f"unknown parameter {sorted(unknown)[0]!r} in {ref.uri!r}", "only format= is known"
            )
        return cls(Path(ref.path), fmt)

    def read(self, spec: KeySpec) -> Material:
        description = f"material file {self.path}"
        raw = read_private_file(self.path, "material file")
        return checked(spec, Material(decode(raw, self.format, description), description))


SOURCE = FileSource
