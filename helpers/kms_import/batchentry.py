"""One `import-keys --key JSON` entry: what the external-keys module's import step passes per
key, validated field by field before anything is read or called.

The schema is the module's per-key trigger plus `name`, `key_usage`, `replicas` and
`rotations`::

    {"name": "g1", "key_arn": "arn:aws:kms:...:key/...", "material_source": "generate:...",
     "material_fingerprint": "hmac-sha256:..." | null, "wrapping_algorithm": ... | null,
     "wrapping_key_spec": "RSA_3072", "valid_to": "2031-06-17T20:00:00Z" | null,
     "enabled": true, "key_spec": "HMAC_256" (absent: SYMMETRIC_DEFAULT),
     "key_usage": "GENERATE_VERIFY_MAC" | null, "replicas": {"eu-west-1": "arn:..."},
     "rotations": [{"material_source": "...", "material_fingerprint": "..." | null}],
     "drift": "" | "material missing / seen ..." (absent: leave the drift tag alone)}

`drift` is the key's drift token (modules/external-keys/key/drift.tf); after handling the key,
import-keys records it in the key's and each replica's kms-import:drift tag.

Every problem is one line naming the entry and the field; nothing here reads material.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import aws
from .errors import KmsImportError, UsageError
from .importer import ImportRequest
from .keyspecs import KEY_USAGES, SPECS
from .rotation import MAX_ROTATIONS, RotationRequest
from .validto import parse
from .wrapping import ALGORITHMS, WRAPPING_KEY_SPECS

DEFAULT_WRAPPING_KEY_SPEC = "RSA_3072"
FIELDS = (
    "name",
    "key_arn",
    "material_source",
    "material_fingerprint",
    "wrapping_algorithm",
    "wrapping_key_spec",
    "valid_to",
    "enabled",
    "key_spec",
    "key_usage",
    "replicas",
    "rotations",
    "drift",
)
ROTATION_FIELDS = ("material_source", "material_fingerprint")
# A key ARN (not an alias): its Region picks the client. Loose on the id, which KMS checks.
_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")
_FROM_DATA: Any = object()  # text(): read the field from the entry itself


@dataclass(frozen=True)
class Rotation:
    material_source: str
    material_fingerprint: str | None


@dataclass(frozen=True)
class KeyEntry:
    name: str
    key_arn: str
    material_source: str
    material_fingerprint: str | None
    wrapping_algorithm: str | None
    wrapping_key_spec: str
    valid_to: datetime | None
    enabled: bool
    key_spec: str
    key_usage: str | None
    replicas: tuple[tuple[str, str], ...]  # (region, replica ARN), sorted by Region
    rotations: tuple[Rotation, ...]
    drift: str | None = None

    def import_request(self, key_arn: str | None = None) -> ImportRequest:
        """The primary's import (or, with its ARN, a replica's: same material and settings)."""
        return ImportRequest(
            key_id=key_arn or self.key_arn,
            source=self.material_source,
            wrapping_algorithm=self.wrapping_algorithm,
            wrapping_key_spec=self.wrapping_key_spec,
            valid_to=self.valid_to,
            expect_fingerprint=self.material_fingerprint,
            enabled=self.enabled,
            with_rotations=bool(self.rotations) and key_arn is None,
            key_spec=self.key_spec,
            key_usage=self.key_usage,
            tag_if_untagged=True,
            drift=self.drift,
        )

    def rotation_request(self) -> RotationRequest:
        return RotationRequest(
            key_id=self.key_arn,
            sources=tuple(r.material_source for r in self.rotations),
            expect_fingerprints=tuple(r.material_fingerprint for r in self.rotations),
            wrapping_algorithm=self.wrapping_algorithm,
            wrapping_key_spec=self.wrapping_key_spec,
            valid_to=self.valid_to,
            enabled=self.enabled,
        )


class EntryError(UsageError):
    """An --key entry is not the JSON object the module sends; one per bad field."""


def parse_entries(texts: list[str]) -> tuple[list[KeyEntry], list[EntryError]]:
    """Every entry, or every problem found (one per bad field; duplicates named)."""
    entries: list[KeyEntry] = []
    problems: list[EntryError] = []
    for number, text in enumerate(texts, start=1):
        found = _parse(number, text)
        if isinstance(found, KeyEntry):
            entries.append(found)
        else:
            problems.extend(found)
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            problems.append(
                EntryError(f"--key {entry.name!r} is given twice", "pass each key once")
            )
        seen.add(entry.name)
    return entries, problems


def _parse(number: int, text: str) -> KeyEntry | list[EntryError]:
    where = f"--key #{number}"
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return [EntryError(f"{where} is not JSON", "pass one JSON object per --key")]
    if not isinstance(data, dict):
        return [EntryError(f"{where} is not a JSON object", "pass one JSON object per --key")]
    name = data.get("name")
    if isinstance(name, str) and name:
        where = f"--key {name!r}"
    reader = _Reader(where, data)
    entry = reader.entry()
    return entry if entry is not None else reader.problems


class _Reader:
    """Reads one entry's fields, collecting one problem per bad field."""

    def __init__(self, where: str, data: dict[str, Any]) -> None:
        self.where = where
        self.data = data
        self.problems: list[EntryError] = []

    def fail(self, field: str, what: str, hint: str) -> None:
        self.problems.append(EntryError(f"{self.where}: {field} {what}", hint))

    def entry(self) -> KeyEntry | None:
        for extra in sorted(set(self.data) - set(FIELDS)):
            self.fail(repr(extra), "is not a known field", f"known fields: {', '.join(FIELDS)}")
        name = self.text("name", required=True)
        key_arn = self.key_arn("key_arn", self.data.get("key_arn"))
        source = self.text("material_source", required=True)
        entry = KeyEntry(
            name=name or "",
            key_arn=key_arn or "",
            material_source=source or "",
            material_fingerprint=self.text("material_fingerprint"),
            wrapping_algorithm=self.choice("wrapping_algorithm", ALGORITHMS),
            wrapping_key_spec=self.choice("wrapping_key_spec", WRAPPING_KEY_SPECS)
            or DEFAULT_WRAPPING_KEY_SPEC,
            valid_to=self.valid_to(),
            enabled=self.enabled(),
            key_spec=self.choice("key_spec", tuple(SPECS)) or "SYMMETRIC_DEFAULT",
            key_usage=self.choice("key_usage", KEY_USAGES),
            replicas=self.replicas(),
            rotations=self.rotations(),
            drift=self.drift(),
        )
        return None if self.problems else entry

    def text(self, field: str, *, required: bool = False, value: Any = _FROM_DATA) -> str | None:
        value = self.data.get(field) if value is _FROM_DATA else value
        if value is None:
            if required:
                self.fail(field, "is missing", "the module sends it for every key")
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(field, "is not a non-empty string", "pass a string")
            return None
        return value

    def choice(self, field: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(field)
        if value is not None and value not in allowed:
            self.fail(field, f"{value!r} is not one of {', '.join(allowed)}", "pick one of those")
            return None
        return value

    def key_arn(self, field: str, value: Any) -> str | None:
        arn = self.text(field, required=True, value=value)
        if arn is not None and not _KEY_ARN.fullmatch(arn):
            self.fail(field, f"{arn!r} is not a KMS key ARN", "pass the key's ARN")
            return None
        return arn

    def valid_to(self) -> datetime | None:
        value = self.text("valid_to")
        if value is None:
            return None
        try:
            return parse(value)
        except KmsImportError as exc:
            self.fail("valid_to", f"{value!r} is not RFC 3339 with a zone", exc.hint)
            return None

    def drift(self) -> str | None:
        value = self.data.get("drift")
        if value is not None and not isinstance(value, str):
            self.fail("drift", "is not a string", "pass the key's drift token (a string)")
            return None
        return value

    def enabled(self) -> bool:
        value = self.data.get("enabled", True)
        # Terraform may hand a bool over as a string when it unifies a map's element types.
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        self.fail("enabled", f"{value!r} is not true or false", "pass a JSON boolean")
        return True

    def replicas(self) -> tuple[tuple[str, str], ...]:
        value = self.data.get("replicas") or {}
        if not isinstance(value, dict):
            self.fail("replicas", "is not an object", 'pass {"REGION": "replica key ARN"}')
            return ()
        found = []
        for region, arn in sorted(value.items()):
            checked = self.key_arn(f"replicas[{region!r}]", arn)
            if checked is not None and aws.region_of(checked) != region:
                self.fail(f"replicas[{region!r}]", f"{arn!r} is in another Region", "fix it")
            elif checked is not None:
                found.append((region, checked))
        return tuple(found)

    def rotations(self) -> tuple[Rotation, ...]:
        value = self.data.get("rotations") or []
        if not isinstance(value, list):
            self.fail("rotations", "is not a list", "pass [{material_source, ...}, ...]")
            return ()
        if len(value) > MAX_ROTATIONS:
            self.fail(
                "rotations",
                f"has {len(value)} entries; KMS allows {MAX_ROTATIONS} per key",
                "rotate to a new generation instead",
            )
            return ()
        found = []
        for number, item in enumerate(value, start=1):
            field = f"rotations[{number}]"
            if not isinstance(item, dict) or set(item) - set(ROTATION_FIELDS):
                self.fail(field, "is not {material_source, material_fingerprint}", "fix it")
                continue
            source = self.text(
                f"{field}.material_source", required=True, value=item.get("material_source")
            )
            fp = self.text(f"{field}.material_fingerprint", value=item.get("material_fingerprint"))
            if source is not None:
                found.append(Rotation(source, fp))
        return tuple(found)
