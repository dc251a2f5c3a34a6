"""Reliability fixtures: the worker's local AWS emptied, and the helper run as a user would."""

from __future__ import annotations

import pytest

from offline.stack import OfflineStack


@pytest.fixture
def clean_stack(offline_stack: OfflineStack) -> OfflineStack:
    """The worker's local AWS with no keys, faults, clock offset or call record."""
    offline_stack.reset()
    return offline_stack
