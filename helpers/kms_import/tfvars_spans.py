"""HCL span surgery for `kms-import tfvars`: the text edits (insert, replace, remove) at the
spans python-hcl2 located, so only those characters change and every other setting, comment
and line stays byte-identical, in the file's own indentation and `=` alignment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import hcl2
from lark import Token, Tree

from .tfvars_doc import _RAW, Doc, Generation, _trees


def hcl_literal(value: str | bool | int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("${", "$${").replace("%{", "%%{")
    return f'"{escaped}"'


def _raw_value(value: str | bool | int) -> Any:
    """How python-hcl2 parses the literal we write: what the re-parse must find."""
    return hcl2.loads(f"v = {hcl_literal(value)}\n", serialization_options=_RAW)["v"]


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


def _splice(text: str, edits: list[Edit]) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _indent_at(text: str, pos: int) -> str | None:
    """The indentation before `pos`, or None when something else precedes it on its line."""
    before = text[_line_start(text, pos) : pos]
    return before if not before.strip() else None


def _rest_of_line_end(text: str, pos: int) -> int | None:
    """Past the newline after `pos` when only spaces, a comma and a comment follow, else None."""
    match = re.compile(r"[ \t\r]*,?[ \t\r]*(?:(?:#|//)[^\n]*)?\n").match(text, pos)
    if match:
        return match.end()
    return len(text) if not text[pos:].strip() else None


def _closing_brace(obj: Tree) -> int:
    """Where the object's `}` is."""
    return _pos(obj.children[-1])


def _pos(token: object) -> int:
    assert isinstance(token, Token) and token.start_pos is not None
    return token.start_pos


def _replacement(text: str, start: int, end: int, new: str) -> Edit:
    """Replace a value; an aligned comment after it on the line stays in its column."""
    gap = re.compile(r"[ \t]*(?=#|//)").match(text, end)
    if gap is None:
        return Edit(start, end, new)
    spaces = gap.end() - end
    shift = len(new) - (end - start)
    keep = max(1, spaces - shift)
    return Edit(start, gap.end(), new + text[end : end + min(keep, spaces)].ljust(keep))


def _removal(text: str, elem: Tree) -> Edit:
    """Remove an object element: its whole lines when it has them to itself."""
    start, end = elem.meta.start_pos, elem.meta.end_pos
    line_end = _rest_of_line_end(text, end)
    if _indent_at(text, start) is not None and line_end is not None:
        return Edit(_line_start(text, start), line_end, "")
    trailing = re.compile(r"[ \t]*,?[ \t]*").match(text, end)
    return Edit(start, trailing.end() if trailing else end, "")


def _insertion(text: str, obj: Tree, lines: list[str], newline: str) -> Edit:
    """Add element lines at the end of an object, before its closing brace."""
    brace = _closing_brace(obj)
    if _indent_at(text, brace) is not None:
        at = _line_start(text, brace)
        return Edit(at, at, "".join(line + newline for line in lines))
    # `{}` or a one-line object: open it up, the closing brace on its own line.
    start = brace
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    outer = _leading_indent(text, obj.meta.start_pos)
    block = newline + "".join(line + newline for line in lines) + outer
    return Edit(start, brace, block)


def _leading_indent(text: str, pos: int) -> str:
    line = text[_line_start(text, pos) : pos]
    return line[: len(line) - len(line.lstrip(" \t"))]


def _elem_indent(text: str, obj: Tree, fallback: str) -> str:
    for elem in (c for c in _trees(obj) if c.data == "object_elem"):
        indent = _indent_at(text, elem.meta.start_pos)
        if indent is not None:
            return indent
    return fallback


def _equals_column(text: str, gen: Generation) -> int | None:
    """The column the existing fields align `=` at (terraform fmt style), if they agree."""
    columns = set()
    for elem in gen.fields.values():
        eq = next(c for c in elem.children if isinstance(c, Token) and c.type in ("EQ", "COLON"))
        eq_pos = _pos(eq) + len(eq) - len(str(eq).lstrip(" \t"))
        columns.add(eq_pos - _line_start(text, eq_pos))
    return columns.pop() if len(columns) == 1 else None


def _field_lines(fields: dict[str, str | bool | int], indent: str, column: int = 0) -> list[str]:
    width = max(column - len(indent) - 1, *(len(k) for k in fields))
    return [f"{indent}{k.ljust(width)} = {hcl_literal(v)}" for k, v in fields.items()]


def _inner_indent(text: str, doc: Doc, outer: str) -> str:
    for gen in doc.generations.values():
        indent = _elem_indent(text, gen.body, "")
        if indent.startswith(outer) and len(indent) > len(outer):
            return indent
    return outer * 2 if outer else "  "


def _append(text: str, lines: list[str], newline: str) -> Edit:
    lead = "" if not text or text.endswith("\n") else newline
    gap = newline if text.strip() else ""
    return Edit(len(text), len(text), lead + gap + "".join(line + newline for line in lines))


def _one_line_field(text: str, gen: Generation, field: str) -> Edit | None:
    """`field` (name = value) appended to a one-line generation, which stays on one line;
    None when the generation spans lines."""
    brace = _closing_brace(gen.body)
    if _indent_at(text, brace) is not None or not gen.fields:
        return None
    start = brace
    while text[start - 1] in " \t":
        start -= 1
    sep = "" if text[start - 1] in "{," else ","
    return Edit(start, start, f"{sep} {field}")


def _rotations_literal(entries: list[dict[str, Any]], indent: str | None, newline: str) -> str:
    """The list as HCL: one entry per line under `indent`, or all on one line (None)."""
    items = [
        "{ " + ", ".join(f"{k} = {hcl_literal(v)}" for k, v in e.items() if v is not None) + " }"
        for e in entries
    ]
    if indent is None:
        return "[" + ", ".join(items) + "]"
    return "[" + "".join(f"{newline}{indent}  {item}," for item in items) + f"{newline}{indent}]"
