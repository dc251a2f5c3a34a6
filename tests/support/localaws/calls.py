"""Records every AWS call the local server (or an in-process mock) answers.

Tests and benchmarks read the record to count round trips, e.g. how many times the helper
called GetParametersForImport, and to see who made each call: `access_key_id` is the
caller's access key id (from the SigV4 Credential), so a test can prove a call was made
with an assumed role's credentials. Hooked into moto's BaseResponse.call_action, which every
JSON/query service goes through.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from typing import Any

from localaws import clock

_lock = threading.Lock()
_calls: list[dict[str, str]] = []
_answered = 0


# The request fields that name what a call acts on (never a value: no SecretBinary here).
_RESOURCE_FIELDS = {"SecretId": "secret_id", "Name": "name"}


def record(
    service: str,
    action: str,
    region: str,
    key_id: str | None,
    agent: str = "",
    resources: dict[str, str] | None = None,
    access_key_id: str | None = None,
) -> None:
    entry = {
        "service": service,
        "action": action,
        "region": region,
        "time": clock.now().isoformat(),
    }
    if key_id:
        entry["key_id"] = key_id
    if access_key_id:
        entry["access_key_id"] = access_key_id
    if agent:
        entry["agent"] = agent
    entry.update(resources or {})
    global _answered
    with _lock:
        _calls.append(entry)
        _answered += 1


def calls() -> list[dict[str, str]]:
    """A copy of the record, oldest first."""
    with _lock:
        return [dict(call) for call in _calls]


def count() -> int:
    """How many calls were answered since start (not reset by `clear`)."""
    return _answered


def clear() -> None:
    with _lock:
        _calls.clear()


def _params_of(body: Any) -> dict[str, Any]:
    try:
        params = json.loads(body or "{}")
    except (ValueError, TypeError):
        return {}  # query-protocol services (STS, IAM) carry no JSON body
    return params if isinstance(params, dict) else {}


def _key_id_of(body: Any) -> str | None:
    params = _params_of(body)
    value = params.get("KeyId") or params.get("TargetKeyId")
    return value if isinstance(value, str) else None


def _resources_of(body: Any) -> dict[str, str]:
    params = _params_of(body)
    return {
        field: value
        for name, field in _RESOURCE_FIELDS.items()
        if isinstance(value := params.get(name), str)
    }


# SigV4: "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request, ...".
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def access_key_id_of(headers: Any, querystring: Any = None) -> str | None:
    """The caller's access key id: from the SigV4 Authorization header's Credential, or a
    presigned URL's X-Amz-Credential; None for an unsigned request."""
    try:
        authorization = str(headers.get("Authorization") or headers.get("authorization") or "")
    except AttributeError:
        authorization = ""
    match = _CREDENTIAL.search(authorization)
    if match:
        return match.group(1)
    presigned = (querystring or {}).get("X-Amz-Credential")
    if isinstance(presigned, list):
        presigned = presigned[0] if presigned else None
    if isinstance(presigned, str) and "/" in presigned:
        return presigned.split("/", 1)[0]
    return None


def _agent_of(headers: Any) -> str:
    """`kms-import` for the helper's calls (its boto3 user agent says so), else ``."""
    try:
        agent = str(headers.get("User-Agent") or headers.get("user-agent") or "")
    except AttributeError:
        return ""
    return "kms-import" if "kms-import" in agent else ""


def install() -> None:
    """Wrap BaseResponse.call_action once so each answered call is recorded."""
    from moto.core.responses import BaseResponse

    original = BaseResponse.call_action
    if getattr(original, "_localaws_recording", False):
        return

    def call_action(self: BaseResponse) -> Any:
        with contextlib.suppress(Exception):  # recording must never break a call
            record(
                self.service_name or "",
                self._get_action() or "",
                self.region or "",
                _key_id_of(self.body),
                _agent_of(self.headers),
                _resources_of(self.body),
                access_key_id_of(self.headers, self.querystring),
            )
        return original(self)

    call_action._localaws_recording = True  # type: ignore[attr-defined]
    BaseResponse.call_action = call_action  # type: ignore[method-assign]
