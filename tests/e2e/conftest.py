"""End-to-end fixtures: a clean local AWS and a fresh root copy for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from offline.stack import OfflineStack

from .workspace import Workspace


@pytest.fixture
def clean_stack(offline_stack: OfflineStack) -> OfflineStack:
    """The worker's local AWS, emptied: each test owns alias/MyImportedKey and friends."""
    offline_stack.reset()
    return offline_stack


@pytest.fixture
def workspace(tmp_path: Path, clean_stack: OfflineStack) -> Workspace:
    return Workspace.create(tmp_path, clean_stack)
