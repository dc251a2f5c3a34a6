"""aws_cloudwatch_metric_alarm through real Terraform core and the stand-in (issue 22, item 2):
the key-expiry alarm the modules will create, on AWS/KMS SecondsUntilKeyMaterialExpiration
with dimensions {KeyId = ...}: create, read back, re-plan clean, change threshold in place,
replace on a new name, refuse a name already taken, import, destroy."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from offline.fixtures import TerraformRunner
from offline.stack import OfflineStack

from .roots import init_root

DAY_S = 86400
ALARM = """
variable "alarm_name" { type = string }
variable "days_before" { type = number }
resource "aws_kms_external_key" "this" {
  description             = "alarm target"
  deletion_window_in_days = 7
}
resource "aws_cloudwatch_metric_alarm" "expiry" {
  alarm_name          = var.alarm_name
  alarm_description   = "key material of ${aws_kms_external_key.this.id} expires soon"
  namespace           = "AWS/KMS"
  metric_name         = "SecondsUntilKeyMaterialExpiration"
  dimensions          = { KeyId = aws_kms_external_key.this.id }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.days_before * 86400
  tags                = { key = aws_kms_external_key.this.id }
}
output "key_id" { value = aws_kms_external_key.this.id }
output "alarm" {
  value = {
    id                 = aws_cloudwatch_metric_alarm.expiry.id
    arn                = aws_cloudwatch_metric_alarm.expiry.arn
    region             = aws_cloudwatch_metric_alarm.expiry.region
    threshold          = aws_cloudwatch_metric_alarm.expiry.threshold
    actions_enabled    = aws_cloudwatch_metric_alarm.expiry.actions_enabled
    treat_missing_data = aws_cloudwatch_metric_alarm.expiry.treat_missing_data
    tags_all           = aws_cloudwatch_metric_alarm.expiry.tags_all
  }
}
"""


def _cloudwatch(stack: OfflineStack) -> Any:
    return stack.client("cloudwatch")


def _alarms(stack: OfflineStack, name: str) -> list[dict[str, Any]]:
    return list(_cloudwatch(stack).describe_alarms(AlarmNames=[name])["MetricAlarms"])


def _alarm_root(tf: Any, tmp_path: Path, body: str) -> tuple[TerraformRunner, str]:
    """An initialised root and a fresh alarm name (names are unique per account and Region)."""
    runner = init_root(tf, tmp_path, body)
    return runner, f"kms-expiry-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def applied(tf: Any, tmp_path: Path) -> tuple[TerraformRunner, str]:
    runner, name = _alarm_root(tf, tmp_path, ALARM)
    runner.apply(vars={"alarm_name": name, "days_before": 30})
    return runner, name


def test_alarm_on_key_expiry_lives_through_create_plan_update_destroy(
    applied: tuple[TerraformRunner, str], offline_stack: OfflineStack
) -> None:
    runner, name = applied
    key_id = runner.output("key_id")
    alarm = runner.output("alarm")
    assert alarm["id"] == name
    assert alarm["arn"] == f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"
    assert alarm["region"] == "us-east-1"
    assert (alarm["actions_enabled"], alarm["treat_missing_data"]) == (True, "missing")
    assert alarm["threshold"] == 30 * DAY_S
    assert alarm["tags_all"] == {"key": key_id, "suite": "terraform-offline"}

    # Read back from the local AWS: what PutMetricAlarm stored is what the root asked for.
    (stored,) = _alarms(offline_stack, name)
    assert stored["Namespace"] == "AWS/KMS"
    assert stored["MetricName"] == "SecondsUntilKeyMaterialExpiration"
    assert stored["Dimensions"] == [{"Name": "KeyId", "Value": key_id}]
    assert (stored["Statistic"], stored["Period"], stored["EvaluationPeriods"]) == (
        "Minimum",
        300,
        1,
    )
    assert (stored["ComparisonOperator"], stored["Threshold"]) == (
        "LessThanThreshold",
        30.0 * DAY_S,
    )
    tags = _cloudwatch(offline_stack).list_tags_for_resource(ResourceARN=alarm["arn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"key": key_id, "suite": "terraform-offline"}

    variables = [f"-var=alarm_name={name}", "-var=days_before=30"]
    code, out, err = runner.plan(*variables)
    assert code == 0, out + err

    # A new threshold is an in-place PutMetricAlarm: same alarm, same ARN.
    code, out, err = runner.plan(f"-var=alarm_name={name}", "-var=days_before=10")
    assert code == 2, out + err
    assert "aws_cloudwatch_metric_alarm.expiry will be updated in-place" in out
    assert "~ threshold" in out and "2592000 -> 864000" in out
    assert "0 to add, 1 to change, 0 to destroy" in out
    runner.apply(vars={"alarm_name": name, "days_before": 10})
    assert runner.output("alarm")["arn"] == alarm["arn"]
    (stored,) = _alarms(offline_stack, name)
    assert stored["Threshold"] == 10.0 * DAY_S
    assert stored["Dimensions"] == [{"Name": "KeyId", "Value": key_id}]
    code, out, err = runner.plan(f"-var=alarm_name={name}", "-var=days_before=10")
    assert code == 0, out + err

    runner.destroy(vars={"alarm_name": name, "days_before": 10})
    assert _alarms(offline_stack, name) == []


def test_a_new_alarm_name_replaces_the_alarm(applied: tuple[TerraformRunner, str]) -> None:
    runner, name = applied
    code, out, err = runner.plan(f"-var=alarm_name={name}-2", "-var=days_before=30")
    assert code == 2, out + err
    assert "aws_cloudwatch_metric_alarm.expiry must be replaced" in out
    assert "# forces replacement" in out
    assert "1 to add, 0 to change, 1 to destroy" in out
    runner.destroy(vars={"alarm_name": name, "days_before": 30})


def test_an_alarm_made_by_hand_is_imported_not_overwritten(
    tf: Any, tmp_path: Path, offline_stack: OfflineStack
) -> None:
    runner, name = _alarm_root(tf, tmp_path, ALARM)
    runner.apply("-target=aws_kms_external_key.this", vars={"alarm_name": name, "days_before": 30})
    key_id = runner.output("key_id")
    _cloudwatch(offline_stack).put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/KMS",
        MetricName="SecondsUntilKeyMaterialExpiration",
        Dimensions=[{"Name": "KeyId", "Value": key_id}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=7.0 * DAY_S,
        ComparisonOperator="LessThanThreshold",
    )
    variables = {"alarm_name": name, "days_before": 30}
    failed = runner.apply(vars=variables, check=False)
    assert failed.code == 1
    assert f'CloudWatch metric alarm "{name}" already exists' in failed.stderr
    assert _alarms(offline_stack, name)[0]["Threshold"] == 7.0 * DAY_S  # left alone

    runner.run(
        "import", f"-var=alarm_name={name}", "-var=days_before=30",
        "aws_cloudwatch_metric_alarm.expiry", name, check=True,
    )  # fmt: skip
    code, out, err = runner.plan(f"-var=alarm_name={name}", "-var=days_before=30")
    assert code == 2, out + err
    assert "0 to add, 1 to change, 0 to destroy" in out  # the threshold, and the tags
    runner.apply(vars=variables)
    assert _alarms(offline_stack, name)[0]["Threshold"] == 30.0 * DAY_S
    runner.destroy(vars=variables)


INVALID = """
resource "aws_cloudwatch_metric_alarm" "bad" {
  alarm_name          = "bad"
  metric_name         = "SecondsUntilKeyMaterialExpiration"
  namespace           = "AWS/KMS"
  comparison_operator = "LessThanThreshold"
  evaluation_periods  = 1
  period              = 300
  threshold           = 1
  %s
}
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "One of `statistic` or `extended_statistic` must be set"),
        (
            'statistic = "Minimum"\n  extended_statistic = "p90"',
            '"extended_statistic": conflicts with statistic',
        ),
        ('statistic = "Median"', "expected to be one of"),
        (
            'statistic = "Minimum"\n  treat_missing_data = "sometimes"',
            "expected to be one of",
        ),
        ('statistic = "Minimum"\n  ok_actions = ["not-an-arn"]', "invalid ARN"),
    ],
)
def test_invalid_configurations_are_refused_at_plan(
    tf: Any, tmp_path: Path, body: str, message: str
) -> None:
    runner = init_root(tf, tmp_path, INVALID % body)
    code, _, err = runner.plan()
    assert code == 1
    assert message in err, err


REGIONAL = """
variable "alarm_name" { type = string }
variable "region" { type = string }
resource "aws_cloudwatch_metric_alarm" "expiry" {
  region              = var.region
  alarm_name          = var.alarm_name
  namespace           = "AWS/KMS"
  metric_name         = "SecondsUntilKeyMaterialExpiration"
  dimensions          = { KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab" }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 864000
}
output "arn" { value = aws_cloudwatch_metric_alarm.expiry.arn }
"""


def test_the_region_argument_places_the_alarm_and_forces_replacement(
    tf: Any, tmp_path: Path, offline_stack: OfflineStack
) -> None:
    """v6's per-resource `region`, as the stand-in's KMS resources have it (replica keys)."""
    runner, name = _alarm_root(tf, tmp_path, REGIONAL)
    runner.apply(vars={"alarm_name": name, "region": "us-west-2"})
    assert runner.output("arn") == f"arn:aws:cloudwatch:us-west-2:123456789012:alarm:{name}"
    assert _alarms(offline_stack, name) == []  # not in the provider's region
    code, out, err = runner.plan(f"-var=alarm_name={name}", "-var=region=us-west-2")
    assert code == 0, out + err
    code, out, err = runner.plan(f"-var=alarm_name={name}", "-var=region=eu-west-1")
    assert code == 2, out + err
    assert "must be replaced" in out and "# forces replacement" in out
    runner.destroy(vars={"alarm_name": name, "region": "us-west-2"})


ACTIONS = """
variable "alarm_name" { type = string }
variable "alarm_actions" { type = list(string) }
resource "aws_cloudwatch_metric_alarm" "expiry" {
  alarm_name                = var.alarm_name
  namespace                 = "AWS/KMS"
  metric_name               = "SecondsUntilKeyMaterialExpiration"
  dimensions                = { KeyId = "1234abcd-12ab-34cd-56ef-1234567890ab" }
  statistic                 = "Minimum"
  period                    = 300
  evaluation_periods        = 1
  comparison_operator       = "LessThanThreshold"
  threshold                 = 864000
  alarm_actions             = var.alarm_actions
  ok_actions                = []
  insufficient_data_actions = ["arn:aws:sns:us-east-1:123456789012:ops"]
  treat_missing_data        = "breaching"
}
"""


def test_action_lists_empty_or_not_re_plan_clean(
    tf: Any, tmp_path: Path, offline_stack: OfflineStack
) -> None:
    """What modules pass from `optional(list(string), [])`: an empty list is not a diff."""
    runner, name = _alarm_root(tf, tmp_path, ACTIONS)
    for actions in ([], ["arn:aws:sns:us-east-1:123456789012:pager"]):
        variables = {"alarm_name": name, "alarm_actions": actions}
        runner.apply(vars=variables)
        listed = json.dumps(actions)
        code, out, err = runner.plan(f"-var=alarm_name={name}", f"-var=alarm_actions={listed}")
        assert code == 0, out + err
        (stored,) = _alarms(offline_stack, name)
        assert stored["AlarmActions"] == actions
        assert stored["InsufficientDataActions"] == ["arn:aws:sns:us-east-1:123456789012:ops"]
        assert stored["TreatMissingData"] == "breaching"
    runner.destroy(vars={"alarm_name": name, "alarm_actions": []})
