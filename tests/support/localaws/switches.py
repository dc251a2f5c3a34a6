"""Switches tests flip on the local AWS (faults, STS's role check): one frozen dataclass of
settings per module, replaced whole under a lock, so a request reads one consistent setting."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, Generic, TypeVar

S = TypeVar("S")


class Switchboard(Generic[S]):
    """The module's current setting, `now`, and the calls the control API makes."""

    def __init__(self, kind: Callable[..., S], check: Callable[[S], None]) -> None:
        self._kind = kind
        self._check = check  # raises ValueError on a setting that makes no sense
        self._lock = threading.Lock()
        self.now: S = kind()

    def configure(self, **switches: Any) -> S:
        """Replace the switches (unnamed ones go back to off); returns the new setting."""
        fresh = self._kind(**switches)
        self._check(fresh)
        with self._lock:
            self.now = fresh
        return fresh

    def current(self) -> dict[str, Any]:
        return asdict(self.now)  # type: ignore[call-overload]

    def reset(self) -> None:
        self.configure()
