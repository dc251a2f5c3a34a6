"""data "aws_caller_identity": STS GetCallerIdentity against the configured endpoint."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from ...plugin.errors import ProviderError
from ...plugin.resource import DataSource, State
from ...plugin.schema import STRING, Attribute, Block
from ..conns import AWSClient


class CallerIdentityDataSource(DataSource):
    type_name = "aws_caller_identity"
    schema = Block(
        attributes={
            "id": Attribute(STRING, optional=True, computed=True),
            "account_id": Attribute(STRING, computed=True),
            "arn": Attribute(STRING, computed=True),
            "user_id": Attribute(STRING, computed=True),
        }
    )

    def read(self, meta: AWSClient, config: State) -> State:
        try:
            out = meta.client("sts").get_caller_identity()
        except (BotoCoreError, ClientError) as exc:
            raise ProviderError(f"reading STS Caller Identity: {exc}") from exc
        return {
            "id": out["Account"],
            "account_id": out["Account"],
            "arn": out["Arn"],
            "user_id": out["UserId"],
        }
