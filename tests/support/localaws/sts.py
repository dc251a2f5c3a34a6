"""AssumeRole the way IAM decides it, when asked to (issue 21, item 4).

moto's AssumeRole succeeds for any role ARN, existing or not, whatever its trust policy.
That is moto's default here too; with the switch on, AssumeRole is refused with AccessDenied
(HTTP 403, AWS's message) unless the role exists in the local IAM and its trust policy lets
the caller assume it:

  check_roles   false (moto: any role) | true (the role must exist and trust the caller)

Set in-process with `configure(check_roles=True)`, over HTTP with
POST /_localaws/sts {"check_roles": true}; `OfflineStack.reset()` switches it off.

The trust check covers what trust policies for a deploy role use: Allow/Deny statements
whose Action (or NotAction) matches sts:AssumeRole (wildcards allowed), Principal "*" or
{"AWS": ...} naming the caller's account (id or root ARN), the caller's user or role ARN, or
the assumed-role session ARN; and StringEquals/StringLike conditions on sts:ExternalId and
sts:RoleSessionName. A statement with any other condition does not allow (fail closed).
The caller is known by its access key id: an assumed-role session or an IAM user moto made,
else the account's root (the stack's `testing` key).
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import ServiceException

from .switches import Switchboard

ACTION = "sts:AssumeRole"


@dataclass(frozen=True)
class Switches:
    check_roles: bool = False


def _check(switches: Switches) -> None:
    if not isinstance(switches.check_roles, bool):
        raise ValueError("check_roles must be true or false")


_switches = Switchboard(Switches, _check)
configure = _switches.configure
current = _switches.current
reset = _switches.reset


class AccessDenied(ServiceException):
    code = "AccessDenied"


@dataclass(frozen=True)
class Caller:
    arn: str  # as GetCallerIdentity says
    account_id: str
    principals: frozenset[str]  # what a trust policy may name to mean this caller


def _caller(response: Any, access_key_id: str) -> Caller:
    _, arn, account_id = response.backend.get_caller_identity(access_key_id, response.region)
    partition = arn.split(":")[1]
    names = {arn, account_id, f"arn:{partition}:iam::{account_id}:root"}
    assumed = response.backend.get_assumed_role_from_access_key(access_key_id)
    if assumed is not None:
        names.add(assumed.role_arn)
    return Caller(arn=arn, account_id=account_id, principals=frozenset(names))


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _names_action(statement: dict[str, Any]) -> bool:
    def hit(patterns: list[str]) -> bool:
        return any(fnmatch.fnmatchcase(ACTION.lower(), p.lower()) for p in patterns)

    if "NotAction" in statement:
        return not hit(_listed(statement["NotAction"]))
    return hit(_listed(statement.get("Action")))


def _names_caller(statement: dict[str, Any], caller: Caller) -> bool:
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    named = _listed(principal.get("AWS"))
    return "*" in named or any(name in caller.principals for name in named)


def _conditions_hold(statement: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in (statement.get("Condition") or {}).items():
        if operator not in ("StringEquals", "StringLike") or not isinstance(tests, dict):
            return False
        for key, wanted in tests.items():
            value = context.get(key.lower())
            if value is None:
                return False
            match = fnmatch.fnmatchcase if operator == "StringLike" else str.__eq__
            if not any(match(value, w) for w in _listed(wanted)):
                return False
    return True


def trusts(policy: dict[str, Any], caller: Caller, context: dict[str, str]) -> bool:
    """An explicit Deny wins; otherwise one Allow is needed."""
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    applicable = [
        s
        for s in statements
        if _names_action(s) and _names_caller(s, caller) and _conditions_hold(s, context)
    ]
    if any(s.get("Effect") == "Deny" for s in applicable):
        return False
    return any(s.get("Effect") == "Allow" for s in applicable)


def _trust_policy(role_arn: str) -> dict[str, Any] | None:
    """The role's trust policy, or None when the local IAM has no such role."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    parts = role_arn.split(":")
    if len(parts) < 6 or parts[2] != "iam":
        return None
    try:
        role = iam_backends[parts[4]][parts[1]].get_role_by_arn(role_arn)
    except (NotFoundException, KeyError):
        return None
    document = role.assume_role_policy_document
    return json.loads(document) if isinstance(document, str) else dict(document or {})


def check(response: Any, access_key_id: str) -> None:
    """Raise AccessDenied unless the switch is off or the role trusts the caller."""
    if not _switches.now.check_roles:
        return
    role_arn = response._get_param("RoleArn") or ""
    caller = _caller(response, access_key_id)
    policy = _trust_policy(role_arn)
    context = {
        "sts:externalid": response._get_param("ExternalId"),
        "sts:rolesessionname": response._get_param("RoleSessionName"),
    }
    known = {k: v for k, v in context.items() if isinstance(v, str)}
    if policy is None or not trusts(policy, caller, known):
        raise AccessDenied(
            f"User: {caller.arn} is not authorized to perform: {ACTION} on resource: {role_arn}"
        )


def install() -> None:
    """Wrap TokenResponse.assume_role once: inside call_action, so AccessDenied is answered
    in STS's error format."""
    from moto.core.responses import ActionResult
    from moto.sts.responses import TokenResponse

    from localaws.calls import access_key_id_of

    original = TokenResponse.assume_role
    if getattr(original, "_localaws_sts", False):
        return

    def assume_role(self: Any) -> Any:
        try:
            check(self, access_key_id_of(self.headers, self.querystring) or "")
        except AccessDenied as denied:
            # AWS answers AccessDenied with 403; moto's serializer only knows the status of
            # errors in STS's model, so set it here.
            _, headers, body = self.serialized(ActionResult(denied))
            headers["status"] = 403
            return body, headers
        return original(self)

    assume_role._localaws_sts = True  # type: ignore[attr-defined]
    TokenResponse.assume_role = assume_role  # type: ignore[method-assign]
