"""Drift through the two helper runs, against the local AWS in-process: plan-keys reads each
existing key's drift token (drift.py) and import-keys heals the key and records the token in
its kms-import:drift tag (and each replica's), so the next plan-keys reads the same token."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from test_import_keys import WRAP, Material, _actions, _key, _run, new_material

from kms_import import cli
from kms_import.keys import DRIFT_TAG, FINGERPRINT_TAG
from localaws import calls as local_calls

__all__ = ["new_material"]  # the fixture, shared with test_import_keys


def _entry(name: str, arn: str, material: Material, drift: str, **fields: Any) -> str:
    return json.dumps(
        {
            "name": name,
            "key_arn": arn,
            "material_source": material.source,
            "material_fingerprint": material.fingerprint,
            "wrapping_key_spec": WRAP,
            "enabled": True,
            "drift": drift,
            **fields,
        }
    )


def _plan(capsys: Any, monkeypatch: pytest.MonkeyPatch, query: dict[str, Any]) -> dict[str, Any]:
    text = {name: json.dumps(entry) for name, entry in query.items()}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(text)))
    code = cli.main(["plan-keys"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, ""), err
    return {name: json.loads(value) for name, value in json.loads(out).items()}


def _tags(kms: Any, arn: str) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=arn)["Tags"]}


def _wanted(arn: str, **fields: Any) -> dict[str, Any]:
    return {"key_arn": arn, "enabled": True, "valid_to": None, "replicas": [], **fields}


def test_a_new_key_is_synced_heals_and_is_clean_again(
    kms: Any, new_material: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    material = new_material()
    arn = _key(kms)
    query = {"g1": _wanted(arn, source=material.source, key_spec="SYMMETRIC_DEFAULT")}

    # Never synced: token "", and the fingerprint that was asked for.
    assert _plan(capsys, monkeypatch, query) == {
        "g1": {"drift": "", "fingerprint": material.fingerprint}
    }
    local_calls.clear()
    assert _run(capsys, [_entry("g1", arn, material, "")])[0] == 0
    # One TagResource writes the fingerprint and the drift token together.
    assert _actions("TagResource") == 1
    assert _tags(kms, arn) == {FINGERPRINT_TAG: material.fingerprint, DRIFT_TAG: ""}
    assert _plan(capsys, monkeypatch, query)["g1"]["drift"] == ""

    # Disabled by hand: a new token naming what differs; apply heals and records it.
    kms.disable_key(KeyId=arn)
    token = _plan(capsys, monkeypatch, query)["g1"]["drift"]
    assert token.startswith("disabled / seen ")
    local_calls.clear()
    code, lines = _run(capsys, [_entry("g1", arn, material, token)])
    assert code == 0, lines
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert _actions("TagResource") == 1 and _tags(kms, arn)[DRIFT_TAG] == token
    assert _plan(capsys, monkeypatch, query)["g1"]["drift"] == token  # clean again

    # Material deleted: re-imported from the same source.
    kms.delete_imported_key_material(KeyId=arn)
    token = _plan(capsys, monkeypatch, query)["g1"]["drift"]
    assert token.startswith("material missing / seen ")
    local_calls.clear()
    assert _run(capsys, [_entry("g1", arn, material, token)])[0] == 0
    assert _actions("ImportKeyMaterial") == 1
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert _plan(capsys, monkeypatch, query)["g1"]["drift"] == token


def test_a_key_up_to_date_gets_only_its_tag_written(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    material = new_material()
    arn = _key(kms)
    assert _run(capsys, [_entry("g1", arn, material, "")])[0] == 0
    local_calls.clear()
    code, lines = _run(capsys, [_entry("g1", arn, material, "old token")])
    assert (code, lines[0]) == (0, "g1: up to date")
    assert _actions("ImportKeyMaterial") == 0 and _actions("TagResource") == 1
    assert _tags(kms, arn)[DRIFT_TAG] == "old token"
    local_calls.clear()
    assert _run(capsys, [_entry("g1", arn, material, "old token")])[0] == 0
    assert _actions("TagResource") == 0  # the tag already says so


def test_an_entry_without_drift_leaves_the_tag_alone(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    material = new_material()
    arn = _key(kms)
    entry = json.loads(_entry("g1", arn, material, ""))
    del entry["drift"]
    assert _run(capsys, [json.dumps(entry)])[0] == 0
    assert DRIFT_TAG not in _tags(kms, arn)


def test_a_replica_disabled_by_hand_is_named_and_healed(
    kms: Any, new_material: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    material = new_material()
    primary = kms.create_key(Origin="EXTERNAL", MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-west-1")
    west = boto3.client("kms", region_name="eu-west-1")
    replica = west.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["Arn"]
    entry = {"replicas": {"eu-west-1": replica}}
    assert _run(capsys, [_entry("m", primary["Arn"], material, "", **entry)])[0] == 0
    assert _tags(west, replica)[DRIFT_TAG] == ""
    query = {"m": _wanted(primary["Arn"], replicas=[replica])}
    assert _plan(capsys, monkeypatch, query)["m"] == {"drift": ""}

    west.disable_key(KeyId=replica)
    token = _plan(capsys, monkeypatch, query)["m"]["drift"]
    assert token.startswith("eu-west-1: disabled / seen ")
    assert _run(capsys, [_entry("m", primary["Arn"], material, token, **entry)])[0] == 0
    assert west.describe_key(KeyId=replica)["KeyMetadata"]["KeyState"] == "Enabled"
    assert _tags(west, replica)[DRIFT_TAG] == token
    assert _plan(capsys, monkeypatch, query)["m"]["drift"] == token


def test_a_wanted_valid_to_is_compared(
    kms: Any, new_material: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    material = new_material()
    arn = _key(kms)
    assert _run(capsys, [_entry("g1", arn, material, "")])[0] == 0
    query = {"g1": _wanted(arn, valid_to="2030-01-01T00:00:00Z")}
    token = _plan(capsys, monkeypatch, query)["g1"]["drift"]
    assert token.startswith("valid_to none configured 2030-01-01T00:00:00Z / seen ")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"key_arn": "alias/x"}, "plan-keys: entry 'g1': key_arn is not a KMS key ARN"),
        ({"replicas": ["x"]}, "plan-keys: entry 'g1': replicas is not a list of key ARNs"),
        ({"enabled": "yes"}, "plan-keys: entry 'g1': enabled is not true or false"),
        ({"valid_to": 3}, "plan-keys: entry 'g1': valid_to is not a string"),
    ],
)
def test_a_bad_drift_entry_is_one_line_and_no_call(
    local_aws: None, capsys: Any, monkeypatch: pytest.MonkeyPatch, entry: Any, message: str
) -> None:
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    query = {"g1": json.dumps({**_wanted(arn), **entry})}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(query)))
    local_calls.clear()
    code = cli.main(["plan-keys"])
    out, err = capsys.readouterr()
    assert code != 0 and out == "" and err.count("\n") == 1
    assert err.startswith("kms-import: error: ") and message in err
    assert local_calls.calls() == []
