"""valid_to: one spelling everywhere, UTC RFC 3339 with seconds (2031-06-17T20:00:00Z)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from .errors import UsageError

_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")


def parse(value: str) -> datetime:
    """An aware UTC datetime from RFC 3339 text; refuses text without a zone."""
    text = value.strip()
    parsed = None
    if _RFC3339.fullmatch(text):
        try:
            parsed = datetime.fromisoformat(text.upper())
        except ValueError:  # e.g. month 13
            parsed = None
    if parsed is None:
        raise UsageError(
            f"valid_to {value!r} is not an RFC 3339 timestamp with a zone",
            "write it like 2031-06-17T20:00:00Z",
        )
    return parsed.astimezone(UTC).replace(microsecond=0)


def normalise(value: str) -> str:
    return format_utc(parse(value))


def format_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ImportKeyMaterial takes a ValidTo at most 365 days ahead (KMS API reference); renewing
# re-imports the same material with a later date.
MAX_AHEAD = timedelta(days=365)


def require_future(moment: datetime, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    if moment <= now:
        raise UsageError(
            f"valid_to {format_utc(moment)} is not in the future",
            "pick a later time (KMS refuses expiry in the past), or omit it for material that "
            "does not expire",
        )
    if moment > now + MAX_AHEAD:
        raise UsageError(
            f"valid_to {format_utc(moment)} is more than 365 days ahead",
            "KMS accepts at most 365 days: pick an earlier date and renew before it passes",
        )
