"""SDKv2-style schema declarations and their tfplugin6 form."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .tfplugin6 import pb

STRING: Any = "string"
NUMBER: Any = "number"
BOOL: Any = "bool"
STRING_MAP: Any = ["map", "string"]
STRING_LIST: Any = ["list", "string"]
STRING_SET: Any = ["set", "string"]

Validator = Callable[[Any], str | None]


@dataclass(frozen=True)
class Attribute:
    type: Any
    required: bool = False
    optional: bool = False
    computed: bool = False
    sensitive: bool = False
    force_new: bool = False
    default: Any = None
    validate: Validator | None = None
    description: str = ""
    # SDKv2 ConflictsWith: other attributes or blocks that may not be set beside this one.
    conflicts_with: tuple[str, ...] = ()

    def proto(self, name: str) -> pb.Schema.Attribute:
        return pb.Schema.Attribute(
            name=name,
            type=json.dumps(self.type).encode(),
            description=self.description,
            required=self.required,
            # SDKv2 reports an attribute with a Default as optional, not computed.
            optional=self.optional,
            computed=self.computed,
            sensitive=self.sensitive,
        )


@dataclass(frozen=True)
class NestedBlock:
    block: Block
    nesting: Literal["list", "set", "single"] = "list"
    min_items: int = 0
    max_items: int = 0

    def proto(self, name: str) -> pb.Schema.NestedBlock:
        mode = {
            "list": pb.Schema.NestedBlock.LIST,
            "set": pb.Schema.NestedBlock.SET,
            "single": pb.Schema.NestedBlock.SINGLE,
        }[self.nesting]
        return pb.Schema.NestedBlock(
            type_name=name,
            block=self.block.proto(),
            nesting=mode,
            min_items=self.min_items,
            max_items=self.max_items,
        )


@dataclass(frozen=True)
class Block:
    attributes: dict[str, Attribute]
    blocks: dict[str, NestedBlock] = field(default_factory=dict)
    version: int = 0

    def proto(self) -> pb.Schema.Block:
        return pb.Schema.Block(
            attributes=[a.proto(n) for n, a in sorted(self.attributes.items())],
            block_types=[b.proto(n) for n, b in sorted(self.blocks.items())],
        )

    def schema(self) -> pb.Schema:
        return pb.Schema(version=self.version, block=self.proto())

    def fill(self, value: dict[str, Any] | None) -> dict[str, Any]:
        """`value` with every attribute and block present, as Terraform expects an object."""
        value = dict(value or {})
        out: dict[str, Any] = {name: value.get(name) for name in self.attributes}
        for name, nested in self.blocks.items():
            items = value.get(name)
            if nested.nesting == "single":
                out[name] = None if items is None else nested.block.fill(items)
            else:
                out[name] = [nested.block.fill(i) for i in (items or [])]
        return out

    def validate(self, config: dict[str, Any]) -> list[str]:
        errors: list[str] = []
        for name, attr in self.attributes.items():
            value = config.get(name)
            errors.extend(
                f'"{name}": conflicts with {other}'
                for other in attr.conflicts_with
                if _is_set(value) and _is_set(config.get(other))
            )
            if attr.validate is None or value is None or not _known(value):
                continue
            problem = attr.validate(value)
            if problem:
                errors.append(f"{name}: {problem}")
        for name, nested in self.blocks.items():
            items = config.get(name)
            if isinstance(items, dict):
                items = [items]
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict):
                    errors.extend(f"{name}.{e}" for e in nested.block.validate(item))
        return errors


def _is_set(value: Any) -> bool:
    """Set in config, as ConflictsWith sees it: not null, and not an empty block list."""
    return value is not None and value != []


def _known(value: Any) -> bool:
    from .codec import is_known

    return is_known(value)


# Validators shaped like terraform-plugin-sdk's helper/validation, with its messages.
def int_between(low: int, high: int) -> Validator:
    def check(value: Any) -> str | None:
        if not low <= int(value) <= high:
            return f"expected to be in the range ({low} - {high}), got {value}"
        return None

    return check


def string_in(*allowed: str) -> Validator:
    def check(value: Any) -> str | None:
        if value not in allowed:
            return f"expected to be one of {list(allowed)}, got {value}"
        return None

    return check


def string_len_between(low: int, high: int) -> Validator:
    def check(value: Any) -> str | None:
        if not low <= len(value) <= high:
            return f"expected length to be in the range ({low} - {high}), got {value}"
        return None

    return check


def int_at_least(low: int) -> Validator:
    def check(value: Any) -> str | None:
        if int(value) < low:
            return f"expected to be at least ({low}), got {value}"
        return None

    return check


def each(check: Validator) -> Validator:
    """Apply `check` to every element of a list or set (an Elem's ValidateFunc)."""

    def check_all(values: Any) -> str | None:
        for value in values or []:
            problem = check(value)
            if problem:
                return problem
        return None

    return check_all


def is_json(value: Any) -> str | None:
    try:
        json.loads(value)
    except ValueError as exc:
        return f"contains an invalid JSON: {exc}"
    return None


def is_rfc3339(value: Any) -> str | None:
    from .timefmt import parse_rfc3339

    try:
        parse_rfc3339(value)
    except ValueError:
        return f"expected to be a valid RFC3339 date, got {value!r}"
    return None
