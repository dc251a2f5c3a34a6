"""`kms-import tfvars`: read and edit the root's `generations` and `active_generation`.

Edits are surgical: the parser (python-hcl2, with positions) locates the exact spans, only
those characters change, so every other setting, comment and line stays byte-identical. Each
edit is then proven: the new text is re-parsed and must equal the old parse plus exactly the
intended change. Anything this cannot prove safe is refused with the file untouched:

- `generations` or `active_generation` written with expressions, functions, `for`, heredocs
  or templates (only literal strings, numbers, bools, null, lists and objects are edited);
- either variable assigned twice, or also set by another auto-loaded tfvars file beside it;
- JSON tfvars, text python-hcl2 cannot parse, or a file that changed while being edited.

This module proves and writes the edits; tfvars_doc reads the file, tfvars_rules checks
names and values, tfvars_spans makes the text edits and tfvars_cli dispatches the command.
Writes are atomic (securefile.write_atomic, keeping the file's mode), so a crash leaves
either the old or the new file, never a mix.
"""

from __future__ import annotations

import copy
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2

from . import securefile
from .tfvars_doc import (
    _RAW,
    ACTIVE,
    GENERATIONS,
    ROTATIONS,
    Doc,
    Generation,
    GenerationError,
    TfvarsError,
    _refuse_other_definitions,
    _unsafe,
    _unwrap,
    load,
    load_text,
)
from .tfvars_rules import (
    active_kind,
    check_kind,
    check_material_source,
    check_name,
    next_name,
    parse_field,
    summary,
)
from .tfvars_spans import (
    Edit,
    _append,
    _elem_indent,
    _equals_column,
    _field_lines,
    _indent_at,
    _inner_indent,
    _insertion,
    _leading_indent,
    _line_start,
    _one_line_field,
    _raw_value,
    _removal,
    _replacement,
    _rotations_literal,
    _splice,
    hcl_literal,
)

__all__ = [
    "ACTIVE",
    "GENERATIONS",
    "ROTATIONS",
    "Doc",
    "Edit",
    "Generation",
    "GenerationError",
    "TfvarsError",
    "active_kind",
    "add_generation",
    "add_rotation",
    "check_kind",
    "check_material_source",
    "check_name",
    "hcl_literal",
    "load",
    "load_text",
    "next_name",
    "parse_field",
    "remove_generation",
    "set_active",
    "set_field",
    "summary",
    "write_atomic",
]


def _commit(doc: Doc, edits: list[Edit], change: Callable[[dict[str, Any]], None]) -> Doc:
    """Apply the edits only if the re-parse equals the old parse plus exactly `change`."""
    new_text = _splice(doc.text, edits)
    expected = copy.deepcopy(doc.raw)
    change(expected)
    try:
        new = load_text(new_text, doc.path)
    except TfvarsError:
        new = None
    if new is None or new.raw != expected:
        raise _unsafe(doc.path, "the edit could not be proven to change only what was asked")
    write_atomic(doc.path, new_text, doc.text)
    return new


def write_atomic(path: Path, text: str, original: str | None) -> None:
    """Replace (or create, when `original` is None) the file in one step, keeping its mode."""
    target = path.resolve()  # a symlinked tfvars: write the file it points at, keep the link
    data = text.encode("utf-8")
    if original is None:
        mode = 0o666 & ~_umask()
    else:
        if _current_bytes(target) != original.encode("utf-8"):
            raise TfvarsError(
                f"{path} changed while it was being edited; it was left as the other writer "
                "left it",
                "run the command again",
            )
        mode = stat.S_IMODE(target.stat().st_mode)
    try:
        securefile.write_atomic(target, data, mode, overwrite=original is not None)
    except FileExistsError:
        raise TfvarsError(
            f"{path} appeared while it was being created", "run the command again"
        ) from None
    except OSError as exc:
        raise TfvarsError(
            f"{path} could not be written ({exc.strerror}); it is unchanged",
            "check the folder exists, its permissions and free space",
        ) from None


def _current_bytes(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except OSError:  # deleted or made unreadable meanwhile: someone else is at work
        return None


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _generation(doc: Doc, name: str) -> Generation:
    gen = doc.generations.get(name)
    if gen is None:
        known = ", ".join(doc.generations) or "none"
        raise GenerationError(
            f"{doc.path} has no generation {name!r} (generations: {known})",
            "check the name (`kms-import tfvars show`)",
        )
    return gen


def add_generation(
    path: Path,
    name: str,
    material_source: str,
    options: dict[str, str | bool | int],
    *,
    create: bool = False,
    activate: bool = False,
    fingerprint: Callable[[], str] | None = None,
) -> Doc:
    """`fingerprint`: reads the material for its material_fingerprint, written next to the
    source; called once every other check has passed, so a refused edit reads nothing."""
    check_name(name)
    fields: dict[str, str | bool | int] = {
        "material_source": check_material_source(material_source)
    }
    doc = None
    if create and not path.exists():
        _refuse_other_definitions(path)
    else:
        doc = load(path)
        if name in doc.generations:
            raise GenerationError(
                f"{doc.path} already has a generation {name!r}",
                "pick a new name (`kms-import tfvars next-name` prints one)",
            )
    if fingerprint is not None:
        fields["material_fingerprint"] = fingerprint()
    fields.update(options)
    if doc is None:
        return _create(path, name, fields)
    nl, text = doc.newline, doc.text
    edits: list[Edit] = []
    activate_edit = _active_edit(doc, name) if activate else None
    if doc.generations_attr is None:
        lines = [f"{GENERATIONS} = {{", f"  {name} = {{", *_field_lines(fields, "    "), "  }", "}"]
        if activate and doc.active_attr is None:  # one appended block, not two
            lines = [f"{ACTIVE} = {hcl_literal(name)}", "", *lines]
            activate_edit = None
        edits.append(_append(text, lines, nl))
    else:
        obj = _unwrap(doc.generations_attr.children[-1])
        outer = _elem_indent(text, obj, "  ")
        inner = _inner_indent(text, doc, outer)
        lines = [f"{outer}{name} = {{", *_field_lines(fields, inner), f"{outer}}}"]
        edits.append(_insertion(text, obj, lines, nl))
    if activate_edit is not None:
        edits.append(activate_edit)

    def change(data: dict[str, Any]) -> None:
        data.setdefault(GENERATIONS, {})[name] = {k: _raw_value(v) for k, v in fields.items()}
        if activate:
            data[ACTIVE] = _raw_value(name)

    return _commit(doc, edits, change)


def _create(path: Path, name: str, fields: dict[str, str | bool | int]) -> Doc:
    lines = [
        "# Generations of the imported key; edit with `kms-import tfvars` or by hand.",
        f"{ACTIVE} = {hcl_literal(name)}",
        "",
        f"{GENERATIONS} = {{",
        f"  {name} = {{",
        *_field_lines(fields, "    "),
        "  }",
        "}",
    ]
    text = "\n".join(lines) + "\n"
    doc = load_text(text, path)  # proves the text we made reads back as meant
    expected = {ACTIVE: _raw_value(name), GENERATIONS: {name: {}}}
    expected[GENERATIONS][name] = {k: _raw_value(v) for k, v in fields.items()}
    if doc.raw != expected:
        raise _unsafe(path, "the new file would not read back as written")
    write_atomic(path, text, None)
    return doc


def _active_edit(doc: Doc, name: str) -> Edit:
    if doc.active_attr is None:
        anchor = doc.generations_attr
        if anchor is None:
            return _append(doc.text, [f"{ACTIVE} = {hcl_literal(name)}"], doc.newline)
        at = _line_start(doc.text, anchor.meta.start_pos)
        line = f"{ACTIVE} = {hcl_literal(name)}{doc.newline}{doc.newline}"
        return Edit(at, at, line)
    value = doc.active_attr.children[-1]
    return Edit(value.meta.start_pos, value.meta.end_pos, hcl_literal(name))


def set_active(path: Path, name: str, *, force: bool = False) -> Doc | None:
    doc = load(path)
    gen = _generation(doc, name)
    if doc.active == name:
        return None
    if _plain_fields(doc, gen).get("enabled") is False and not force:
        raise GenerationError(
            f"generation {name!r} is disabled, so the alias would point at a key that cannot "
            "encrypt",
            "enable it first (`set NAME enabled true`), or pass --force",
        )

    def change(data: dict[str, Any]) -> None:
        data[ACTIVE] = _raw_value(name)

    return _commit(doc, [_active_edit(doc, name)], change)


def _plain_fields(doc: Doc, gen: Generation) -> dict[str, Any]:
    value = doc.values.get(GENERATIONS, {}).get(gen.name, {})
    return value if isinstance(value, dict) else {}


def set_field(path: Path, name: str, field_name: str, text: str, *, force: bool = False) -> bool:
    """Set (or, for valid_to null, remove) one field; False when it already had that value."""
    value = parse_field(field_name, text)
    doc = load(path)
    gen = _generation(doc, name)
    current = _plain_fields(doc, gen)
    if field_name == "enabled" and value is False and doc.active == name and not force:
        raise GenerationError(
            f"generation {name!r} is the active one; disabling it breaks encryption through "
            "the alias",
            "rotate or set another generation active first, or pass --force",
        )
    old = current.get(field_name)
    if (value is None and field_name not in current) or (
        value is not None and type(old) is type(value) and old == value
    ):
        return False
    if value is None:
        edit = _removal(doc.text, gen.fields[field_name])
    elif field_name in gen.fields:
        span = gen.fields[field_name].children[-1].meta
        edit = _replacement(doc.text, span.start_pos, span.end_pos, hcl_literal(value))
    else:
        edit = _new_field(doc, gen, field_name, value)

    def change(data: dict[str, Any]) -> None:
        fields = data[GENERATIONS][name]
        if value is None:
            del fields[field_name]
        else:
            fields[field_name] = _raw_value(value)

    _commit(doc, [edit], change)
    return True


def _new_field(doc: Doc, gen: Generation, field_name: str, value: str | bool | int) -> Edit:
    text = doc.text
    one_line = _one_line_field(text, gen, f"{field_name} = {hcl_literal(value)}")
    if one_line is not None:
        return one_line
    outer = _leading_indent(text, gen.elem.meta.start_pos)
    indent = _elem_indent(text, gen.body, outer + (outer or "  "))
    column = _equals_column(text, gen) or 0
    return _insertion(
        text, gen.body, _field_lines({field_name: value}, indent, column), doc.newline
    )


def add_rotation(
    path: Path, name: str, material_source: str, fingerprint: Callable[[], str] | None = None
) -> Doc:
    """Append `{ material_source = URI }` to the generation's material_rotations (created
    when missing), with `material_fingerprint = fingerprint()` when given (read once the
    other checks passed). Existing entries are kept as they are; the list is rewritten only
    when it holds no comments, which a rewrite would lose."""
    check_material_source(material_source)
    doc = load(path)
    gen = _generation(doc, name)
    plain = _plain_fields(doc, gen)
    entries = plain.get(ROTATIONS, [])
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("material_source"), str) for e in entries
    ):
        raise _unsafe(doc.path, f"generation {name!r}'s {ROTATIONS} is not a list of objects")
    used = [plain.get("material_source"), *(e["material_source"] for e in entries)]
    if material_source in used:
        raise GenerationError(
            f"generation {name!r} already uses {material_source}",
            "each rotation needs new material: pass a new source",
        )
    entry = {"material_source": material_source}
    if fingerprint is not None:
        entry["material_fingerprint"] = _new_fingerprint(name, fingerprint(), plain, entries)
    entries = [*entries, entry]
    edit = _rotations_edit(doc, gen, entries)
    literal = _rotations_literal(entries, None, "\n")

    def change(data: dict[str, Any]) -> None:
        value = hcl2.loads(f"v = {literal}\n", serialization_options=_RAW)["v"]
        data[GENERATIONS][name][ROTATIONS] = value

    return _commit(doc, [edit], change)


def _new_fingerprint(
    name: str, fingerprint: str, plain: dict[str, Any], entries: list[dict[str, Any]]
) -> str:
    """Refuse material the generation already holds under another source reference."""
    used = [plain.get("material_fingerprint"), *(e.get("material_fingerprint") for e in entries)]
    if fingerprint in used:
        raise GenerationError(
            f"generation {name!r} already holds material {fingerprint}",
            "each rotation needs new material: pass a source of other material",
        )
    return fingerprint


def _rotations_edit(doc: Doc, gen: Generation, entries: list[dict[str, Any]]) -> Edit:
    text, nl = doc.text, doc.newline
    elem = gen.fields.get(ROTATIONS)
    if elem is not None:
        span = elem.children[-1].meta
        if re.search(
            r"#|//|/\*", re.sub(r'"(?:[^"\\]|\\.)*"', "", text[span.start_pos : span.end_pos])
        ):
            raise _unsafe(doc.path, f"generation {gen.name!r}'s {ROTATIONS} holds comments")
        indent = _indent_at(text, elem.meta.start_pos)
        literal = _rotations_literal(entries, indent, nl)
        return Edit(span.start_pos, span.end_pos, literal)
    one_line = _one_line_field(text, gen, f"{ROTATIONS} = {_rotations_literal(entries, None, nl)}")
    if one_line is not None:
        return one_line
    outer = _leading_indent(text, gen.elem.meta.start_pos)
    indent = _elem_indent(text, gen.body, outer + (outer or "  "))
    width = max((_equals_column(text, gen) or 0) - len(indent) - 1, len(ROTATIONS))
    line = f"{indent}{ROTATIONS.ljust(width)} = {_rotations_literal(entries, indent, nl)}"
    return _insertion(text, gen.body, [line], nl)


def remove_generation(path: Path, name: str, *, force: bool = False) -> Doc:
    doc = load(path)
    gen = _generation(doc, name)
    if doc.active == name and not force:
        raise GenerationError(
            f"generation {name!r} is the active one (the alias points at its key)",
            "make another generation active first (`set-active`), or pass --force",
        )

    def change(data: dict[str, Any]) -> None:
        del data[GENERATIONS][name]

    return _commit(doc, [_removal(doc.text, gen.elem)], change)
