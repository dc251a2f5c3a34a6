"""The configured provider: credentials (assume_role included), region, endpoints,
default/ignore tags, clients.

Endpoint resolution mirrors the real provider (aws-sdk-go-base): an `endpoints { kms = ... }`
entry wins, else AWS_ENDPOINT_URL_KMS, else AWS_ENDPOINT_URL, else AWS itself; boto3 reads
the two variables on its own, so only the block's value is passed explicitly.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from ..plugin.errors import ProviderError
from .assume_role import assume


@dataclass
class AWSClient:
    region: str
    session: Any  # boto3.Session; boto3 is imported on configure, not on every schema fetch
    endpoints: dict[str, str]
    default_tags: dict[str, str]
    ignore_tag_keys: frozenset[str]
    ignore_tag_prefixes: tuple[str, ...]
    account_id: str = ""
    partition: str = "aws"
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.region
        from botocore.config import Config

        with self._lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self.session.client(
                    service,
                    region_name=region,
                    endpoint_url=self.endpoints.get(service),
                    config=Config(retries={"max_attempts": 25, "mode": "standard"}),
                )
            return self._clients[key]

    def kms(self, region: str | None = None) -> Any:
        return self.client("kms", region)

    def ignored(self, key: str) -> bool:
        return key in self.ignore_tag_keys or key.startswith(self.ignore_tag_prefixes)


def _first_block(config: dict[str, Any], name: str) -> dict[str, Any]:
    items = config.get(name) or []
    return items[0] if items else {}


def configure(config: dict[str, Any]) -> AWSClient:
    region = (
        config.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    if not region:
        raise ProviderError(
            "Missing region value",
            'The "region" attribute or the "AWS_REGION" or "AWS_DEFAULT_REGION" '
            "environment variables must be set.",
        )
    import boto3

    session = boto3.Session(
        aws_access_key_id=config.get("access_key") or None,
        aws_secret_access_key=config.get("secret_key") or None,
        aws_session_token=config.get("token") or None,
        profile_name=config.get("profile") or None,
    )
    endpoints: dict[str, str] = {}
    for block in config.get("endpoints") or []:
        endpoints.update({k: v for k, v in block.items() if v})
    session = assume(session, config, endpoints.get("sts"), region)
    ignore = _first_block(config, "ignore_tags")
    client = AWSClient(
        region=region,
        session=session,
        endpoints=endpoints,
        default_tags=dict((_first_block(config, "default_tags").get("tags")) or {}),
        ignore_tag_keys=frozenset(ignore.get("keys") or ()),
        ignore_tag_prefixes=tuple(ignore.get("key_prefixes") or ()),
    )
    if not config.get("skip_credentials_validation") or not config.get(
        "skip_requesting_account_id"
    ):
        client.account_id = _caller_account(client)
    return client


def _caller_account(client: AWSClient) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(client.client("sts").get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as exc:
        raise ProviderError(
            "Retrieving AWS account details: validating provider credentials",
            f"retrieving caller identity from STS: {exc}",
        ) from exc
