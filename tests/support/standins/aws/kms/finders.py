"""Finders (internal/service/kms find*): NotFound is a type, PendingDeletion counts as gone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

POLICY_NAME_DEFAULT = "default"


class NotFound(Exception):
    """The object does not exist (or, for keys, is pending deletion)."""


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def not_found(exc: ClientError) -> bool:
    return error_code(exc) in ("NotFoundException", "NotFound")


@dataclass
class KeyInfo:
    metadata: dict[str, Any]
    policy: str
    tags: dict[str, str]


def find_key_metadata(kms: Any, key_id: str) -> dict[str, Any]:
    try:
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as exc:
        if not_found(exc):
            raise NotFound(f"KMS Key ({key_id}) not found") from exc
        raise
    if metadata.get("KeyState") == "PendingDeletion":
        raise NotFound(f"KMS Key ({key_id}) is pending deletion")
    return dict(metadata)


def find_key_policy(kms: Any, key_id: str) -> str:
    try:
        return str(kms.get_key_policy(KeyId=key_id, PolicyName=POLICY_NAME_DEFAULT)["Policy"])
    except ClientError as exc:
        if not_found(exc):
            raise NotFound(f"KMS Key ({key_id}) policy not found") from exc
        raise


def find_key_tags(kms: Any, key_id: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for page in kms.get_paginator("list_resource_tags").paginate(KeyId=key_id):
        tags.update({t["TagKey"]: t["TagValue"] for t in page.get("Tags", [])})
    return tags


def find_key(kms: Any, key_id: str) -> KeyInfo:
    """findKeyInfo: metadata, policy and tags of a key that is not pending deletion."""
    metadata = find_key_metadata(kms, key_id)
    return KeyInfo(metadata, find_key_policy(kms, key_id), find_key_tags(kms, key_id))


def find_alias_by_name(kms: Any, name: str) -> dict[str, Any]:
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page.get("Aliases", []):
            if alias.get("AliasName") == name:
                return dict(alias)
    raise NotFound(f"KMS Alias ({name}) not found")


def find_grant(kms: Any, key_id: str, grant_id: str) -> dict[str, Any]:
    try:
        pages = kms.get_paginator("list_grants").paginate(KeyId=key_id)
        for page in pages:
            for grant in page.get("Grants", []):
                if grant.get("GrantId") == grant_id:
                    return dict(grant)
    except ClientError as exc:
        if not_found(exc):
            raise NotFound(f"KMS Key ({key_id}) not found") from exc
        raise
    raise NotFound(f"KMS Grant ({grant_id}) not found")
