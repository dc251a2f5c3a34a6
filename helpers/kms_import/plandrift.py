"""plan-keys' drift read: one existing key (and its replicas) against what the configuration
asks, as the drift token drift.py defines.

The module sends, per existing key, {key_arn, enabled, valid_to, replicas: [ARN...]}. A key
that does not exist yet has an unknown ARN at plan, so Terraform defers the whole read to
apply (after the key is created): no AWS call is ever made for a key that is not there.
Calls per key: DescribeKey and ListResourceTags on the key (the token lives in its tag), one
DescribeKey per replica.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import aws, keys
from .drift import Wanted, token
from .errors import KmsImportError, UsageError
from .validto import parse

Clients = dict[str, Any]  # Region -> KMS client
# A key ARN (not an alias), as loose on the id as import-keys' entries (KMS checks it).
_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+")
_HINT = 'send {"key_arn": "arn:...", "enabled": true, "valid_to": null, "replicas": []}'


@dataclass(frozen=True)
class DriftQuery:
    key_arn: str
    wanted: Wanted
    replicas: tuple[str, ...]


def parse_query(name: str, entry: dict[str, Any]) -> DriftQuery:
    """The drift part of one plan-keys entry, or one UsageError line naming it."""
    arn = entry.get("key_arn")
    if not isinstance(arn, str) or not _KEY_ARN.fullmatch(arn):
        raise UsageError(f"plan-keys: entry {name!r}: key_arn is not a KMS key ARN", _HINT)
    replicas = entry.get("replicas") or []
    if not isinstance(replicas, list) or not all(
        isinstance(r, str) and _KEY_ARN.fullmatch(r) for r in replicas
    ):
        raise UsageError(f"plan-keys: entry {name!r}: replicas is not a list of key ARNs", _HINT)
    return DriftQuery(arn, Wanted(_enabled(name, entry), _valid_to(name, entry)), tuple(replicas))


def _enabled(name: str, entry: dict[str, Any]) -> bool:
    value = entry.get("enabled", True)
    if value in (True, "true"):
        return True
    if value in (False, "false"):
        return False
    raise UsageError(f"plan-keys: entry {name!r}: enabled is not true or false", _HINT)


def _valid_to(name: str, entry: dict[str, Any]) -> Any:
    value = entry.get("valid_to")
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(f"plan-keys: entry {name!r}: valid_to is not a string", _HINT)
    try:
        return parse(value)
    except KmsImportError as exc:
        raise UsageError(f"plan-keys: entry {name!r}: valid_to {exc.message}", exc.hint) from None


def clients_for(queries: list[DriftQuery]) -> Clients:
    """One KMS client per Region, built before any thread starts (building is not
    thread-safe; using a built client is)."""
    regions = {aws.region_of(arn) for q in queries for arn in (q.key_arn, *q.replicas)}
    return {region: aws.client("kms", region) for region in sorted(r for r in regions if r)}


def read(query: DriftQuery, clients: Clients) -> str:
    """The key's drift token: "" never synced, its tag when in sync, else what differs."""
    readings = {
        "": keys.describe(_client(clients, query.key_arn), query.key_arn, wait_for_new_key=True)
    }
    for arn in query.replicas:
        replica = keys.describe(_client(clients, arn), arn, wait_for_new_key=True, tags=False)
        readings[aws.region_of(arn) or arn] = replica
    return token(readings, query.wanted)


def _client(clients: Clients, arn: str) -> Any:
    region = aws.region_of(arn)
    return clients[region] if region in clients else aws.kms_client(arn)
