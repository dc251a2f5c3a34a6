"""The module/helper version handshake: a module declares the helper versions it works with
(a range such as ">=0.2.0, <0.3.0") and passes it on every helper run; a helper outside it stops
before doing anything, in one line naming both versions and the install command."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from . import __version__
from .errors import KmsImportError, UsageError

DISTRIBUTION = "kms-import"
_CLAUSE = re.compile(r"\s*(>=|<=|==|!=|>|<)\s*(\d+(?:\.\d+)*)\s*")
_COMPARE: dict[str, Callable[[tuple[int, ...], tuple[int, ...]], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}


class IncompatibleHelper(KmsImportError):
    """The installed helper is not one the module was written for."""


def _release(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in re.findall(r"\d+", text.split("+")[0])[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def satisfies(version: str, requirement: str) -> bool:
    """True when `version` meets every comma-separated clause of `requirement`."""
    clauses = [c for c in requirement.split(",") if c.strip()]
    if not clauses:
        raise UsageError("--requires is empty", 'pass a range such as ">=0.2.0, <0.3.0"')
    have = _release(version)
    for clause in clauses:
        match = _CLAUSE.fullmatch(clause)
        if not match:
            raise UsageError(
                f"--requires clause {clause.strip()!r} is not a version comparison",
                'write it like ">=0.2.0, <0.3.0"',
            )
        if not _COMPARE[match.group(1)](have, _release(match.group(2))):
            return False
    return True


def require(requirement: str | None, version: str = __version__) -> None:
    """Stop unless this helper is within `requirement` (None: the caller declares none)."""
    if requirement is None or satisfies(version, requirement):
        return
    spec = requirement.replace(" ", "")
    raise IncompatibleHelper(
        f"kms-import {version} is installed, but this module needs kms-import {requirement}",
        f"install a matching helper: pipx install '{DISTRIBUTION}{spec}' "
        f"(or pip install '{DISTRIBUTION}{spec}')",
    )
