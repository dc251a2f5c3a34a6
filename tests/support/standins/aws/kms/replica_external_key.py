"""aws_kms_replica_external_key (internal/service/kms/replica_external_key.go).

ReplicateKey of an EXTERNAL multi-Region primary into this resource's region; the same
material (key_material_base64) is imported into the replica with its own import token.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ...plugin.errors import ProviderError
from ...plugin.resource import Plan, Resource, State
from ...plugin.schema import (
    BOOL,
    NUMBER,
    STRING,
    Attribute,
    Block,
    int_between,
    is_rfc3339,
    string_len_between,
)
from ..conns import AWSClient
from ..policy import normalize_json, policy_to_set
from ..region import REGION, region_of, set_region_diff
from ..tags import TAGS, TAGS_ALL, set_tags_diff, set_tags_out, update_tags
from .external_key import suppress_policy_diff, suppress_zero_value_diffs
from .finders import NotFound, find_key
from .keys import (
    import_external_key_material,
    schedule_key_deletion,
    update_key_description,
    update_key_enabled,
    update_key_policy,
    valid_to_text,
)
from .waiters import wait_key_material_imported, wait_key_state, wait_key_valid_to_propagated

TYPE_NAME = "KMS Replica External Key"


class ReplicaExternalKey(Resource):
    type_name = "aws_kms_replica_external_key"
    schema = Block(
        attributes={
            "id": Attribute(STRING, optional=True, computed=True),
            "arn": Attribute(STRING, computed=True),
            "bypass_policy_lockout_safety_check": Attribute(BOOL, optional=True, default=False),
            "deletion_window_in_days": Attribute(
                NUMBER, optional=True, default=30, validate=int_between(7, 30)
            ),
            "description": Attribute(STRING, optional=True, validate=string_len_between(0, 8192)),
            "enabled": Attribute(BOOL, optional=True, computed=True),
            "expiration_model": Attribute(STRING, computed=True),
            "key_id": Attribute(STRING, computed=True),
            "key_material_base64": Attribute(STRING, optional=True, force_new=True, sensitive=True),
            "key_state": Attribute(STRING, computed=True),
            "key_usage": Attribute(STRING, computed=True),
            "policy": Attribute(STRING, optional=True, computed=True),
            "primary_key_arn": Attribute(STRING, required=True, force_new=True),
            "region": REGION,
            "tags": TAGS,
            "tags_all": TAGS_ALL,
            "valid_to": Attribute(STRING, optional=True, validate=is_rfc3339),
        }
    )

    def customize_diff(self, meta: AWSClient, plan: Plan) -> None:
        set_region_diff(meta, plan)
        suppress_policy_diff(plan)
        suppress_zero_value_diffs(self.schema, plan)
        set_tags_diff(meta, plan)

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
        merged = {**meta.default_tags, **(planned.get("tags") or {})}
        if merged:
            request["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in sorted(merged.items())]
        try:
            out = meta.kms(primary_region).replicate_key(**request)
        except ClientError as exc:
            raise ProviderError(f"creating {TYPE_NAME}: {exc}") from exc
        key_id = out["ReplicaKeyMetadata"]["KeyId"]
        kms = meta.kms(replica_region)
        state = {**planned, "id": key_id}
        wait_key_state(kms, key_id, ("PendingImport",))
        material = planned.get("key_material_base64")
        if material:
            valid_to = planned.get("valid_to") or ""
            import_external_key_material(kms, TYPE_NAME, key_id, material, valid_to)
            wait_key_material_imported(kms, key_id)
            wait_key_valid_to_propagated(kms, key_id, valid_to)
            if planned.get("enabled") is not True:
                update_key_enabled(kms, TYPE_NAME, key_id, False)
        return self._read(meta, state, new=True) or state

    def read(self, meta: AWSClient, state: State) -> State | None:
        return self._read(meta, state, new=False)

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
            **state,
            "region": region_of(meta, state),
            "arn": md.get("Arn"),
            "description": md.get("Description", ""),
            "enabled": bool(md.get("Enabled")),
            "expiration_model": md.get("ExpirationModel"),
            "key_id": md.get("KeyId"),
            "key_state": md.get("KeyState"),
            "key_usage": md.get("KeyUsage"),
            "policy": policy_to_set(state.get("policy"), key.policy),
            "primary_key_arn": (mr.get("PrimaryKey") or {}).get("Arn"),
            "valid_to": valid_to_text(md),
        }
        set_tags_out(meta, fresh, key.tags)
        return fresh

    def update(self, meta: AWSClient, prior: State, planned: State) -> State:
        kms = meta.kms(region_of(meta, prior))
        key_id = prior["id"]
        pending_import = prior.get("key_state") == "PendingImport"
        enabled = planned.get("enabled") is True
        if prior.get("enabled") != planned.get("enabled") and enabled and not pending_import:
            update_key_enabled(kms, TYPE_NAME, key_id, True)
        if prior.get("description") != planned.get("description"):
            update_key_description(kms, TYPE_NAME, key_id, planned.get("description") or "")
        if prior.get("policy") != planned.get("policy"):
            update_key_policy(
                kms,
                TYPE_NAME,
                key_id,
                planned.get("policy") or "",
                bool(planned.get("bypass_policy_lockout_safety_check")),
            )
        if prior.get("valid_to") != planned.get("valid_to"):
            valid_to = planned.get("valid_to") or ""
            import_external_key_material(
                kms, TYPE_NAME, key_id, planned.get("key_material_base64") or "", valid_to
            )
            wait_key_material_imported(kms, key_id)
            wait_key_valid_to_propagated(kms, key_id, valid_to)
        if prior.get("enabled") != planned.get("enabled") and not enabled and not pending_import:
            update_key_enabled(kms, TYPE_NAME, key_id, False)
        if prior.get("tags_all") != planned.get("tags_all"):
            update_tags(kms, key_id, prior.get("tags_all"), planned.get("tags_all"))
        return self._read(meta, planned, new=True) or planned

    def delete(self, meta: AWSClient, state: State) -> None:
        kms = meta.kms(region_of(meta, state))
        schedule_key_deletion(kms, TYPE_NAME, state["id"], state.get("deletion_window_in_days"))
