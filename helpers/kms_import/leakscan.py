"""Search files for key material in every spelling it could take there.

Spellings: the raw bytes, base64 (standard and URL-safe, padded or not, and at the three byte
alignments it takes inside a longer base64 text), and hex in both cases. A hit names the file
and the spelling, never the material.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MIN_NEEDLE = 12  # shorter fragments would match by chance in large files


@dataclass(frozen=True)
class Hit:
    where: str
    spelling: str

    def __str__(self) -> str:
        return f"{self.where}: material found ({self.spelling})"


def spellings(material: bytes | bytearray) -> dict[str, bytes]:
    raw = bytes(material)
    found: dict[str, bytes] = {"raw": raw, "hex": raw.hex().encode()}
    found["HEX"] = found["hex"].upper()
    for shift in range(3):
        # Inside a longer base64 text the material starts at any byte offset mod 3; the
        # characters that depend only on the material are the same whatever surrounds it.
        encoded = base64.b64encode(b"\0" * shift + raw)
        lead = (shift * 8 + 5) // 6 + (1 if shift else 0)
        tail = 4 if (shift + len(raw)) % 3 else 0
        core = encoded[lead : len(encoded) - tail] if tail else encoded[lead:]
        found[f"base64@{shift}"] = core
        found[f"base64url@{shift}"] = core.replace(b"+", b"-").replace(b"/", b"_")
    found["base64"] = base64.b64encode(raw)
    found["base64url"] = base64.urlsafe_b64encode(raw).rstrip(b"=")
    return {name: needle for name, needle in found.items() if len(needle) >= MIN_NEEDLE}


def scan_bytes(where: str, data: bytes, needles: dict[str, bytes]) -> list[Hit]:
    return [Hit(where, name) for name, needle in needles.items() if needle in data]


def scan_paths(paths: Iterable[Path], needles: dict[str, bytes]) -> list[Hit]:
    hits: list[Hit] = []
    for path in _files(paths):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        hits += scan_bytes(str(path), data, needles)
    return hits


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for root in paths:
        if root.is_file():
            yield root
            continue
        for folder, _dirs, names in os.walk(root):
            for name in names:
                path = Path(folder) / name
                if path.is_file() and not path.is_symlink():
                    yield path
