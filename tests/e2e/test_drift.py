"""Drift made outside Terraform shows in `terraform plan` and apply heals it (issue 22 item 1).

Terraform's own refresh reads each existing key and its replicas; modules/external-keys/key/
drift.tf turns that into the import step's per-key trigger `drift`, which names what differs.
Each step: plan exits 2 naming the key and what differs -> apply -> the key is back ->
re-plan exits 0. The steps: material deleted, the key disabled, a replica disabled, valid_to
changed. Ends with the leak scan.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .workspace import Workspace, in_days

pytestmark = pytest.mark.e2e


def _drift(ws: Workspace) -> str:
    """The plan's exit code must be 2; returns its text for the per-key drift lines."""
    result = ws.tf("plan", "-input=false", "-detailed-exitcode", check=False)
    assert result.code == 2, f"{result.stdout}\n{result.stderr}"
    return result.stdout


def _state(ws: Workspace, arn: str) -> str:
    return str(ws.kms(arn.split(":")[3]).describe_key(KeyId=arn)["KeyMetadata"]["KeyState"])


def test_drift_is_planned_and_healed_for_keys_and_replicas(
    workspace: Workspace, tmp_path: Path, clean_stack: Any
) -> None:
    ws = workspace
    escrow = tmp_path / "escrow"
    g1 = {
        "material_source": f"generate:g1?escrow=file://{escrow}",
        "multi_region": True,
        "replica_regions": ["eu-west-1"],
    }
    ws.write_generations(g1=g1)
    ws.apply()
    assert ws.plan_exitcode() == 0
    arn = ws.outputs()["key_arns"]["g1"]
    replica = ws.outputs()["replica_arns"]["g1"]["eu-west-1"]
    blob = ws.kms().encrypt(KeyId=arn, Plaintext=b"before")["CiphertextBlob"]

    # Material deleted out of band.
    ws.kms().delete_imported_key_material(KeyId=arn)
    text = _drift(ws)
    assert re.search(r'~ g1 = \{\s*~ drift += "" -> "material missing / seen ', text), text
    ws.apply()
    assert _state(ws, arn) == "Enabled"
    assert ws.kms().decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"
    assert ws.plan_exitcode() == 0

    # The key disabled by hand.
    ws.kms().disable_key(KeyId=arn)
    text = _drift(ws)
    assert re.search(r'~ g1 = \{\s*~ drift += "material missing[^"]*" -> "disabled / seen ', text)
    ws.apply()
    assert _state(ws, arn) == "Enabled"
    assert ws.plan_exitcode() == 0

    # A replica disabled by hand is named by its Region.
    ws.kms("eu-west-1").disable_key(KeyId=replica)
    text = _drift(ws)
    assert re.search(r'-> "eu-west-1: disabled / seen ', text), text
    ws.apply()
    assert _state(ws, replica) == "Enabled"
    assert ws.plan_exitcode() == 0

    # valid_to changed outside Terraform: the same material re-imported with an expiry.
    later = in_days(90)
    ws.kms_import("import", "--key-id", arn, "--source", g1["material_source"], "--valid-to", later)
    assert (
        ws.kms().describe_key(KeyId=arn)["KeyMetadata"]["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    )
    text = _drift(ws)
    assert re.search(r'-> "valid_to \S+ configured none / seen ', text), text
    ws.apply()
    metadata = ws.kms().describe_key(KeyId=arn)["KeyMetadata"]
    assert metadata["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "ValidTo" not in metadata
    assert ws.kms().decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"
    assert ws.plan_exitcode() == 0

    for material in [p.read_bytes() for p in sorted(escrow.glob("*.key"))]:
        ws.assert_no_leak(material)
