"""The fingerprint steps Terraform runs at plan time (hashicorp/external's protocol).

`fingerprint`: Terraform sends {"source": URI, "key_spec": SPEC} on stdin and receives
{"fingerprint": "..."}: a value that identifies the material without revealing it.
`plan-keys`: the same for every material of a whole external-keys instance in one run, and
the drift token (drift.py) of every existing key, read from KMS (DescribeKey and
ListResourceTags on the key, DescribeKey on its replicas).
For a `generate:` source this is where the material is first drawn and escrowed. The
credentials for secretsmanager:, ssm: and escrow sources come from the flags (--profile,
--assume-role-*); `fingerprint`'s query may also carry `profile` and `assume_role`
(jsonencode of the provider's block). `plan-keys`' query holds key names only, so a key may be
named `profile` or `assume_role`.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from . import aws
from . import plandrift as plan_drift
from .errors import KmsImportError, UsageError
from .keyspecs import key_spec
from .sources import open_source


def fingerprint_of(source: str, spec_name: str = "SYMMETRIC_DEFAULT") -> str:
    spec = key_spec(spec_name)
    with open_source(source).read(spec) as material:
        return material.fingerprint(spec)


def from_query(text: str, flags: aws.Credentials | None = None) -> dict[str, str]:
    try:
        query = json.loads(text or "{}")
    except json.JSONDecodeError:
        raise UsageError(
            "the query on stdin is not JSON", "pass --source, or a JSON object"
        ) from None
    if not isinstance(query, dict) or not isinstance(query.get("source"), str):
        raise UsageError('the query needs a "source" string', 'send {"source": "file:///..."}')
    creds, query = aws.query_credentials(query, flags or aws.Credentials())
    aws.use_credentials(creds)
    spec_name = query.get("key_spec") or "SYMMETRIC_DEFAULT"
    return {"fingerprint": fingerprint_of(query["source"], str(spec_name))}


# plan-keys reads at most this many sources at once: a few HSM sessions or AWS reads in
# flight, generate: escrows written in parallel, and no burst against the source's service.
PLAN_POOL = 4


def plan_keys(text: str, flags: aws.Credentials | None = None) -> dict[str, str]:
    """The external-keys module's plan step (hashicorp/external's protocol): a JSON object
    of strings in, the same keys out. Every field is a key (credentials come only from
    `flags`: a key may be named `profile`):

    - "NAME#N" -> jsonencode({source, key_spec}): out, the material's fingerprint;
    - "NAME" -> jsonencode({key_arn, enabled, valid_to, replicas: [ARN...]}, plus source and
      key_spec when the key has no recorded fingerprint): out, jsonencode({drift, and
      fingerprint when a source was sent}). An entry without key_arn is the old shape: out,
      the fingerprint alone.

    Work runs a few entries at a time; the first failing entry (in name order) is reported
    in one line naming it."""
    query = _plan_query(text)
    aws.use_credentials(flags or aws.Credentials())
    wanted = {name: _plan_entry(name, value) for name, value in query.items()}
    if not wanted:
        return {}
    clients = plan_drift.clients_for([e.drift for e in wanted.values() if e.drift])
    with ThreadPoolExecutor(max_workers=min(PLAN_POOL, len(wanted))) as pool:
        futures = {name: pool.submit(_answer, e, clients) for name, e in wanted.items()}
    failed = sorted(name for name, future in futures.items() if future.exception() is not None)
    if failed:
        _raise_for(failed[0], futures[failed[0]].exception(), len(failed) - 1)
    return {name: future.result() for name, future in sorted(futures.items())}


@dataclass(frozen=True)
class _Entry:
    source: str | None
    key_spec: str
    drift: plan_drift.DriftQuery | None


def _answer(entry: _Entry, clients: plan_drift.Clients) -> str:
    fp = fingerprint_of(entry.source, entry.key_spec) if entry.source is not None else None
    if entry.drift is None:
        return fp or ""
    found: dict[str, str] = {"drift": plan_drift.read(entry.drift, clients)}
    if fp is not None:
        found["fingerprint"] = fp
    return json.dumps(found, sort_keys=True)


def _plan_query(text: str) -> dict[str, Any]:
    try:
        query = json.loads(text or "{}")
    except (json.JSONDecodeError, RecursionError):
        raise UsageError("plan-keys: the query on stdin is not JSON", _PLAN_HINT) from None
    if not isinstance(query, dict):
        raise UsageError("plan-keys: the query on stdin is not a JSON object", _PLAN_HINT)
    return query


_PLAN_HINT = 'send {"NAME": "{\\"source\\": \\"...\\", \\"key_spec\\": \\"...\\"}", ...}'


def _plan_entry(name: str, value: Any) -> _Entry:
    """One entry, or a one-line UsageError naming it."""
    try:
        entry = json.loads(value) if isinstance(value, str) else None
    except (json.JSONDecodeError, RecursionError):
        entry = None
    has_arn = isinstance(entry, dict) and "key_arn" in entry
    if not isinstance(entry, dict) or not (has_arn or isinstance(entry.get("source"), str)):
        raise UsageError(
            f"plan-keys: entry {name!r} is not a JSON string of {{source, key_spec}} or "
            "{key_arn, enabled, valid_to, replicas}",
            _PLAN_HINT,
        )
    if "source" in entry and not isinstance(entry["source"], str):
        raise UsageError(f"plan-keys: entry {name!r}: source is not a string", _PLAN_HINT)
    drift = plan_drift.parse_query(name, entry) if has_arn else None
    return _Entry(entry.get("source"), _spec_of(name, entry), drift)


def _spec_of(name: str, entry: dict[str, Any]) -> str:
    spec = entry.get("key_spec") or "SYMMETRIC_DEFAULT"
    if not isinstance(spec, str):
        raise UsageError(f"plan-keys: entry {name!r}: key_spec is not a string", _PLAN_HINT)
    try:
        key_spec(spec)
    except KmsImportError as exc:
        raise UsageError(f"plan-keys: entry {name!r}: {exc.message}", exc.hint) from None
    return spec


def _raise_for(name: str, exc: BaseException | None, others: int) -> None:
    more = f" ({others} more entr{'y' if others == 1 else 'ies'} failed too)" if others else ""
    if isinstance(exc, KmsImportError):
        error = type(exc)(f"plan-keys: entry {name!r}: {exc.message}{more}", exc.hint)
        error.exit_code = exc.exit_code
        raise error from None
    raise KmsImportError(
        f"plan-keys: entry {name!r}: unexpected {type(exc).__name__}{more}",
        "run again with --debug and report it",
    ) from exc
