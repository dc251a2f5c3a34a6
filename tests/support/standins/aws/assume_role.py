"""The provider's `assume_role` block (internal/provider's assumeRoleSchema, expandAssumeRole;
the AssumeRole itself is aws-sdk-go-base's): the provider acts as the role, not as the
credentials it was given. A role that cannot be assumed fails configuration with
aws-sdk-go-base's "Cannot assume IAM Role" diagnostic."""

from __future__ import annotations

import re
import time
from typing import Any

from ..plugin.errors import ProviderError
from ..plugin.schema import STRING, STRING_MAP, STRING_SET, Attribute, Block, NestedBlock

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def duration_seconds(text: str) -> float | None:
    """Go's time.ParseDuration for the units the schema names; None when it does not parse."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def _valid_duration(value: Any) -> str | None:
    seconds = duration_seconds(value)
    if seconds is None or not 15 * 60 <= seconds <= 12 * 3600:
        return f"must be between 15 minutes (15m) and 12 hours (12h), got {value!r}"
    return None


def _valid_session_name(value: Any) -> str | None:
    if not re.fullmatch(r"[\w+=,.@\-]{2,64}", value):
        return "must be 2-64 characters of letters, digits and +=,.@_-"
    return None


def _valid_arn(value: Any) -> str | None:
    return None if re.fullmatch(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:.+", value) else "invalid ARN"


ASSUME_ROLE = NestedBlock(
    Block(
        {
            "duration": Attribute(STRING, optional=True, validate=_valid_duration),
            "external_id": Attribute(STRING, optional=True),
            "policy": Attribute(STRING, optional=True),
            "policy_arns": Attribute(STRING_SET, optional=True),
            "role_arn": Attribute(STRING, optional=True, validate=_valid_arn),
            "session_name": Attribute(STRING, optional=True, validate=_valid_session_name),
            "source_identity": Attribute(STRING, optional=True),
            "tags": Attribute(STRING_MAP, optional=True),
            "transitive_tag_keys": Attribute(STRING_SET, optional=True),
        }
    ),
    nesting="list",
    max_items=1,
)


def _request(block: dict[str, Any]) -> dict[str, Any]:
    """expandAssumeRole + stscreds: only what is set; a session name is always sent."""
    request: dict[str, Any] = {
        "RoleArn": block["role_arn"],
        "RoleSessionName": block.get("session_name") or f"aws-go-sdk-{time.time_ns()}",
    }
    if block.get("duration"):
        request["DurationSeconds"] = int(duration_seconds(block["duration"]) or 0)
    for arg, field in (
        ("external_id", "ExternalId"),
        ("policy", "Policy"),
        ("source_identity", "SourceIdentity"),
    ):
        if block.get(arg):
            request[field] = block[arg]
    if block.get("policy_arns"):
        request["PolicyArns"] = [{"arn": arn} for arn in sorted(block["policy_arns"])]
    if block.get("tags"):
        request["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(block["tags"].items())]
    if block.get("transitive_tag_keys"):
        request["TransitiveTagKeys"] = sorted(block["transitive_tag_keys"])
    return request


def assume(session: Any, config: dict[str, Any], sts_endpoint: str | None, region: str) -> Any:
    """The session to act with: `session` itself, or the role's when a role_arn is set."""
    blocks = config.get("assume_role") or []
    block = blocks[0] if blocks else None
    if not block or not block.get("role_arn"):
        return session
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    sts = session.client("sts", region_name=region, endpoint_url=sts_endpoint)
    try:
        credentials = sts.assume_role(**_request(block))["Credentials"]
    except (BotoCoreError, ClientError) as exc:
        raise ProviderError(
            "Cannot assume IAM Role",
            f"IAM Role ({block['role_arn']}) cannot be assumed.\n\n"
            "There are a number of possible causes of this - the most common are:\n"
            "  * The credentials used in order to assume the role are invalid\n"
            "  * The credentials do not have appropriate permission to assume the role\n"
            "  * The role ARN is not valid\n\n"
            f"Error: {exc}",
        ) from exc
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
