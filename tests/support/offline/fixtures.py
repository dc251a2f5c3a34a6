"""Shared pytest fixtures: an isolated offline stack per worker and a Terraform runner.

Registered for the whole suite by `tests/conftest.py` (`pytest_plugins = ["offline.fixtures"]`).

Fixtures
    offline_stack (session)   OfflineStack(tmp).up(persist=False): one local AWS per xdist
                              worker, its CLI config selecting the provider stand-ins; torn
                              down at session end.
    tf (function)             a factory: `tf(root_dir, **extra_env) -> TerraformRunner`, with
                              the stack's env, TF_IN_AUTOMATION=1 and a per-test TF_DATA_DIR.

TerraformRunner(root: Path, env: dict[str, str])
    .run(*args, check=False) -> TfResult(code, stdout, stderr)   any subcommand, -no-color
    .init()                     init -input=false (checked)
    .plan(*extra, detailed=True) -> TfResult   plan -input=false [-detailed-exitcode]
    .apply(*extra, vars=None)   apply -input=false -auto-approve [-var k=v ...] (checked)
    .destroy(*extra, vars=None) destroy -input=false -auto-approve (checked)
    .show_json() -> dict        `show -json` of the current state
    .state_json() -> dict       the raw state (`state pull`)
    .resources() -> dict        address -> values, from show_json, modules included
    .output(name=None)          `output -json` values (one, or all as a dict)
`check=True` raises TerraformFailed with the command's output; TfResult unpacks as
(code, stdout, stderr). The binary is `<venv>/bin/terraform` (never the one on PATH).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from offline.stack import OfflineStack

BIN = Path(sys.executable).parent
TERRAFORM = BIN / "terraform"
TF_TIMEOUT_S = 300


class TfResult(NamedTuple):
    code: int
    stdout: str
    stderr: str


class TerraformFailed(AssertionError):
    """A checked Terraform command exited non-zero; the message carries its output."""


def clean_env() -> dict[str, str]:
    """This process's environment without anything that could steer at real AWS."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}


@dataclass
class TerraformRunner:
    root: Path
    env: dict[str, str]
    history: list[list[str]] = field(default_factory=list)

    def run(self, *args: str, check: bool = False, timeout: float = TF_TIMEOUT_S) -> TfResult:
        argv = [str(TERRAFORM), *args]
        if "-no-color" not in args and args and args[0] not in ("fmt", "version"):
            argv.append("-no-color")
        self.history.append(argv[1:])
        proc = subprocess.run(
            argv, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        result = TfResult(proc.returncode, proc.stdout, proc.stderr)
        if check and result.code != 0:
            raise TerraformFailed(
                f"terraform {' '.join(args)} exited {result.code}\n"
                f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
            )
        return result

    def init(self, *extra: str) -> TfResult:
        return self.run("init", "-input=false", *extra, check=True)

    def plan(self, *extra: str, detailed: bool = True, check: bool = False) -> TfResult:
        args = ["plan", "-input=false", *(["-detailed-exitcode"] if detailed else []), *extra]
        result = self.run(*args)
        if check and result.code not in (0, 2):
            raise TerraformFailed(f"plan exited {result.code}\n{result.stdout}\n{result.stderr}")
        return result

    def apply(
        self, *extra: str, vars: dict[str, Any] | None = None, check: bool = True
    ) -> TfResult:
        return self.run(
            "apply", "-input=false", "-auto-approve", *_var_args(vars), *extra, check=check
        )

    def destroy(
        self, *extra: str, vars: dict[str, Any] | None = None, check: bool = True
    ) -> TfResult:
        return self.run(
            "destroy", "-input=false", "-auto-approve", *_var_args(vars), *extra, check=check
        )

    def show_json(self, plan_file: str | None = None) -> dict[str, Any]:
        args = ["show", "-json", *([plan_file] if plan_file else [])]
        return dict(json.loads(self.run(*args, check=True).stdout))

    def state_json(self) -> dict[str, Any]:
        return dict(json.loads(self.run("state", "pull", check=True).stdout or "{}"))

    def resources(self) -> dict[str, dict[str, Any]]:
        """Every managed resource in state by address (modules included) -> its values."""
        out: dict[str, dict[str, Any]] = {}

        def walk(module: dict[str, Any]) -> None:
            for res in module.get("resources", []):
                if res.get("mode") == "managed":
                    out[res["address"]] = res["values"]
            for child in module.get("child_modules", []):
                walk(child)

        walk(self.show_json().get("values", {}).get("root_module", {}))
        return out

    def output(self, name: str | None = None) -> Any:
        raw = json.loads(self.run("output", "-json", check=True).stdout)
        values = {k: v["value"] for k, v in raw.items()}
        return values if name is None else values[name]


def _var_args(variables: dict[str, Any] | None) -> list[str]:
    args = []
    for name, value in (variables or {}).items():
        text = value if isinstance(value, str) else json.dumps(value)
        args.append(f"-var={name}={text}")
    return args


def runner_env(stack: OfflineStack, data_dir: Path, **extra: str) -> dict[str, str]:
    env = clean_env()
    env.update(stack.env())
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        TF_DATA_DIR=str(data_dir),
    )
    # Run the same tests with the real providers from a filesystem mirror (tests/terraform/README).
    real = os.environ.get("TF_REAL_CLI_CONFIG")
    if real:
        env["TF_CLI_CONFIG_FILE"] = real
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def offline_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflineStack]:
    with OfflineStack(tmp_path_factory.mktemp("offline-stack")).serving() as stack:
        yield stack


@pytest.fixture
def tf(offline_stack: OfflineStack, tmp_path: Path) -> Callable[..., TerraformRunner]:
    """`tf(root, **env) -> TerraformRunner`; each call gets its own TF_DATA_DIR."""
    count = 0

    def make(root: Path, **extra_env: str) -> TerraformRunner:
        nonlocal count
        count += 1
        data_dir = tmp_path / f"tfdata-{count}"
        return TerraformRunner(Path(root), runner_env(offline_stack, data_dir, **extra_env))

    return make
