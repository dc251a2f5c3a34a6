"""aws_cloudwatch_metric_alarm (internal/service/cloudwatch/metric_alarm.go): schema, then CRUD.

Every argument but alarm_name (ForceNew) and region (ForceNew, v6) is an in-place
PutMetricAlarm; tags go through TagResource/UntagResource (transparent tagging on `arn`).
id is the alarm name; import is by name. Create refuses an alarm name already taken
(findMetricAlarmByName before PutMetricAlarm), so an existing alarm is never overwritten.
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from ...plugin.codec import UNKNOWN
from ...plugin.errors import ProviderError
from ...plugin.resource import Plan, Resource, State
from ...plugin.schema import (
    BOOL,
    NUMBER,
    STRING,
    STRING_MAP,
    STRING_SET,
    Attribute,
    Block,
    NestedBlock,
    Validator,
    each,
    int_at_least,
    string_in,
    string_len_between,
)
from ..conns import AWSClient
from ..region import REGION, region_of, set_region_diff
from ..tags import TAGS, TAGS_ALL, set_tags_diff, set_tags_out
from .finders import NotFound, find_metric_alarm_by_name
from .tags import list_tags, tags_in, update_tags

# awstypes enums (enum.Validate in the real schema).
COMPARISON_OPERATORS = (
    "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
    "LessThanOrEqualToThreshold", "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold", "GreaterThanUpperThreshold",
)  # fmt: skip
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
STANDARD_UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
)  # fmt: skip
MISSING_DATA_MISSING = "missing"
MISSING_DATA = ("breaching", "notBreaching", "ignore", MISSING_DATA_MISSING)
LOW_SAMPLE_COUNT_PERCENTILES = ("evaluate", "ignore")
_EXTENDED_STATISTIC = re.compile(
    r"^((p|(tm)|(wm)|(tc)|(ts))((\d{1,2}(\.\d{1,2})?)|(100))|(IQM)|"
    r"(((TM)|(WM)|(PR)|(TC)|(TS)))\((\d+(\.\d+)?%?)?:(\d+(\.\d+)?%?)?\))$"
)
_ARN = re.compile(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:.+")  # verify.ValidARN (arn.Parse)
_EC2_AUTOMATE_ARN = re.compile(r"^arn:[\w-]+:automate:[\w-]+:ec2:(reboot|recover|stop|terminate)$")


def _string_in_fold(*allowed: str) -> Validator:
    """validation.StringInSlice(..., ignoreCase=true)."""
    folded = {a.lower() for a in allowed}

    def check(value: Any) -> str | None:
        if value.lower() not in folded:
            return f"expected to be one of {list(allowed)}, got {value}"
        return None

    return check


def _action_arn(value: Any) -> str | None:
    """validation.Any(verify.ValidARN, validEC2AutomateARN)."""
    if _ARN.fullmatch(value) or _EC2_AUTOMATE_ARN.fullmatch(value):
        return None
    return f"invalid ARN {value!r}"


def _actions(max_items: int = 0) -> Validator:
    def check(values: Any) -> str | None:
        if max_items and len(values) > max_items:
            return (
                f"Attribute supports {max_items} item maximum, "
                f"but config has {len(values)} declared."
            )
        return each(_action_arn)(values)

    return check


def _period(value: Any) -> str | None:
    """validation.Any(IntInSlice([10, 20, 30]), IntDivisibleBy(60))."""
    if int(value) in (10, 20, 30) or int(value) % 60 == 0:
        return None
    return f"expected to be one of [10 20 30] or divisible by 60, got {value}"


def _query_period(value: Any) -> str | None:
    if int(value) in (1, 5, 10, 20, 30) or int(value) % 60 == 0:
        return None
    return f"expected to be one of [1 5 10 20 30] or divisible by 60, got {value}"


def _namespace(value: Any) -> str | None:
    problem = string_len_between(1, 255)(value)
    if problem:
        return problem
    if not re.search(r"[^:].*", value):
        return "must not contain colon characters"
    return None


def _extended_statistic(value: Any) -> str | None:
    if _EXTENDED_STATISTIC.match(value):
        return None
    return (
        "invalid statistic, see: https://docs.aws.amazon.com/AmazonCloudWatch/latest/"
        "monitoring/Statistics-definitions.html"
    )


def _stat(value: Any) -> str | None:
    """validation.AnyDiag(enum.Validate[types.Statistic](), the extended-statistic regex)."""
    return None if value in STATISTICS else _extended_statistic(value)


_METRIC = NestedBlock(
    Block(
        {
            "dimensions": Attribute(STRING_MAP, optional=True),
            "metric_name": Attribute(STRING, required=True, validate=string_len_between(1, 255)),
            "namespace": Attribute(STRING, optional=True, validate=_namespace),
            "period": Attribute(NUMBER, required=True, validate=_query_period),
            "stat": Attribute(STRING, required=True, validate=_stat),
            "unit": Attribute(STRING, optional=True, validate=string_in(*STANDARD_UNITS)),
        }
    ),
    nesting="list",
    max_items=1,
)

_METRIC_QUERY = NestedBlock(
    Block(
        attributes={
            "account_id": Attribute(STRING, optional=True, validate=string_len_between(1, 255)),
            "expression": Attribute(STRING, optional=True, validate=string_len_between(1, 1024)),
            "id": Attribute(STRING, required=True, validate=string_len_between(1, 255)),
            "label": Attribute(STRING, optional=True),
            "period": Attribute(NUMBER, optional=True, validate=_query_period),
            "return_data": Attribute(BOOL, optional=True, default=False),
        },
        blocks={"metric": _METRIC},
    ),
    nesting="set",
)

SCHEMA = Block(
    attributes={
        "id": Attribute(STRING, optional=True, computed=True),
        "actions_enabled": Attribute(BOOL, optional=True, default=True),
        "alarm_actions": Attribute(STRING_SET, optional=True, validate=_actions()),
        "alarm_description": Attribute(STRING, optional=True, validate=string_len_between(0, 1024)),
        "alarm_name": Attribute(
            STRING, required=True, force_new=True, validate=string_len_between(1, 255)
        ),
        "arn": Attribute(STRING, computed=True),
        "comparison_operator": Attribute(
            STRING, required=True, validate=string_in(*COMPARISON_OPERATORS)
        ),
        "datapoints_to_alarm": Attribute(NUMBER, optional=True, validate=int_at_least(1)),
        "dimensions": Attribute(STRING_MAP, optional=True, conflicts_with=("metric_query",)),
        "evaluate_low_sample_count_percentiles": Attribute(
            STRING,
            optional=True,
            computed=True,
            validate=_string_in_fold(*LOW_SAMPLE_COUNT_PERCENTILES),
        ),
        "evaluation_periods": Attribute(NUMBER, required=True, validate=int_at_least(1)),
        "extended_statistic": Attribute(
            STRING,
            optional=True,
            conflicts_with=("statistic", "metric_query"),
            validate=_extended_statistic,
        ),
        "insufficient_data_actions": Attribute(
            STRING_SET, optional=True, validate=_actions(max_items=5)
        ),
        "metric_name": Attribute(
            STRING,
            optional=True,
            conflicts_with=("metric_query",),
            validate=string_len_between(1, 255),
        ),
        "namespace": Attribute(
            STRING, optional=True, conflicts_with=("metric_query",), validate=_namespace
        ),
        "ok_actions": Attribute(STRING_SET, optional=True, validate=_actions(max_items=5)),
        "period": Attribute(
            NUMBER, optional=True, conflicts_with=("metric_query",), validate=_period
        ),
        "region": REGION,
        "statistic": Attribute(
            STRING,
            optional=True,
            conflicts_with=("extended_statistic", "metric_query"),
            validate=string_in(*STATISTICS),
        ),
        "tags": TAGS,
        "tags_all": TAGS_ALL,
        "threshold": Attribute(NUMBER, optional=True, conflicts_with=("threshold_metric_id",)),
        "threshold_metric_id": Attribute(
            STRING,
            optional=True,
            conflicts_with=("threshold",),
            validate=string_len_between(1, 255),
        ),
        "treat_missing_data": Attribute(
            STRING,
            optional=True,
            default=MISSING_DATA_MISSING,
            validate=_string_in_fold(*MISSING_DATA),
        ),
        "unit": Attribute(STRING, optional=True, validate=string_in(*STANDARD_UNITS)),
    },
    blocks={"metric_query": _METRIC_QUERY},
    version=1,
)

# What Update compares (d.HasChangesExcept(tags, tags_all)).
_PUT_ARGUMENTS = tuple(
    name for name in (*SCHEMA.attributes, *SCHEMA.blocks) if name not in ("tags", "tags_all")
)


def _ok(value: Any) -> bool:
    """d.GetOk: set to a non-zero value (an unknown value counts as set)."""
    return value is UNKNOWN or bool(value)


class MetricAlarm(Resource):
    type_name = "aws_cloudwatch_metric_alarm"
    schema = SCHEMA

    def customize_diff(self, meta: AWSClient, plan: Plan) -> None:
        set_region_diff(meta, plan)
        set_tags_diff(meta, plan)
        planned = plan.planned
        statistic, extended = _ok(planned.get("statistic")), _ok(planned.get("extended_statistic"))
        if _ok(planned.get("metric_name")) and statistic == extended:
            raise ProviderError(
                "One of `statistic` or `extended_statistic` must be set for a cloudwatch "
                "metric alarm"
            )
        for query in _items(planned.get("metric_query")):
            if query.get("return_data") is None:
                query["return_data"] = False  # the nested Default
            if _ok(query.get("expression")) and _items(query.get("metric")):
                raise ProviderError(
                    "No metric_query may have both `expression` and a `metric` specified"
                )

    def create(self, meta: AWSClient, planned: State) -> State:
        cloudwatch = meta.client("cloudwatch", region_of(meta, planned))
        name = planned["alarm_name"]
        try:
            find_metric_alarm_by_name(cloudwatch, name)
        except NotFound:
            pass
        except ClientError as exc:
            raise ProviderError(f"creating CloudWatch Metric Alarm ({name}): {exc}") from exc
        else:
            raise ProviderError(f'CloudWatch metric alarm "{name}" already exists')
        try:
            cloudwatch.put_metric_alarm(**_put_input(meta, planned))
        except ClientError as exc:
            raise ProviderError(f"creating CloudWatch Metric Alarm ({name}): {exc}") from exc
        return self._read(meta, {**planned, "id": name}, new=True) or planned

    def read(self, meta: AWSClient, state: State) -> State | None:
        return self._read(meta, state, new=False)

    def _read(self, meta: AWSClient, state: State, new: bool) -> State | None:
        cloudwatch = meta.client("cloudwatch", region_of(meta, state))
        try:
            alarm = find_metric_alarm_by_name(cloudwatch, state["id"])
        except NotFound:
            if new:
                raise ProviderError(
                    f"reading CloudWatch Metric Alarm ({state['id']}): not found"
                ) from None
            return None
        except ClientError as exc:
            raise ProviderError(f"reading CloudWatch Metric Alarm ({state['id']}): {exc}") from exc
        fresh = {**state, **_flatten_alarm(alarm, state), "region": region_of(meta, state)}
        set_tags_out(meta, fresh, list_tags(cloudwatch, alarm["AlarmArn"]))
        return fresh

    def update(self, meta: AWSClient, prior: State, planned: State) -> State:
        cloudwatch = meta.client("cloudwatch", region_of(meta, prior))
        name = prior["id"]
        try:
            if any(prior.get(k) != planned.get(k) for k in _PUT_ARGUMENTS if k != "id"):
                cloudwatch.put_metric_alarm(**_put_input(meta, planned))
            if prior.get("tags_all") != planned.get("tags_all"):
                update_tags(cloudwatch, prior["arn"], prior.get("tags_all"), planned["tags_all"])
        except ClientError as exc:
            raise ProviderError(f"updating CloudWatch Metric Alarm ({name}): {exc}") from exc
        return self._read(meta, {**planned, "id": name}, new=True) or planned

    def delete(self, meta: AWSClient, state: State) -> None:
        cloudwatch = meta.client("cloudwatch", region_of(meta, state))
        try:
            cloudwatch.delete_alarms(AlarmNames=[state["id"]])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFound":
                return
            raise ProviderError(f"deleting CloudWatch Metric Alarm ({state['id']}): {exc}") from exc


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _put_input(meta: AWSClient, planned: State) -> dict[str, Any]:
    """expandPutMetricAlarmInput: d.GetOk values only, Threshold unless threshold_metric_id."""
    request: dict[str, Any] = {
        "AlarmName": planned["alarm_name"],
        "ComparisonOperator": planned["comparison_operator"],
        "EvaluationPeriods": int(planned["evaluation_periods"]),
        "TreatMissingData": planned.get("treat_missing_data") or MISSING_DATA_MISSING,
        "ActionsEnabled": bool(planned.get("actions_enabled")),
    }
    tags = tags_in(meta, planned)
    if tags:
        request["Tags"] = tags
    optional = {
        "AlarmActions": sorted(planned.get("alarm_actions") or []),
        "AlarmDescription": planned.get("alarm_description"),
        "DatapointsToAlarm": planned.get("datapoints_to_alarm"),
        "Dimensions": _dimensions_in(planned.get("dimensions")),
        "EvaluateLowSampleCountPercentile": planned.get("evaluate_low_sample_count_percentiles"),
        "ExtendedStatistic": planned.get("extended_statistic"),
        "InsufficientDataActions": sorted(planned.get("insufficient_data_actions") or []),
        "MetricName": planned.get("metric_name"),
        "Metrics": _metrics_in(planned.get("metric_query")),
        "Namespace": planned.get("namespace"),
        "OKActions": sorted(planned.get("ok_actions") or []),
        "Period": planned.get("period"),
        "Statistic": planned.get("statistic"),
        "ThresholdMetricId": planned.get("threshold_metric_id"),
        "Unit": planned.get("unit"),
    }
    request.update({k: v for k, v in optional.items() if v})
    if not planned.get("threshold_metric_id"):
        request["Threshold"] = float(planned.get("threshold") or 0)
    for field in ("DatapointsToAlarm", "Period"):
        if field in request:
            request[field] = int(request[field])
    return request


def _dimensions_in(dimensions: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in sorted((dimensions or {}).items())]


def _metrics_in(queries: Any) -> list[dict[str, Any]]:
    """expandMetricAlarmMetrics: a query without an id is skipped."""
    out = []
    for query in _items(queries):
        if not query.get("id"):
            continue
        item: dict[str, Any] = {"Id": query["id"], "ReturnData": bool(query.get("return_data"))}
        for arg, field in (("account_id", "AccountId"), ("expression", "Expression")):
            if query.get(arg):
                item[field] = query[arg]
        if query.get("label"):
            item["Label"] = query["label"]
        metrics = _items(query.get("metric"))
        if metrics:
            item["MetricStat"] = _metric_stat_in(metrics[0])
        if query.get("period"):
            item["Period"] = int(query["period"])
        out.append(item)
    return out


def _metric_stat_in(metric: dict[str, Any]) -> dict[str, Any]:
    inner: dict[str, Any] = {"MetricName": metric["metric_name"]}
    if metric.get("dimensions"):
        inner["Dimensions"] = _dimensions_in(metric["dimensions"])
    if metric.get("namespace"):
        inner["Namespace"] = metric["namespace"]
    stat: dict[str, Any] = {
        "Metric": inner,
        "Stat": metric["stat"],
        "Period": int(metric.get("period") or 0),
    }
    if metric.get("unit"):
        stat["Unit"] = metric["unit"]
    return stat


def _set_of(values: list[str] | None, prior: Any) -> list[str] | None:
    """A set attribute read back: null stays null while AWS holds none (SDKv2 shows no
    diff between an unset set and an empty one)."""
    if not values and prior is None:
        return None
    return sorted(values or [])


def _flatten_alarm(alarm: dict[str, Any], state: State) -> State:
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []}
    fresh: State = {
        "actions_enabled": alarm.get("ActionsEnabled"),
        "alarm_actions": _set_of(alarm.get("AlarmActions"), state.get("alarm_actions")),
        "alarm_description": alarm.get("AlarmDescription"),
        "alarm_name": alarm.get("AlarmName"),
        "arn": alarm.get("AlarmArn"),
        "comparison_operator": alarm.get("ComparisonOperator"),
        "datapoints_to_alarm": alarm.get("DatapointsToAlarm"),
        "dimensions": dimensions or (None if state.get("dimensions") is None else {}),
        "evaluate_low_sample_count_percentiles": alarm.get("EvaluateLowSampleCountPercentile"),
        "evaluation_periods": alarm.get("EvaluationPeriods"),
        "extended_statistic": alarm.get("ExtendedStatistic"),
        "insufficient_data_actions": _set_of(
            alarm.get("InsufficientDataActions"), state.get("insufficient_data_actions")
        ),
        "metric_name": alarm.get("MetricName"),
        "namespace": alarm.get("Namespace"),
        "ok_actions": _set_of(alarm.get("OKActions"), state.get("ok_actions")),
        "period": alarm.get("Period"),
        "statistic": alarm.get("Statistic"),
        "threshold": alarm.get("Threshold"),
        "threshold_metric_id": alarm.get("ThresholdMetricId"),
        "treat_missing_data": alarm.get("TreatMissingData") or MISSING_DATA_MISSING,
        "unit": alarm.get("Unit"),
    }
    if alarm.get("Metrics"):  # else Read leaves metric_query as it was
        fresh["metric_query"] = [_flatten_query(q) for q in alarm["Metrics"]]
    return fresh


def _flatten_query(query: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "account_id": query.get("AccountId"),
        "expression": query.get("Expression"),
        "id": query.get("Id"),
        "label": query.get("Label"),
        "return_data": bool(query.get("ReturnData")),
        "period": query.get("Period"),
        "metric": [],
    }
    stat = query.get("MetricStat")
    if stat:
        metric = stat.get("Metric") or {}
        dimensions = {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []}
        out["metric"] = [
            {
                "dimensions": dimensions or None,
                "metric_name": metric.get("MetricName"),
                "namespace": metric.get("Namespace"),
                "period": stat.get("Period"),
                "stat": stat.get("Stat"),
                "unit": stat.get("Unit"),
            }
        ]
    return out
