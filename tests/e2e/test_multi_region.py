"""Multi-Region imported keys (issue #9): a primary and replicas holding the same material.

One test, four applies: two replicas made and imported; a primary ciphertext decrypts in
each Region; a third Region added later is the only one imported while one removed in the
same apply goes PendingDeletion; renew, delete-material and reimport reach every Region;
`status` shows one line per Region. Every step ends with a clean re-plan and the leak scan.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from iameval import allowed, requests_for_call

from .workspace import Workspace, in_days

pytestmark = pytest.mark.e2e

PRIMARY = "us-east-1"


def _tfvars(ws: Workspace, source: str, regions: list[str], valid_to: str | None = None) -> None:
    g1: dict[str, Any] = {"material_source": source, "multi_region": True}
    g1 |= {"replica_regions": regions, "valid_to": valid_to}
    ws.write_generations(g1=g1)


def _replicas(ws: Workspace) -> dict[str, str]:
    return dict(ws.outputs()["replica_arns"]["g1"])


def _meta(ws: Workspace, arn: str) -> dict[str, Any]:
    return dict(ws.kms(arn.split(":")[3]).describe_key(KeyId=arn)["KeyMetadata"])


def _imports_by_region(stack: Any) -> Counter[str]:
    calls = stack.control("GET", "/_localaws/calls")
    return Counter(c["region"] for c in calls if c["action"] == "ImportKeyMaterial")


def _decrypts_everywhere(ws: Workspace, blob: bytes, arns: dict[str, str]) -> None:
    for region in arns:
        assert ws.kms(region).decrypt(CiphertextBlob=blob)["Plaintext"] == b"everywhere", region


def _clean(ws: Workspace, escrow: Path) -> None:
    assert ws.plan_exitcode() == 0
    for material in [p.read_bytes() for p in sorted(escrow.glob("*.key"))]:
        ws.assert_no_leak(material)


def test_primary_and_replicas_share_material_across_the_lifecycle(
    workspace: Workspace, tmp_path: Path, clean_stack: Any
) -> None:
    ws = workspace
    escrow = tmp_path / "escrow"
    source = f"generate:g1?escrow=file://{escrow}"

    # Bad Region lists are refused at plan time, saying what to fix; no key is made.
    _tfvars(ws, source, [PRIMARY, "eu-west-1", "eu-west-1", "mars-1"])
    ws.init()
    refused = ws.tf("plan", "-input=false", "-no-color", check=False)
    message = " ".join(refused.stderr.replace("│", " ").split())
    assert refused.code == 1
    assert "must not name the primary keys' own Region" in message, message
    ws.write_generations(g1={"material_source": source, "replica_regions": ["eu-west-1"] * 2})
    refused = ws.tf("plan", "-input=false", "-no-color", check=False)
    message += " ".join(refused.stderr.replace("│", " ").split())
    assert refused.code == 1
    assert "replica_regions must not name a Region twice" in message, message
    assert "replica_regions needs multi_region = true" in message, message
    calls = clean_stack.control("GET", "/_localaws/calls")
    assert [c["action"] for c in calls if c["service"] == "kms"] == []

    # A primary with two replicas: each holds the same material, imported per Region.
    _tfvars(ws, source, ["us-west-2", "eu-west-1"])
    ws.apply()
    primary = ws.outputs()["key_arns"]["g1"]
    replicas = _replicas(ws)
    assert set(replicas) == {"us-west-2", "eu-west-1"}
    fingerprint = ws.outputs()["generations"]["g1"]["material_fingerprint"]
    for region, arn in replicas.items():
        meta = _meta(ws, arn)
        assert arn.split(":")[3] == region and meta["KeyState"] == "Enabled"
        assert meta["MultiRegionConfiguration"]["PrimaryKey"]["Arn"] == primary
        tags = ws.kms(region).list_resource_tags(KeyId=arn)["Tags"]
        assert {"TagKey": "kms-import:fingerprint", "TagValue": fingerprint} in tags
    assert _imports_by_region(clean_stack) == {PRIMARY: 1, "us-west-2": 1, "eu-west-1": 1}
    # The importer policy covers the helper's calls in every Region (replica ARNs included).
    policy = json.loads(ws.outputs()["importer_policy_json"])
    helper_calls = [
        c for c in clean_stack.control("GET", "/_localaws/calls") if c.get("agent") == "kms-import"
    ]
    assert {c["region"] for c in helper_calls} == {PRIMARY, "us-west-2", "eu-west-1"}
    requests = [r for c in helper_calls for r in requests_for_call(c, lambda *_: "")]
    assert not [str(r) for r in requests if not allowed(policy, r)]
    blob = ws.kms().encrypt(KeyId="alias/MyImportedKey", Plaintext=b"everywhere")["CiphertextBlob"]
    _decrypts_everywhere(ws, blob, replicas)
    status = ws.make("status").stdout.splitlines()[1:]
    assert [line.split()[:2] for line in status] == [
        ["g1", PRIMARY], ["g1", "eu-west-1"], ["g1", "us-west-2"]
    ]  # fmt: skip
    _clean(ws, escrow)

    # Later, one apply adds a third Region and drops one: only the new replica is created
    # and imported; the dropped one goes PendingDeletion; the others are left alone.
    clean_stack.control("DELETE", "/_localaws/calls")
    _tfvars(ws, source, ["eu-west-1", "ap-southeast-2"])
    ws.apply()
    dropped = replicas["us-west-2"]
    replicas = _replicas(ws)
    assert set(replicas) == {"eu-west-1", "ap-southeast-2"}
    assert _imports_by_region(clean_stack) == {"ap-southeast-2": 1}
    assert _meta(ws, dropped)["KeyState"] == "PendingDeletion"
    assert all(_meta(ws, arn)["KeyState"] == "Enabled" for arn in replicas.values())
    _decrypts_everywhere(ws, blob, replicas)
    _clean(ws, escrow)

    # Renew: the same material re-imported with the new expiry in every Region.
    later = in_days(200)
    _tfvars(ws, source, ["eu-west-1", "ap-southeast-2"], valid_to=later)
    ws.apply()
    for arn in [primary, *replicas.values()]:
        meta = _meta(ws, arn)
        assert meta["KeyState"] == "Enabled" and meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
        assert meta["ValidTo"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == later
    _clean(ws, escrow)

    # delete-material reaches every Region; reimport restores every Region.
    ws.make("delete-material", GEN="g1", YES="1")
    assert {_meta(ws, a)["KeyState"] for a in [primary, *replicas.values()]} == {"PendingImport"}
    assert ws.plan_exitcode() == 2  # drift: the plan-time read sees every Region's missing material
    clean_stack.control("DELETE", "/_localaws/calls")
    ws.make("reimport", GEN="g1", AUTO_APPROVE="1", TFVARS="terraform.tfvars.json")
    assert _imports_by_region(clean_stack) == {PRIMARY: 1, "eu-west-1": 1, "ap-southeast-2": 1}
    assert {_meta(ws, a)["KeyState"] for a in [primary, *replicas.values()]} == {"Enabled"}
    _decrypts_everywhere(ws, blob, replicas)
    _clean(ws, escrow)
