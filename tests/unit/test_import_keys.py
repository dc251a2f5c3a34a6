"""`kms-import import-keys` and `plan-keys` (modules/external-keys' two helper runs) against
the local AWS in-process: many keys in one process on a bounded pool, skips of up-to-date
keys, one line per key and per failure, refusals before any ImportKeyMaterial, replicas and
rotations in the same run, and no material in anything printed."""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kms_import import batch, cli
from kms_import.keys import FINGERPRINT_TAG
from kms_import.leakscan import spellings
from kms_import.material import secret_fingerprint
from localaws import calls as local_calls

# RSA_2048 wrapping keys: the local KMS makes one per key, and 3072-bit ones cost seconds.
WRAP = "RSA_2048"


class Material:
    """A material file (0600) and what the tests need to know about it."""

    def __init__(self, folder: Path) -> None:
        self.bytes = os.urandom(32)
        self.path = folder / f"m-{self.bytes[:4].hex()}.bin"
        self.path.write_bytes(self.bytes)
        self.path.chmod(0o600)
        self.source = f"file://{self.path}"
        self.fingerprint = secret_fingerprint(self.bytes)


@pytest.fixture
def new_material(tmp_path: Path) -> Any:
    made: list[Material] = []

    def make() -> Material:
        made.append(Material(tmp_path))
        return made[-1]

    yield make
    for material in made:  # nothing printed or recorded may spell any material
        needles = spellings(material.bytes)
        for call in local_calls.calls():
            text = json.dumps(call).encode()
            assert not any(n in text for n in needles.values())


def _key(kms: Any, **kwargs: Any) -> str:
    return str(kms.create_key(Origin="EXTERNAL", **kwargs)["KeyMetadata"]["Arn"])


def _entry(name: str, arn: str, material: Material, **fields: Any) -> str:
    entry = {
        "name": name,
        "key_arn": arn,
        "material_source": material.source,
        "material_fingerprint": material.fingerprint,
        "wrapping_key_spec": WRAP,
        "enabled": True,
        **fields,
    }
    return json.dumps(entry)


def _run(capsys: Any, entries: list[str], *extra: str) -> tuple[int, list[str]]:
    argv = ["import-keys", *(a for e in entries for a in ("--key", e)), *extra]
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    return code, err.splitlines()


def _actions(action: str, key_arn: str | None = None) -> int:
    key_id = key_arn.rsplit("/", 1)[1] if key_arn else None
    return sum(
        1
        for c in local_calls.calls()
        if c["action"] == action and (key_id is None or key_id in c.get("key_id", ""))
    )


def _no_material(lines: list[str], *materials: Material) -> None:
    text = "\n".join(lines).encode()
    for material in materials:
        assert not any(n in text for n in spellings(material.bytes).values())


def test_several_keys_in_one_process_on_a_bounded_pool(
    kms: Any, new_material: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, peak, lock = [0], [0], threading.Lock()
    original = batch.reconcile

    def counted(entry: Any, clients: Any) -> Any:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)  # let the pool fill up
            return original(entry, clients)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(batch, "reconcile", counted)
    keys = {f"k{i}": (_key(kms), new_material()) for i in range(5)}
    entries = [_entry(name, arn, m) for name, (arn, m) in keys.items()]
    local_calls.clear()

    code, lines = _run(capsys, entries, "--parallelism", "2")

    assert code == 0, lines
    assert peak[0] == 2
    assert len(lines) == 6  # one per key, then the summary
    for name, (arn, _) in keys.items():
        key_id = arn.rsplit("/", 1)[1]
        (line,) = [ln for ln in lines if ln.startswith(f"{name} ")]
        assert line.startswith(f"{name} ({key_id}): imported; encrypt/decrypt round trip")
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
        assert _actions("ImportKeyMaterial", arn) == 1
    assert lines[-1] == (
        "kms-import: import-keys: 5 key(s): 5 imported or updated, 0 up to date, 0 failed"
    )
    _no_material(lines, *(m for _, m in keys.values()))


def test_up_to_date_keys_are_skipped_without_reading_their_source(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    one, two = new_material(), new_material()
    arn_one, arn_two = _key(kms), _key(kms)
    entries = [
        _entry("one", arn_one, one),
        _entry("two", arn_two, two, enabled=False),
    ]
    assert _run(capsys, entries)[0] == 0
    assert kms.describe_key(KeyId=arn_two)["KeyMetadata"]["KeyState"] == "Disabled"
    one.path.unlink()  # an up-to-date key never reads its source
    two.path.unlink()
    local_calls.clear()

    code, lines = _run(capsys, entries)

    assert code == 0
    assert sorted(lines[:2]) == ["one: up to date", "two: up to date"]
    assert "0 imported or updated, 2 up to date, 0 failed" in lines[-1]
    actions = Counter(c["action"] for c in local_calls.calls())
    assert set(actions) <= {"DescribeKey", "ListResourceTags"}, actions


def test_a_changed_setting_is_applied_to_that_key_only(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    one, two = new_material(), new_material()
    arn_one, arn_two = _key(kms), _key(kms)
    assert _run(capsys, [_entry("one", arn_one, one), _entry("two", arn_two, two)])[0] == 0
    local_calls.clear()

    entries = [_entry("one", arn_one, one), _entry("two", arn_two, two, enabled=False)]
    code, lines = _run(capsys, entries)

    assert code == 0
    assert "one: up to date" in lines
    (line,) = [ln for ln in lines if ln.startswith("two ")]
    assert "already imported" in line and "state Disabled" in line
    assert _actions("ImportKeyMaterial") == 0 and _actions("DisableKey", arn_two) == 1


def test_one_bad_key_fails_in_one_line_while_the_others_import(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    good, bad = new_material(), new_material()
    bad.path.chmod(0o644)  # readable by others: refused as a source
    arn_good, arn_bad = _key(kms), _key(kms)
    entries = [_entry("bad", arn_bad, bad), _entry("good", arn_good, good)]

    code, lines = _run(capsys, entries)

    assert code == 1
    (failed,) = [ln for ln in lines if ln.startswith("bad")]
    assert failed.startswith("bad: FAILED: ") and str(bad.path) in failed
    assert any(ln.startswith("good (") and ": imported;" in ln for ln in lines)
    assert lines[-1].endswith("1 imported or updated, 0 up to date, 1 failed")
    assert kms.describe_key(KeyId=arn_good)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.describe_key(KeyId=arn_bad)["KeyMetadata"]["KeyState"] == "PendingImport"

    bad.path.chmod(0o600)  # fixed: the re-run finishes it and skips the good one
    code, lines = _run(capsys, entries)
    assert code == 0 and "good: up to date" in lines
    assert any(ln.startswith("bad (") and ": imported;" in ln for ln in lines)


def test_a_recorded_fingerprint_of_other_material_is_refused_before_any_import(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    recorded, actual = new_material(), new_material()
    arn = _key(kms)
    local_calls.clear()
    entry = json.loads(_entry("g1", arn, actual))
    entry["material_fingerprint"] = recorded.fingerprint

    code, lines = _run(capsys, [json.dumps(entry)])

    assert code == 1
    assert lines[0].startswith("g1: FAILED: ")
    assert actual.fingerprint in lines[0] and recorded.fingerprint in lines[0]
    assert _actions("ImportKeyMaterial") == 0 and _actions("GetParametersForImport") == 0
    assert _actions("TagResource") == 0
    assert kms.list_resource_tags(KeyId=arn)["Tags"] == []


def test_an_untagged_key_is_tagged_before_its_first_import(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    material = new_material()
    arn = _key(kms)
    local_calls.clear()
    assert _run(capsys, [_entry("g1", arn, material)])[0] == 0
    actions = [c["action"] for c in local_calls.calls()]
    assert actions.index("TagResource") < actions.index("ImportKeyMaterial")
    tags = kms.list_resource_tags(KeyId=arn)["Tags"]
    assert tags == [{"TagKey": FINGERPRINT_TAG, "TagValue": material.fingerprint}]


def test_a_key_tagged_for_other_material_is_refused(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    made_for, other = new_material(), new_material()
    arn = _key(kms, Tags=[{"TagKey": FINGERPRINT_TAG, "TagValue": made_for.fingerprint}])
    local_calls.clear()
    code, lines = _run(capsys, [_entry("g1", arn, other)])
    assert code == 1 and "was made for material" in lines[0]
    assert _actions("ImportKeyMaterial") == 0


def test_replicas_and_rotations_in_the_same_run(kms: Any, new_material: Any, capsys: Any) -> None:
    import boto3

    shared, first, r1, r2 = (new_material() for _ in range(4))
    primary = kms.create_key(Origin="EXTERNAL", MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-west-1")
    west = boto3.client("kms", region_name="eu-west-1")
    replica_arn = west.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["Arn"]
    rotating = _key(kms)
    rotations = [
        {"material_source": m.source, "material_fingerprint": m.fingerprint} for m in (r1, r2)
    ]
    entries = [
        _entry("multi", primary["Arn"], shared, replicas={"eu-west-1": replica_arn}),
        _entry("rotating", rotating, first, rotations=rotations),
    ]

    code, lines = _run(capsys, entries)

    assert code == 0, lines
    (multi,) = [ln for ln in lines if ln.startswith("multi ")]
    assert "replicas: eu-west-1 imported" in multi
    assert west.describe_key(KeyId=replica_arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert west.list_resource_tags(KeyId=replica_arn)["Tags"] == [
        {"TagKey": FINGERPRINT_TAG, "TagValue": shared.fingerprint}
    ]
    (rot,) = [ln for ln in lines if ln.startswith("rotating ")]
    assert f"rotations: 2 rotated, 0 re-imported, current material {r2.fingerprint}" in rot
    found = kms.list_key_rotations(KeyId=rotating, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    assert [m["KeyMaterialState"] for m in found["Rotations"]] == [
        "NON_CURRENT",
        "NON_CURRENT",
        "CURRENT",
    ]

    local_calls.clear()
    code, lines = _run(capsys, entries)
    assert code == 0 and sorted(lines[:2]) == ["multi: up to date", "rotating: up to date"]
    assert _actions("ImportKeyMaterial") == 0 and _actions("RotateKeyOnDemand") == 0
    _no_material(lines, shared, first, r1, r2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"valid_to": "tomorrow"}, "--key 'g1': valid_to 'tomorrow' is not RFC 3339"),
        ({"enabled": "yes"}, "--key 'g1': enabled 'yes' is not true or false"),
        ({"key_arn": "alias/x"}, "--key 'g1': key_arn 'alias/x' is not a KMS key ARN"),
        ({"material_source": None}, "--key 'g1': material_source is missing"),
        ({"wrapping_key_spec": "RSA_1024"}, "wrapping_key_spec 'RSA_1024' is not one of"),
        ({"colour": "blue"}, "--key 'g1': 'colour' is not a known field"),
        ({"rotations": [{"source": "x"}]}, "rotations[1] is not {material_source"),
        ({"replicas": {"eu-west-1": 3}}, "replicas['eu-west-1'] is not a non-empty string"),
    ],
)
def test_a_bad_entry_is_one_line_and_nothing_happens(
    kms: Any, new_material: Any, capsys: Any, change: dict[str, Any], message: str
) -> None:
    material = new_material()
    arn = _key(kms)
    entry = {**json.loads(_entry("g1", arn, material)), **change}
    local_calls.clear()
    code, lines = _run(capsys, [json.dumps(entry), _entry("g2", _key(kms), new_material())])
    assert code == 2
    assert len(lines) == 1 and lines[0].startswith("kms-import: error: "), lines
    assert message in lines[0]
    assert _actions("ImportKeyMaterial") == 0 and _actions("DescribeKey") == 0


def test_bad_entries_get_one_line_per_bad_field(capsys: Any) -> None:
    code, lines = _run(capsys, ["{not json", '{"name": "a", "enabled": 1}', "[]"])
    assert code == 2
    assert lines == [
        "kms-import: error: --key #1 is not JSON; pass one JSON object per --key",
        "kms-import: error: --key 'a': key_arn is missing; the module sends it for every key",
        "kms-import: error: --key 'a': material_source is missing; the module sends it for "
        "every key",
        "kms-import: error: --key 'a': enabled 1 is not true or false; pass a JSON boolean",
        "kms-import: error: --key #3 is not a JSON object; pass one JSON object per --key",
    ]


@pytest.mark.parametrize("value", ["0", "65", "x"])
def test_parallelism_out_of_range_is_a_usage_error(capsys: Any, value: str) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["import-keys", "--key", "{}", "--parallelism", value])
    assert exited.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


# --- plan-keys ---------------------------------------------------------------------------


def _plan(
    capsys: Any, monkeypatch: pytest.MonkeyPatch, query: dict[str, str]
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(query)))
    code = cli.main(["plan-keys"])
    out, err = capsys.readouterr()
    return code, out, err


def test_plan_keys_returns_each_entrys_fingerprint(
    new_material: Any, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, rotated = new_material(), new_material()
    escrow = tmp_path / "escrow"
    query = {
        "g1": json.dumps({"source": first.source, "key_spec": "SYMMETRIC_DEFAULT"}),
        "g1#1": json.dumps({"source": rotated.source, "key_spec": "SYMMETRIC_DEFAULT"}),
        "g2": json.dumps({"source": f"generate:g2?escrow=file://{escrow}", "key_spec": "HMAC_256"}),
    }
    code, out, err = _plan(capsys, monkeypatch, query)
    assert (code, err) == (0, "")
    result = json.loads(out)
    escrowed = (escrow / "g2.key").read_bytes()
    assert result == {
        "g1": first.fingerprint,
        "g1#1": rotated.fingerprint,
        "g2": secret_fingerprint(escrowed),
    }
    for material in (first.bytes, rotated.bytes, escrowed):
        assert not any(n in out.encode() for n in spellings(material).values())
    # The escrow is written once: a second plan returns the same fingerprint.
    assert json.loads(_plan(capsys, monkeypatch, query)[1])["g2"] == result["g2"]


def test_plan_keys_with_nothing_to_read_returns_an_empty_object(
    capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _plan(capsys, monkeypatch, {}) == (0, "{}\n", "")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("not json", "plan-keys: entry 'g1#2' is not a JSON string of {source, key_spec}"),
        (json.dumps({"source": "file:///nonexistent/x.bin"}), "plan-keys: entry 'g1#2': "),
        (json.dumps({"source": "x:y", "key_spec": "AES"}), "entry 'g1#2': unknown key spec 'AES'"),
    ],
)
def test_plan_keys_names_the_failing_entry_in_one_line(
    new_material: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch, entry: str, message: str
) -> None:
    good = json.dumps({"source": new_material().source})
    code, out, err = _plan(capsys, monkeypatch, {"g1": good, "g1#2": entry})
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("kms-import: error: ") and message in err


def test_plan_keys_refuses_a_query_that_is_not_an_object(
    capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("[1]"))
    assert cli.main(["plan-keys"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a JSON object" in err


# --- HSM sources on the pool -------------------------------------------------------------


def test_hsm_sources_are_read_one_at_a_time_on_the_pool(
    kms: Any, softhsm: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """python-pkcs11 initialises the module without locking: both commands serialise their
    PKCS#11 work while everything else runs on the pool."""
    specs = {"aes-1": "SYMMETRIC_DEFAULT", "hmac-256": "HMAC_256", "hmac-512": "HMAC_512"}
    labels = list(specs)
    query = {
        f"k{i}": json.dumps({"source": softhsm.uri(label), "key_spec": specs[label]})
        for i, label in enumerate(labels)
    }
    code, out, err = _plan(capsys, monkeypatch, query)
    assert (code, err) == (0, "")
    fingerprints = json.loads(out)
    assert [fingerprints[f"k{i}"] for i in range(3)] == [
        secret_fingerprint(softhsm.values[label]) for label in labels
    ]

    arns = [
        _key(kms),
        _key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC"),
    ]
    entries = [
        json.dumps(
            {
                "name": f"k{i}",
                "key_arn": arn,
                "material_source": softhsm.uri(labels[i]),
                "material_fingerprint": fingerprints[f"k{i}"],
                "wrapping_key_spec": WRAP,
                "key_spec": specs[labels[i]],
            }
        )
        for i, arn in enumerate(arns)
    ]
    code, lines = _run(capsys, entries, "--parallelism", "2")
    assert code == 0, lines
    assert all(kms.describe_key(KeyId=a)["KeyMetadata"]["KeyState"] == "Enabled" for a in arns)


def test_no_keys_is_nothing_to_do(local_aws: None, capsys: Any) -> None:
    """An external-keys instance with an empty map still runs its import step."""
    local_calls.clear()
    code, lines = _run(capsys, [], "--parallelism", "8")
    assert code == 0
    assert lines == [
        "kms-import: import-keys: 0 key(s): 0 imported or updated, 0 up to date, 0 failed"
    ]
    assert local_calls.calls() == []


def test_a_new_valid_to_reimports_that_keys_material_and_its_rotations_only(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    later = (soon + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    first, rotated, other = new_material(), new_material(), new_material()
    arn, arn_other = _key(kms), _key(kms)
    rotations = [{"material_source": rotated.source, "material_fingerprint": rotated.fingerprint}]
    valid_to = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = [
        _entry("renewed", arn, first, valid_to=valid_to, rotations=rotations),
        _entry("other", arn_other, other, valid_to=valid_to),
    ]
    assert _run(capsys, entries)[0] == 0
    assert "renewed: up to date" in _run(capsys, entries)[1]
    local_calls.clear()

    entries[0] = _entry("renewed", arn, first, valid_to=later, rotations=rotations)
    code, lines = _run(capsys, entries)

    assert code == 0 and "other: up to date" in lines
    (line,) = [ln for ln in lines if ln.startswith("renewed ")]
    assert "imported" in line and "rotations: 0 rotated, 1 re-imported" in line
    assert _actions("ImportKeyMaterial", arn) == 2 and _actions("ImportKeyMaterial", arn_other) == 0
    found = kms.list_key_rotations(KeyId=arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert {m["ValidTo"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for m in found} == {later}
    assert "renewed: up to date" in _run(capsys, entries)[1]
