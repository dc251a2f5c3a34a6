"""A throwaway copy of a Terraform root wired to the offline stack, with the leak watch on.

    ws = Workspace.create(tmp_path, stack, root=REPO, modules=REPO / "modules")
    ws.write_vars(material_source=..., valid_to=...)
    ws.apply(); assert ws.plan_exitcode() == 0
    ws.assert_no_leak(material)

The root is copied (with modules/ beside it, so relative module sources resolve) so state,
lock files and data dirs never land in the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from leakwatch import LeakWatch
from offline.stack import OfflineStack

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TF_TIMEOUT_S = 300


def _clean_env() -> dict[str, str]:
    """The caller's environment without anything that could reach real AWS."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}


@dataclass
class Workspace:
    dir: Path
    stack: OfflineStack
    watch: LeakWatch
    plans: list[str]

    @classmethod
    def create(
        cls, tmp: Path, stack: OfflineStack, root: Path = REPO, modules: Path = REPO / "modules"
    ) -> Workspace:
        work = tmp / "work"
        work.mkdir(parents=True)
        shutil.copytree(modules, work / "modules")
        root_copy = work / "root"
        root_copy.mkdir()
        for tf in root.glob("*.tf"):
            shutil.copy(tf, root_copy / tf.name)
        if root == REPO:  # the repo root refers to ./modules
            (root_copy / "modules").symlink_to(work / "modules")
        return cls(root_copy, stack, LeakWatch(tmp / "leakwatch"), [])

    @property
    def env(self) -> dict[str, str]:
        env = _clean_env()
        env.update(self.stack.env())
        env.update(self.watch.env())
        env.update(
            PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            TF_DATA_DIR=str(self.dir / ".tfdata"),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
        )
        return env

    def write_vars(self, **variables: Any) -> None:
        clean = {k: v for k, v in variables.items() if v is not None}
        (self.dir / "terraform.tfvars.json").write_text(json.dumps(clean, indent=2))

    def tf(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(BIN / "terraform"), *args, "-no-color"],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TF_TIMEOUT_S,
        )
        self.watch.record_output(result.stdout, result.stderr)
        if check and result.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} exited {result.returncode}\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def init(self) -> None:
        if not (self.dir / ".tfdata").exists():
            self.tf("init", "-input=false")

    def apply(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Plan to a file (kept for the leak scan as JSON), then apply that plan."""
        self.init()
        plan = self.dir / f"plan-{len(self.plans)}.tfplan"
        planned = self.tf("plan", "-input=false", f"-out={plan}", *extra, check=check)
        if planned.returncode != 0:
            return planned
        self.plans.append(self.tf("show", "-json", str(plan)).stdout)
        return self.tf("apply", "-input=false", str(plan), check=check)

    def plan_exitcode(self, *extra: str) -> int:
        self.init()
        result = self.tf("plan", "-input=false", "-detailed-exitcode", *extra, check=False)
        if result.returncode == 1:
            raise AssertionError(f"plan failed\n{result.stdout}\n{result.stderr}")
        return result.returncode

    def destroy(self) -> None:
        self.tf("destroy", "-input=false", "-auto-approve")

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.tf("output", "-json").stdout)
        return {name: item["value"] for name, item in raw.items()}

    def state(self) -> dict[str, Any]:
        return json.loads(self.tf("show", "-json").stdout)

    def resources(self) -> dict[str, dict[str, Any]]:
        """Every resource in state by full address (modules included), read from show -json."""
        found: dict[str, dict[str, Any]] = {}
        stack = [self.state().get("values", {}).get("root_module", {})]
        while stack:
            module = stack.pop()
            found.update({r["address"]: r["values"] for r in module.get("resources", [])})
            stack.extend(module.get("child_modules", []))
        return found

    def state_key_id(self, address: str = "module.imported_key.aws_kms_external_key.this") -> str:
        return str(self.resources()[address]["id"])

    def kms(self, region: str = "us-east-1") -> Any:
        env = self.stack.env()
        return boto3.client(
            "kms",
            region_name=region,
            endpoint_url=env["AWS_ENDPOINT_URL"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )

    def assert_no_leak(self, material: bytes) -> None:
        self.watch.assert_clean(material, roots=[self.dir], plans=self.plans)


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
