"""aws_kms_alias (internal/service/kms/alias.go): schema, then CRUD.

Changing target_key_id is an in-place UpdateAlias; name/name_prefix force replacement;
an id and an ARN of the same key are equal (suppressEquivalentKeyARNOrID).
"""

from __future__ import annotations

import re
import time
from typing import Any

from botocore.exceptions import ClientError

from ...plugin.codec import UNKNOWN
from ...plugin.errors import ProviderError
from ...plugin.resource import Plan, Resource, State
from ...plugin.schema import STRING, Attribute, Block
from ..conns import AWSClient
from ..region import REGION, region_of, set_region_diff
from .finders import NotFound, find_alias_by_name, not_found
from .waiters import retry_when_not_found

ALIAS_NAME_PREFIX = "alias/"
_GENERATED = re.compile(r"^(.*)\d{26}$")  # create.Name's timestamp + counter suffix


def valid_alias_name(value: Any) -> str | None:
    if not re.fullmatch(r"alias/[a-zA-Z0-9/_-]+", value or ""):
        return "must begin with 'alias/' and be comprised of only [a-zA-Z0-9/_-]"
    if value.startswith("alias/aws/"):
        return "cannot begin with reserved AWS CMK prefix 'alias/aws/'"
    return None


def key_arn_or_id_equal(a: str | None, b: str | None) -> bool:
    """KeyARNOrIDEqual: the same key named by id or by ARN (never for an unknown value:
    SDKv2 does not call DiffSuppressFunc while the new value is unknown)."""
    if a is UNKNOWN or b is UNKNOWN:
        return False
    if a == b:
        return True
    if not a or not b:
        return False
    return a.rsplit("/", 1)[-1] == b.rsplit("/", 1)[-1] and (":" in a) != (":" in b)


def _unique_name(prefix: str) -> str:
    return f"{prefix}{time.strftime('%Y%m%d%H%M%S', time.gmtime())}{time.time_ns() % 10**12:012d}"


SCHEMA = Block(
    attributes={
        "id": Attribute(STRING, optional=True, computed=True),
        "arn": Attribute(STRING, computed=True),
        "name": Attribute(
            STRING, optional=True, computed=True, force_new=True, validate=valid_alias_name
        ),
        "name_prefix": Attribute(
            STRING, optional=True, computed=True, force_new=True, validate=valid_alias_name
        ),
        "region": REGION,
        "target_key_arn": Attribute(STRING, computed=True),
        "target_key_id": Attribute(STRING, required=True),
    }
)


class Alias(Resource):
    type_name = "aws_kms_alias"
    schema = SCHEMA

    def customize_diff(self, meta: AWSClient, plan: Plan) -> None:
        set_region_diff(meta, plan)
        if plan.prior is not None and key_arn_or_id_equal(
            plan.prior.get("target_key_id"), plan.planned.get("target_key_id")
        ):
            plan.planned["target_key_id"] = plan.prior.get("target_key_id")

    def create(self, meta: AWSClient, planned: State) -> State:
        kms = meta.kms(region_of(meta, planned))
        name = planned.get("name") or _unique_name(planned.get("name_prefix") or ALIAS_NAME_PREFIX)
        try:
            retry_when_not_found(
                lambda: kms.create_alias(AliasName=name, TargetKeyId=planned["target_key_id"])
            )
        except ClientError as exc:
            raise ProviderError(f"creating KMS Alias ({name}): {exc}") from exc
        return self._read(meta, {**planned, "id": name}, new=True) or planned

    def read(self, meta: AWSClient, state: State) -> State | None:
        return self._read(meta, state, new=False)

    def _read(self, meta: AWSClient, state: State, new: bool) -> State | None:
        kms = meta.kms(region_of(meta, state))
        try:
            alias = find_alias_by_name(kms, state["id"])
        except NotFound:
            if new:
                raise ProviderError(f"reading KMS Alias ({state['id']}): not found") from None
            return None
        alias_arn = alias["AliasArn"]
        target = alias.get("TargetKeyId", "")
        generated = _GENERATED.match(alias["AliasName"])
        return {
            **state,
            "region": region_of(meta, state),
            "arn": alias_arn,
            "name": alias["AliasName"],
            "name_prefix": generated.group(1) if generated else None,
            # AliasARNToKeyARN: same partition/region/account, resource key/<id>.
            "target_key_arn": alias_arn.split(":alias/")[0] + f":key/{target}",
            "target_key_id": target,
        }

    def update(self, meta: AWSClient, prior: State, planned: State) -> State:
        kms = meta.kms(region_of(meta, prior))
        if prior.get("target_key_id") != planned.get("target_key_id"):
            try:
                kms.update_alias(AliasName=prior["id"], TargetKeyId=planned["target_key_id"])
            except ClientError as exc:
                raise ProviderError(f"updating KMS Alias ({prior['id']}): {exc}") from exc
        return self._read(meta, {**planned, "id": prior["id"]}, new=True) or planned

    def delete(self, meta: AWSClient, state: State) -> None:
        kms = meta.kms(region_of(meta, state))
        try:
            kms.delete_alias(AliasName=state["id"])
        except ClientError as exc:
            if not_found(exc):
                return
            raise ProviderError(f"deleting KMS Alias ({state['id']}): {exc}") from exc
