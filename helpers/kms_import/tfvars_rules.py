"""The generation rules of `kms-import tfvars`: names, source URIs, settable fields and key
kinds, checked before any edit, and the next generation's name."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import UsageError
from .tfvars_doc import GENERATIONS, Doc
from .validto import normalise

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
_SOURCE_RE = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$")
SETTABLE = ("valid_to", "enabled", "deletion_window_in_days")
MIN_WINDOW, MAX_WINDOW = 7, 30


def check_name(name: str) -> str:
    if not NAME_RE.fullmatch(name):
        raise UsageError(
            f"generation name {name!r} is not allowed",
            "use 1-31 characters: lowercase letters, digits and '-', starting with a letter "
            "or digit (e.g. g2)",
        )
    return name


def check_material_source(uri: str) -> str:
    if not _SOURCE_RE.fullmatch(uri):
        raise UsageError(
            f"material source {uri!r} is not a source URI",
            "write a reference such as file:///secure/keys/g2.bin or "
            "generate:g2?escrow=file:///secure/escrow (`kms-import sources` lists them)",
        )
    return uri


def parse_field(name: str, text: str) -> str | bool | int | None:
    """The value of a settable field from its command-line spelling; None removes it."""
    if name == "valid_to":
        # Format only: whether the time is still ahead depends on the clock of the KMS it
        # reaches (the offline stack moves its own), which the import step checks.
        return None if text == "null" else normalise(text)
    if name == "enabled":
        if text not in ("true", "false"):
            raise UsageError(f"enabled {text!r} is not true or false", "write true or false")
        return text == "true"
    if name == "deletion_window_in_days":
        if not re.fullmatch(r"\d{1,3}", text) or not MIN_WINDOW <= int(text) <= MAX_WINDOW:
            raise UsageError(
                f"deletion_window_in_days {text!r} is not a whole number of days from "
                f"{MIN_WINDOW} to {MAX_WINDOW}",
                f"KMS waits {MIN_WINDOW} to {MAX_WINDOW} days before deleting a key; pick one",
            )
        return int(text)
    raise UsageError(f"field {name!r} cannot be set here", f"settable: {', '.join(SETTABLE)}")


def check_kind(key_spec: str | None, key_usage: str | None) -> dict[str, str]:
    """key_spec / key_usage fields for a new generation, refused when the module would be."""
    from .keyspecs import key_spec as spec_named

    if key_spec is None and key_usage is None:
        return {}
    spec = key_spec or "SYMMETRIC_DEFAULT"
    usages = spec_named(spec).usages  # the key-spec table (keyspecs.py) decides
    if key_usage is None and len(usages) > 1:
        raise UsageError(
            f"a {spec} key needs --key-usage", f"use {' or '.join(usages)} (it can never change)"
        )
    if key_usage is not None and key_usage not in usages:
        raise UsageError(
            f"key usage {key_usage!r} does not fit key spec {spec}",
            f"a {spec} key takes {' or '.join(usages)}",
        )
    fields = {"key_spec": spec}
    if key_usage is not None:
        fields["key_usage"] = key_usage
    return fields


def active_kind(doc: Doc) -> dict[str, str]:
    """key_spec / key_usage of the active generation, as written (empty when it has none)."""
    fields = doc.values.get(GENERATIONS, {}).get(doc.active or "", {})
    if not isinstance(fields, dict):
        return {}
    return {k: str(fields[k]) for k in ("key_spec", "key_usage") if fields.get(k) is not None}


def next_name(names: Iterable[str]) -> str:
    """`g<N+1>` for the largest N among names `g<N>` (g1 when there are none).

    Counting up keeps names short and sorted by age. It only sees the generations still in
    the file, so a removed newest generation's name comes back: the caller must not let a
    reused name pick up that generation's escrowed material.
    """
    numbers = [int(m.group(1)) for n in names if (m := re.fullmatch(r"g([1-9][0-9]*)", n))]
    return f"g{max(numbers, default=0) + 1}"


def summary(doc: Doc) -> dict[str, Any]:
    """show --json: the active generation and every generation's fields, as plain values."""
    generations = doc.values.get(GENERATIONS) or {}
    return {"active_generation": doc.active, "generations": generations}
