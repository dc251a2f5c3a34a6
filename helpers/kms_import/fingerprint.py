"""The fingerprint steps Terraform runs at plan time (hashicorp/external's protocol).

`fingerprint`: Terraform sends {"source": URI, "key_spec": SPEC} on stdin and receives
{"fingerprint": "..."}: a value that identifies the material without revealing it.
`plan-keys`: the same for every material of a whole external-keys instance in one run.
For a `generate:` source this is where the material is first drawn and escrowed. The
credentials for secretsmanager:, ssm: and escrow sources come from the flags (--profile,
--assume-role-*); `fingerprint`'s query may also carry `profile` and `assume_role`
(jsonencode of the provider's block). `plan-keys`' query holds key names only, so a key may be
named `profile` or `assume_role`.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import aws
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
    of strings in, "NAME" or "NAME#N" -> jsonencode({source, key_spec}); the same keys
    -> fingerprint out. Every field is a key (credentials come only from `flags`: a key may
    be named `profile`). Sources are read a few at a time; the first failing entry (in name
    order) is reported in one line naming it."""
    query = _plan_query(text)
    aws.use_credentials(flags or aws.Credentials())
    wanted = {name: _plan_entry(name, value) for name, value in query.items()}
    if not wanted:
        return {}
    with ThreadPoolExecutor(max_workers=min(PLAN_POOL, len(wanted))) as pool:
        futures = {name: pool.submit(fingerprint_of, *args) for name, args in wanted.items()}
    failed = sorted(name for name, future in futures.items() if future.exception() is not None)
    if failed:
        _raise_for(failed[0], futures[failed[0]].exception(), len(failed) - 1)
    return {name: future.result() for name, future in sorted(futures.items())}


def _plan_query(text: str) -> dict[str, Any]:
    try:
        query = json.loads(text or "{}")
    except (json.JSONDecodeError, RecursionError):
        raise UsageError("plan-keys: the query on stdin is not JSON", _PLAN_HINT) from None
    if not isinstance(query, dict):
        raise UsageError("plan-keys: the query on stdin is not a JSON object", _PLAN_HINT)
    return query


_PLAN_HINT = 'send {"NAME": "{\\"source\\": \\"...\\", \\"key_spec\\": \\"...\\"}", ...}'


def _plan_entry(name: str, value: Any) -> tuple[str, str]:
    """(source, key spec name) of one entry, or a one-line UsageError naming it."""
    try:
        entry = json.loads(value) if isinstance(value, str) else None
    except (json.JSONDecodeError, RecursionError):
        entry = None
    if not isinstance(entry, dict) or not isinstance(entry.get("source"), str):
        raise UsageError(
            f"plan-keys: entry {name!r} is not a JSON string of {{source, key_spec}}", _PLAN_HINT
        )
    spec = entry.get("key_spec") or "SYMMETRIC_DEFAULT"
    if not isinstance(spec, str):
        raise UsageError(f"plan-keys: entry {name!r}: key_spec is not a string", _PLAN_HINT)
    try:
        key_spec(spec)
    except KmsImportError as exc:
        raise UsageError(f"plan-keys: entry {name!r}: {exc.message}", exc.hint) from None
    return entry["source"], spec


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
