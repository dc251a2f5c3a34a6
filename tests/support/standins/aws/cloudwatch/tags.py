"""CloudWatch's tag calls (internal/service/cloudwatch/tags_gen.go): ARN-addressed,
Key/Value pairs. The tags/tags_all diff and read-back are the shared ones in ../tags.py."""

from __future__ import annotations

from typing import Any

from ..conns import AWSClient
from ..tags import tag_changes


def tags_in(meta: AWSClient, state: dict[str, Any]) -> list[dict[str, str]]:
    """getTagsIn: default tags overlaid with the resource's tags, ignored keys dropped."""
    merged = {**meta.default_tags, **(state.get("tags") or {})}
    return [{"Key": k, "Value": v} for k, v in sorted(merged.items()) if not meta.ignored(k)]


def list_tags(cloudwatch: Any, arn: str) -> dict[str, str]:
    tags = cloudwatch.list_tags_for_resource(ResourceARN=arn).get("Tags") or []
    return {t["Key"]: t["Value"] for t in tags}


def update_tags(
    cloudwatch: Any, arn: str, old: dict[str, str] | None, new: dict[str, str] | None
) -> None:
    """updateTags: untag what went away, tag what is new or changed."""
    removed, changed = tag_changes(old, new)
    if removed:
        cloudwatch.untag_resource(ResourceARN=arn, TagKeys=removed)
    if changed:
        cloudwatch.tag_resource(
            ResourceARN=arn, Tags=[{"Key": k, "Value": v} for k, v in sorted(changed.items())]
        )
