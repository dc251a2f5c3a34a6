"""End-to-end fixtures: an isolated offline stack per worker and a root copy per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from offline.stack import OfflineStack

from .workspace import Workspace


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflineStack]:
    stack = OfflineStack(tmp_path_factory.mktemp("offline"))
    stack.up(persist=False)
    yield stack
    stack.down()


@pytest.fixture
def workspace(tmp_path: Path, e2e_stack: OfflineStack) -> Workspace:
    return Workspace.create(tmp_path, e2e_stack)
