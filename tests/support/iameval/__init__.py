"""A small IAM identity-policy evaluator, enough to check the importer policy.

Implements the parts of AWS's policy evaluation logic that the importer policy uses:
Action and Resource matching with `*` and `?` wildcards (actions case-insensitively,
resources case-sensitively), NotAction/NotResource, the StringEquals, StringLike and Bool
condition operators (a key missing from the request fails its condition) and their
ForAllValues: forms for multi-valued keys (true when every request value matches, so also for
none), and "an explicit Deny wins; otherwise one Allow is needed; otherwise denied".

`requests_for_call` turns one call recorded by the local AWS into the authorization requests
AWS makes for it, including the ones a service makes on the caller's behalf: Secrets Manager
decrypts a secret (and encrypts a new one) with its KMS key, SSM decrypts a SecureString, and
CreateSecret with tags also needs secretsmanager:TagResource (AWS API reference, "Required
permissions").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

ACCOUNT = "123456789012"  # moto's account, and so the local AWS's


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    # Condition keys: a string, or a tuple of strings for multi-valued keys
    # (kms:EncryptionContextKeys, aws:TagKeys).
    context: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    why: str = ""  # the recorded call this request stands for

    def __str__(self) -> str:
        extra = f" {self.context}" if self.context else ""
        return f"{self.action} on {self.resource}{extra} ({self.why})"


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(f"^{body}$", (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _matches_any(patterns: Iterable[str], value: str, ignore_case: bool) -> bool:
    return any(_glob(p, ignore_case).match(value) for p in patterns)


def _condition_holds(operator: str, key: str, values: list[str], request: Request) -> bool:
    actual = request.context.get(key)
    if operator.startswith("ForAllValues:"):
        members = actual if isinstance(actual, tuple) else () if actual is None else (actual,)
        single = operator.removeprefix("ForAllValues:")
        return all(
            _condition_holds(single, key, values, Request("", "", {key: m})) for m in members
        )
    if actual is None or isinstance(actual, tuple):
        return False  # a multi-valued key needs a ForAllValues:/ForAnyValue: operator
    if operator == "StringEquals":
        return actual in values
    if operator == "StringLike":
        return _matches_any(values, actual, ignore_case=False)
    if operator == "Bool":
        return actual.lower() in [v.lower() for v in values]
    raise ValueError(f"condition operator {operator} is not modelled")


def statement_applies(statement: dict[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not _matches_any(_listed(statement["Action"]), request.action, ignore_case=True):
            return False
    elif _matches_any(_listed(statement.get("NotAction")), request.action, ignore_case=True):
        return False
    if "Resource" in statement:
        if not _matches_any(_listed(statement["Resource"]), request.resource, ignore_case=False):
            return False
    elif _matches_any(_listed(statement.get("NotResource")), request.resource, ignore_case=False):
        return False
    for operator, pairs in (statement.get("Condition") or {}).items():
        for key, values in pairs.items():
            if not _condition_holds(operator, key, _listed(values), request):
                return False
    return True


def allowed(policy: dict[str, Any], request: Request) -> bool:
    statements = policy.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    applying = [s for s in statements if statement_applies(s, request)]
    if any(s.get("Effect") == "Deny" for s in applying):
        return False
    return any(s.get("Effect") == "Allow" for s in applying)


def without_statement(policy: dict[str, Any], index: int) -> dict[str, Any]:
    statements = list(policy["Statement"])
    del statements[index]
    return {**policy, "Statement": statements}


# ---- recorded calls -> authorization requests ----------------------------------------------


def key_arn(key_id: str, region: str, account: str = ACCOUNT) -> str:
    return key_id if key_id.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key_id}"


def parameter_arn(name: str, region: str, account: str = ACCOUNT) -> str:
    if name.startswith("arn:"):
        return ":".join(name.split(":")[:6])  # drops a :version or :label selector
    bare = name.split(":", 1)[0]  # a :version or :label selector is not part of the ARN
    return f"arn:aws:ssm:{region}:{account}:parameter/{bare.lstrip('/')}"


# Recorded request fields -> the KMS condition keys AWS sets from them.
_KMS_CONDITION_KEYS = {
    "wrapping_algorithm": "kms:WrappingAlgorithm",
    "wrapping_key_spec": "kms:WrappingKeySpec",
    "expiration_model": "kms:ExpirationModel",
    "encryption_algorithm": "kms:EncryptionAlgorithm",
    "mac_algorithm": "kms:MacAlgorithm",
    "signing_algorithm": "kms:SigningAlgorithm",
    "message_type": "kms:MessageType",
}


def kms_context(call: dict[str, str]) -> dict[str, str | tuple[str, ...]]:
    """The condition keys of a recorded KMS call (AWS KMS developer guide, "Condition keys
    for AWS KMS"): request parameters, kms:EncryptionContext:KEY and kms:EncryptionContextKeys
    for cryptographic calls with a context, aws:TagKeys for TagResource."""
    context: dict[str, str | tuple[str, ...]] = {
        key: call[name] for name, key in _KMS_CONDITION_KEYS.items() if name in call
    }
    if "encryption_context" in call:
        pairs = json.loads(call["encryption_context"])
        context |= {f"kms:EncryptionContext:{k}": v for k, v in pairs.items()}
        context["kms:EncryptionContextKeys"] = tuple(sorted(pairs))
    if "tag_keys" in call:
        context["aws:TagKeys"] = tuple(json.loads(call["tag_keys"]))
    return context


def _via(service: str, region: str, context_key: str, arn: str) -> dict[str, str]:
    return {"kms:ViaService": f"{service}.{region}.amazonaws.com", context_key: arn}


def requests_for_call(call: dict[str, str], secret_arn: Callable[[str, str], str]) -> list[Request]:
    """The requests AWS authorizes for one recorded call. `secret_arn(name_or_arn, region)`
    resolves a secret's full ARN (with its random suffix) at the local AWS."""
    service, action, region = call["service"], call["action"], call["region"]
    why = f"{service}:{action}"
    if service == "kms":
        return [Request(f"kms:{action}", key_arn(call["key_id"], region), kms_context(call), why)]
    service_key = f"arn:aws:kms:{region}:{ACCOUNT}:key/service-default"
    if service == "secretsmanager":
        arn = secret_arn(call.get("secret_id") or call["name"], region)
        context = _via("secretsmanager", region, "kms:EncryptionContext:SecretARN", arn)
        requests = [Request(f"secretsmanager:{action}", arn, why=why)]
        if action == "GetSecretValue":
            requests.append(Request("kms:Decrypt", service_key, context, why))
        if action == "CreateSecret":
            requests.append(Request("secretsmanager:TagResource", arn, why=why))
            requests.append(Request("kms:GenerateDataKey", service_key, context, why))
        return requests
    if service == "ssm":
        arn = parameter_arn(call["name"], region)
        context = _via("ssm", region, "kms:EncryptionContext:PARAMETER_ARN", arn)
        return [
            Request(f"ssm:{action}", arn, why=why),
            Request("kms:Decrypt", service_key, context, why),
        ]
    raise ValueError(f"no authorization model for {why}")
