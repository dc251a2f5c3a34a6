"""A throwaway copy of a Terraform root wired to the offline stack, with the leak watch on.

    ws = Workspace.create(tmp_path, offline_stack, root=REPO)
    ws.write_vars(material_source=..., valid_to=...)
    ws.apply(); assert ws.plan_exitcode() == 0
    ws.assert_no_leak(material)

The root is copied (with modules/ beside it, so relative module sources resolve) so state,
lock files and data dirs never land in the source tree. Terraform runs through the shared
`TerraformRunner` (tests/support/offline/fixtures.py); every plan is saved and kept as JSON
for the leak scan, and every output is recorded for it.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leakwatch import LeakWatch
from offline.fixtures import TerraformRunner, TfResult, runner_env
from offline.stack import OfflineStack

REPO = Path(__file__).resolve().parents[2]

# The providers block of the roots tests write: the offline stack's region, the constraints
# the modules ask for.
PROVIDERS = """
terraform {
  required_providers {
    aws      = { source = "hashicorp/aws", version = "~> 6.0" }
    external = { source = "hashicorp/external", version = ">= 2.3" }
  }
}

provider "aws" {
  region = "us-east-1"
}
"""
# The last commit whose modules made one module instance and import step per key (before
# modules/external-keys): upgrade tests apply roots with these, then swap in today's.
PREVIOUS_MODULES = "cb3997a"


def previous_tree(dest: Path, *paths: str, commit: str = PREVIOUS_MODULES) -> Path:
    """`paths` (e.g. "modules", "main.tf") as they were at `commit`, extracted from the
    repository's history into dest (needs a clone with history, as `make test` has)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit, *paths],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


@dataclass
class Workspace:
    dir: Path
    stack: OfflineStack
    watch: LeakWatch
    runner: TerraformRunner
    plans: list[str] = field(default_factory=list)
    initialised: bool = False

    @classmethod
    def create(cls, tmp: Path, stack: OfflineStack, root: Path = REPO) -> Workspace:
        work = tmp / "work"
        work.mkdir(parents=True)
        shutil.copytree(REPO / "modules", work / "modules")
        # An example keeps its place relative to modules/ (examples/NAME refers to
        # ../../modules); every other root becomes work/root.
        example = root.resolve().parent == REPO / "examples"
        root_copy = work / "examples" / root.name if example else work / "root"
        root_copy.mkdir(parents=True)
        for tf in root.glob("*.tf"):
            shutil.copy(tf, root_copy / tf.name)
        # The repo root refers to ./modules, other roots to ../modules: both resolve.
        (root_copy / "modules").symlink_to(work / "modules")
        watch = LeakWatch(tmp / "leakwatch")
        env = runner_env(stack, root_copy / ".tfdata", **watch.env())
        return cls(root_copy, stack, watch, TerraformRunner(root_copy, env))

    def use_modules(self, modules: Path) -> None:
        """Replace the copy of modules/ with `modules` (e.g. an earlier version's)."""
        shutil.rmtree(self.dir.parent / "modules")
        shutil.copytree(modules, self.dir.parent / "modules")
        if self.initialised:  # new local module calls need installing; a re-init with state
            self.tf("get")  # would ask the registry for the state's providers (see Makefile)

    def write_vars(self, **variables: Any) -> None:
        clean = {k: v for k, v in variables.items() if v is not None}
        (self.dir / "terraform.tfvars.json").write_text(json.dumps(clean, indent=2))

    def vars(self) -> dict[str, Any]:
        """The variables last written with write_vars."""
        return dict(json.loads((self.dir / "terraform.tfvars.json").read_text()))

    def write_generations(self, active: str = "g1", **generations: dict[str, Any]) -> None:
        """The root's tfvars: generations by name (None-valued options left out)."""
        gens = {
            name: {k: v for k, v in options.items() if v is not None}
            for name, options in generations.items()
        }
        self.write_vars(generations=gens, active_generation=active)

    def tf(self, *args: str, check: bool = True) -> TfResult:
        result = self.runner.run(*args, check=check)
        self.watch.record_output(result.stdout, result.stderr)
        return result

    def make(self, verb: str, check: bool = True, **variables: str) -> TfResult:
        """Run a Makefile verb on this root copy, as a user would (`make -C root VERB`)."""
        env = {k: v for k, v in self.runner.env.items() if k != "KMS_IMPORT_OFFLINE_DIR"}
        argv = ["make", "-s", "-f", str(REPO / "Makefile"), "-C", str(self.dir), verb]
        argv += [f"{name}={value}" for name, value in variables.items()]
        proc = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
        )
        result = TfResult(proc.returncode, proc.stdout, proc.stderr)
        self.watch.record_output(result.stdout, result.stderr)
        if check and result.code != 0:
            raise AssertionError(
                f"make {verb} exited {result.code}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            )
        self.initialised = True
        return result

    def kms_import(self, *args: str) -> None:
        """Run the helper with this workspace's environment (e.g. to write tfvars)."""
        proc = subprocess.run(
            [str(REPO / ".venv" / "bin" / "kms-import"), *args],
            env=self.runner.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr

    def apply_generated_g1(self, escrow: Path, **g1: Any) -> None:
        """An HCL terraform.tfvars with generation g1 (material generated into `escrow`, a
        folder), applied with `make apply`. g1's options: tfvars add-generation flags."""
        source = f"generate:g1?escrow=file://{escrow}"
        args = ["add-generation", "g1", "--create", "--activate", "--material-source", source]
        for name, value in g1.items():
            args += [f"--{name.replace('_', '-')}", str(value)]
        self.kms_import("tfvars", "--file", str(self.dir / "terraform.tfvars"), *args)
        self.make("apply", AUTO_APPROVE="1", ESCROW=str(escrow))

    def init(self) -> None:
        if not self.initialised:
            self.tf("init", "-input=false")
            self.initialised = True

    def apply(self, *extra: str, check: bool = True) -> TfResult:
        """Plan to a file (kept for the leak scan as JSON), then apply that plan."""
        self.init()
        plan = self.dir / f"plan-{len(self.plans)}.tfplan"
        planned = self.tf("plan", "-input=false", f"-out={plan}", *extra, check=check)
        if planned.code != 0:
            return planned
        self.plans.append(self.tf("show", "-json", str(plan)).stdout)
        return self.tf("apply", "-input=false", str(plan), check=check)

    def plan_exitcode(self, *extra: str) -> int:
        self.init()
        result = self.tf("plan", "-input=false", "-detailed-exitcode", *extra, check=False)
        if result.code == 1:
            raise AssertionError(f"plan failed\n{result.stdout}\n{result.stderr}")
        return result.code

    def destroy(self) -> None:
        self.tf("destroy", "-input=false", "-auto-approve")

    def outputs(self) -> dict[str, Any]:
        return dict(self.runner.output())

    def state_key_id(self, generation: str = "g1") -> str:
        return str(self.runner.resources()[key_address(generation)]["id"])

    def kms(self, region: str = "us-east-1") -> Any:
        return self.client("kms", region)

    def client(self, service: str, region: str = "us-east-1") -> Any:
        """A boto3 client on the local AWS (e.g. to put secrets a root's sources name)."""
        return self.stack.client(service, region)

    def assert_no_leak(self, material: bytes) -> None:
        self.watch.assert_clean(material, roots=[self.dir], plans=self.plans)


def in_days(days: float) -> str:
    """A valid_to `days` from now, as the modules take it (RFC 3339, UTC, whole seconds)."""
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_address(generation: str) -> str:
    """The repo root's state address of a generation's key."""
    return f'module.key.module.generations.module.key["{generation}"].aws_kms_external_key.this'


def material_file(
    directory: Path, name: str = "material.bin", size: int = 32
) -> tuple[Path, bytes]:
    """Fresh random material in a 0600 file; returns (path, bytes) for the leak scan."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    material = os.urandom(size)
    path = directory / name
    path.write_bytes(material)
    path.chmod(0o600)
    return path, material
