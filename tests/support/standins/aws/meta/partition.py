"""data "aws_partition"."""

from __future__ import annotations

from ...plugin.resource import DataSource, State
from ...plugin.schema import STRING, Attribute, Block
from ..conns import AWSClient


class PartitionDataSource(DataSource):
    type_name = "aws_partition"
    schema = Block(
        attributes={
            "id": Attribute(STRING, optional=True, computed=True),
            "dns_suffix": Attribute(STRING, computed=True),
            "partition": Attribute(STRING, computed=True),
            "reverse_dns_prefix": Attribute(STRING, computed=True),
        }
    )

    def read(self, meta: AWSClient, config: State) -> State:
        return {
            "id": meta.partition,
            "dns_suffix": "amazonaws.com",
            "partition": meta.partition,
            "reverse_dns_prefix": "com.amazonaws",
        }
