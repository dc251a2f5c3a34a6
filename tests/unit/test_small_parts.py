"""valid_to normalisation, fingerprints, the external data source protocol, the leak scan."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kms_import import validto
from kms_import.errors import UsageError
from kms_import.fingerprint import from_query
from kms_import.leakscan import scan_paths, spellings
from kms_import.material import Material, secret_fingerprint


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("2031-06-17T20:00:00Z", "2031-06-17T20:00:00Z"),
        ("2031-06-17T12:00:00-08:00", "2031-06-17T20:00:00Z"),
        ("2031-06-17t20:00:00.5+05:30", "2031-06-17T14:30:00Z"),
    ],
)
def test_valid_to_is_normalised_to_utc(given: str, normal: str) -> None:
    assert validto.normalise(given) == normal


@pytest.mark.parametrize(
    "bad",
    ["2031-06-17", "2031-06-17T20:00:00", "tomorrow", "2031-13-01T00:00:00Z", "20310617T200000Z"],
)
def test_valid_to_rejects_non_rfc3339(bad: str) -> None:
    with pytest.raises(UsageError, match="RFC 3339"):
        validto.parse(bad)


def test_valid_to_in_the_past_is_refused() -> None:
    with pytest.raises(UsageError, match="not in the future"):
        validto.require_future(datetime(2020, 1, 1, tzinfo=UTC))


def test_valid_to_more_than_a_year_ahead_is_refused() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    validto.require_future(datetime(2030, 12, 31, tzinfo=UTC), now)
    with pytest.raises(UsageError, match="365 days"):
        validto.require_future(datetime(2031, 1, 2, tzinfo=UTC), now)


def test_fingerprint_is_stable_distinct_and_not_the_material() -> None:
    a, b = os.urandom(32), os.urandom(32)
    assert secret_fingerprint(a) == secret_fingerprint(bytearray(a))
    assert secret_fingerprint(a) != secret_fingerprint(b)
    assert a.hex() not in secret_fingerprint(a)
    assert len(secret_fingerprint(a)) == len("hmac-sha256:") + 32


def test_external_protocol_returns_only_the_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "m"
    material = os.urandom(32)
    path.write_bytes(material)
    path.chmod(0o600)
    result = from_query(json.dumps({"source": f"file://{path}", "key_spec": "SYMMETRIC_DEFAULT"}))
    assert result == {"fingerprint": secret_fingerprint(material)}


@pytest.mark.parametrize("query", ["", "[]", '{"source": 3}', "{not json"])
def test_external_protocol_rejects_bad_queries(query: str) -> None:
    with pytest.raises(UsageError):
        from_query(query)


def test_material_repr_hides_the_bytes() -> None:
    material = Material(bytearray(b"\x01" * 32), "test material")
    assert "01" not in repr(material) and "32 bytes" in repr(material)


@pytest.mark.parametrize("pre", range(4))
def test_leak_scan_finds_every_spelling(tmp_path: Path, pre: int) -> None:
    material = os.urandom(32)
    needles = spellings(material)
    padding = os.urandom(pre)
    samples = {
        "raw": padding + material,
        "b64": base64.b64encode(padding + material + os.urandom(2)),
        "b64url": base64.urlsafe_b64encode(padding + material),
        "hex": (padding + material).hex().encode(),
        "HEX": material.hex().upper().encode(),
        "json": json.dumps({"key_material_base64": base64.b64encode(material).decode()}).encode(),
    }
    for name, data in samples.items():
        (tmp_path / name).write_bytes(b"prefix " + data + b" suffix")
    hits = scan_paths([tmp_path], needles)
    assert {Path(h.where).name for h in hits} == set(samples)


def test_leak_scan_is_quiet_on_clean_files(tmp_path: Path) -> None:
    (tmp_path / "state").write_bytes(os.urandom(4096))
    assert scan_paths([tmp_path], spellings(os.urandom(32))) == []
