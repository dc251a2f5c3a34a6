"""The local AWS in this process (moto + the localaws add-on), for tests that need no server:
dummy credentials, and no AWS_* variable from outside that could steer boto3 elsewhere."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

REGION = "us-east-1"


def dummy_credentials(patch: pytest.MonkeyPatch, region: str = REGION) -> None:
    """Only the test keys and `region`: any other AWS_* (a profile, an endpoint) is dropped."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            patch.delenv(name)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", region)


@contextmanager
def in_process_aws(patch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws

    import localaws

    dummy_credentials(patch)
    localaws.install()
    with mock_aws():
        yield
    localaws.clock.reset()  # a test may have moved the local clock
