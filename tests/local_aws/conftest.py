"""Fixtures for the local KMS conformance suite: an in-process KMS (moto + the add-on).
Plain helpers are in kms_conformance.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from kms_conformance import REGION

import localaws
from localaws import clock


@pytest.fixture(autouse=True)
def _real_time() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from moto import mock_aws

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    localaws.install()
    with mock_aws():
        yield boto3.client("kms", region_name=REGION)


@pytest.fixture(autouse=True)
def _no_faults() -> Iterator[None]:
    from localaws import faults

    faults.reset()
    yield
    faults.reset()
