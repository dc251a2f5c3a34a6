"""Secrets hygiene: material zeroed after use, never in errors, logs or --debug output, and
no temporary files left behind on success, failure or SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from e2e.workspace import material_file

from kms_import import cli, material, wrapping
from kms_import.errors import AwsError
from kms_import.importer import ImportRequest, run_import
from kms_import.leakscan import scan_bytes, spellings
from offline.stack import OfflineStack

from .support import KMS_IMPORT, helper_env, kms_client, run_helper

REPO = Path(__file__).resolve().parents[2]
STALL_HOOK = Path(__file__).parent / "stall"


@pytest.fixture
def buffers(monkeypatch: pytest.MonkeyPatch) -> list[bytearray]:
    """Every bytearray a Material was made with during the test, kept to look at later."""
    seen: list[bytearray] = []
    original = material.Material.__init__

    def spy(self: material.Material, buf: bytearray, description: str) -> None:
        seen.append(buf)
        original(self, buf, description)

    monkeypatch.setattr(material.Material, "__init__", spy)
    return seen


@pytest.fixture
def wrapped(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every EncryptedKeyMaterial the helper produced during the test."""
    blobs: list[bytes] = []
    original = wrapping.wrap

    def spy(*args: Any, **kwargs: Any) -> bytes:
        blob = original(*args, **kwargs)
        blobs.append(blob)
        return blob

    monkeypatch.setattr(wrapping, "wrap", spy)
    return blobs


def _all_zero(buf: bytearray) -> bool:
    return len(buf) > 0 and not any(buf)


@pytest.mark.parametrize("kind", ["file", "generate"])
def test_material_buffers_are_zero_after_an_import(
    clean_stack: OfflineStack, tmp_path: Path, buffers: list[bytearray], kind: str
) -> None:
    kms = kms_client(clean_stack)
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    if kind == "file":
        path, _ = material_file(tmp_path / "keys")
        source = f"file://{path}"
    else:
        source = f"generate:k1?escrow=file://{tmp_path / 'escrow'}"
    outcome = run_import(ImportRequest(key_id=arn, source=source), kms=kms)
    assert outcome.imported and outcome.state == "Enabled"
    assert buffers, "no Material was made: the spy saw nothing"
    assert all(_all_zero(buf) for buf in buffers), [len(b) for b in buffers]
    # A re-run that imports nothing (already holds it) zeroes its copy too.
    buffers.clear()
    assert not run_import(ImportRequest(key_id=arn, source=source), kms=kms).imported
    assert buffers and all(_all_zero(buf) for buf in buffers)


def test_material_buffers_are_zero_after_a_refused_import(
    clean_stack: OfflineStack, tmp_path: Path, buffers: list[bytearray]
) -> None:
    kms = kms_client(clean_stack)
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    first, _ = material_file(tmp_path / "keys", "first.bin")
    second, _ = material_file(tmp_path / "keys", "second.bin")
    run_import(ImportRequest(key_id=key_id, source=f"file://{first}"), kms=kms)
    kms.delete_imported_key_material(KeyId=key_id)
    buffers.clear()
    with pytest.raises(AwsError, match="IncorrectKeyMaterialException"):
        run_import(ImportRequest(key_id=key_id, source=f"file://{second}"), kms=kms)
    assert buffers and all(_all_zero(buf) for buf in buffers)


def test_debug_output_of_a_failure_after_wrapping_holds_no_secret(
    clean_stack: OfflineStack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    wrapped: list[bytes],
) -> None:
    """KMS refuses the wrapped material (IncorrectKeyMaterialException) under --debug."""
    for name, value in helper_env(clean_stack).items():
        monkeypatch.setenv(name, value)
    kms = kms_client(clean_stack)
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    first, material_1 = material_file(tmp_path / "keys", "first.bin")
    second, material_2 = material_file(tmp_path / "keys", "second.bin")
    assert cli.main(["--debug", "import", "--key-id", key_id, "--source", f"file://{first}"]) == 0
    kms.delete_imported_key_material(KeyId=key_id)
    # The first import tagged the key with its material's fingerprint, which would refuse the
    # second material before wrapping; without the tag only KMS itself can refuse it.
    kms.untag_resource(KeyId=key_id, TagKeys=["kms-import:fingerprint"])
    wrapped.clear()
    code = cli.main(["--debug", "import", "--key-id", key_id, "--source", f"file://{second}"])
    out, err = capsys.readouterr()

    assert code == 1
    assert wrapped, "the failure did not come after wrapping"
    assert "debug traceback" in err and "Traceback" in err  # --debug did show its traceback
    assert "IncorrectKeyMaterialException" in err
    text = (out + err).encode()
    for secret in (material_1, material_2, *wrapped):
        assert not scan_bytes("--debug output", text, spellings(secret))


def _tmp_env(stack: OfflineStack, tmpdir: Path, **extra: str) -> dict[str, str]:
    tmpdir.mkdir(exist_ok=True)
    return helper_env(stack, TMPDIR=str(tmpdir), TMP=str(tmpdir), TEMP=str(tmpdir), **extra)


def test_no_temp_files_after_success_failure_and_sigterm(
    clean_stack: OfflineStack, tmp_path: Path
) -> None:
    kms = kms_client(clean_stack)
    tmpdir = tmp_path / "tmpdir"
    escrow = tmp_path / "escrow"
    env = _tmp_env(clean_stack, tmpdir)
    generate = f"generate:k1?escrow=file://{escrow}"

    # Success: generate + escrow + import, and the plan-time fingerprint protocol.
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    ok = run_helper("import", "--key-id", key_id, "--source", generate, env=env)
    assert ok.returncode == 0, ok.stderr
    fingerprint = subprocess.run(
        [str(KMS_IMPORT), "fingerprint"],
        input=f'{{"source": "{generate}"}}',
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fingerprint.returncode == 0, fingerprint.stderr
    assert list(tmpdir.iterdir()) == []

    # Failure after the material was read: KMS refuses other material.
    kms.delete_imported_key_material(KeyId=key_id)
    other, _ = material_file(tmp_path / "keys", "other.bin")
    failed = run_helper("import", "--key-id", key_id, "--source", f"file://{other}", env=env)
    assert failed.returncode == 1
    assert list(tmpdir.iterdir()) == []

    # SIGTERM while the helper holds material, parameters and the wrapped blob.
    stall = tmp_path / "stall"
    stall.mkdir()
    second = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    env = _tmp_env(
        clean_stack,
        tmpdir,
        PYTHONPATH=str(STALL_HOOK),
        RELIABILITY_STALL_DIR=str(stall),
    )
    source = f"generate:k2?escrow=file://{escrow}"
    proc = subprocess.Popen(
        [str(KMS_IMPORT), "import", "--key-id", second, "--source", source],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list(stall.glob("stalled-*")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert list(stall.glob("stalled-*")), "the helper never reached the import"
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGTERM
    assert list(tmpdir.iterdir()) == []
    # The escrow holds the two keys' material files, 0600, and no half-written leftovers.
    assert sorted(p.name for p in escrow.iterdir()) == ["k1.key", "k2.key"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in escrow.iterdir())
    assert kms.describe_key(KeyId=second)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_make_demo_ends_with_the_leak_scan() -> None:
    """Cheap guard: nothing is added after the scan, and the scan is never dropped."""
    makefile = (REPO / "Makefile").read_text()
    recipe = re.search(r"^_demo:\n((?:\t.*\n|[ \t]+.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "no _demo target"
    lines = [line.strip() for line in recipe.group(1).splitlines() if line.strip()]
    assert lines[-1].startswith("@kms-import leak-scan --source"), lines[-1]
    assert "$(STATE_DIR)" in lines[-1]  # scans the state, plans, trace log and data dir
