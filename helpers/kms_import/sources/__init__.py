"""Material sources: where the material comes from, named by a URI reference.

Each module in this package defines one source class with `SCHEME`, `EXAMPLE`, a `from_uri`
constructor and `read(spec)`; it is found here by its scheme, so adding a source means adding
one module (and its tests).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from typing import ClassVar, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import SourceError
from ..keyspecs import KeySpec
from ..material import KeyMaterial
from ..process import protect


@dataclass(frozen=True)
class SourceRef:
    """A parsed reference: scheme, the part after it, and its ?query parameters."""

    uri: str
    scheme: str
    path: str
    params: dict[str, str]

    def param(self, name: str, default: str = "") -> str:
        return self.params.get(name, default)


class MaterialSource(Protocol):
    SCHEME: ClassVar[str]
    EXAMPLE: ClassVar[str]
    SUMMARY: ClassVar[str]

    @classmethod
    def from_uri(cls, ref: SourceRef) -> MaterialSource: ...

    def read(self, spec: KeySpec) -> KeyMaterial:
        """The material for a key of `spec` (creating it if the source does that); plaintext
        in memory for most sources, a handle on an HSM object for PKCS#11."""
        ...


def parse_ref(uri: str) -> SourceRef:
    if ":" not in uri:
        raise SourceError(
            f"material source {uri!r} has no scheme",
            f"use a URI such as {registry()['file'].EXAMPLE}; `kms-import sources` lists all",
        )
    parts = urlsplit(uri)
    params: dict[str, str] = {}
    for name, values in parse_qs(parts.query, keep_blank_values=True).items():
        if len(values) != 1:
            raise SourceError(f"source parameter {name!r} is given twice", "give it once")
        params[name] = values[0]
    path = unquote(parts.netloc + parts.path) if parts.netloc else unquote(parts.path)
    return SourceRef(uri=uri, scheme=parts.scheme.lower(), path=path, params=params)


def open_source(uri: str) -> MaterialSource:
    """The source `uri` names; from here on this process may hold plaintext, so it first
    stops core dumps and ptrace (once per process)."""
    protect()
    ref = parse_ref(uri)
    source = _named(ref.scheme)
    if source is None:
        sources = registry()
        if ref.scheme not in sources:
            raise SourceError(
                f"unknown material source scheme {ref.scheme!r}",
                f"use one of {', '.join(sorted(sources))}; `kms-import sources` shows examples",
            )
        source = sources[ref.scheme]
    return source.from_uri(ref)


def _named(scheme: str) -> type[MaterialSource] | None:
    """The source in the module named like its scheme, importing only that module: each
    fingerprint and import process needs one source, and importing all of them (registry())
    cost ~50 ms per process. None when no such module defines that scheme."""
    if not scheme.isidentifier() or scheme.startswith("_"):
        return None
    name = f"{__name__}.{scheme}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
    source = getattr(module, "SOURCE", None)
    return source if source is not None and scheme == source.SCHEME else None


@cache
def registry() -> dict[str, type[MaterialSource]]:
    found: dict[str, type[MaterialSource]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        source = getattr(module, "SOURCE", None)
        if source is not None:
            found[source.SCHEME] = source
    return found
