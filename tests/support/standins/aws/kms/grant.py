"""aws_kms_grant (internal/service/kms/grant.go): every argument forces a new grant.

id is "<key_id>:<grant_id>"; Delete retires the grant when retire_on_delete, else revokes it.
Principals must be ARNs or service principals; a constraint may not set both encryption
context maps (grantConstraintsIsValid).
"""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError

from ...plugin.errors import ProviderError
from ...plugin.resource import Plan, Resource, State
from ...plugin.schema import (
    BOOL,
    STRING,
    STRING_MAP,
    STRING_SET,
    Attribute,
    Block,
    NestedBlock,
)
from ..conns import AWSClient
from ..region import REGION, region_of, set_region_diff
from .finders import NotFound, find_grant, not_found

# verify.ValidARN (arn.Parse: arn:partition:service:region:account:resource) or
# verify.ValidServicePrincipal (e.g. logs.us-east-1.amazonaws.com).
_ARN = re.compile(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:.+")
_SERVICE_PRINCIPAL = re.compile(r"([0-9A-Za-z-]+\.){1,4}(amazonaws\.com|amazon\.com)(\.cn)?")


def _arn_or_service_principal(value: Any) -> str | None:
    if _ARN.fullmatch(value) or _SERVICE_PRINCIPAL.fullmatch(value):
        return None
    return f"{value!r} is neither a valid ARN nor a valid service principal"


_CONSTRAINTS = NestedBlock(
    Block(
        {
            "encryption_context_equals": Attribute(STRING_MAP, optional=True),
            "encryption_context_subset": Attribute(STRING_MAP, optional=True),
        }
    ),
    nesting="set",
)


class Grant(Resource):
    type_name = "aws_kms_grant"
    schema = Block(
        attributes={
            "id": Attribute(STRING, optional=True, computed=True),
            "name": Attribute(STRING, optional=True, force_new=True),
            "key_id": Attribute(STRING, required=True, force_new=True),
            "grantee_principal": Attribute(
                STRING, required=True, force_new=True, validate=_arn_or_service_principal
            ),
            "operations": Attribute(STRING_SET, required=True, force_new=True),
            "retiring_principal": Attribute(
                STRING, optional=True, force_new=True, validate=_arn_or_service_principal
            ),
            "grant_creation_tokens": Attribute(STRING_SET, optional=True, force_new=True),
            "retire_on_delete": Attribute(BOOL, optional=True, default=False, force_new=True),
            "grant_id": Attribute(STRING, computed=True),
            "grant_token": Attribute(STRING, computed=True, sensitive=True),
            "region": REGION,
        },
        blocks={"constraints": _CONSTRAINTS},
    )

    def customize_diff(self, meta: AWSClient, plan: Plan) -> None:
        set_region_diff(meta, plan)
        if plan.prior is not None and plan.prior.get("constraints") != plan.planned.get(
            "constraints"
        ):
            plan.replace.add("constraints")

    def create(self, meta: AWSClient, planned: State) -> State:
        kms = meta.kms(region_of(meta, planned))
        request: dict[str, Any] = {
            "KeyId": planned["key_id"],
            "GranteePrincipal": planned["grantee_principal"],
            "Operations": sorted(planned["operations"]),
        }
        for arg, field in (("name", "Name"), ("retiring_principal", "RetiringPrincipal")):
            if planned.get(arg):
                request[field] = planned[arg]
        if planned.get("grant_creation_tokens"):
            request["GrantTokens"] = sorted(planned["grant_creation_tokens"])
        constraints = (planned.get("constraints") or [None])[0]
        if constraints and all(
            constraints.get(k) for k in ("encryption_context_equals", "encryption_context_subset")
        ):
            raise ProviderError(
                "A grant constraint can't have both encryption_context_equals and "
                "encryption_context_subset set"
            )
        if constraints:
            request["Constraints"] = {
                k: v
                for k, v in {
                    "EncryptionContextEquals": constraints.get("encryption_context_equals"),
                    "EncryptionContextSubset": constraints.get("encryption_context_subset"),
                }.items()
                if v
            }
        try:
            out = kms.create_grant(**request)
        except ClientError as exc:
            raise ProviderError(
                f"creating KMS Grant for KMS Key ({planned['key_id']}): {exc}"
            ) from exc
        state = {
            **planned,
            "id": f"{planned['key_id']}:{out['GrantId']}",
            "grant_id": out["GrantId"],
            "grant_token": out.get("GrantToken"),
        }
        return self.read(meta, state) or state

    def read(self, meta: AWSClient, state: State) -> State | None:
        key_id, _, grant_id = state["id"].rpartition(":")
        kms = meta.kms(region_of(meta, state))
        try:
            grant = find_grant(kms, key_id, grant_id)
        except NotFound:
            return None
        return {
            **state,
            "key_id": state.get("key_id") or key_id,
            "grant_id": grant_id,
            "grantee_principal": grant.get("GranteePrincipal"),
            "operations": sorted(grant.get("Operations", [])),
            "name": grant.get("Name") or state.get("name"),
            "retiring_principal": grant.get("RetiringPrincipal"),
            "region": region_of(meta, state),
        }

    def update(self, meta: AWSClient, prior: State, planned: State) -> State:
        return {**prior, **{k: v for k, v in planned.items() if k == "region"}}

    def delete(self, meta: AWSClient, state: State) -> None:
        key_id, _, grant_id = state["id"].rpartition(":")
        kms = meta.kms(region_of(meta, state))
        try:
            if state.get("retire_on_delete"):
                kms.retire_grant(KeyId=key_id, GrantId=grant_id)
            else:
                kms.revoke_grant(KeyId=key_id, GrantId=grant_id)
        except ClientError as exc:
            if not_found(exc):
                return
            raise ProviderError(f"deleting KMS Grant ({state['id']}): {exc}") from exc

    def import_state(self, meta: AWSClient, import_id: str) -> State:
        key_id, sep, _ = import_id.rpartition(":")
        if not sep or not key_id:
            raise ProviderError(f"unexpected format for ID ({import_id}), expected KeyID:GrantID")
        return {"id": import_id, "key_id": key_id}
