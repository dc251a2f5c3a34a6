"""Fault matrix: KMS misbehaving, processes dying, clocks moving, two applies at once.

Every test ends with the key usable (encrypt/decrypt through its alias), nothing lost (the
key Terraform created is the key that holds the material; no orphans), the next plan clean
and the leak scan clean.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e.workspace import Workspace, material_file

from offline.fixtures import TERRAFORM
from offline.stack import OfflineStack

from .support import ROOT, assert_one_clear_error, control, helper_env, kms_client, run_helper

pytestmark = pytest.mark.e2e

ALIAS = "alias/reliability"
STALL_HOOK = Path(__file__).parent / "stall"
IMPORT_STEP = "module.key.module.keys.terraform_data.import"
KEY = 'module.key.module.keys.module.key["this"].aws_kms_external_key.this'


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _workspace(tmp_path: Path, stack: OfflineStack, **variables: Any) -> tuple[Workspace, bytes]:
    ws = Workspace.create(tmp_path, stack, root=ROOT)
    path, material = material_file(tmp_path / "keys")
    ws.write_vars(material_source=f"file://{path}", alias_name=ALIAS, **variables)
    return ws, material


def _assert_converged(ws: Workspace, material: bytes) -> str:
    """The key usable through its alias, the only key there is, a clean plan, no leak."""
    control(ws.stack, "faults", {})  # the verdict is taken on a well-behaved KMS
    kms = ws.kms()
    key_id = ws.outputs()["key_id"]
    meta = kms.describe_key(KeyId=ALIAS)["KeyMetadata"]
    assert meta["KeyId"] == key_id
    assert meta["KeyState"] == "Enabled"
    blob = kms.encrypt(KeyId=ALIAS, Plaintext=b"sensitive data\n")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sensitive data\n"
    keys = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    assert keys == [key_id], f"orphaned keys besides {key_id}: {keys}"
    assert ws.plan_exitcode() == 0
    ws.assert_no_leak(material)
    return key_id


# ---- KMS misbehaving --------------------------------------------------------------------


def test_throttling_on_30_percent_of_kms_calls(clean_stack: OfflineStack, tmp_path: Path):
    ws, material = _workspace(tmp_path, clean_stack)
    control(clean_stack, "faults", {"throttle_rate": 0.3})
    ws.apply()
    assert ws.plan_exitcode() == 0  # still throttled: reads retry too
    throttled = control(clean_stack, "faults")
    assert throttled["throttle_rate"] == 0.3
    _assert_converged(ws, material)


def test_slow_kms(clean_stack: OfflineStack, tmp_path: Path):
    """200 ms added to every KMS call, plan and apply alike."""
    ws, material = _workspace(tmp_path, clean_stack)
    control(clean_stack, "faults", {"latency_ms": 200})
    ws.apply()
    assert ws.plan_exitcode() == 0
    _assert_converged(ws, material)


def test_new_key_not_found_for_a_while(clean_stack: OfflineStack, tmp_path: Path):
    """NotFoundException for 4 s after CreateKey (KMS's eventual consistency)."""
    ws, material = _workspace(tmp_path, clean_stack)
    control(clean_stack, "faults", {"not_found_after_create_s": 4})
    ws.apply()
    _assert_converged(ws, material)


def test_helper_waits_for_a_new_key_named_by_arn(clean_stack: OfflineStack, tmp_path: Path):
    """The helper's own propagation wait (Terraform's provider already waits before it)."""
    kms = kms_client(clean_stack)
    path, material = material_file(tmp_path / "keys")
    control(clean_stack, "faults", {"not_found_after_create_s": 3})
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    result = run_helper(
        "import", "--key-id", arn, "--source", f"file://{path}", env=helper_env(clean_stack)
    )
    assert result.returncode == 0, result.stderr
    assert "key not found yet" in result.stderr
    control(clean_stack, "faults", {})
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert material.hex() not in result.stdout + result.stderr


class _ClockOnFirstParams:
    """A KMS client whose first GetParametersForImport is followed by 25 hours passing."""

    def __init__(self, kms: Any, stack: OfflineStack, every_time: bool = False) -> None:
        self._kms, self._stack, self._every = kms, stack, every_time
        self.params_calls = 0

    def get_parameters_for_import(self, **kwargs: Any) -> Any:
        answer = self._kms.get_parameters_for_import(**kwargs)
        self.params_calls += 1
        if self.params_calls == 1 or self._every:
            control(self._stack, "clock", {"advance_seconds": 25 * 3600})
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._kms, name)


def test_import_token_expiring_before_import(clean_stack: OfflineStack, tmp_path: Path, caplog):
    from kms_import.importer import ImportRequest, run_import

    kms = kms_client(clean_stack)
    path, material = material_file(tmp_path / "keys")
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    client = _ClockOnFirstParams(kms, clean_stack)
    with caplog.at_level("INFO", logger="kms-import"):
        outcome = run_import(ImportRequest(key_id=arn, source=f"file://{path}"), kms=client)
    assert outcome.imported and outcome.state == "Enabled"
    assert client.params_calls == 2  # the expired token was replaced by a fresh one
    assert "import token expired; fetching new parameters" in caplog.text
    assert material.hex() not in caplog.text

    # Expired again on the retry: a clear error, and the key still waits for its material.
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    from kms_import.errors import AwsError

    with pytest.raises(AwsError) as failed:
        run_import(
            ImportRequest(key_id=other, source=f"file://{path}"),
            kms=_ClockOnFirstParams(kms, clean_stack, every_time=True),
        )
    assert "ExpiredImportTokenException" in str(failed.value)
    assert "fetch new ones" in str(failed.value)
    assert kms.describe_key(KeyId=other)["KeyMetadata"]["KeyState"] == "PendingImport"


# ---- processes dying, two applies at once -----------------------------------------------


@dataclass
class Stalled:
    """`terraform apply` in the background, its import step held between params and import."""

    ws: Workspace
    dir: Path
    proc: subprocess.Popen[str]
    helper_pid: int = 0
    output: tuple[str, str] = ("", "")
    events: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, ws: Workspace, tmp_path: Path) -> Stalled:
        stall = tmp_path / "stall"
        stall.mkdir()
        ws.init()
        env = dict(ws.runner.env, PYTHONPATH=str(STALL_HOOK), RELIABILITY_STALL_DIR=str(stall))
        proc = subprocess.Popen(
            [str(TERRAFORM), "apply", "-input=false", "-auto-approve", "-no-color"],
            cwd=ws.dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: providers, sh, helper
        )
        return cls(ws, stall, proc)

    def wait_until_stalled(self, timeout: float = 240) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            markers = list(self.dir.glob("stalled-*"))
            if markers:
                self.helper_pid = int(markers[0].name.split("-")[1])
                cmdline = Path(f"/proc/{self.helper_pid}/cmdline").read_bytes().split(b"\0")
                # The helper itself, or the broker's worker running the import step for it.
                helper = any(arg.endswith(b"kms-import") for arg in cmdline)
                helper = helper and b"import-keys" in cmdline
                assert helper or b"kms_import.broker.server" in cmdline, cmdline
                return self.helper_pid
            if self.proc.poll() is not None:
                self.finish()
                raise AssertionError(f"apply ended before the import step:\n{self.output}")
            time.sleep(0.1)
        raise AssertionError("the import step never started")

    def finish(self, timeout: float = 120) -> int:
        out, err = self.proc.communicate(timeout=timeout)
        self.output = (out, err)
        self.ws.watch.record_output(out, err)
        return self.proc.returncode

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_second_apply_is_refused_then_killed_helper_reruns(
    clean_stack: OfflineStack, tmp_path: Path
):
    ws, material = _workspace(tmp_path, clean_stack)
    first = Stalled.start(ws, tmp_path)
    try:
        helper = first.wait_until_stalled()
        assert (ws.dir / ".terraform.tfstate.lock.info").exists()  # the first holds the lock
        # A second apply on the same state while the first holds the lock.
        second = ws.tf("apply", "-input=false", "-auto-approve", check=False)
        assert second.code == 1
        text = " ".join(second.stderr.split())
        assert "Error acquiring the state lock" in text, second.stderr
        assert "Traceback" not in second.stdout + second.stderr
        # The helper dies holding fresh import parameters and wrapped material.
        os.kill(helper, signal.SIGKILL)
        assert first.finish() == 1
    finally:
        first.kill_group()
    assert "local-exec" in first.output[1], first.output[1]
    key_id = ws.runner.resources()[KEY]["id"]
    assert ws.kms().describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"

    rerun = ws.apply()  # the import step was not recorded as done: it runs again
    assert "this (" in rerun.stdout and "): imported;" in rerun.stdout
    assert _assert_converged(ws, material) == key_id


def test_terraform_killed_mid_import_then_apply_converges(
    clean_stack: OfflineStack, tmp_path: Path
):
    ws, material = _workspace(tmp_path, clean_stack)
    run = Stalled.start(ws, tmp_path)
    try:
        helper = run.wait_until_stalled()
        os.kill(run.proc.pid, signal.SIGKILL)
        run.finish()
        assert run.proc.returncode == -signal.SIGKILL
        # Terraform is gone; its import step (sh + kms-import) is orphaned, still waiting.
        helper_outlived_terraform = _alive(helper)
    finally:
        run.kill_group()  # the rest of the job dies too, as when a CI job is cancelled
    assert helper_outlived_terraform

    # The local backend's lock is an OS lock on the state file: it died with Terraform. The
    # lock info file stays behind, but it binds nothing: the next run needs no force-unlock.
    lock_info = ws.dir / ".terraform.tfstate.lock.info"
    assert lock_info.exists()
    replan = ws.tf("plan", "-input=false", "-detailed-exitcode", check=False)
    assert replan.code == 2, replan.stdout + replan.stderr  # changes pending, no lock error
    state = ws.runner.resources()
    # The key was saved to state before the import step began: nothing is orphaned...
    key_id = state[KEY]["id"]
    assert IMPORT_STEP not in state  # ...and the import step was never recorded as done.

    rerun = ws.apply()
    assert "this (" in rerun.stdout and "): imported;" in rerun.stdout
    assert not lock_info.exists()  # released as usual by the run that converged
    assert _assert_converged(ws, material) == key_id


# ---- KMS refusing, material expiring ----------------------------------------------------


def test_kms_itself_refuses_other_material(clean_stack: OfflineStack, tmp_path: Path):
    """Without the fingerprint tag to stop it first, KMS's IncorrectKeyMaterialException."""
    kms = kms_client(clean_stack)
    first, material = material_file(tmp_path / "keys", "first.bin")
    second, other = material_file(tmp_path / "keys", "second.bin")
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    env = helper_env(clean_stack)
    imported = run_helper("import", "--key-id", key_id, "--source", f"file://{first}", env=env)
    assert imported.returncode == 0, imported.stderr
    kms.delete_imported_key_material(KeyId=key_id)
    refused = run_helper("import", "--key-id", key_id, "--source", f"file://{second}", env=env)
    assert refused.returncode == 1
    assert_one_clear_error(
        refused.stderr, "IncorrectKeyMaterialException", "only accepts the material"
    )
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    for secret in (material, other):
        assert secret.hex() not in refused.stdout + refused.stderr


def test_material_expiring_between_plan_and_apply(clean_stack: OfflineStack, tmp_path: Path):
    now = datetime.now(UTC)
    ws, material = _workspace(tmp_path, clean_stack, valid_to=_rfc3339(now + timedelta(days=2)))
    ws.apply()
    key_id = ws.outputs()["key_id"]
    # Renewal planned while the material is valid...
    renewed = _rfc3339(now + timedelta(days=30))
    ws.write_vars(
        material_source=f"file://{tmp_path / 'keys' / 'material.bin'}",
        alias_name=ALIAS,
        valid_to=renewed,
    )
    plan = ws.dir / "renew.tfplan"
    ws.tf("plan", "-input=false", f"-out={plan}")
    ws.plans.append(ws.tf("show", "-json", str(plan)).stdout)
    # ...then three days pass before the apply: KMS has deleted the material.
    control(clean_stack, "clock", {"advance_seconds": 3 * 86400})
    kms = ws.kms()
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"

    applied = ws.tf("apply", "-input=false", str(plan))
    assert "this (" in applied.stdout and "): imported;" in applied.stdout
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert _rfc3339(meta["ValidTo"].astimezone(UTC)) == renewed
    assert _assert_converged(ws, material) == key_id
