"""Finders (internal/service/cloudwatch): NotFound is a type."""

from __future__ import annotations

from typing import Any

from ...plugin.errors import ProviderError


class NotFound(Exception):
    """The alarm does not exist."""


def find_metric_alarm_by_name(cloudwatch: Any, name: str) -> dict[str, Any]:
    """findMetricAlarmByName: DescribeAlarms for that name and metric alarms only;
    tfresource.AssertSingleValueResult: none is NotFound, more than one is an error."""
    output = cloudwatch.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])
    alarms = output.get("MetricAlarms") or []
    if not alarms:
        raise NotFound(f"CloudWatch Metric Alarm ({name}) not found")
    if len(alarms) > 1:
        raise ProviderError(f"reading CloudWatch Metric Alarm ({name}): too many results")
    return dict(alarms[0])
