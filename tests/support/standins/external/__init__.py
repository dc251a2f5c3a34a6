"""Stand-in for registry.terraform.io/hashicorp/external (v2.3): the `external` data source."""

from __future__ import annotations

from ..plugin.schema import Block
from ..plugin.server import ProviderSpec, serve
from .data_source import ExternalDataSource


def spec() -> ProviderSpec:
    return ProviderSpec(
        schema=Block(attributes={}),
        configure=lambda config: None,
        resources={},
        data_sources={"external": ExternalDataSource()},
    )


def main() -> None:
    serve(spec())
