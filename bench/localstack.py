"""The bench's own local AWS: started for the run, emptied between trials, read for calls."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offline.stack import OfflineStack

BIN = Path(sys.executable).parent


@dataclass
class Local:
    stack: OfflineStack
    env: dict[str, str]

    def calls(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.stack.endpoint + "/_localaws/calls", timeout=10) as r:  # noqa: S310 - loopback
            return list(json.loads(r.read()))

    def clear_calls(self) -> None:
        request = urllib.request.Request(  # noqa: S310 - loopback
            self.stack.endpoint + "/_localaws/calls", method="DELETE"
        )
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - loopback
            r.read()

    def kms(self) -> Any:
        import boto3

        return boto3.client(
            "kms",
            region_name=self.env["AWS_REGION"],
            endpoint_url=self.env["AWS_ENDPOINT_URL_KMS"],
            aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        )


def child_env(stack: OfflineStack) -> dict[str, str]:
    """This environment minus anything that could reach real AWS, plus the stack's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    env.update(stack.env())
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@contextmanager
def local_aws(root: Path) -> Iterator[Local]:
    stack = OfflineStack(root)
    stack.up(persist=False)
    try:
        yield Local(stack, child_env(stack))
    finally:
        stack.down()
