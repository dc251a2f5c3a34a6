"""The modules from a versioned git source (issue 21): a root outside the repository sources
modules/external-key and modules/rotating-key as `git::file:///...//modules/NAME?ref=TAG`
from a bare clone tagged here, applies against the offline stack, re-plans clean, and leaves
no material behind. Only the modules' documented inputs and outputs are used."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from leakwatch import LeakWatch
from offline.fixtures import TerraformRunner, runner_env
from offline.stack import OfflineStack

from .workspace import REPO, Workspace, material_file

pytestmark = pytest.mark.e2e

TAG = "v0.0.0-test"
ROOT = """\
terraform {{
  required_version = ">= 1.9"

  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "~> 6.11"
    }}
    external = {{
      source  = "hashicorp/external"
      version = "~> 2.3"
    }}
  }}
}}

provider "aws" {{
  region = "us-east-1"
}}

variable "single_material_source" {{
  description = "Material of the single key."
  type        = string
}}

variable "rotating_material_source" {{
  description = "Material of the rotating key's generation g1."
  type        = string
}}

module "single" {{
  source = "git::file://{bare}//modules/external-key?ref={tag}"

  alias_name      = "alias/from-git-single"
  material_source = var.single_material_source
}}

module "rotating" {{
  source = "git::file://{bare}//modules/rotating-key?ref={tag}"

  alias_name        = "alias/from-git-rotating"
  generations       = {{ g1 = {{ material_source = var.rotating_material_source }} }}
  active_generation = "g1"
}}

output "single_key_id" {{
  description = "The single key's id."
  value       = module.single.key_id
}}

output "rotating_key_id" {{
  description = "The rotating key's active generation's key id."
  value       = module.rotating.active_key_id
}}
"""


def _git(*args: str | Path) -> str:
    result = subprocess.run(
        ["git", *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"git {' '.join(map(str, args))}\n{result.stderr}"
    return result.stdout.strip()


def _tagged_bare_clone(tmp: Path) -> Path:
    """A bare clone of this repository with TAG on the commit checked out here (the tag is
    made in the clone only: the developer's repository gets no test tags)."""
    bare = tmp / "kms-import.git"
    head = _git("-C", REPO, "rev-parse", "HEAD")
    _git("clone", "--quiet", "--bare", REPO, bare)
    _git("-C", bare, "tag", TAG, head)
    return bare


def _outside_root(tmp: Path, stack: OfflineStack, bare: Path) -> Workspace:
    root = tmp / "elsewhere" / "root"
    root.mkdir(parents=True)
    (root / "main.tf").write_text(ROOT.format(bare=bare, tag=TAG))
    watch = LeakWatch(tmp / "leakwatch")
    env = runner_env(stack, root / ".tfdata", **watch.env())
    return Workspace(root, stack, watch, TerraformRunner(root, env))


def test_a_root_outside_the_repository_applies_the_modules_from_a_tagged_git_ref(
    tmp_path: Path, clean_stack: OfflineStack
) -> None:
    bare = _tagged_bare_clone(tmp_path)
    ws = _outside_root(tmp_path, clean_stack, bare)
    single, single_material = material_file(tmp_path / "keys", "single.bin")
    rotating, rotating_material = material_file(tmp_path / "keys", "rotating.bin")
    ws.write_vars(
        single_material_source=f"file://{single}", rotating_material_source=f"file://{rotating}"
    )

    ws.apply()

    # Terraform fetched both modules from the tag (no relative path could have resolved).
    manifest = json.loads((ws.dir / ".tfdata" / "modules" / "modules.json").read_text())
    sources = {
        m["Key"]: m["Source"] for m in manifest["Modules"] if m["Key"] in ("single", "rotating")
    }
    assert sources == {
        name: f"git::file://{bare}//modules/{module}?ref={TAG}"
        for name, module in (("single", "external-key"), ("rotating", "rotating-key"))
    }
    out = ws.outputs()
    kms = ws.kms()
    for alias, key_id in (
        ("alias/from-git-single", out["single_key_id"]),
        ("alias/from-git-rotating", out["rotating_key_id"]),
    ):
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
        assert (key["KeyId"], key["KeyState"], key["Origin"]) == (key_id, "Enabled", "EXTERNAL")
        blob = kms.encrypt(KeyId=alias, Plaintext=b"sensitive data\n")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sensitive data\n"

    assert ws.plan_exitcode() == 0
    ws.assert_no_leak(single_material)
    ws.assert_no_leak(rotating_material)
