"""Reading a tfvars file for `kms-import tfvars`: the parse tree (python-hcl2, with positions),
the located spans of `generations` and `active_generation`, and their parsed values.

Anything an edit could not vouch for is refused here, with the file untouched:
`generations` or `active_generation` written with expressions, functions, `for`, heredocs or
templates (only literal strings, numbers, bools, null, lists and objects are edited); either
variable assigned twice, or also set by another auto-loaded tfvars file beside it; JSON
tfvars or text python-hcl2 cannot parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions
from lark import Token, Tree
from lark.exceptions import LarkError

from .errors import KmsImportError

GENERATIONS = "generations"
ACTIVE = "active_generation"
ROTATIONS = "material_rotations"

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
