"""modules/external-keys through real Terraform on the offline stack: many keys, two helper
runs per apply; the upgrade from the modules that made one import step per key; a failing key
in a batch. Each test ends with the leak scan.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from kms_import.material import secret_fingerprint
from offline.stack import OfflineStack

from .workspace import PROVIDERS, REPO, Workspace, material_file, previous_tree

pytestmark = pytest.mark.e2e

ROOT = """
variable "keys" {
  description = "The keys (modules/external-keys' keys input)."
  type = map(object({
    material_source      = string
    material_fingerprint = optional(string)
    alias_name           = optional(string)
  }))
}

variable "helper_command" {
  description = "kms-import, or the counting wrapper around it."
  type        = string
}

module "keys" {
  source = "../modules/external-keys"

  keys               = var.keys
  helper_command     = var.helper_command
  import_parallelism = 4
}

output "key_arns" {
  description = "Key ARN by name."
  value       = module.keys.key_arns
}
"""

# Runs kms-import as Terraform would, first noting its pid and subcommand (after the
# module's `--requires RANGE`): the pid stays the helper's (exec), so a line per start and a
# pid to look for afterwards.
COUNTER = """#!/bin/sh
cmd=$1
if [ "$1" = --requires ]; then cmd=$3; fi
echo "$$ $cmd" >> '{log}'
exec '{helper}' "$@"
"""


def _root(tmp_path: Path, stack: OfflineStack, body: str) -> Workspace:
    source = tmp_path / "src"
    source.mkdir(parents=True)
    (source / "main.tf").write_text(PROVIDERS + body)
    return Workspace.create(tmp_path, stack, root=source)


def _counter(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "helper-starts.log"
    script = tmp_path / "counting-kms-import"
    helper = REPO / ".venv" / "bin" / "kms-import"
    script.write_text(COUNTER.format(log=log, helper=helper))
    script.chmod(0o755)
    return script, log


def _starts(log: Path) -> list[tuple[int, str]]:
    if not log.exists():
        return []
    return [
        (int(pid), command)
        for pid, command in (line.split() for line in log.read_text().splitlines())
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _materials(tmp_path: Path, count: int) -> dict[str, tuple[Path, bytes]]:
    return {f"k{i:02d}": material_file(tmp_path / "keys", f"k{i:02d}.bin") for i in range(count)}


def test_twenty_one_keys_start_the_helper_at_most_twice_per_apply(
    tmp_path: Path, clean_stack: OfflineStack
) -> None:
    ws = _root(tmp_path, clean_stack, ROOT)
    materials = _materials(tmp_path, 21)
    script, log = _counter(tmp_path)
    # Every other fingerprint recorded: plan reads only the others' material, in one run.
    keys = {
        name: {
            "material_source": f"file://{path}",
            "material_fingerprint": secret_fingerprint(material) if i % 2 else None,
            "alias_name": f"alias/batch-{name}" if i < 3 else None,
        }
        for i, (name, (path, material)) in enumerate(materials.items())
    }
    ws.write_vars(keys=keys, helper_command=str(script))
    ws.init()

    applied = ws.tf("apply", "-input=false", "-auto-approve")  # plans and applies: one run
    starts = _starts(log)
    assert sorted(command for _, command in starts) == ["import-keys", "plan-keys"], starts
    assert not [pid for pid, _ in starts if _alive(pid)]
    assert applied.stdout.count(": imported; encrypt/decrypt round trip") == 21
    arns = ws.outputs()["key_arns"]
    kms = ws.kms()
    for arn in arns.values():
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    for name, (_, material) in materials.items():
        tags = kms.list_resource_tags(KeyId=arns[name])["Tags"]
        fingerprint = {"TagKey": "kms-import:fingerprint", "TagValue": secret_fingerprint(material)}
        assert fingerprint in tags, name

    log.unlink()
    assert ws.plan_exitcode() == 0
    assert [command for _, command in _starts(log)] == ["plan-keys"]
    for _, material in materials.values():
        ws.assert_no_leak(material)


UPGRADE_ROOT = """
variable "material_source" {
  description = "Material reference of the key."
  type        = string
}

module "key" {
  source = "../modules/external-key"

  alias_name      = "alias/upgraded"
  material_source = var.material_source
  multi_region    = true
  replica_regions = ["us-west-2"]
  grants = {
    reader = { grantee_principal = "arn:aws:iam::123456789012:root", operations = ["Decrypt"] }
  }
}
"""

ROOT_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
ACCOUNT_ROOT = "arn:aws:iam::123456789012:root"  # the local AWS's account

# What an upgrade may do to the resources users keep: move them, never replace or delete.
KEPT = {"aws_kms_external_key", "aws_kms_alias", "aws_kms_replica_external_key", "aws_kms_grant"}


def _upgrade_plan(ws: Workspace) -> dict[str, Any]:
    plan = ws.dir / "upgrade.tfplan"
    ws.tf("plan", "-input=false", f"-out={plan}")
    shown = json.loads(ws.tf("show", "-json", str(plan)).stdout)
    ws.plans.append(json.dumps(shown))
    return shown


def _assert_kept(shown: dict[str, Any], moved: int) -> None:
    changes = [c for c in shown["resource_changes"] if c["type"] in KEPT]
    touched = [(c["address"], c["change"]["actions"]) for c in changes]
    assert all(c["change"]["actions"] == ["no-op"] for c in changes), touched
    # Nothing is destroyed at all: the old import steps are forgotten (removed blocks).
    assert not [c for c in shown["resource_changes"] if "delete" in c["change"]["actions"]]
    assert len([c for c in changes if c.get("previous_address")]) == moved, touched


def _upgrade(ws: Workspace, moved: int, root_files: bool = False) -> str:
    """Applied with the previous modules; swap in today's (and with root_files the repo
    root's own .tf files, whose moved block changes too); the plan only moves what users
    keep; apply, where the new import step runs once and finds every key done; re-plan
    clean. Returns the apply's output."""
    ws.apply()
    before = {c["address"] for c in json.loads(ws.plans[-1])["resource_changes"]}
    assert any("material_import" in address for address in before)  # really the old modules
    if root_files:
        for tf in REPO.glob("*.tf"):
            shutil.copy(tf, ws.dir / tf.name)
    ws.use_modules(REPO / "modules")
    _assert_kept(_upgrade_plan(ws), moved)
    applied = ws.tf("apply", "-input=false", str(ws.dir / "upgrade.tfplan"))
    assert "imported;" not in applied.stdout  # nothing was imported again
    assert ws.plan_exitcode() == 0
    return applied.stdout


def test_upgrade_from_the_previous_modules_replaces_nothing(
    tmp_path: Path, clean_stack: OfflineStack
) -> None:
    previous = previous_tree(tmp_path / "previous", "modules", *ROOT_FILES)

    # The repo root: two generations (one disabled, one with an on-demand rotation), grants.
    root_ws = Workspace.create(tmp_path / "root", clean_stack, root=previous)
    root_ws.use_modules(previous / "modules")
    g1_path, g1 = material_file(tmp_path / "keys", "g1.bin")
    g2_path, g2 = material_file(tmp_path / "keys", "g2.bin")
    escrow = tmp_path / "escrow"
    rotation = {"material_source": f"generate:g2-m1?escrow=file://{escrow}"}
    root_ws.write_vars(
        generations={
            "g1": {"material_source": f"file://{g1_path}", "enabled": False},
            "g2": {"material_source": f"file://{g2_path}", "material_rotations": [rotation]},
        },
        active_generation="g2",
        grants={"app": {"grantee_principal": ACCOUNT_ROOT, "operations": ["Decrypt"]}},
    )
    out = _upgrade(root_ws, moved=4, root_files=True)  # two keys, two grants
    assert "g1: up to date" in out and "g2: up to date" in out
    rotated = (escrow / "g2-m1.key").read_bytes()
    for material in (g1, g2, rotated):
        root_ws.assert_no_leak(material)

    # A root of its own with modules/external-key: alias, a replica and a grant.
    key_ws = _root(tmp_path / "single", clean_stack, UPGRADE_ROOT)
    key_path, key_material = material_file(tmp_path / "keys", "single.bin")
    key_ws.write_vars(material_source=f"file://{key_path}")
    key_ws.use_modules(previous / "modules")
    out = _upgrade(key_ws, moved=4)  # key, alias, replica, grant
    assert "this: up to date" in out
    key_ws.assert_no_leak(key_material)


def test_a_failing_key_leaves_the_others_done_and_a_reapply_finishes(
    tmp_path: Path, clean_stack: OfflineStack
) -> None:
    ws = _root(tmp_path, clean_stack, ROOT)
    materials = _materials(tmp_path, 5)
    broken_path, broken = materials["k02"]
    broken_path.rename(broken_path.with_suffix(".away"))  # recorded, but not there
    keys = {
        name: {"material_source": f"file://{path}", "material_fingerprint": secret_fingerprint(m)}
        for name, (path, m) in materials.items()
    }
    ws.write_vars(keys=keys, helper_command=str(REPO / ".venv" / "bin" / "kms-import"))

    failed = ws.apply(check=False)
    assert failed.code != 0
    text = " ".join(failed.stderr.replace("│", " ").split())
    assert f"k02: FAILED: material file {broken_path} does not exist" in text, failed.stderr
    assert "Traceback" not in failed.stdout + failed.stderr
    kms = ws.kms()
    arns = {
        address.split('"')[1]: values["arn"]
        for address, values in ws.runner.resources().items()
        if values.get("key_spec") == "SYMMETRIC_DEFAULT"
    }
    states = {
        name: kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] for name, arn in arns.items()
    }
    assert states == {
        "k00": "Enabled",
        "k01": "Enabled",
        "k02": "PendingImport",
        "k03": "Enabled",
        "k04": "Enabled",
    }

    broken_path.with_suffix(".away").rename(broken_path)
    applied = ws.apply()
    assert "k02 (" in applied.stdout and applied.stdout.count(": up to date") == 4
    assert kms.describe_key(KeyId=arns["k02"])["KeyMetadata"]["KeyState"] == "Enabled"
    assert ws.plan_exitcode() == 0
    for _, material in materials.values():
        ws.assert_no_leak(material)
    ws.assert_no_leak(broken)
