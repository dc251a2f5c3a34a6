"""The drift tag, import-keys' half of drift: the module computes each key's drift token at
plan from Terraform's own refresh of the key (modules/external-keys/key/drift.tf) and passes
it in the import trigger; import-keys heals the key and records the token in its
kms-import:drift tag (and each replica's), so the next plan reads the same token back."""

from __future__ import annotations

import json
from typing import Any

from test_import_keys import Material, _actions, _key, _run, new_material
from test_import_keys import _entry as _import_entry

from kms_import.keys import DRIFT_TAG, FINGERPRINT_TAG
from localaws import calls as local_calls

__all__ = ["new_material"]  # the fixture, shared with test_import_keys


def _entry(name: str, arn: str, material: Material, drift: str, **fields: Any) -> str:
    """test_import_keys' batch entry, with the drift token the module passes in."""
    return _import_entry(name, arn, material, drift=drift, **fields)


def _tags(kms: Any, arn: str) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=arn)["Tags"]}


def test_a_new_key_gets_its_fingerprint_and_token_in_one_tag_call(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    material = new_material()
    arn = _key(kms)
    local_calls.clear()
    assert _run(capsys, [_entry("g1", arn, material, "")])[0] == 0
    assert _actions("TagResource") == 1
    assert _tags(kms, arn) == {FINGERPRINT_TAG: material.fingerprint, DRIFT_TAG: ""}


def test_a_key_disabled_by_hand_is_healed_and_its_token_recorded(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    material = new_material()
    arn = _key(kms)
    assert _run(capsys, [_entry("g1", arn, material, "")])[0] == 0
    kms.disable_key(KeyId=arn)
    token = "disabled / seen 2026-12-04T18:00:00Z"
    local_calls.clear()
    code, lines = _run(capsys, [_entry("g1", arn, material, token)])
    assert code == 0, lines
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert _actions("TagResource") == 1 and _tags(kms, arn)[DRIFT_TAG] == token


def test_deleted_material_is_reimported_and_its_token_recorded(
    kms: Any, new_material: Any, capsys: Any
) -> None:
    material = new_material()
    arn = _key(kms)
    assert _run(capsys, [_entry("g1", arn, material, "")])[0] == 0
    kms.delete_imported_key_material(KeyId=arn)
    token = "material missing / seen 2026-12-04T18:00:00Z"
    local_calls.clear()
    assert _run(capsys, [_entry("g1", arn, material, token)])[0] == 0
    assert _actions("ImportKeyMaterial") == 1
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert _tags(kms, arn)[DRIFT_TAG] == token


def test_a_replica_disabled_by_hand_is_healed_and_tagged(
    kms: Any, new_material: Any, capsys: Any
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
    west.disable_key(KeyId=replica)
    token = "eu-west-1: disabled / seen 2026-12-04T18:00:00Z"
    assert _run(capsys, [_entry("m", primary["Arn"], material, token, **entry)])[0] == 0
    assert west.describe_key(KeyId=replica)["KeyMetadata"]["KeyState"] == "Enabled"
    assert _tags(west, replica)[DRIFT_TAG] == token


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
