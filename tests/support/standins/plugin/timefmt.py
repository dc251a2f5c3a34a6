"""RFC 3339 as Go's time.RFC3339 formats it (UTC renders as Z, no fractional seconds)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def parse_rfc3339(text: str) -> datetime:
    if not _RFC3339.match(text):
        raise ValueError(f"not RFC 3339: {text!r}")
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def format_rfc3339(moment: datetime) -> str:
    """What the provider writes to state: Go's Format(time.RFC3339) of the API's UTC time."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
