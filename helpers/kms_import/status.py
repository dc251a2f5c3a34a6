"""`kms-import status`: one line per key and Region with what an operator needs to know.

A multi-Region primary is followed by one line per replica (DescribeKey lists them), each
with the replica's own state, expiry and fingerprint tag: material is imported per Region."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from . import aws, keys, materials
from .errors import AwsError, UsageError
from .keys import KeyInfo
from .validto import format_utc

COLUMNS = (
    "generation", "region", "key_id", "state", "expiration_model", "valid_to", "aliases",
    "fingerprint", "rotations", "deletion_date",
)  # fmt: skip
EXIT_EXPIRING = 3


def labelled_keys(key_ids: list[str], arns_json: TextIO | None) -> list[tuple[str, str]]:
    """(generation label, key id) pairs from --key-id flags and/or a name -> ARN JSON object."""
    pairs = [("-", key_id) for key_id in key_ids]
    if arns_json is not None:
        try:
            mapping = json.load(arns_json)
        except json.JSONDecodeError:
            mapping = None
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise UsageError(
                "--key-arns-json is not a JSON object of generation -> key ARN",
                "pass `terraform output -json key_arns`",
            )
        pairs += sorted(mapping.items())
    if not pairs:
        raise UsageError("no key to report on", "pass --key-id or --key-arns-json")
    return pairs


def report(
    key_ids: list[tuple[str, str]],
    region: str | None,
    *,
    as_json: bool = False,
    expiring_within_days: int | None = None,
) -> int:
    rows = [row for label, key_id in key_ids for row in _rows(label, key_id, region)]
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        _print_table(rows)
    return _expiry_warnings(rows, expiring_within_days)


Row = dict[str, str | int | None]


def _rows(label: str, key_id: str, region: str | None) -> list[Row]:
    """The key's line, then one line per replica (by Region) when it is a multi-Region primary."""
    kms = aws.kms_client(key_id, region)
    key = keys.describe(kms, key_id)
    rows = [_row(label, kms, key)]
    for replica_arn in sorted(key.replica_arns, key=aws.region_of):  # type: ignore[arg-type]
        replica_kms = aws.kms_client(replica_arn)
        rows.append(_row(label, replica_kms, keys.describe(replica_kms, replica_arn)))
    return rows


def _row(label: str, kms: Any, key: KeyInfo) -> Row:
    rotations, current = _rotations(kms, key)
    return {
        "generation": label,
        "region": key.region,
        "key_id": key.key_id,
        "arn": key.arn,
        "state": key.state,
        "expiration_model": key.expiration_model or "-",
        "valid_to": format_utc(key.valid_to) if key.valid_to else "-",
        "aliases": ",".join(keys.aliases(kms, key.key_id)) or "-",
        "fingerprint": key.recorded_fingerprint or "-",
        "rotations": rotations,
        "current_material": current,
        "deletion_date": format_utc(key.deletion_date) if key.deletion_date else "-",
    }


def _rotations(kms: Any, key: KeyInfo) -> tuple[int | None, str]:
    """On-demand rotations done (ListKeyRotations) and the material Encrypt uses: its
    fingerprint when kms-import rotated it in, the key's own fingerprint for the first
    material, else its KeyMaterialId. (None, "-") where KMS keeps no such list."""
    if key.key_spec != materials.SYMMETRIC or key.state == "PendingDeletion":
        return None, "-"
    try:
        entries = materials.list_materials(kms, key.arn)
    except AwsError:
        return None, "-"  # e.g. no kms:ListKeyRotations permission: the rest still reports
    done = sum(1 for m in entries if m.rotated)
    current = next((m for m in entries if m.state == "CURRENT"), None)
    if current is None:
        return done, "-"
    if current.recorded is not None:
        return done, current.recorded[1]
    if not current.rotated and key.recorded_fingerprint:
        return done, key.recorded_fingerprint
    return done, current.material_id


def _cell(row: Row, column: str) -> str:
    if column != "rotations":
        return str(row[column])
    if row["rotations"] is None:
        return "-"
    if not row["rotations"]:
        return "0"
    return f"{row['rotations']} (current {row['current_material']})"


def _print_table(rows: list[Row]) -> None:
    cells = [{c: _cell(r, c) for c in COLUMNS} for r in rows]
    widths = {c: max([len(c)] + [len(r[c]) for r in cells]) for c in COLUMNS}
    print("  ".join(c.upper().ljust(widths[c]) for c in COLUMNS).rstrip())
    for row in cells:
        print("  ".join(row[c].ljust(widths[c]) for c in COLUMNS).rstrip())


def _expiry_warnings(rows: list[Row], days: int | None) -> int:
    if days is None:
        return 0
    horizon = datetime.now(UTC) + timedelta(days=days)
    soon = [
        r
        for r in rows
        if r["valid_to"] != "-" and datetime.fromisoformat(str(r["valid_to"])) <= horizon
    ]
    for row in soon:
        renew = (
            f"make renew GEN={row['generation']} VALID_TO=<later RFC 3339 time>"
            if row["generation"] != "-"
            else "re-import it with a later --valid-to"
        )
        print(
            f"warning: {row['generation']}: {row['key_id']} ({row['region']}) material "
            f"expires {row['valid_to']} (within {days} days): renew it: {renew}",
            file=sys.stderr,
        )
    return EXIT_EXPIRING if soon else 0
