"""aws_kms_external_key (internal/service/kms/external_key.go): schema, then CRUD."""

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
    is_json,
    is_rfc3339,
    string_in,
    string_len_between,
)
from ..conns import AWSClient
from ..policy import equivalent, normalize_json, policy_to_set
from ..region import REGION, region_of, set_region_diff
from ..tags import TAGS, TAGS_ALL, set_tags_diff, set_tags_out, tags_in, update_tags
from .finders import NotFound, find_key
from .keys import (
    import_external_key_material,
    schedule_key_deletion,
    update_key_description,
    update_key_enabled,
    update_key_policy,
    valid_to_text,
)
from .waiters import (
    retry_when_not_found,
    wait_key_deleted,
    wait_key_material_imported,
    wait_key_policy_propagated,
    wait_key_valid_to_propagated,
)

TYPE_NAME = "KMS External Key"


# awstypes.KeySpec and awstypes.KeyUsageType values (enum.Validate in the real schema).
KEY_SPECS = (
    "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
    "ECC_SECG_P256K1", "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512",
    "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519",
)  # fmt: skip
KEY_USAGES = ("SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT")


def _policy_check(value: Any) -> str | None:
    return string_len_between(0, 32768)(value) or is_json(value)


SCHEMA = Block(
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
        "key_material_base64": Attribute(STRING, optional=True, force_new=True, sensitive=True),
        # Since 6.11 (PR #44011). key_spec: Optional, ForceNew, and Read never sets it (issue
        # #46080): an imported key has none in state, so any key_spec in config, even
        # SYMMETRIC_DEFAULT, plans a replacement. No Default: with one, every imported key and
        # every key made before 6.11 would plan a replacement, which nobody reported.
        # key_usage: Optional + Computed + ForceNew, set by Read from DescribeKey.
        "key_spec": Attribute(
            STRING, optional=True, force_new=True, validate=string_in(*KEY_SPECS)
        ),
        "key_state": Attribute(STRING, computed=True),
        "key_usage": Attribute(
            STRING, optional=True, computed=True, force_new=True, validate=string_in(*KEY_USAGES)
        ),
        "multi_region": Attribute(BOOL, optional=True, computed=True, force_new=True),
        "policy": Attribute(STRING, optional=True, computed=True, validate=_policy_check),
        "region": REGION,
        "tags": TAGS,
        "tags_all": TAGS_ALL,
        "valid_to": Attribute(STRING, optional=True, validate=is_rfc3339),
    }
)


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


class ExternalKey(Resource):
    type_name = "aws_kms_external_key"
    schema = SCHEMA

    def customize_diff(self, meta: AWSClient, plan: Plan) -> None:
        set_region_diff(meta, plan)
        suppress_policy_diff(plan)
        suppress_zero_value_diffs(self.schema, plan)
        set_tags_diff(meta, plan)

    def create(self, meta: AWSClient, planned: State) -> State:
        kms = meta.kms(region_of(meta, planned))
        request: dict[str, Any] = {
            "BypassPolicyLockoutSafetyCheck": bool(
                planned.get("bypass_policy_lockout_safety_check")
            ),
            "KeyUsage": planned.get("key_usage") or "ENCRYPT_DECRYPT",
            "Origin": "EXTERNAL",
        }
        if planned.get("key_spec"):  # unset: KMS's own default, SYMMETRIC_DEFAULT
            request["KeySpec"] = planned["key_spec"]
        tags = tags_in(meta, planned)
        if tags:
            request["Tags"] = tags
        if planned.get("description"):
            request["Description"] = planned["description"]
        if planned.get("multi_region") is True:
            request["MultiRegion"] = True
        if planned.get("policy"):
            request["Policy"] = normalize_json(planned["policy"])
        try:
            key_id = kms.create_key(**request)["KeyMetadata"]["KeyId"]
        except ClientError as exc:
            raise ProviderError(f"creating {TYPE_NAME}: {exc}") from exc
        state = {**planned, "id": key_id}
        try:
            self._import_if_given(kms, key_id, planned)
            if planned.get("policy"):
                wait_key_policy_propagated(kms, key_id)
        except ProviderError as exc:
            exc.state = self._read(meta, state, new=True) or state
            raise
        return self._read(meta, state, new=True) or state

    def _import_if_given(self, kms: Any, key_id: str, planned: State) -> None:
        material = planned.get("key_material_base64")
        if not material:
            return
        valid_to = planned.get("valid_to") or ""
        import_external_key_material(kms, TYPE_NAME, key_id, material, valid_to)
        wait_key_material_imported(kms, key_id)
        wait_key_valid_to_propagated(kms, key_id, valid_to)
        # d.Get("enabled") is false when unset or unknown, so an import without
        # `enabled = true` leaves the key disabled, as with the real provider.
        if planned.get("enabled") is not True:
            update_key_enabled(kms, TYPE_NAME, key_id, False)

    def read(self, meta: AWSClient, state: State) -> State | None:
        return self._read(meta, state, new=False)

    def _read(self, meta: AWSClient, state: State, new: bool) -> State | None:
        kms = meta.kms(region_of(meta, state))
        try:
            # A new key may read NotFound for a while (eventual consistency): the real
            # provider's findKey retries then, and only then.
            key = (
                retry_when_not_found(lambda: find_key(kms, state["id"]))
                if new
                else find_key(kms, state["id"])
            )
        except NotFound:
            if new:
                raise ProviderError(f"reading {TYPE_NAME} ({state['id']}): not found") from None
            return None  # removed from state (a PendingDeletion key counts as gone)
        except ClientError as exc:
            raise ProviderError(f"reading {TYPE_NAME} ({state['id']}): {exc}") from exc
        md = key.metadata
        key_id = state["id"]
        if md.get("KeyManager") != "CUSTOMER":
            raise ProviderError(
                f"{TYPE_NAME} ({key_id}) has invalid KeyManager: {md.get('KeyManager')}"
            )
        if md.get("Origin") != "EXTERNAL":
            raise ProviderError(f"{TYPE_NAME} ({key_id}) has invalid Origin: {md.get('Origin')}")
        mr_type = (md.get("MultiRegionConfiguration") or {}).get("MultiRegionKeyType")
        if md.get("MultiRegion") and mr_type != "PRIMARY":
            raise ProviderError(f"{TYPE_NAME} ({key_id}) is not a multi-Region primary key")
        fresh = {
            **state,
            "region": region_of(meta, state),
            "arn": md.get("Arn"),
            "description": md.get("Description", ""),
            "enabled": bool(md.get("Enabled")),
            "expiration_model": md.get("ExpirationModel"),
            "key_state": md.get("KeyState"),
            # No "key_spec": the provider's Read does not set it (#46080); state keeps
            # whatever the plan had (nothing, after an import).
            "key_usage": md.get("KeyUsage"),
            "multi_region": bool(md.get("MultiRegion")),
            "policy": policy_to_set(state.get("policy"), key.policy),
            "valid_to": valid_to_text(md),
        }
        set_tags_out(meta, fresh, key.tags)
        return fresh

    def update(self, meta: AWSClient, prior: State, planned: State) -> State:
        kms = meta.kms(region_of(meta, prior))
        key_id = prior["id"]

        def changed(name: str) -> bool:
            return prior.get(name) != planned.get(name)

        pending_import = prior.get("key_state") == "PendingImport"
        enabled = planned.get("enabled") is True
        if changed("enabled") and enabled and not pending_import:
            update_key_enabled(kms, TYPE_NAME, key_id, True)  # before other changes
        if changed("description"):
            update_key_description(kms, TYPE_NAME, key_id, planned.get("description") or "")
        if changed("policy"):
            update_key_policy(
                kms,
                TYPE_NAME,
                key_id,
                planned.get("policy") or "",
                bool(planned.get("bypass_policy_lockout_safety_check")),
            )
        if changed("valid_to"):
            # Re-import on any valid_to change, with key_material_base64 ("" when unset:
            # KMS then refuses, exactly the failure the module's ignore_changes avoids).
            valid_to = planned.get("valid_to") or ""
            import_external_key_material(
                kms, TYPE_NAME, key_id, planned.get("key_material_base64") or "", valid_to
            )
            wait_key_material_imported(kms, key_id)
            wait_key_valid_to_propagated(kms, key_id, valid_to)
        if changed("enabled") and not enabled and not pending_import:
            update_key_enabled(kms, TYPE_NAME, key_id, False)  # last: disabled keys are frozen
        if changed("tags_all"):
            update_tags(kms, key_id, prior.get("tags_all"), planned.get("tags_all"))
        return self._read(meta, planned, new=True) or planned

    def delete(self, meta: AWSClient, state: State) -> None:
        kms = meta.kms(region_of(meta, state))
        window = state.get("deletion_window_in_days")
        if schedule_key_deletion(kms, TYPE_NAME, state["id"], window):
            wait_key_deleted(kms, state["id"])
