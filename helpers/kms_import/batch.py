"""`kms-import import-keys`: the external-keys module's ONE import step for all its keys.

One process, a bounded thread pool, one task per key. Each task reconciles its key against
reality: a key that already holds its material with the wanted expiry and enabled state, and
whose replicas and rotations are done, is skipped ("NAME: up to date") without reading its
source; any other goes through the single-key steps (importer.run_import for the key, then
for each replica with the same material and its own import parameters, then
rotation.run_rotations for its material_rotations, in order). One line per key on stderr; a
failed key does not stop the others, and a re-run finishes what failed.

botocore clients are built up front in the calling thread (building them concurrently is not
thread-safe); built clients are safe to share between threads.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from . import aws, keys, materials
from .batchentry import KeyEntry
from .errors import KmsImportError
from .fingerprint import fingerprint_of
from .importer import ImportOutcome, holds, run_import
from .keys import KeyInfo
from .rotation import all_done, run_rotations

log = logging.getLogger("kms-import")

DEFAULT_PARALLELISM = 8
MAX_PARALLELISM = 64


class Status(Enum):
    IMPORTED = "imported"
    UP_TO_DATE = "up to date"
    FAILED = "failed"


@dataclass(frozen=True)
class KeyResult:
    name: str
    status: Status
    line: str


Clients = dict[str, Any]  # Region -> KMS client


def clients_for(entries: list[KeyEntry]) -> Clients:
    """One KMS client per Region the entries name, built here, before any thread starts."""
    regions = {aws.region_of(e.key_arn) for e in entries}
    regions |= {region for e in entries for region, _ in e.replicas}
    return {region: aws.client("kms", region) for region in sorted(r for r in regions if r)}


def run_batch(
    entries: list[KeyEntry],
    parallelism: int = DEFAULT_PARALLELISM,
    clients: Clients | None = None,
    report: Callable[[KeyResult], None] = lambda _: None,
) -> list[KeyResult]:
    """Reconcile every entry, at most `parallelism` at a time; `report` sees each result as
    it is known. Results in the entries' order."""
    clients = clients if clients is not None else clients_for(entries)
    lock = threading.Lock()

    def task(entry: KeyEntry) -> KeyResult:
        result = reconcile(entry, clients)
        with lock:
            report(result)
        return result

    workers = max(1, min(parallelism, len(entries)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import-keys")
    try:
        futures = {pool.submit(task, e): e.name for e in entries}
        done = {futures[f]: f.result() for f in as_completed(futures)}
    except BaseException:  # Ctrl-C: start no more keys; those running finish their step
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [done[e.name] for e in entries]


def reconcile(entry: KeyEntry, clients: Clients) -> KeyResult:
    """One key: skip it when it is up to date, else bring it there; never raises."""
    try:
        kms = _client(clients, entry.key_arn)
        key = keys.describe(kms, entry.key_arn, wait_for_new_key=True)
        replicas: dict[str, KeyInfo] = {}
        if _up_to_date(entry, key, kms, clients, replicas):
            _record_drift(entry, clients, [key, *replicas.values()])
            return KeyResult(entry.name, Status.UP_TO_DATE, f"{entry.name}: up to date")
        return KeyResult(entry.name, Status.IMPORTED, _bring_up(entry, key, kms, clients))
    except KmsImportError as exc:
        return _failed(entry, str(exc))
    except Exception as exc:  # a bug: one line; the traceback only with --debug
        log.debug("%s: traceback", entry.name, exc_info=True)
        why = f"unexpected {type(exc).__name__}; run again with --debug and report it"
        return _failed(entry, why)


def _failed(entry: KeyEntry, why: str) -> KeyResult:
    return KeyResult(entry.name, Status.FAILED, f"{entry.name}: FAILED: {' '.join(why.split())}")


def _client(clients: Clients, arn: str) -> Any:
    region = aws.region_of(arn)
    return clients[region] if region in clients else aws.kms_client(arn)


# --- the skip: reality already matches the entry -----------------------------------------


def _up_to_date(
    entry: KeyEntry, key: KeyInfo, kms: Any, clients: Clients, replicas: dict[str, KeyInfo]
) -> bool:
    """`key` (DescribeKey and tags) and, where needed, ListKeyRotations and the replicas'
    DescribeKey (each kept in `replicas` by ARN); reads the source only when the entry has no
    fingerprint and the key looks done otherwise. Judged on reality alone (state, expiry,
    tags), never on the entry's drift token."""
    if not (_settled(key, entry) and key.recorded_fingerprint):
        return False
    if entry.rotations:
        rotation_fps = [r.material_fingerprint or "" for r in entry.rotations]
        if "" in rotation_fps:
            return False  # the rotation step reads and checks those sources
        found = materials.list_materials(kms, key.arn)
        if not all_done(found, rotation_fps, entry.rotation_request()):
            return False
    elif not holds(key, entry.import_request()):
        return False
    wanted = entry.material_fingerprint or fingerprint_of(entry.material_source, entry.key_spec)
    if key.recorded_fingerprint != wanted:
        return False  # run_import refuses it, in one line, before any ImportKeyMaterial
    for _, arn in entry.replicas:
        replica = keys.describe(_client(clients, arn), arn, wait_for_new_key=True)
        replicas[arn] = replica
        if replica.recorded_fingerprint != wanted or not _settled(replica, entry):
            return False
        if not holds(replica, entry.import_request(arn)):
            return False
    return True


def _record_drift(entry: KeyEntry, clients: Clients, found: list[KeyInfo]) -> None:
    """Write the entry's drift token into DRIFT_TAG of each key whose tag lacks it (key/drift.tf:
    the next plan reads it back and, the key being in sync, stays clean)."""
    if entry.drift is None:
        return
    for key in found:
        if key.recorded_drift != entry.drift:
            keys.tag(_client(clients, key.arn), key, {keys.DRIFT_TAG: entry.drift})


def _settled(key: KeyInfo, entry: KeyEntry) -> bool:
    """Kind as configured and the wanted enabled state (which implies it holds material)."""
    return (
        key.key_spec == entry.key_spec
        and (entry.key_usage is None or key.key_usage == entry.key_usage)
        and key.state == ("Enabled" if entry.enabled else "Disabled")
    )


# --- the work: the single-key steps, in order ----------------------------------------------


def _bring_up(entry: KeyEntry, key: KeyInfo, kms: Any, clients: Clients) -> str:
    outcome = run_import(entry.import_request(), kms=kms, key=key)
    _record_drift(entry, clients, [replace(key, recorded_drift=outcome.recorded_drift)])
    parts = [
        f"{entry.name} ({outcome.key_id}): "
        f"{'imported' if outcome.imported else 'already imported'}; {outcome.proof}"
    ]
    replicas = [_replica(entry, clients, region, arn, outcome) for region, arn in entry.replicas]
    if replicas:
        parts.append("replicas: " + ", ".join(replicas))
    state = outcome.state
    if entry.rotations:
        rotated = run_rotations(entry.rotation_request(), kms=kms)
        parts.append(
            f"rotations: {rotated.rotated} rotated, {rotated.reimported} re-imported, current "
            f"material {rotated.current_fingerprint}; {rotated.proof}"
        )
        state = rotated.state
    parts.append(f"state {state}; fingerprint {outcome.fingerprint}")
    return "; ".join(parts)


def _replica(
    entry: KeyEntry, clients: Clients, region: str, arn: str, primary: ImportOutcome
) -> str:
    """The primary's material into one replica. A replica without its own fingerprint tag
    gets the primary's, which run_import just checked against the source."""
    kms = _client(clients, arn)
    replica = keys.describe(kms, arn, wait_for_new_key=True)
    if replica.recorded_fingerprint is None:
        tags = {keys.FINGERPRINT_TAG: primary.fingerprint}
        if entry.drift is not None:
            tags[keys.DRIFT_TAG] = entry.drift
        keys.tag(kms, replica, tags)
        replica = replace(
            replica,
            recorded_fingerprint=primary.fingerprint,
            recorded_drift=tags.get(keys.DRIFT_TAG, replica.recorded_drift),
        )
    outcome = run_import(entry.import_request(arn), kms=kms, key=replica)
    _record_drift(entry, clients, [replace(replica, recorded_drift=outcome.recorded_drift)])
    return f"{region} {'imported' if outcome.imported else 'already imported'}"


def print_result(result: KeyResult) -> None:
    print(result.line, file=sys.stderr, flush=True)


def summary(results: list[KeyResult]) -> str:
    counts = {status: sum(r.status is status for r in results) for status in Status}
    return (
        f"import-keys: {len(results)} key(s): {counts[Status.IMPORTED]} imported or updated, "
        f"{counts[Status.UP_TO_DATE]} up to date, {counts[Status.FAILED]} failed"
    )
