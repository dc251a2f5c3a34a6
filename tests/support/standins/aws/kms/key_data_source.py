"""data "aws_kms_key" (internal/service/kms/key_data_source.go): DescribeKey by id/ARN/alias."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ...plugin.errors import ProviderError
from ...plugin.resource import DataSource, State
from ...plugin.schema import BOOL, STRING, STRING_LIST, Attribute, Block
from ..conns import AWSClient
from .keys import valid_to_text

_COMPUTED_STRINGS = (
    "arn",
    "aws_account_id",
    "cloud_hsm_cluster_id",
    "creation_date",
    "custom_key_store_id",
    "customer_master_key_spec",
    "deletion_date",
    "description",
    "expiration_model",
    "key_manager",
    "key_spec",
    "key_state",
    "key_usage",
    "origin",
    "valid_to",
)


class KeyDataSource(DataSource):
    type_name = "aws_kms_key"
    schema = Block(
        attributes={
            "id": Attribute(STRING, optional=True, computed=True),
            "key_id": Attribute(STRING, required=True),
            "grant_tokens": Attribute(STRING_LIST, optional=True),
            "region": Attribute(STRING, optional=True, computed=True),
            "enabled": Attribute(BOOL, computed=True),
            "multi_region": Attribute(BOOL, computed=True),
            **{name: Attribute(STRING, computed=True) for name in _COMPUTED_STRINGS},
        }
    )

    def read(self, meta: AWSClient, config: State) -> State:
        region = config.get("region") or meta.region
        request = {"KeyId": config["key_id"]}
        if config.get("grant_tokens"):
            request["GrantTokens"] = config["grant_tokens"]
        try:
            md = meta.kms(region).describe_key(**request)["KeyMetadata"]
        except ClientError as exc:
            raise ProviderError(f"reading KMS Key ({config['key_id']}): {exc}") from exc
        return {
            **config,
            "id": md["KeyId"],
            "region": region,
            "arn": md.get("Arn"),
            "aws_account_id": md.get("AWSAccountId"),
            "cloud_hsm_cluster_id": md.get("CloudHsmClusterId"),
            "creation_date": md["CreationDate"].strftime("%Y-%m-%dT%H:%M:%SZ")
            if md.get("CreationDate")
            else None,
            "custom_key_store_id": md.get("CustomKeyStoreId"),
            "customer_master_key_spec": md.get("CustomerMasterKeySpec"),
            "deletion_date": md["DeletionDate"].strftime("%Y-%m-%dT%H:%M:%SZ")
            if md.get("DeletionDate")
            else None,
            "description": md.get("Description"),
            "enabled": bool(md.get("Enabled")),
            "expiration_model": md.get("ExpirationModel"),
            "key_manager": md.get("KeyManager"),
            "key_spec": md.get("KeySpec"),
            "key_state": md.get("KeyState"),
            "key_usage": md.get("KeyUsage"),
            "multi_region": bool(md.get("MultiRegion")),
            "origin": md.get("Origin"),
            "valid_to": valid_to_text(md),
        }
