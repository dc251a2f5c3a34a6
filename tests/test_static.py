"""Static checks that are part of `make test`: lint, format, types, module docs, HCL format."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PYTHON_TREES = ["helpers", "tests"]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


def _assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{' '.join(result.args)}\n{result.stdout}\n{result.stderr}"


def test_ruff_lint() -> None:
    _assert_ok(_run(str(BIN / "ruff"), "check", *PYTHON_TREES))


def test_ruff_format() -> None:
    _assert_ok(_run(str(BIN / "ruff"), "format", "--check", *PYTHON_TREES))


def test_mypy_on_the_helper() -> None:
    _assert_ok(_run(str(BIN / "mypy"), "helpers/kms_import"))


@pytest.mark.parametrize("module", sorted(p.name for p in (REPO / "modules").iterdir()))
def test_module_docs_are_current(module: str) -> None:
    _assert_ok(_run(str(BIN / "python"), "-m", "tfdocs", "--check", f"modules/{module}"))


def test_terraform_fmt() -> None:
    _assert_ok(_run(str(BIN / "terraform"), "fmt", "-check", "-recursive", "-diff"))
