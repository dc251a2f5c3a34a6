"""Fixtures for the local KMS conformance suite: an in-process KMS (moto + the add-on).
Plain helpers are in kms_conformance.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kms_conformance import in_process_kms

from localaws import clock


@pytest.fixture(autouse=True)
def _real_time() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def kms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with in_process_kms(monkeypatch) as client:
        yield client


@pytest.fixture(autouse=True)
def _no_faults() -> Iterator[None]:
    from localaws import faults

    faults.reset()
    yield
    faults.reset()
