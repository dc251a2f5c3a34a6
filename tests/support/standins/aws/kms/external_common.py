"""What aws_kms_external_key and aws_kms_replica_external_key share in the real provider.

Both are EXTERNAL keys whose material comes from key_material_base64: the same diff
suppressions, import-then-disable on create, in-place updates and read of the key's metadata.
"""

from __future__ import annotations

from typing import Any

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
from ..policy import equivalent, policy_to_set
from ..region import REGION, region_of, set_region_diff
from ..tags import TAGS, TAGS_ALL, set_tags_diff, update_tags
from .finders import KeyInfo
from .keys import (
    import_external_key_material,
    update_key_description,
    update_key_enabled,
    update_key_policy,
    valid_to_text,
)
from .waiters import wait_key_material_imported, wait_key_valid_to_propagated


def common_attributes() -> dict[str, Attribute]:
    """The attributes both schemas declare alike (each adds its own)."""
    return {
        "id": Attribute(STRING, optional=True, computed=True),
        "arn": Attribute(STRING, computed=True),
        "bypass_policy_lockout_safety_check": Attribute(BOOL, optional=True, default=False),
        "deletion_window_in_days": Attribute(
            NUMBER, optional=True, default=30, validate=int_between(7, 30)
        ),
        "description": Attribute(STRING, optional=True, validate=string_len_between(0, 8192)),
        "enabled": Attribute(BOOL, optional=True, computed=True),
        "expiration_model": Attribute(STRING, computed=True),
        "key_material_base64": Attribute(STRING, optional=True, force_new=True, sensitive=True),
        "key_state": Attribute(STRING, computed=True),
        "region": REGION,
        "tags": TAGS,
        "tags_all": TAGS_ALL,
        "valid_to": Attribute(STRING, optional=True, validate=is_rfc3339),
    }


def suppress_policy_diff(plan: Plan) -> None:
    """DiffSuppressFunc SuppressEquivalentPolicyDiffs: an equivalent policy is no change."""
    if plan.prior is None:
        return
    prior, planned = plan.prior.get("policy"), plan.planned.get("policy")
    if isinstance(planned, str) and equivalent(prior, planned):
        plan.planned["policy"] = prior


def suppress_zero_value_diffs(schema: Block, plan: Plan) -> None:
    """SDKv2 diffs flatmaps, where "" / false / 0 equal an unset attribute."""
    if plan.prior is None:
        return
    for name, attr in schema.attributes.items():
        if attr.computed or plan.config.get(name) is not None:
            continue
        if plan.planned.get(name) is None and plan.prior.get(name) in ("", False, 0):
            plan.planned[name] = plan.prior.get(name)


class ExternalKeyResource(Resource):
    """The shared diff, import and update steps; subclasses create, read and delete."""

    label: str  # the provider's name for the type in its error messages

    def customize_diff(self, meta: AWSClient, plan: Plan) -> None:
        set_region_diff(meta, plan)
        suppress_policy_diff(plan)
        suppress_zero_value_diffs(self.schema, plan)
        set_tags_diff(meta, plan)

    def read(self, meta: AWSClient, state: State) -> State | None:
        return self._read(meta, state, new=False)

    def _read(self, meta: AWSClient, state: State, new: bool) -> State | None:
        raise NotImplementedError

    def _import_material(self, kms: Any, key_id: str, material: str, valid_to: str) -> None:
        import_external_key_material(kms, self.label, key_id, material, valid_to)
        wait_key_material_imported(kms, key_id)
        wait_key_valid_to_propagated(kms, key_id, valid_to)

    def _import_if_given(self, kms: Any, key_id: str, planned: State) -> None:
        material = planned.get("key_material_base64")
        if not material:
            return
        self._import_material(kms, key_id, material, planned.get("valid_to") or "")
        # d.Get("enabled") is false when unset or unknown, so an import without
        # `enabled = true` leaves the key disabled, as with the real provider.
        if planned.get("enabled") is not True:
            update_key_enabled(kms, self.label, key_id, False)

    def _fresh(self, meta: AWSClient, state: State, key: KeyInfo) -> State:
        """The state both types read from DescribeKey and GetKeyPolicy."""
        md = key.metadata
        return {
            **state,
            "region": region_of(meta, state),
            "arn": md.get("Arn"),
            "description": md.get("Description", ""),
            "enabled": bool(md.get("Enabled")),
            "expiration_model": md.get("ExpirationModel"),
            "key_state": md.get("KeyState"),
            "key_usage": md.get("KeyUsage"),
            "policy": policy_to_set(state.get("policy"), key.policy),
            "valid_to": valid_to_text(md),
        }

    def update(self, meta: AWSClient, prior: State, planned: State) -> State:
        kms = meta.kms(region_of(meta, prior))
        key_id = prior["id"]

        def changed(name: str) -> bool:
            return prior.get(name) != planned.get(name)

        pending_import = prior.get("key_state") == "PendingImport"
        enabled = planned.get("enabled") is True
        if changed("enabled") and enabled and not pending_import:
            update_key_enabled(kms, self.label, key_id, True)  # before other changes
        if changed("description"):
            update_key_description(kms, self.label, key_id, planned.get("description") or "")
        if changed("policy"):
            update_key_policy(
                kms,
                self.label,
                key_id,
                planned.get("policy") or "",
                bool(planned.get("bypass_policy_lockout_safety_check")),
            )
        if changed("valid_to"):
            # Re-import on any valid_to change, with key_material_base64 ("" when unset:
            # KMS then refuses, exactly the failure the module's ignore_changes avoids).
            material = planned.get("key_material_base64") or ""
            self._import_material(kms, key_id, material, planned.get("valid_to") or "")
        if changed("enabled") and not enabled and not pending_import:
            update_key_enabled(kms, self.label, key_id, False)  # last: disabled keys are frozen
        if changed("tags_all"):
            update_tags(kms, key_id, prior.get("tags_all"), planned.get("tags_all"))
        return self._read(meta, planned, new=True) or planned
