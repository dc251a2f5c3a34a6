"""tags / tags_all as internal/tags and verify.SetTagsDiff handle them."""

from __future__ import annotations

from typing import Any

from ..plugin.codec import UNKNOWN, is_known
from ..plugin.resource import Plan
from ..plugin.schema import STRING_MAP, Attribute
from .conns import AWSClient

TAGS = Attribute(STRING_MAP, optional=True)
TAGS_ALL = Attribute(STRING_MAP, optional=True, computed=True)


def set_tags_diff(meta: AWSClient, plan: Plan) -> None:
    """CustomizeDiff: tags_all = default_tags overlaid with the resource's tags."""
    tags = plan.planned.get("tags")
    if not is_known(tags):
        plan.planned["tags_all"] = UNKNOWN
        return
    merged = {**meta.default_tags, **(tags or {})}
    merged = {k: v for k, v in merged.items() if not meta.ignored(k)}
    prior_all = (plan.prior or {}).get("tags_all")
    if plan.prior is not None and not plan.replace and merged == (prior_all or {}):
        plan.planned["tags_all"] = prior_all
    else:
        plan.planned["tags_all"] = merged


def tags_in(meta: AWSClient, state: dict[str, Any]) -> list[dict[str, str]]:
    """The KMS Tags list for create: default tags plus resource tags."""
    merged = {**meta.default_tags, **(state.get("tags") or {})}
    return [{"TagKey": k, "TagValue": v} for k, v in sorted(merged.items())]


def set_tags_out(meta: AWSClient, state: dict[str, Any], remote: dict[str, str]) -> None:
    """Read: tags_all is what AWS has (minus ignored); tags drops default tags it repeats."""
    visible = {k: v for k, v in remote.items() if not meta.ignored(k)}
    state["tags_all"] = visible
    tags = {k: v for k, v in visible.items() if meta.default_tags.get(k) != v}
    # The real provider keeps null (not {}) when the config had no tags and none remain.
    state["tags"] = tags if tags or state.get("tags") is not None else None


def tag_changes(
    old: dict[str, str] | None, new: dict[str, str] | None
) -> tuple[list[str], dict[str, str]]:
    """updateTags' diff, for every service: the keys that went away, those new or changed."""
    old, new = old or {}, new or {}
    return [k for k in old if k not in new], {k: v for k, v in new.items() if old.get(k) != v}


def update_tags(
    kms: Any, key_id: str, old: dict[str, str] | None, new: dict[str, str] | None
) -> None:
    removed, changed = tag_changes(old, new)
    if removed:
        kms.untag_resource(KeyId=key_id, TagKeys=removed)
    if changed:
        kms.tag_resource(
            KeyId=key_id, Tags=[{"TagKey": k, "TagValue": v} for k, v in changed.items()]
        )
