"""Unit-test fixtures: the in-process local AWS and a KMS client on it.

The SoftHSM2 token (`softhsm`) is suite-wide: tests/support/softhsm.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from offline.inprocess import dummy_credentials, in_process_aws


@pytest.fixture
def local_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local AWS in-process (moto + the localaws add-on), dummy credentials, no real AWS."""
    with in_process_aws(monkeypatch):
        yield


@pytest.fixture
def kms(local_aws: None) -> Any:
    """A KMS client on the in-process local AWS."""
    import boto3

    return boto3.client("kms", region_name="us-east-1")


MOTO_REGION = "eu-west-1"  # the stored-material sources' tests: another Region than KMS's


@pytest.fixture
def moto_region(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto alone (no localaws add-on) in MOTO_REGION, dummy credentials, no AWS_* from the
    caller's environment (a profile or endpoint there would reach real AWS)."""
    from moto import mock_aws

    dummy_credentials(monkeypatch, MOTO_REGION)
    monkeypatch.setenv("AWS_REGION", MOTO_REGION)
    with mock_aws():
        yield MOTO_REGION
