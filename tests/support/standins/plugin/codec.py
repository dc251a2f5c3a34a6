"""msgpack DynamicValue <-> plain Python values, in one place.

Unknown values (cty msgpack extension 0, or 12 for refined unknowns) decode to `UNKNOWN`;
numbers stay int when integral (Terraform sends them as ints or floats, never Decimal here).
"""

from __future__ import annotations

import json
from typing import Any

import msgpack

_EXT_UNKNOWN = 0
_EXT_REFINED_UNKNOWN = 12


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # an unknown must never pass for a set value by accident
        raise TypeError("UNKNOWN has no truth value; compare with `is UNKNOWN`")


UNKNOWN: Any = _Unknown()


def _ext_hook(code: int, data: bytes) -> Any:
    if code in (_EXT_UNKNOWN, _EXT_REFINED_UNKNOWN):
        return UNKNOWN
    return msgpack.ExtType(code, data)


def _default(value: Any) -> Any:
    if value is UNKNOWN:
        return msgpack.ExtType(_EXT_UNKNOWN, b"\x00")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(dynamic_value: Any) -> Any:
    """A tfplugin6 DynamicValue to Python; an empty one is None (no object)."""
    if dynamic_value.msgpack:
        return msgpack.unpackb(dynamic_value.msgpack, ext_hook=_ext_hook, raw=False)
    if dynamic_value.json:
        return json.loads(dynamic_value.json)
    return None


def encode(value: Any) -> bytes:
    return msgpack.packb(value, default=_default, use_bin_type=True)


def is_known(value: Any) -> bool:
    """True when no UNKNOWN hides anywhere inside `value`."""
    if value is UNKNOWN:
        return False
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    if isinstance(value, list):
        return all(is_known(v) for v in value)
    return True
