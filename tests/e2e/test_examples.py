"""examples/: each root a user copies is applied, re-planned clean and destroyed.

One apply per example (the expiring one adds its renewal), several assertions per apply, and
the leak scan over every material at the end. The examples source the modules by relative
path (../../modules/...), as a copied repo would; the Workspace keeps that layout.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from kms_import.material import secret_fingerprint

from .workspace import REPO, Workspace, in_days, material_file

pytestmark = pytest.mark.e2e

EXAMPLES = REPO / "examples"
HELPER = REPO / ".venv" / "bin" / "kms-import"


def _key(ws: Workspace, key_id: str) -> dict[str, Any]:
    return dict(ws.kms().describe_key(KeyId=key_id)["KeyMetadata"])


def _round_trip(ws: Workspace, alias: str) -> None:
    kms = ws.kms()
    blob = kms.encrypt(KeyId=alias, Plaintext=b"sensitive data\n")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sensitive data\n"


def _tags(ws: Workspace, key_id: str) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in ws.kms().list_resource_tags(KeyId=key_id)["Tags"]}


@dataclass
class Case:
    """What one example needs: its variables, checks after apply, the keys it made."""

    setup: Callable[[Workspace, Path], list[Path]]  # writes tfvars; returns material files
    check: Callable[[Workspace], list[str]]  # asserts after apply; returns the key ids


def _complete_setup(ws: Workspace, tmp: Path) -> list[Path]:
    path, material = material_file(tmp / "keys", "single.bin")
    escrow = tmp / "escrow"
    ws.write_vars(
        single_material_source=f"file://{path}",
        single_material_fingerprint=secret_fingerprint(material),
        single_valid_to=in_days(180),
        rotating_material_source=f"generate:complete-g1?escrow=file://{escrow}",
        many_escrow=f"file://{escrow}",
        helper_command=str(HELPER),
    )
    return [path, *(escrow / f"complete-{name}.key" for name in ("g1", "many-a", "many-b"))]


def _complete_check(ws: Workspace) -> list[str]:
    out = ws.outputs()
    single, rotating = out["single"], out["rotating"]
    key = _key(ws, single["key_id"])
    assert (key["KeyState"], key["Origin"]) == ("Enabled", "EXTERNAL")
    assert key["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" == single["expiration_model"]
    assert key["Description"] == "example: complete, single key"
    tags = _tags(ws, single["key_id"])
    assert tags["kms-import:fingerprint"] == single["material_fingerprint"]
    assert (tags["example"], tags["owner"]) == ("complete", "platform")
    policy = ws.kms().get_key_policy(KeyId=single["key_id"], PolicyName="default")["Policy"]
    assert "AccountRootAdministers" in policy and "CloudWatchLogsUse" in policy
    grants = ws.kms().list_grants(KeyId=single["key_id"])["Grants"]
    assert [(g["Name"], sorted(g["Operations"])) for g in grants] == [
        ("app-decrypt", ["Decrypt", "DescribeKey"])
    ]
    _round_trip(ws, "alias/example-complete-single")

    g1 = rotating["generations"]["g1"]
    rkey = _key(ws, g1["key_id"])
    assert rkey["KeyState"] == "Enabled"
    assert rkey["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert rkey["Description"] == "example: complete, rotating key g1"
    assert _tags(ws, g1["key_id"])["kms-import:generation"] == "g1"
    _round_trip(ws, "alias/example-complete-rotating")

    many = out["many"]
    assert many["alias_names"] == {"a": "alias/example-complete-many-a", "b": None}
    for name, arn in many["key_arns"].items():
        assert _key(ws, arn)["KeyState"] == "Enabled"
        tags = _tags(ws, arn)
        assert tags["kms-import:fingerprint"] == many["material_fingerprints"][name]
        assert tags["owner"] == "platform" and tags.get("key") == ("a" if name == "a" else None)
        grants = ws.kms().list_grants(KeyId=arn)["Grants"]
        assert [g["Name"] for g in grants] == ["app-decrypt"]
    _round_trip(ws, "alias/example-complete-many-a")
    return [single["key_id"], g1["key_id"], *many["key_arns"].values()]


def _expiring_setup(ws: Workspace, tmp: Path) -> list[Path]:
    path, _ = material_file(tmp / "keys", "reports.bin")
    ws.write_vars(material_source=f"file://{path}", valid_to=in_days(30))
    return [path]


def _expiring_check(ws: Workspace) -> list[str]:
    out = ws.outputs()
    key = _key(ws, out["key_id"])
    assert key["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" == out["expiration_model"]
    assert key["ValidTo"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == out["valid_to"]
    _round_trip(ws, "alias/example-expiring")

    # Renew: a later valid_to re-imports the same material into the same key.
    material_source = ws.vars()["material_source"]
    renewed = in_days(300)
    ws.write_vars(material_source=material_source, valid_to=renewed)
    ws.apply()
    after = ws.outputs()
    assert after["key_id"] == out["key_id"]
    assert after["import_id"] != out["import_id"]
    assert after["valid_to"] == renewed
    renewed_key = _key(ws, out["key_id"])
    assert renewed_key["ValidTo"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == renewed
    assert renewed_key["KeyState"] == "Enabled"
    _round_trip(ws, "alias/example-expiring")
    return [out["key_id"]]


def _rotation_setup(ws: Workspace, tmp: Path) -> list[Path]:
    escrow = tmp / "escrow"
    ws.write_vars(
        generations={
            "g1": {"material_source": f"generate:rot-g1?escrow=file://{escrow}"},
            "g2": {"material_source": f"generate:rot-g2?escrow=file://{escrow}"},
        },
        active_generation="g2",
    )
    return [escrow / "rot-g1.key", escrow / "rot-g2.key"]


def _rotation_check(ws: Workspace) -> list[str]:
    out = ws.outputs()
    arns = out["key_arns"]
    assert set(arns) == {"g1", "g2"} and arns["g1"] != arns["g2"]
    aliases = ws.kms().list_aliases()["Aliases"]
    target = next(a["TargetKeyId"] for a in aliases if a["AliasName"] == "alias/example-rotation")
    assert target == out["active_key_id"] == arns["g2"].rsplit("/", 1)[1]
    assert all(_key(ws, arn)["KeyState"] == "Enabled" for arn in arns.values())
    _round_trip(ws, "alias/example-rotation")
    return [arn.rsplit("/", 1)[1] for arn in arns.values()]


def _multi_region_setup(ws: Workspace, tmp: Path) -> list[Path]:
    escrow = tmp / "escrow"
    ws.write_vars(
        material_source=f"generate:mr?escrow=file://{escrow}",
        replica_regions=["us-west-2", "eu-west-1"],
        helper_command=str(HELPER),
    )
    return [escrow / "mr.key"]


def _multi_region_check(ws: Workspace) -> list[str]:
    out = ws.outputs()
    replicas = out["replica_arns"]
    assert set(replicas) == {"us-west-2", "eu-west-1"}
    blob = ws.kms().encrypt(KeyId="alias/example-multi-region", Plaintext=b"everywhere")
    for region, arn in replicas.items():
        kms = ws.kms(region)
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
        answer = kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], KeyId=arn)
        assert answer["Plaintext"] == b"everywhere"
    policy = out["importer_policy_json"]
    assert all(arn in policy for arn in [out["key_arn"], *replicas.values()])
    return [out["key_arn"]]


CASES = {
    "complete": Case(_complete_setup, _complete_check),
    "expiring": Case(_expiring_setup, _expiring_check),
    "multi-region": Case(_multi_region_setup, _multi_region_check),
    "rotation": Case(_rotation_setup, _rotation_check),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_applies_replans_clean_and_destroys(name: str, tmp_path: Path, clean_stack):
    assert (EXAMPLES / name / "README.md").is_file()
    ws = Workspace.create(tmp_path, clean_stack, root=EXAMPLES / name)
    case = CASES[name]
    materials = case.setup(ws, tmp_path)
    ws.apply()
    key_ids = case.check(ws)
    assert ws.plan_exitcode() == 0
    ws.destroy()
    assert all(_key(ws, key_id)["KeyState"] == "PendingDeletion" for key_id in key_ids)
    for path in materials:
        ws.assert_no_leak(path.read_bytes())


def test_hsm_example_applies_replans_clean_and_destroys(
    tmp_path: Path, clean_stack: Any, softhsm: Any
) -> None:
    """examples/hsm against a SoftHSM2 token: the token wraps its own sensitive key."""
    assert (EXAMPLES / "hsm" / "README.md").is_file()
    ws = Workspace.create(tmp_path, clean_stack, root=EXAMPLES / "hsm")
    material = os.urandom(32)
    label = f"example-hsm-{os.urandom(4).hex()}"  # the token lives for the whole session
    softhsm.add_key(label, material)
    ws.runner.env["SOFTHSM2_CONF"] = str(softhsm.conf)
    ws.write_vars(material_source=softhsm.uri(label), helper_command=str(HELPER))
    ws.apply()

    out = ws.outputs()
    assert out["material_fingerprint"] == secret_fingerprint(material)
    assert _key(ws, out["key_id"])["KeyState"] == "Enabled"
    _round_trip(ws, "alias/example-hsm")
    assert ws.plan_exitcode() == 0
    ws.destroy()
    assert _key(ws, out["key_id"])["KeyState"] == "PendingDeletion"
    ws.assert_no_leak(material)
