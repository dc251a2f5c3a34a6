"""data "aws_region" (v6: `region` argument; `name` deprecated and equal to it)."""

from __future__ import annotations

from ...plugin.resource import DataSource, State
from ...plugin.schema import STRING, Attribute, Block
from ..conns import AWSClient


class RegionDataSource(DataSource):
    type_name = "aws_region"
    schema = Block(
        attributes={
            "id": Attribute(STRING, optional=True, computed=True),
            "region": Attribute(STRING, optional=True, computed=True),
            "name": Attribute(STRING, computed=True),
            "endpoint": Attribute(STRING, optional=True, computed=True),
            "description": Attribute(STRING, computed=True),
        }
    )

    def read(self, meta: AWSClient, config: State) -> State:
        region = config.get("region") or meta.region
        return {
            **config,
            "id": region,
            "region": region,
            "name": region,
            "endpoint": config.get("endpoint") or f"ec2.{region}.amazonaws.com",
            "description": region,
        }
