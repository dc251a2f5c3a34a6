"""The v6 per-resource `region` argument (internal/provider/region.go behaviour)."""

from __future__ import annotations

from ..plugin.resource import Plan
from ..plugin.schema import STRING, Attribute
from .conns import AWSClient

REGION = Attribute(
    STRING,
    optional=True,
    computed=True,
    force_new=True,
    description="Region where this resource will be managed. Defaults to the provider's region.",
)


def set_region_diff(meta: AWSClient, plan: Plan) -> None:
    """An unset region is the provider's region, so it never shows as a diff."""
    if plan.config.get("region") is None:
        planned = meta.region if plan.prior is None else plan.prior.get("region") or meta.region
        plan.planned["region"] = planned
        plan.replace.discard("region")


def region_of(meta: AWSClient, state: dict[str, object]) -> str:
    value = state.get("region")
    return value if isinstance(value, str) and value else meta.region
