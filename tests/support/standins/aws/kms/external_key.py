"""aws_kms_external_key (internal/service/kms/external_key.go): schema, then CRUD."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ...plugin.errors import ProviderError
from ...plugin.resource import State
from ...plugin.schema import BOOL, STRING, Attribute, Block, is_json, string_in, string_len_between
from ..conns import AWSClient
from ..policy import normalize_json
from ..region import region_of
from ..tags import set_tags_out, tags_in
from .external_common import ExternalKeyResource, common_attributes
from .finders import NotFound, find_key
from .keys import schedule_key_deletion
from .waiters import retry_when_not_found, wait_key_deleted, wait_key_policy_propagated

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
        **common_attributes(),
        # Since 6.11 (PR #44011). key_spec: Optional, ForceNew, and Read never sets it (issue
        # #46080): an imported key has none in state, so any key_spec in config, even
        # SYMMETRIC_DEFAULT, plans a replacement. No Default: with one, every imported key and
        # every key made before 6.11 would plan a replacement, which nobody reported.
        # key_usage: Optional + Computed + ForceNew, set by Read from DescribeKey.
        "key_spec": Attribute(
            STRING, optional=True, force_new=True, validate=string_in(*KEY_SPECS)
        ),
        "key_usage": Attribute(
            STRING, optional=True, computed=True, force_new=True, validate=string_in(*KEY_USAGES)
        ),
        "multi_region": Attribute(BOOL, optional=True, computed=True, force_new=True),
        "policy": Attribute(STRING, optional=True, computed=True, validate=_policy_check),
    }
)


class ExternalKey(ExternalKeyResource):
    type_name = "aws_kms_external_key"
    label = TYPE_NAME
    schema = SCHEMA

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
            **self._fresh(meta, state, key),
            # No "key_spec": the provider's Read does not set it (#46080); state keeps
            # whatever the plan had (nothing, after an import).
            "multi_region": bool(md.get("MultiRegion")),
        }
        set_tags_out(meta, fresh, key.tags)
        return fresh

    def delete(self, meta: AWSClient, state: State) -> None:
        kms = meta.kms(region_of(meta, state))
        window = state.get("deletion_window_in_days")
        if schedule_key_deletion(kms, TYPE_NAME, state["id"], window):
            wait_key_deleted(kms, state["id"])
