"""`kms-import tfvars`: read and edit the root's `generations` and `active_generation`.

Edits are surgical: the parser (python-hcl2, with positions) locates the exact spans, only
those characters change, so every other setting, comment and line stays byte-identical. Each
edit is then proven: the new text is re-parsed and must equal the old parse plus exactly the
intended change. Anything this cannot prove safe is refused with the file untouched:

- `generations` or `active_generation` written with expressions, functions, `for`, heredocs
  or templates (only literal strings, numbers, bools, null, lists and objects are edited);
- either variable assigned twice, or also set by another auto-loaded tfvars file beside it;
- JSON tfvars, text python-hcl2 cannot parse, or a file that changed while being edited.

Writes are atomic: a temporary file in the same folder with the file's mode, then
os.replace, so a crash leaves either the old or the new file, never a mix.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions
from lark import Token, Tree
from lark.exceptions import LarkError

from .errors import KmsImportError, UsageError
from .validto import normalise

log = logging.getLogger("kms-import")

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")
_SOURCE_RE = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$")
GENERATIONS = "generations"
ACTIVE = "active_generation"
SETTABLE = ("valid_to", "enabled", "deletion_window_in_days")
ROTATIONS = "material_rotations"
FIELD_ORDER = ("material_source", *SETTABLE)
MIN_WINDOW, MAX_WINDOW = 7, 30

_RAW = SerializationOptions(with_comments=False)
_PLAIN = SerializationOptions(with_comments=False, strip_string_quotes=True)
# Parse-tree nodes that are plain data; anything else (calls, operators, references,
# templates, heredocs, for) has a value Terraform computes, which an edit cannot vouch for.
_LITERAL_NODES = {
    "expr_term",
    "object",
    "object_elem",
    "object_elem_key",
    "tuple",
    "string",
    "string_part",
    "literal_value",
    "int_lit",
    "float_lit",
    "new_line_or_comment",
}
_CONSTRUCTS = {
    "function_call": "a function call",
    "for_object_expr": "a for expression",
    "for_tuple_expr": "a for expression",
    "heredoc_template": "a heredoc",
    "heredoc_template_trim": "a heredoc",
    "conditional": "a conditional",
    "binary_op": "an operator",
    "unary_op": "an operator",
    "template_string": "a string template",
}
_PLAIN_STRING_TOKENS = {"DBLQUOTE", "STRING_CHARS", "ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"}


class TfvarsError(KmsImportError):
    """The tfvars file is missing, unreadable, or cannot be edited with proof of safety."""


class GenerationError(KmsImportError):
    """The named generation does not fit the request (unknown, taken, active)."""


# ---------------------------------------------------------------------------------------------
# Reading: the parse tree, located spans and the parsed values


@dataclass
class Generation:
    name: str
    elem: Tree  # the `name = { ... }` element of the generations object
    body: Tree  # its `{ ... }` object
    fields: dict[str, Tree] = field(default_factory=dict)  # field name -> object_elem


@dataclass
class Doc:
    path: Path
    text: str
    raw: dict[str, Any]  # python-hcl2's parse (strings keep quotes: compares expressions too)
    values: dict[str, Any]  # the same with plain string values, for show
    generations_attr: Tree | None
    active_attr: Tree | None
    generations: dict[str, Generation]

    @property
    def active(self) -> str | None:
        value = self.values.get(ACTIVE)
        return value if isinstance(value, str) else None

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"


def _unsafe(path: Path, what: str) -> TfvarsError:
    return TfvarsError(
        f"{path}: {what}, which kms-import cannot edit safely; the file was left untouched",
        f"write {GENERATIONS} and {ACTIVE} as plain literals in this file, or edit it by hand",
    )


def _trees(node: Tree) -> list[Tree]:
    return [c for c in node.children if isinstance(c, Tree)]


def _unwrap(node: Tree) -> Tree:
    """The value inside an expr_term (a parenthesised term stays wrapped: refused later)."""
    while node.data == "expr_term" and len(node.children) == 1:
        inner = node.children[0]
        if not isinstance(inner, Tree):
            break
        node = inner
    return node


def _token_text(node: Tree) -> str:
    return "".join(str(t) for t in node.scan_values(lambda v: isinstance(v, Token)))


def _attr_name(attr: Tree) -> str:
    return _token_text(attr.children[0]).strip()


def _key_name(elem: Tree, path: Path) -> str:
    """An object key as written: an identifier or a plain quoted string."""
    key = _unwrap(elem.children[0])
    if key.data == "object_elem_key":
        key = _unwrap(key.children[0])
    if key.data in ("identifier", "keyword"):
        return _token_text(key)
    if key.data == "string" and all(
        isinstance(t, Token) and t.type in ("DBLQUOTE", "STRING_CHARS")
        for t in key.scan_values(lambda v: isinstance(v, Token))
    ):
        text = _token_text(key)[1:-1]
        if "\\" not in text:
            return text
    raise _unsafe(path, f"a key in {GENERATIONS} is computed ({_token_text(key)!r})")


def _require_literal(node: Tree, where: str, path: Path) -> None:
    """Refuse anything in `node` whose value Terraform would have to compute."""
    for sub in node.iter_subtrees_topdown():  # outermost first: name the construct, not a part
        kind = sub.data
        if kind == "identifier" and not _is_key(sub, node):
            raise _unsafe(path, f"{where} refers to {_token_text(sub)!r}")
        if kind == "expr_term" and any(
            isinstance(c, Token) and c.type == "LPAR" for c in sub.children
        ):
            raise _unsafe(path, f"{where} uses a parenthesised expression")
        if kind.endswith("_expr_term"):  # a.b, a[0], a.*, a[*]
            raise _unsafe(path, f"{where} refers to {_token_text(sub)!r}")
        if kind not in _LITERAL_NODES | {"identifier", "keyword"} and not _is_negative(sub):
            raise _unsafe(path, f"{where} uses {_CONSTRUCTS.get(kind, kind.replace('_', ' '))}")
        if kind == "string_part" and any(
            isinstance(c, Tree) or c.type not in _PLAIN_STRING_TOKENS for c in sub.children
        ):
            raise _unsafe(path, f"{where} uses a string template")


def _is_negative(node: Tree) -> bool:
    """`-5` parses as an operator on 5, but is as literal as 5."""
    first, *rest = node.children
    return (
        node.data == "unary_op"
        and isinstance(first, Token)
        and first.type == "MINUS"
        and len(rest) == 1
        and isinstance(rest[0], Tree)
        and _unwrap(rest[0]).data in ("int_lit", "float_lit")
    )


def _is_key(ident: Tree, root: Tree) -> bool:
    """Whether this identifier is an object key (allowed) rather than a reference."""
    for sub in root.iter_subtrees():
        if sub.data == "object_elem":
            key = _unwrap(sub.children[0])
            if key.data == "object_elem_key":
                key = _unwrap(key.children[0])
            if key is ident:
                return True
    return False


def _top_attributes(tree: Tree, path: Path) -> dict[str, Tree]:
    body = tree.children[0]
    found: dict[str, Tree] = {}
    for node in _trees(body):
        if node.data == "block":
            continue  # not valid in tfvars, but not ours to judge; the parse check covers it
        if node.data != "attribute":
            continue
        name = _attr_name(node)
        if name in (GENERATIONS, ACTIVE) and name in found:
            raise _unsafe(path, f"{name} is assigned twice")
        found[name] = node
    return found


def _read_generations(attr: Tree, path: Path) -> dict[str, Generation]:
    _require_literal(attr.children[-1], GENERATIONS, path)
    value = _unwrap(attr.children[-1])
    if value.data != "object":
        raise _unsafe(path, f"{GENERATIONS} is not an object literal")
    generations: dict[str, Generation] = {}
    for elem in (c for c in _trees(value) if c.data == "object_elem"):
        name = _key_name(elem, path)
        body = _unwrap(elem.children[-1])
        if body.data != "object" or name in generations:
            raise _unsafe(path, f"generation {name!r} is not a single object literal")
        gen = Generation(name, elem, body)
        for sub in (c for c in _trees(body) if c.data == "object_elem"):
            field_name = _key_name(sub, path)
            if field_name in gen.fields:
                raise _unsafe(path, f"generation {name!r} sets {field_name} twice")
            gen.fields[field_name] = sub
        generations[name] = gen
    return generations


def _normalise_keys(value: Any) -> Any:
    """python-hcl2 keeps a quoted key's quotes; `"g2"` and `g2` are the same key."""
    if isinstance(value, dict):
        return {
            (k[1:-1] if len(k) >= 2 and k[0] == k[-1] == '"' else k): _normalise_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_normalise_keys(v) for v in value]
    return value


def _parse(text: str, path: Path) -> tuple[Tree, dict[str, Any], dict[str, Any]]:
    try:
        tree = hcl2.parses_to_tree(text)
        raw = hcl2.loads(text, serialization_options=_RAW)
        values = hcl2.loads(text, serialization_options=_PLAIN)
    except LarkError as exc:
        line = getattr(exc, "line", None)
        where = f" at line {line}" if isinstance(line, int) else ""
        raise TfvarsError(
            f"{path} is not valid HCL{where}; the file was left untouched",
            "fix the syntax (terraform validate shows it), then run this again",
        ) from None
    except Exception as exc:  # python-hcl2 raises assorted errors on constructs it rejects
        raise _unsafe(path, f"python-hcl2 cannot read it ({type(exc).__name__})") from None
    return tree, _normalise_keys(raw), _normalise_keys(values)


def load_text(text: str, path: Path) -> Doc:
    tree, raw, values = _parse(text, path)
    attrs = _top_attributes(tree, path)
    gens_attr, active_attr = attrs.get(GENERATIONS), attrs.get(ACTIVE)
    generations = _read_generations(gens_attr, path) if gens_attr is not None else {}
    if active_attr is not None:
        _require_literal(active_attr.children[-1], ACTIVE, path)
        if not isinstance(values.get(ACTIVE), str | None):
            raise _unsafe(path, f"{ACTIVE} is not a string")
    return Doc(path, text, raw, values, gens_attr, active_attr, generations)


def load(path: Path) -> Doc:
    if path.suffix == ".json":
        raise TfvarsError(
            f"{path} is a JSON tfvars file", "keep generations in an HCL .tfvars file"
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TfvarsError(
            f"{path} does not exist",
            "check --file, or create it with `add-generation ... --create`",
        ) from None
    except OSError as exc:
        raise TfvarsError(f"{path} cannot be read ({exc.strerror})", "check --file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TfvarsError(f"{path} is not UTF-8 text", "Terraform reads tfvars as UTF-8") from None
    _refuse_other_definitions(path)
    return load_text(text, path)


_AUTO_LOADED = ("terraform.tfvars", "terraform.tfvars.json", "*.auto.tfvars", "*.auto.tfvars.json")
_ASSIGNS = re.compile(rf'(?m)^[ \t]*"?({GENERATIONS}|{ACTIVE})"?[ \t]*[=:]')


def _refuse_other_definitions(path: Path) -> None:
    """Terraform loads every auto-loaded tfvars file; a second definition would silently win.

    A file given with -var-file overrides the auto-loaded ones, so it has nothing to fear.
    """
    if not any(path.match(pattern) for pattern in _AUTO_LOADED):
        return
    here = path.resolve()
    for pattern in _AUTO_LOADED:
        for other in sorted(path.parent.glob(pattern)):
            if other.resolve() == here:
                continue
            try:
                match = _ASSIGNS.search(other.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
            if match:
                raise TfvarsError(
                    f"{other} also sets {match.group(1)}, and Terraform loads both files",
                    f"keep {GENERATIONS} and {ACTIVE} in one of them",
                )


# ---------------------------------------------------------------------------------------------
# Values: validation and HCL spelling


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


# What each key spec can be used for (CreateKey's KeySpec/KeyUsage rules, narrowed to what
# kms-import can prove: no KEY_AGREEMENT). The module's key_usage validation says the same.
USAGES_BY_SPEC_KIND = {
    "SYMMETRIC_DEFAULT": ("ENCRYPT_DECRYPT",),
    "HMAC_": ("GENERATE_VERIFY_MAC",),
    "RSA_": ("ENCRYPT_DECRYPT", "SIGN_VERIFY"),
    "ECC_": ("SIGN_VERIFY",),
}


def check_kind(key_spec: str | None, key_usage: str | None) -> dict[str, str]:
    """key_spec / key_usage fields for a new generation, refused when the module would be."""
    from .keyspecs import SPECS

    if key_spec is None and key_usage is None:
        return {}
    spec = key_spec or "SYMMETRIC_DEFAULT"
    if spec not in SPECS:
        raise UsageError(f"unknown key spec {spec!r}", f"use one of {', '.join(SPECS)}")
    usages = next(u for prefix, u in USAGES_BY_SPEC_KIND.items() if spec.startswith(prefix))
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


# ---------------------------------------------------------------------------------------------
# Text surgery


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


# ---------------------------------------------------------------------------------------------
# Proving and writing


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
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise TfvarsError(
            f"{path} could not be written ({exc.strerror}); it is unchanged",
            "check the folder exists and is writable",
        ) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if original is None:
            os.link(tmp, target)  # fails rather than overwrite a file created meanwhile
        else:
            os.replace(tmp, target)
    except FileExistsError:
        raise TfvarsError(
            f"{path} appeared while it was being created", "run the command again"
        ) from None
    except OSError as exc:
        raise TfvarsError(
            f"{path} could not be written ({exc.strerror}); it is unchanged",
            "check the folder's permissions and free space",
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)


def _current_bytes(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except OSError:  # deleted or made unreadable meanwhile: someone else is at work
        return None


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot fsync a folder; the rename itself is still atomic
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# Actions


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


def _rotations_literal(entries: list[dict[str, Any]], indent: str | None, newline: str) -> str:
    """The list as HCL: one entry per line under `indent`, or all on one line (None)."""
    items = [
        "{ " + ", ".join(f"{k} = {hcl_literal(v)}" for k, v in e.items() if v is not None) + " }"
        for e in entries
    ]
    if indent is None:
        return "[" + ", ".join(items) + "]"
    return "[" + "".join(f"{newline}{indent}  {item}," for item in items) + f"{newline}{indent}]"


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


# ---------------------------------------------------------------------------------------------
# Command line (cli.py defines the `tfvars` arguments, lazily: hcl2 takes a while to import)


def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    action: str = args.action
    if action == "show":
        return _show(load(path), args.json)
    if action == "next-name":
        print(next_name(load(path).generations))
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
