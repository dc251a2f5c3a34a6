"""Section 2: N keys through Terraform, modules/external-keys vs the provider's own import.

`module`: one modules/external-keys instance whose `keys` map holds the N keys (file://
sources, an alias each, each material's fingerprint recorded as `kms-import tfvars` records
it), so plan reads no material and apply runs one import step for the whole map.
`module, unrecorded`: the same keys without recorded fingerprints: plan runs the helper once to
read every source. `provider`: the same N keys as aws_kms_external_key with
key_material_base64, which the provider imports in process (and which puts the material in
state; the bench roots live in a temp dir and are deleted). The module roots ask for the
provider's RSA_2048 wrapping key (not the module's RSA_3072 default): the local KMS generates a
wrapping key pair per GetParametersForImport on the same 2 cores, and RSA-3072 key generation
costs twice RSA-2048's, which would bill the local server's work to the module.

The module's helper_command is a counting wrapper (bench/counting.py), so the helper
processes each plan and apply starts are counted, not inferred. Every trial starts from an
empty state and an emptied local AWS; the contenders of one N run interleaved.
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

from .counting import HelperLog, HelperRun, describe, still_running, write_wrapper
from .harness import Samples, interleave, ratio, table
from .localstack import BIN, Local

MODULE_DIR = Path(__file__).resolve().parent.parent / "modules" / "external-keys"
HELPER = str(BIN / "kms-import")

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
variable "keys" {
  description = "Key name -> its material source and, when recorded, its fingerprint."
  type = map(object({
    material_source      = string
    material_fingerprint = optional(string)
  }))
}

variable "helper_command" {
  description = "The bench's counting wrapper around kms-import."
  type        = string
}

module "keys" {
  source = "%s"

  helper_command = var.helper_command
  keys = {
    for name, key in var.keys : name => {
      material_source         = key.material_source
      material_fingerprint    = key.material_fingerprint
      wrapping_key_spec       = "RSA_2048"
      alias_name              = "alias/bench-${name}"
      deletion_window_in_days = 7
    }
  }
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
UNRECORDED = "module, unrecorded"
PROVIDER = "provider"
KINDS = (MODULE, UNRECORDED, PROVIDER)


@dataclass(frozen=True)
class Scale:
    keys: int
    rounds: int


def module_tfvars(
    sources: dict[str, str], fingerprints: dict[str, str] | None, helper_command: str
) -> dict[str, object]:
    """The module root's variables: fingerprints=None leaves them unrecorded."""
    keys: dict[str, dict[str, str]] = {}
    for name, source in sources.items():
        keys[name] = {"material_source": source}
        if fingerprints is not None:
            keys[name]["material_fingerprint"] = fingerprints[name]
    return {"keys": keys, "helper_command": helper_command}


def write_roots(base: Path, keys: int, kinds: tuple[str, ...] = KINDS) -> dict[str, Path]:
    """One root per kind for `keys` keys, with their tfvars (and, for the module roots, a
    counting wrapper and its log); materials are fresh random bytes."""
    from kms_import.fingerprint import fingerprint_of

    materials = {f"k{i:03d}": secrets.token_bytes(32) for i in range(keys)}
    secret_dir = base / f"material-{keys}"
    secret_dir.mkdir(parents=True, mode=0o700)
    sources = {}
    for name, raw in materials.items():
        path = secret_dir / f"{name}.bin"
        path.touch(mode=0o600)
        path.write_bytes(raw)
        sources[name] = f"file://{path}"
    fingerprints = {name: fingerprint_of(source) for name, source in sources.items()}
    roots = {}
    for kind in kinds:
        root = base / f"{kind.replace(', ', '-')}-{keys}"
        root.mkdir(mode=0o700)
        roots[kind] = root
        if kind == PROVIDER:
            (root / "main.tf").write_text(PROVIDERS + PROVIDER_ROOT)
            encoded = {name: base64.b64encode(raw).decode() for name, raw in materials.items()}
            (root / "terraform.tfvars.json").write_text(json.dumps({"materials": encoded}))
            continue
        wrapper = write_wrapper(root / "count-kms-import", helper_log(root).path, HELPER)
        recorded = fingerprints if kind == MODULE else None
        tfvars = module_tfvars(sources, recorded, str(wrapper))
        (root / "main.tf").write_text(PROVIDERS + MODULE_ROOT % MODULE_DIR)
        (root / "terraform.tfvars.json").write_text(json.dumps(tfvars))
    return roots


def helper_log(root: Path) -> HelperLog:
    return HelperLog(root / "helper-runs.log")


@dataclass(frozen=True)
class Counted:
    """Helper processes one trial started, per Terraform command."""

    plan: list[HelperRun]
    apply: list[HelperRun]
    replan: list[HelperRun]
    alive_after_apply: list[int]


@dataclass
class RootResults:
    plan: Samples = field(default_factory=Samples)
    apply: Samples = field(default_factory=Samples)
    replan: Samples = field(default_factory=Samples)
    apply_calls: dict[str, int] = field(default_factory=dict)  # KMS calls in one apply
    helpers: dict[str, list[Counted]] = field(default_factory=dict)  # module kinds only
    scales: list[Scale] = field(default_factory=list)
    kinds: tuple[str, ...] = KINDS


def label(kind: str, keys: int) -> str:
    return f"{kind} N={keys}"


def run_roots(
    local: Local, work: Path, scales: list[Scale], parallelism: int, kinds: tuple[str, ...]
) -> RootResults:
    results = RootResults(scales=scales, kinds=kinds)
    for scale in scales:
        roots = write_roots(work, scale.keys, kinds)
        trials = {}
        for kind, root in roots.items():
            runner = TerraformRunner(root, runner_env(local.stack, root / ".terraform-data"))
            runner.init()
            log = None if kind == PROVIDER else helper_log(root)
            name = label(kind, scale.keys)
            trials[name] = _trial(local, runner, log, results, name, parallelism)
        interleave(trials, scale.rounds)
    return results


def _trial(
    local: Local,
    runner: TerraformRunner,
    log: HelperLog | None,
    results: RootResults,
    name: str,
    p: int,
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

    def taken() -> list[HelperRun]:
        return log.take() if log else []

    def trial() -> float:
        (runner.root / "terraform.tfstate").unlink(missing_ok=True)
        local.stack.reset()
        taken()
        results.plan.add(name, timed("plan", "-input=false", par, "-detailed-exitcode", ok=(2,)))
        plan_runs = taken()
        local.clear_calls()
        apply = timed("apply", "-input=false", "-auto-approve", par)
        apply_runs = taken()
        alive = still_running(apply_runs)
        results.apply.add(name, apply)
        results.apply_calls[name] = sum(1 for c in local.calls() if c.get("service") == "kms")
        results.replan.add(name, timed("plan", "-input=false", par, "-detailed-exitcode"))
        if log:
            counted = Counted(plan_runs, apply_runs, taken(), alive)
            results.helpers.setdefault(name, []).append(counted)
        return apply

    return trial


def counts(trials: list[Counted] | None, step: str) -> str:
    """A step's helper count over the rounds: one value when every round agrees (it should),
    else each round's, so a difference shows; '-' for a root without a helper."""
    if not trials:
        return "-"
    if step == "alive":
        seen = [str(len(t.alive_after_apply)) for t in trials]
    else:
        seen = [describe(getattr(t, step)) for t in trials]
    return seen[0] if len(set(seen)) == 1 else " / ".join(seen)


def roots_table(results: RootResults) -> str:
    rows = []
    for scale in results.scales:
        prov = label(PROVIDER, scale.keys)
        for kind in results.kinds:
            name = label(kind, scale.keys)
            helpers = results.helpers.get(name)
            rows.append(
                [
                    kind,
                    scale.keys,
                    len(results.apply.seconds[name]),
                    results.plan.median(name),
                    results.apply.median(name),
                    results.replan.median(name),
                    counts(helpers, "plan"),
                    counts(helpers, "apply"),
                    counts(helpers, "replan"),
                    counts(helpers, "alive"),
                    f"{results.apply_calls[name] / scale.keys:.1f}",
                    _vs(results.plan, name, prov),
                    _vs(results.apply, name, prov),
                ]
            )
    return table(
        [
            "root",
            "N",
            "rounds",
            "plan s",
            "apply s",
            "re-plan s",
            "helpers: plan",
            "helpers: apply",
            "helpers: re-plan",
            "helpers alive after apply",
            "KMS calls/key (apply)",
            "plan vs provider",
            "apply vs provider",
        ],
        rows,
    )


def ratios_table(results: RootResults) -> str:
    """Per N, each module root's plan and apply against the provider's, side by side."""
    modules = [k for k in results.kinds if k != PROVIDER]
    rows = []
    for scale in results.scales:
        prov = label(PROVIDER, scale.keys)
        row: list[object] = [scale.keys, results.plan.median(prov), results.apply.median(prov)]
        for kind in modules:
            name = label(kind, scale.keys)
            row += [results.apply.median(name), _vs(results.apply, name, prov)]
            row.append(_vs(results.plan, name, prov))
        rows.append(row)
    header = ["N", "provider plan s", "provider apply s"]
    for kind in modules:
        header += [f"{kind} apply s", f"{kind} apply ratio", f"{kind} plan ratio"]
    return table(header, rows)


def apply_ratio(results: RootResults, kind: str, keys: int) -> float:
    return ratio(
        results.apply.median(label(kind, keys)), results.apply.median(label(PROVIDER, keys))
    )


def most_helpers_per_apply(results: RootResults, kind: str, at_least: int) -> int | None:
    """The most helper processes any apply of `kind` started, over roots of >= at_least keys."""
    seen = [
        len(t.apply)
        for scale in results.scales
        if scale.keys >= at_least
        for t in results.helpers.get(label(kind, scale.keys), [])
    ]
    return max(seen) if seen else None


def helpers_left_running(results: RootResults) -> int:
    return sum(len(t.alive_after_apply) for trials in results.helpers.values() for t in trials)


def _vs(samples: Samples, name: str, provider: str) -> str:
    return f"{ratio(samples.median(name), samples.median(provider)):.2f}x"
