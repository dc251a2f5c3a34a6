"""The drift token (kms_import/drift.py): stable while a key is as configured, new when it is
not, and read back from the key's tag after apply heals it, so the next plan is clean."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kms_import.drift import DRIFT_TAG, Wanted, differences, token
from kms_import.keys import KeyInfo

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=90)
KEY = KeyInfo(
    key_id="k",
    arn="arn:aws:kms:us-east-1:123456789012:key/k",
    state="Enabled",
    key_spec="SYMMETRIC_DEFAULT",
    key_usage="ENCRYPT_DECRYPT",
    origin="EXTERNAL",
    expiration_model="KEY_MATERIAL_EXPIRES",
    valid_to=LATER,
    multi_region=False,
    deletion_date=None,
    recorded_fingerprint=None,
)
WANTED = Wanted(enabled=True, valid_to=LATER)


@pytest.mark.parametrize(
    ("key", "wanted", "expected"),
    [
        (KEY, WANTED, []),
        (replace(KEY, state="PendingImport", valid_to=None), WANTED, ["material missing"]),
        (replace(KEY, state="Disabled"), WANTED, ["disabled"]),
        (KEY, Wanted(False, LATER), ["enabled"]),
        (
            replace(KEY, valid_to=LATER + timedelta(days=1)),
            WANTED,
            ["valid_to 2027-03-05T12:00:00Z configured 2027-03-04T12:00:00Z"],
        ),
        (
            replace(KEY, expiration_model="KEY_MATERIAL_DOES_NOT_EXPIRE", valid_to=None),
            WANTED,
            ["valid_to none configured 2027-03-04T12:00:00Z"],
        ),
        (replace(KEY, state="PendingDeletion"), WANTED, ["pending deletion"]),
    ],
)
def test_differences(key: KeyInfo, wanted: Wanted, expected: list[str]) -> None:
    assert differences(key, wanted) == expected


def test_a_key_never_synced_has_no_token_whatever_its_state() -> None:
    fresh = replace(KEY, state="PendingImport", valid_to=None)
    assert token({"": fresh}, WANTED, NOW) == ""


def test_the_token_cycle_keeps_the_plan_clean_after_healing() -> None:
    synced = replace(KEY, recorded_drift="")
    assert token({"": synced}, WANTED, NOW) == ""  # in sync: what the tag says
    gone = replace(synced, state="PendingImport", valid_to=None)
    seen = token({"": gone}, WANTED, NOW)
    assert seen == "material missing / seen 2026-12-04T12:00:00Z"  # differs from the trigger
    healed = replace(KEY, recorded_drift=seen)  # apply healed it and wrote the token given
    assert token({"": healed}, WANTED, NOW + timedelta(hours=1)) == seen
    again = token({"": replace(gone, recorded_drift=seen)}, WANTED, NOW + timedelta(hours=2))
    assert again != seen  # the same drift a second time is seen again
    assert DRIFT_TAG == "kms-import:drift"


def test_replicas_are_named_in_the_token() -> None:
    replica = replace(KEY, arn="arn:aws:kms:us-west-2:123456789012:key/k", state="Disabled")
    readings = {"": replace(KEY, recorded_drift=""), "us-west-2": replica}
    assert token(readings, WANTED, NOW) == "us-west-2: disabled / seen 2026-12-04T12:00:00Z"


def test_a_token_is_a_valid_tag_value_however_many_replicas_drift() -> None:
    import re

    gone = replace(KEY, state="Disabled")
    readings = {"": replace(KEY, recorded_drift="")} | {
        f"xx-region-{i}": replace(gone, arn=f"arn:aws:kms:xx-region-{i}:1:key/k") for i in range(30)
    }
    value = token(readings, WANTED, NOW)
    assert len(value) <= 256 and value.endswith(" / seen 2026-12-04T12:00:00Z")
    assert re.fullmatch(r"[\w\s.:/=+\-@]*", value), value
