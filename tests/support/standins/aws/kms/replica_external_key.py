"""aws_kms_replica_external_key (internal/service/kms/replica_external_key.go).

ReplicateKey of an EXTERNAL multi-Region primary into this resource's region; the same
material (key_material_base64) is imported into the replica with its own import token.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ...plugin.errors import ProviderError
from ...plugin.resource import State
from ...plugin.schema import STRING, Attribute, Block
from ..conns import AWSClient
from ..policy import normalize_json
from ..region import region_of
from ..tags import set_tags_out, tags_in
from .external_common import ExternalKeyResource, common_attributes
from .finders import NotFound, find_key
from .keys import schedule_key_deletion
from .waiters import wait_key_state

TYPE_NAME = "KMS Replica External Key"


class ReplicaExternalKey(ExternalKeyResource):
    type_name = "aws_kms_replica_external_key"
    label = TYPE_NAME
    schema = Block(
        attributes={
            **common_attributes(),
            "key_id": Attribute(STRING, computed=True),
            "key_usage": Attribute(STRING, computed=True),
            "policy": Attribute(STRING, optional=True, computed=True),
            "primary_key_arn": Attribute(STRING, required=True, force_new=True),
        }
    )

    def create(self, meta: AWSClient, planned: State) -> State:
        primary_arn = planned["primary_key_arn"]
        # The replica is created by calling the primary's region.
        primary_region = primary_arn.split(":")[3]
        replica_region = region_of(meta, planned)
        request: dict[str, Any] = {
            # As the provider does: the ARN's resource part without "key/" (mrk-...).
            "KeyId": primary_arn.split(":", 5)[5].removeprefix("key/"),
            "ReplicaRegion": replica_region,
            "BypassPolicyLockoutSafetyCheck": bool(
                planned.get("bypass_policy_lockout_safety_check")
            ),
        }
        if planned.get("description"):
            request["Description"] = planned["description"]
        if planned.get("policy"):
            request["Policy"] = normalize_json(planned["policy"])
        tags = tags_in(meta, planned)
        if tags:
            request["Tags"] = tags
        try:
            out = meta.kms(primary_region).replicate_key(**request)
        except ClientError as exc:
            raise ProviderError(f"creating {TYPE_NAME}: {exc}") from exc
        key_id = out["ReplicaKeyMetadata"]["KeyId"]
        kms = meta.kms(replica_region)
        state = {**planned, "id": key_id}
        wait_key_state(kms, key_id, ("PendingImport",))
        self._import_if_given(kms, key_id, planned)
        return self._read(meta, state, new=True) or state

    def _read(self, meta: AWSClient, state: State, new: bool) -> State | None:
        kms = meta.kms(region_of(meta, state))
        try:
            key = find_key(kms, state["id"])
        except NotFound:
            if new:
                raise ProviderError(f"reading {TYPE_NAME} ({state['id']}): not found") from None
            return None
        md = key.metadata
        mr = md.get("MultiRegionConfiguration") or {}
        if mr.get("MultiRegionKeyType") != "REPLICA":
            raise ProviderError(f"{TYPE_NAME} ({state['id']}) is not a multi-Region replica key")
        fresh = {
            **self._fresh(meta, state, key),
            "key_id": md.get("KeyId"),
            "primary_key_arn": (mr.get("PrimaryKey") or {}).get("Arn"),
        }
        set_tags_out(meta, fresh, key.tags)
        return fresh

    def delete(self, meta: AWSClient, state: State) -> None:
        kms = meta.kms(region_of(meta, state))
        schedule_key_deletion(kms, TYPE_NAME, state["id"], state.get("deletion_window_in_days"))
