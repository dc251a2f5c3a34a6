"""A clock that tests can move, so expiry is checked without sleeping.

Only the add-on's own time judgements use it (import-token and key-material expiry,
scheduled deletion); moto's timestamps keep the real time.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_offset = timedelta(0)


def real_now() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current (possibly moved) time, timezone-aware UTC."""
    return datetime.now(UTC) + _offset


def advance(seconds: float) -> datetime:
    """Move the clock forward (or back, with a negative number) and return the new time."""
    global _offset
    with _lock:
        _offset += timedelta(seconds=seconds)
    return now()


def set(when: datetime) -> datetime:
    """Make `now()` read `when` (naive datetimes are taken as UTC); time keeps flowing."""
    global _offset
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    with _lock:
        _offset = when - datetime.now(UTC)
    return now()


def reset() -> None:
    """Back to the real time."""
    global _offset
    with _lock:
        _offset = timedelta(0)
