"""Static checks that are part of `make test`: lint, format, types, module docs, HCL format,
terraform validate and checkov."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from offline.fixtures import clean_env
from offline.stack import OfflineStack

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


def test_reference_docs_are_current() -> None:
    """docs/reference.md's CLI section and root tables match the parser and the root's .tf files."""
    _assert_ok(_run(str(BIN / "python"), "-m", "tfdocs.cli", "--check", "docs/reference.md"))


def test_key_spec_table_is_current() -> None:
    """modules/external-keys/specs.tf is generated from kms_import/keyspecs.py (make docs)."""
    _assert_ok(
        _run(str(BIN / "python"), "-m", "tfdocs.specs", "--check", "modules/external-keys/specs.tf")
    )


def test_only_the_generated_table_spells_out_key_specs() -> None:
    """One source of truth: no other module file lists the key specs' rules."""
    spelled = [
        str(path.relative_to(REPO))
        for path in sorted(REPO.glob("modules/**/*.tf"))
        if path.name != "specs.tf"
        and re.search(r"\bHMAC_224\b|\bECC_SECG_P256K1\b", path.read_text())
    ]
    assert spelled == [], f"key-spec rules outside the generated specs.tf: {spelled}"


def test_terraform_fmt() -> None:
    _assert_ok(_run(str(BIN / "terraform"), "fmt", "-check", "-recursive", "-diff"))


# ---- terraform validate: the root and every module, each in a throwaway copy ----------------

TF_CONFIGS = ["root"] + [f"modules/{p.name}" for p in sorted((REPO / "modules").iterdir())]
TF_CONFIGS += [f"examples/{p.name}" for p in sorted((REPO / "examples").glob("*")) if p.is_dir()]


@pytest.mark.parametrize("config", TF_CONFIGS)
def test_terraform_validate(config: str, offline_stack: OfflineStack, tmp_path: Path) -> None:
    """init -backend=false + validate, with the offline CLI config (the provider stand-ins)
    and a temp TF_DATA_DIR, on a copy: no lock file or .terraform lands in the tree."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "modules", copy / "modules")
    if (REPO / "examples").is_dir():
        shutil.copytree(REPO / "examples", copy / "examples")
    for tf in REPO.glob("*.tf"):
        shutil.copy(tf, copy / tf.name)
    where = copy if config == "root" else copy / config
    env = clean_env()
    env.update(
        TF_CLI_CONFIG_FILE=offline_stack.env()["TF_CLI_CONFIG_FILE"],
        TF_DATA_DIR=str(tmp_path / "tfdata"),
        TF_IN_AUTOMATION="1",
    )
    terraform = str(BIN / "terraform")
    for args in (["init", "-backend=false", "-input=false"], ["validate"]):
        result = subprocess.run(
            [terraform, f"-chdir={where}", *args, "-no-color"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        _assert_ok(result)
    assert "Success! The configuration is valid" in result.stdout


# ---- checkov on the Terraform (own venv: checkov pins boto3==1.35.*, the helper needs >=1.40) -

CHECKOV_VENV = BIN.parent / "checkov"


CHECKOV_LOCK = REPO / "requirements" / "checkov.lock"


def _checkov() -> Path:
    """.venv/checkov/bin/checkov from requirements/checkov.lock (hashed), made on first use
    and again whenever the lock changes."""
    exe = CHECKOV_VENV / "bin" / "checkov"
    lock = CHECKOV_LOCK.read_text()
    stamp = CHECKOV_VENV / ".installed"
    if exe.exists() and stamp.exists() and stamp.read_text() == lock:
        return exe
    shutil.rmtree(CHECKOV_VENV, ignore_errors=True)
    _assert_ok(_run(str(BIN / "python"), "-m", "venv", str(CHECKOV_VENV)))
    _assert_ok(
        _run(
            str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
            "--disable-pip-version-check", "--require-hashes", "-r", str(CHECKOV_LOCK),
        )
    )  # fmt: skip
    stamp.write_text(lock)
    return exe


def test_checkov_on_the_terraform() -> None:
    """The root and modules/ (tests' own roots are skipped in .checkov.yaml); every
    suppression is inline with its reason (#checkov:skip=CKV_...: why)."""
    env = clean_env()
    env["BC_SKIP_MAPPING"] = "TRUE"  # offline: no policy metadata download
    result = subprocess.run(
        [str(_checkov()), "--config-file", str(REPO / ".checkov.yaml"), "-o", "json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [
        f"{c['check_id']} {c['check_name']}: {c['file_path']} {c['resource']}"
        for c in report["results"]["failed_checks"]
    ]
    assert result.returncode == 0 and not failed, "\n".join(failed) or result.stderr
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= 4, summary  # it really read the root and modules
    for tf in [*REPO.glob("*.tf"), *REPO.glob("modules/*/*.tf")]:
        for line in tf.read_text().splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"checkov:skip=CKV\w*_\d+:\s*\S", line), f"{tf}: no reason: {line}"
