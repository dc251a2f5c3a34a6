"""`kms-import tfvars ACTION`: the command's dispatch (cli.py defines its arguments, lazily:
hcl2 takes a while to import)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError
from .tfvars import (
    ROTATIONS,
    active_kind,
    add_generation,
    add_rotation,
    check_kind,
    hcl_literal,
    load,
    next_name,
    parse_field,
    remove_generation,
    set_active,
    set_field,
    summary,
)
from .tfvars_doc import Doc

log = logging.getLogger("kms-import")


def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    action: str = args.action
    if action == "show":
        return _show(load(path), args.json)
    if action == "next-name":
        print(next_name(load(path).generations))
        return 0
    if action == "active":
        active = load(path).active
        if not active:
            raise UsageError(f"{path} sets no active_generation", "set one: tfvars set-active")
        print(active)
        return 0
    if action == "add-generation":
        kind = active_kind(load(path)) if args.like_active else {}
        if args.key_spec:  # a new spec starts from its own usage, not the active one's
            kind = {"key_spec": args.key_spec}
        if args.key_usage:
            kind["key_usage"] = args.key_usage
        options: dict[str, str | bool | int | None] = {
            **check_kind(kind.get("key_spec"), kind.get("key_usage")),
            **{
                k: parse_field(k, v)
                for k, v in (
                    ("valid_to", args.valid_to),
                    ("enabled", args.enabled),
                    ("deletion_window_in_days", args.deletion_window_in_days),
                )
                if v is not None
            },
        }
        spec = str(options.get("key_spec") or "SYMMETRIC_DEFAULT")
        add_generation(
            path,
            args.name,
            args.material_source,
            {k: v for k, v in options.items() if v is not None},
            create=args.create,
            activate=args.activate,
            fingerprint=_fingerprint(args, spec),
        )
        then = " and made it active" if args.activate else ""
        print(f"{path}: added generation {args.name}{then}")
    elif action == "set-active":
        changed = set_active(path, args.name, force=args.force) is not None
        print(f"{path}: active generation {'is now' if changed else 'already is'} {args.name}")
    elif action == "set":
        changed = set_field(path, args.name, args.field, args.value, force=args.force)
        written = parse_field(args.field, args.value)
        value = "removed" if written is None else f"set to {hcl_literal(written)}"
        print(f"{path}: {args.name}.{args.field} {value if changed else 'unchanged'}")
    elif action == "add-rotation":
        add_rotation(path, args.name, args.material_source, _fingerprint(args, "SYMMETRIC_DEFAULT"))
        print(f"{path}: {args.name}: material {args.material_source} added to {ROTATIONS}")
    elif action == "remove-generation":
        remove_generation(path, args.name, force=args.force)
        print(f"{path}: removed generation {args.name}")
        if args.force:
            log.warning("active_generation still names %s: set another one active", args.name)
    return 0


def _fingerprint(args: argparse.Namespace, spec: str) -> Callable[[], str] | None:
    """The new material's fingerprint, computed once now (a generate: source draws and
    escrows its material here), so no plan has to read the source; None: --no-fingerprint."""
    if args.no_fingerprint:
        return None

    def compute() -> str:
        from .fingerprint import fingerprint_of

        return fingerprint_of(args.material_source, spec)

    return compute


def _show(doc: Doc, as_json: bool) -> int:
    data = summary(doc)
    if as_json:
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"active_generation: {data['active_generation'] or '(not set)'}")
    for name, fields in data["generations"].items():
        mark = "*" if name == data["active_generation"] else " "
        settings = " ".join(f"{k}={json.dumps(v)}" for k, v in (fields or {}).items())
        print(f"{mark} {name} {settings}".rstrip())
    return 0
