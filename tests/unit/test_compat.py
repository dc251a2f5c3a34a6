"""The version handshake (kms_import/compat.py): a module's range, met or refused in one line."""

from __future__ import annotations

import pytest

from kms_import.compat import IncompatibleHelper, require, satisfies
from kms_import.errors import UsageError


@pytest.mark.parametrize(
    ("version", "requirement", "expected"),
    [
        ("0.2.0", ">=0.2.0, <0.3.0", True),
        ("0.2.7", ">=0.2.0,<0.3.0", True),
        ("0.3.0", ">=0.2.0, <0.3.0", False),
        ("0.1.9", ">=0.2.0, <0.3.0", False),
        ("0.2", ">=0.2.0", True),  # missing parts are zeros
        ("1.0.0+local", "==1.0.0", True),  # a local label is not part of the release
        ("1.2.3", "!=1.2.3", False),
        ("10.0.0", ">9.9", True),  # numeric, not lexical
    ],
)
def test_satisfies(version: str, requirement: str, expected: bool) -> None:
    assert satisfies(version, requirement) is expected


def test_refusal_names_both_versions_and_the_install_command() -> None:
    with pytest.raises(IncompatibleHelper) as caught:
        require(">=0.3.0, <0.4.0", version="0.2.0")
    line = str(caught.value)
    assert "\n" not in line
    assert "kms-import 0.2.0 is installed" in line and ">=0.3.0, <0.4.0" in line
    assert "pipx install 'kms-import>=0.3.0,<0.4.0'" in line


@pytest.mark.parametrize("requirement", ["", "0.2", ">=a.b", "~=0.2"])
def test_a_malformed_range_is_a_usage_error(requirement: str) -> None:
    with pytest.raises(UsageError):
        require(requirement, version="0.2.0")


def test_no_range_declared_is_no_check() -> None:
    require(None, version="0.0.1")


def test_the_cli_stops_before_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    from kms_import.cli import main

    assert main(["--requires", ">=99.0.0", "sources"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "needs kms-import >=99.0.0" in err
    assert main(["--requires", ">=0.0.1", "sources"]) == 0
