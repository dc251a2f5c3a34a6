"""Section 2: N-key roots through Terraform, this module vs the provider's own import.

`module`: N instances of modules/external-key with file:// sources (the fingerprint data
source runs the helper at plan time; the import step runs it once per key at apply).
`provider`: the same N keys as aws_kms_external_key with key_material_base64, which the
provider imports in process (and which puts the material in state; the bench roots live in a
temp dir and are deleted). Both roots give each key an alias. The module root asks for the
provider's RSA_2048 wrapping key (not the module's RSA_3072 default): the local KMS generates a
wrapping key pair per GetParametersForImport on the same 2 cores, and RSA-3072 key generation
costs twice RSA-2048's, which would bill the local server's work to the module. Every trial
starts from an empty state and an emptied local AWS.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from offline.fixtures import TerraformRunner, runner_env

from .harness import Samples, interleave, ratio, table
from .localstack import Local

MODULE_DIR = Path(__file__).resolve().parent.parent / "modules" / "external-key"

PROVIDERS = """terraform {
  required_providers {
    aws      = { source = "hashicorp/aws", version = "~> 6.0" }
    external = { source = "hashicorp/external", version = "~> 2.3" }
  }
}

provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = "true"
}
"""

MODULE_ROOT = """
variable "sources" { type = map(string) }

module "key" {
  source   = "%s"
  for_each = var.sources

  material_source         = each.value
  wrapping_key_spec       = "RSA_2048"
  alias_name              = "alias/bench-${each.key}"
  deletion_window_in_days = 7
}
"""

PROVIDER_ROOT = """
variable "materials" {
  type      = map(string)
  sensitive = true
}

locals {
  names = nonsensitive(toset(keys(var.materials)))
}

resource "aws_kms_external_key" "key" {
  for_each = local.names

  key_material_base64     = var.materials[each.key]
  deletion_window_in_days = 7
}

resource "aws_kms_alias" "key" {
  for_each = local.names

  name          = "alias/bench-${each.key}"
  target_key_id = aws_kms_external_key.key[each.key].id
}
"""

MODULE = "module"
PROVIDER = "provider"


@dataclass(frozen=True)
class Scale:
    keys: int
    parallelism: tuple[int, ...]
    rounds: int


def write_roots(base: Path, keys: int) -> dict[str, Path]:
    """Both roots for `keys` keys, with their tfvars; materials are fresh random bytes."""
    materials = {f"k{i:02d}": secrets.token_bytes(32) for i in range(keys)}
    module_root = base / f"module-{keys}"
    provider_root = base / f"provider-{keys}"
    secret_dir = base / f"material-{keys}"
    for path in (module_root, provider_root, secret_dir):
        path.mkdir(parents=True, mode=0o700)
    sources = {}
    for name, raw in materials.items():
        path = secret_dir / f"{name}.bin"
        path.touch(mode=0o600)
        path.write_bytes(raw)
        sources[name] = f"file://{path}"
    (module_root / "main.tf").write_text(PROVIDERS + MODULE_ROOT % MODULE_DIR)
    (module_root / "terraform.tfvars.json").write_text(json.dumps({"sources": sources}))
    (provider_root / "main.tf").write_text(PROVIDERS + PROVIDER_ROOT)
    encoded = {name: base64.b64encode(raw).decode() for name, raw in materials.items()}
    (provider_root / "terraform.tfvars.json").write_text(json.dumps({"materials": encoded}))
    return {MODULE: module_root, PROVIDER: provider_root}


@dataclass
class RootResults:
    plan: Samples = field(default_factory=Samples)
    apply: Samples = field(default_factory=Samples)
    replan: Samples = field(default_factory=Samples)
    apply_calls: dict[str, int] = field(default_factory=dict)  # KMS calls in one apply
    scales: list[Scale] = field(default_factory=list)


def label(kind: str, keys: int, parallelism: int) -> str:
    return f"{kind} N={keys} p={parallelism}"


def kinds(scale: Scale, p: int) -> tuple[str, ...]:
    return (MODULE, PROVIDER)


def run_roots(local: Local, work: Path, scales: list[Scale]) -> RootResults:
    results = RootResults(scales=scales)
    for scale in scales:
        roots = write_roots(work, scale.keys)
        runners = {
            kind: TerraformRunner(root, runner_env(local.stack, root / ".terraform-data"))
            for kind, root in roots.items()
        }
        for runner in runners.values():
            runner.init()
        trials = {}
        for p in scale.parallelism:
            for kind in kinds(scale, p):
                name = label(kind, scale.keys, p)
                trials[name] = _trial(local, runners[kind], results, name, p)
        interleave(trials, scale.rounds)
    return results


def _trial(
    local: Local, runner: TerraformRunner, results: RootResults, name: str, p: int
) -> Callable[[], float]:
    par = f"-parallelism={p}"

    def timed(*args: str, ok: tuple[int, ...] = (0,)) -> float:
        start = time.perf_counter()
        code, out, err = runner.run(*args)
        seconds = time.perf_counter() - start
        if code not in ok:
            tail = f"{out[-3000:]}\n{err[-3000:]}"
            raise RuntimeError(f"{name}: terraform {args[0]} exited {code}\n{tail}")
        return seconds

    def trial() -> float:
        (runner.root / "terraform.tfstate").unlink(missing_ok=True)
        local.stack.reset()
        results.plan.add(name, timed("plan", "-input=false", par, "-detailed-exitcode", ok=(2,)))
        local.clear_calls()
        apply = timed("apply", "-input=false", "-auto-approve", par)
        results.apply.add(name, apply)
        results.apply_calls[name] = sum(1 for c in local.calls() if c.get("service") == "kms")
        results.replan.add(name, timed("plan", "-input=false", par, "-detailed-exitcode"))
        return apply

    return trial


def roots_table(results: RootResults) -> str:
    rows = []
    for scale in results.scales:
        for p in scale.parallelism:
            prov = label(PROVIDER, scale.keys, p)
            for kind in kinds(scale, p):
                name = label(kind, scale.keys, p)
                rows.append(
                    [
                        f"{kind}",
                        scale.keys,
                        p,
                        len(results.apply.seconds[name]),
                        results.plan.median(name),
                        results.apply.median(name),
                        results.replan.median(name),
                        f"{results.apply.median(name) / scale.keys:.3f}",
                        f"{results.apply_calls[name] / scale.keys:.1f}",
                        f"{ratio(results.apply.median(name), results.apply.median(prov)):.2f}x",
                    ]
                )
    return table(
        [
            "root",
            "N",
            "-parallelism",
            "rounds",
            "plan s",
            "apply s",
            "re-plan s",
            "apply s/key",
            "KMS calls/key (apply)",
            "apply vs provider",
        ],
        rows,
    )
