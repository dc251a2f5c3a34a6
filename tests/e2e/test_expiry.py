"""Expiry seen coming (issue 22 item 2), through real Terraform on the offline stack: a key
10 days from expiry warns at plan with the default expiry_warning_days (a check block: the plan
still succeeds) and has its CloudWatch alarm, read back from the local AWS; a valid_to that has
passed fails the plan in one line naming the generation and `make renew`. Leak scan at the end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .workspace import Workspace, in_days

pytestmark = pytest.mark.e2e


def _with_vars(ws: Workspace, **extra: Any) -> None:
    path = ws.dir / "terraform.tfvars.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | extra, indent=2))


def test_a_key_near_expiry_warns_at_plan_and_has_its_alarm(
    workspace: Workspace, tmp_path: Path, clean_stack: Any
) -> None:
    ws = workspace
    escrow = tmp_path / "escrow"
    valid_to = in_days(10)
    source = f"generate:g1?escrow=file://{escrow}"
    g1 = {"material_source": source, "valid_to": valid_to, "multi_region": True}
    ws.write_generations(g1=g1 | {"replica_regions": ["eu-west-1"]})
    _with_vars(ws, expiry_alarm={"days_before": 14})
    ws.init()
    planned = ws.tf("plan", "-input=false", "-no-color", "-detailed-exitcode", check=False)
    assert planned.code == 2, planned.stderr
    text = " ".join((planned.stdout + planned.stderr).replace("│", " ").split())
    assert "Check block assertion failed" in text, text
    assert f"g1: key material expires at {valid_to}, within 30 days" in text, text

    ws.apply()
    arn = ws.outputs()["key_arns"]["g1"]
    key_id = arn.rsplit("/", 1)[1]
    alarms = ws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    (alarm,) = [a for a in alarms if a["MetricName"] == "SecondsUntilKeyMaterialExpiration"]
    assert alarm["Namespace"] == "AWS/KMS"
    assert alarm["Dimensions"] == [{"Name": "KeyId", "Value": key_id}]
    assert alarm["ComparisonOperator"] == "LessThanThreshold"
    assert alarm["Threshold"] == 14 * 86400
    assert alarm["TreatMissingData"] == "missing"
    replica = ws.outputs()["replica_arns"]["g1"]["eu-west-1"].rsplit("/", 1)[1]
    west = ws.client("cloudwatch", "eu-west-1").describe_alarms()["MetricAlarms"]
    assert [a["Dimensions"] for a in west] == [[{"Name": "KeyId", "Value": replica}]]
    assert ws.outputs()["expiry_alarm_arns"]["g1"] == {
        "us-east-1": alarm["AlarmArn"],
        "eu-west-1": west[0]["AlarmArn"],
    }
    assert ws.plan_exitcode() == 0

    for material in [p.read_bytes() for p in sorted(escrow.glob("*.key"))]:
        ws.assert_no_leak(material)


def test_a_passed_valid_to_is_one_line_naming_make_renew(
    workspace: Workspace, tmp_path: Path, clean_stack: Any
) -> None:
    ws = workspace
    escrow = tmp_path / "escrow"
    passed = in_days(-1)
    ws.write_generations(
        g1={"material_source": f"generate:g1?escrow=file://{escrow}", "valid_to": passed}
    )
    ws.init()
    refused = ws.tf("plan", "-input=false", "-no-color", check=False)
    assert refused.code == 1
    text = " ".join(refused.stderr.replace("│", " ").split())
    line = (
        f"g1: valid_to {passed} has passed (KMS refuses an expiry in the past): "
        "make renew GEN=g1 VALID_TO=<RFC 3339, at most 365 days ahead>"
    )
    assert line in text, text
    assert text.count("has passed") == 1, text
    calls = clean_stack.control("GET", "/_localaws/calls")
    assert [c["action"] for c in calls if c["service"] == "kms"] == []
    assert not escrow.exists() or not list(escrow.glob("*.key"))
