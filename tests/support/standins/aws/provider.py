"""Provider schema (the arguments roots use) and the registry of resources/data sources."""

from __future__ import annotations

from ..plugin.schema import (
    BOOL,
    NUMBER,
    STRING,
    STRING_LIST,
    STRING_MAP,
    STRING_SET,
    Attribute,
    Block,
    NestedBlock,
)
from ..plugin.server import ProviderSpec
from .assume_role import ASSUME_ROLE
from .conns import configure

# Services the real `endpoints` block accepts that these roots may name.
_ENDPOINT_SERVICES = (
    "kms", "sts", "iam", "s3", "secretsmanager", "ssm", "ec2", "lambda", "cloudwatch",
)  # fmt: skip

_opt = Attribute

SCHEMA = Block(
    attributes={
        "region": _opt(STRING, optional=True),
        "access_key": _opt(STRING, optional=True),
        "secret_key": _opt(STRING, optional=True),
        "token": _opt(STRING, optional=True),
        "profile": _opt(STRING, optional=True),
        "shared_config_files": _opt(STRING_LIST, optional=True),
        "shared_credentials_files": _opt(STRING_LIST, optional=True),
        "skip_credentials_validation": _opt(BOOL, optional=True),
        "skip_requesting_account_id": _opt(BOOL, optional=True),
        # A string in v5+/v6 ("true"/"false"), not a bool.
        "skip_metadata_api_check": _opt(STRING, optional=True),
        "skip_region_validation": _opt(BOOL, optional=True),
        "max_retries": _opt(NUMBER, optional=True),
        "retry_mode": _opt(STRING, optional=True),
        "allowed_account_ids": _opt(STRING_SET, optional=True),
        "forbidden_account_ids": _opt(STRING_SET, optional=True),
        "s3_use_path_style": _opt(BOOL, optional=True),
        "sts_region": _opt(STRING, optional=True),
        "insecure": _opt(BOOL, optional=True),
    },
    blocks={
        "assume_role": ASSUME_ROLE,
        "endpoints": NestedBlock(
            Block({name: _opt(STRING, optional=True) for name in _ENDPOINT_SERVICES}),
            nesting="set",
        ),
        "default_tags": NestedBlock(
            Block({"tags": _opt(STRING_MAP, optional=True)}), nesting="list", max_items=1
        ),
        "ignore_tags": NestedBlock(
            Block(
                {
                    "keys": _opt(STRING_SET, optional=True),
                    "key_prefixes": _opt(STRING_SET, optional=True),
                }
            ),
            nesting="list",
            max_items=1,
        ),
    },
)


def spec() -> ProviderSpec:
    from .cloudwatch.metric_alarm import MetricAlarm
    from .iam.policy_document import PolicyDocumentDataSource
    from .kms.alias import Alias
    from .kms.external_key import ExternalKey
    from .kms.grant import Grant
    from .kms.key_data_source import KeyDataSource
    from .kms.key_policy import KeyPolicy
    from .kms.replica_external_key import ReplicaExternalKey
    from .meta.caller_identity import CallerIdentityDataSource
    from .meta.partition import PartitionDataSource
    from .meta.region import RegionDataSource

    resources = [
        ExternalKey(),
        Alias(),
        ReplicaExternalKey(),
        Grant(),
        KeyPolicy(),
        MetricAlarm(),
    ]
    data_sources = [
        RegionDataSource(),
        CallerIdentityDataSource(),
        PartitionDataSource(),
        KeyDataSource(),
        PolicyDocumentDataSource(),
    ]
    return ProviderSpec(
        schema=SCHEMA,
        configure=configure,
        resources={r.type_name: r for r in resources},
        data_sources={d.type_name: d for d in data_sources},
    )
