"""aws_kms_key_policy (internal/service/kms/key_policy.go): the key's "default" policy.

Delete does not delete anything: it restores KMS's default key policy (account root).
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from ...plugin.errors import ProviderError
from ...plugin.resource import Plan, Resource, State
from ...plugin.schema import BOOL, STRING, Attribute, Block, is_json
from ..conns import AWSClient
from ..policy import equivalent, policy_to_set
from ..region import REGION, region_of, set_region_diff
from .finders import NotFound, find_key_metadata, find_key_policy
from .keys import update_key_policy


class KeyPolicy(Resource):
    type_name = "aws_kms_key_policy"
    schema = Block(
        attributes={
            "id": Attribute(STRING, optional=True, computed=True),
            "key_id": Attribute(STRING, required=True, force_new=True),
            "policy": Attribute(STRING, required=True, validate=is_json),
            "bypass_policy_lockout_safety_check": Attribute(BOOL, optional=True, default=False),
            "region": REGION,
        }
    )

    def customize_diff(self, meta: AWSClient, plan: Plan) -> None:
        set_region_diff(meta, plan)
        prior = (plan.prior or {}).get("policy")
        planned = plan.planned.get("policy")
        if isinstance(planned, str) and equivalent(prior, planned):
            plan.planned["policy"] = prior

    def create(self, meta: AWSClient, planned: State) -> State:
        kms = meta.kms(region_of(meta, planned))
        key_id = planned["key_id"]
        update_key_policy(
            kms,
            "KMS Key Policy",
            key_id,
            planned["policy"],
            bool(planned.get("bypass_policy_lockout_safety_check")),
        )
        return self.read(meta, {**planned, "id": key_id}) or planned

    def read(self, meta: AWSClient, state: State) -> State | None:
        kms = meta.kms(region_of(meta, state))
        try:
            find_key_metadata(kms, state["id"])
            remote = find_key_policy(kms, state["id"])
        except NotFound:
            return None
        except ClientError as exc:
            raise ProviderError(f"reading KMS Key Policy ({state['id']}): {exc}") from exc
        return {
            **state,
            "key_id": state["id"],
            "region": region_of(meta, state),
            "policy": policy_to_set(state.get("policy"), remote),
        }

    def update(self, meta: AWSClient, prior: State, planned: State) -> State:
        if prior.get("policy") != planned.get("policy"):
            update_key_policy(
                meta.kms(region_of(meta, prior)),
                "KMS Key Policy",
                prior["id"],
                planned["policy"],
                bool(planned.get("bypass_policy_lockout_safety_check")),
            )
        return self.read(meta, {**planned, "id": prior["id"]}) or planned

    def delete(self, meta: AWSClient, state: State) -> None:
        kms = meta.kms(region_of(meta, state))
        default = json.dumps(
            {
                "Version": "2012-10-17",
                "Id": "key-default-1",
                "Statement": [
                    {
                        "Sid": "Enable IAM User Permissions",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:{meta.partition}:iam::{meta.account_id}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            }
        )
        try:
            find_key_metadata(kms, state["id"])
        except NotFound:
            return
        update_key_policy(
            kms,
            "KMS Key Policy",
            state["id"],
            default,
            bool(state.get("bypass_policy_lockout_safety_check")),
        )
