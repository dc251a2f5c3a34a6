"""verify.SuppressEquivalentPolicyDiffs / PolicyToSet / structure.NormalizeJsonString."""

from __future__ import annotations

import json
from typing import Any


def normalize_json(text: str) -> str:
    return json.dumps(json.loads(text), separators=(",", ":"), sort_keys=True)


def _canonical(value: Any) -> Any:
    # IAM treats a one-element list like its element and ignores ordering of statements'
    # lists; awspolicyequivalence does the same comparison.
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical(v) for v in value]
        if len(items) == 1:
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def equivalent(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return (a or "") == (b or "")
    try:
        return bool(_canonical(json.loads(a)) == _canonical(json.loads(b)))
    except ValueError:
        return False


def policy_to_set(existing: str | None, remote: str) -> str:
    """Keep the configured text when AWS's copy means the same, else AWS's (normalised)."""
    if existing and equivalent(existing, remote):
        return existing
    return normalize_json(remote)
