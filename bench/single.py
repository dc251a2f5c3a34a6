"""Sections 1, 3 and 4: one key's import + encrypt test, calls per import, cold start/memory."""

from __future__ import annotations

import functools
import json
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .harness import ChildRun, Samples, Trial, interleave, ratio, run_child, table
from .localstack import BIN, Local

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
HELPER = str(BIN / "kms-import")

# The seed's README flow as written, with wrapKey.sh in its usual form (kms-facts.md, step 3):
# decode import.txt with jq + base64, `openssl rand` the material, OAEP-SHA256 wrap it.
SEED_FLOW = r"""set -euo pipefail
KEY_ID=$1
ALIAS=$2
mkdir work
aws kms get-parameters-for-import \
    --key-id "$KEY_ID" \
    --wrapping-algorithm RSAES_OAEP_SHA_256 \
    --wrapping-key-spec RSA_3072 \
    > ./work/import.txt
# wrapKey.sh
jq -r .PublicKey work/import.txt | base64 -d > work/PublicKey.bin
jq -r .ImportToken work/import.txt | base64 -d > work/ImportToken.bin
openssl rand -out work/PlaintextKeyMaterial.bin 32
openssl pkeyutl -encrypt -in work/PlaintextKeyMaterial.bin -out work/EncryptedKeyMaterial.bin \
    -inkey work/PublicKey.bin -keyform DER -pubin -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
# end of wrapKey.sh
aws kms import-key-material --key-id "$KEY_ID" \
    --encrypted-key-material fileb://work/EncryptedKeyMaterial.bin \
    --import-token fileb://work/ImportToken.bin \
    --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE
aws kms encrypt \
    --key-id "$ALIAS" \
    --plaintext c2Vuc2l0aXZlIGRhdGEK \
    --output text \
    --query CiphertextBlob | base64 \
    --decode > ./work/ExampleEncryptedFile
"""

SEED = "seed flow (aws CLI + openssl)"
HELPER_IMPORT = "kms-import import"
FLOOR = "boto3 floor (1 process)"


@dataclass
class Fixture:
    """Fresh PendingImport keys (and the seed's alias) made outside the timed part."""

    local: Local
    work: Path
    kms: Any = None
    count: int = 0

    def key(self) -> tuple[str, str]:
        self.kms = self.kms or self.local.kms()
        meta = self.kms.create_key(Origin="EXTERNAL", Description="External key")["KeyMetadata"]
        self.count += 1
        alias = f"alias/MyImportedKey-{secrets.token_hex(4)}"
        self.kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
        return meta["Arn"], alias

    def material_file(self) -> Path:
        path = self.work / f"material-{self.count}.bin"
        path.touch(mode=0o600)
        path.write_bytes(secrets.token_bytes(32))
        return path

    def fresh_dir(self, name: str) -> Path:
        path = self.work / f"{name}-{self.count}"
        path.mkdir(mode=0o700)
        return path


def _seed(fx: Fixture, key: str, alias: str) -> ChildRun:
    cwd = fx.fresh_dir("seed")
    (cwd / "seed.sh").write_text(SEED_FLOW)
    return run_child(["bash", "seed.sh", key, alias], fx.local.env, cwd)


def _helper(fx: Fixture, key: str, alias: str) -> ChildRun:
    source = f"file://{fx.material_file()}"
    return run_child([HELPER, "import", "--key-id", key, "--source", source], fx.local.env)


def _floor(fx: Fixture, key: str, alias: str) -> ChildRun:
    return run_child([PYTHON, str(HERE / "floor.py"), key], fx.local.env)


@dataclass
class SingleKey:
    samples: Samples
    helper_rss_kib: list[int] = field(default_factory=list)


def single_key(local: Local, work: Path, rounds: int) -> SingleKey:
    fx = Fixture(local, work)
    result = SingleKey(Samples())

    def helper() -> float:
        run = _helper(fx, *fx.key())
        result.helper_rss_kib.append(run.maxrss_kib)
        return run.seconds

    trials: dict[str, Trial] = {
        SEED: lambda: _seed(fx, *fx.key()).seconds,
        HELPER_IMPORT: helper,
        FLOOR: lambda: _floor(fx, *fx.key()).seconds,
    }
    interleave(trials, rounds, result.samples)
    return result


def single_key_table(result: SingleKey) -> str:
    s = result.samples
    floor = s.median(FLOOR)
    seed = s.median(SEED)
    rows = []
    for name in (SEED, HELPER_IMPORT, FLOOR):
        low, high = s.spread(name)
        rows.append(
            [
                name,
                s.median(name),
                f"{low:.2f}-{high:.2f}",
                f"{ratio(seed, s.median(name)):.2f}x",
                f"{ratio(s.median(name), floor):.2f}x",
            ]
        )
    return table(
        ["one key: import + encrypt test", "median s", "min-max s", "seed / this", "this / floor"],
        rows,
    )


# Section 3 ------------------------------------------------------------------------------

MINIMUM = ("GetParametersForImport", "ImportKeyMaterial")
PROOF = ("Encrypt", "Decrypt", "GenerateMac", "VerifyMac", "GetPublicKey", "Sign", "Verify")
STATE = ("EnableKey", "DisableKey")


def classify(actions: Sequence[str]) -> dict[str, list[str]]:
    """Sort one import's KMS calls: the minimum, checks before it, waits after
    ImportKeyMaterial (DescribeKey/ListResourceTags), verification, and state changes."""
    kinds: dict[str, list[str]] = {k: [] for k in ("minimum", "checks", "wait", "verify", "state")}
    imported = False
    for action in actions:
        if action in MINIMUM:
            kinds["minimum"].append(action)
            imported = imported or action == "ImportKeyMaterial"
        elif action in PROOF:
            kinds["verify"].append(action)
        elif action in STATE:
            kinds["state"].append(action)
        else:
            kinds["wait" if imported else "checks"].append(action)
    return kinds


def _kms_actions(local: Local) -> list[str]:
    return [c["action"] for c in local.calls() if c.get("service") == "kms"]


def calls_per_import(local: Local, work: Path) -> dict[str, dict[str, list[str]]]:
    """KMS calls one import makes, counted at the local KMS, per way of importing."""
    fx = Fixture(local, work / "calls")
    fx.work.mkdir()
    found: dict[str, dict[str, list[str]]] = {}
    for name, run in ((SEED, _seed), (HELPER_IMPORT, _helper), (FLOOR, _floor)):
        key, alias = fx.key()
        local.clear_calls()
        run(fx, key, alias)
        found[name] = classify(_kms_actions(local))
    # The same helper command again on a key that already holds the material (a re-apply).
    key, _ = fx.key()
    source = f"file://{fx.material_file()}"
    run_child([HELPER, "import", "--key-id", key, "--source", source], local.env)
    local.clear_calls()
    run_child([HELPER, "import", "--key-id", key, "--source", source], local.env)
    found[f"{HELPER_IMPORT} (re-run, holds material)"] = classify(_kms_actions(local))
    return found


def calls_table(found: dict[str, dict[str, list[str]]]) -> str:
    rows = []
    for name, kinds in found.items():
        total = sum(len(v) for v in kinds.values())
        beyond = total - len(kinds["minimum"])
        rows.append(
            [
                name,
                total,
                " + ".join(kinds["minimum"]) or "-",
                _counted(kinds["checks"]),
                _counted(kinds["wait"]),
                _counted(kinds["verify"]),
                _counted(kinds["state"]),
                beyond,
                beyond - len(kinds["verify"]),
            ]
        )
    return table(
        [
            "KMS calls per import",
            "total",
            "minimum",
            "checks before",
            "wait after",
            "verification",
            "state",
            "beyond min",
            "beyond min w/o verification",
        ],
        rows,
    )


def _counted(actions: list[str]) -> str:
    if not actions:
        return "0"
    names: dict[str, int] = {}
    for a in actions:
        names[a] = names.get(a, 0) + 1
    listed = ", ".join(f"{n}x{c}" if c > 1 else n for n, c in names.items())
    return f"{len(actions)} ({listed})"


# Section 4 ------------------------------------------------------------------------------


@dataclass
class ColdStart:
    samples: Samples
    rss_kib: dict[str, list[int]] = field(default_factory=dict)


def cold_start(local: Local, work: Path, rounds: int) -> ColdStart:
    material = work / "cold-material.bin"
    material.touch(mode=0o600)
    material.write_bytes(secrets.token_bytes(32))
    fingerprint = [HELPER, "fingerprint", "--source", f"file://{material}"]
    commands = {
        "python -c pass": [PYTHON, "-c", "pass"],
        'python -c "import boto3"': [PYTHON, "-c", "import boto3"],
        "python: import boto3 + kms client": [PYTHON, "-c", "import boto3; boto3.client('kms')"],
        "kms-import --version": [HELPER, "--version"],
        "kms-import fingerprint": fingerprint,
    }
    result = ColdStart(Samples())

    def trial(name: str) -> float:
        run = run_child(commands[name], local.env)
        result.rss_kib.setdefault(name, []).append(run.maxrss_kib)
        return run.seconds

    trials: dict[str, Trial] = {name: functools.partial(trial, name) for name in commands}
    interleave(trials, rounds, result.samples)
    return result


def cold_start_table(result: ColdStart, helper_import_rss: list[int]) -> str:
    s = result.samples
    base = s.median('python -c "import boto3"')
    rows = [
        [name, s.median(name), f"{ratio(s.median(name), base):.2f}x", max(rss) // 1024]
        for name, rss in result.rss_kib.items()
    ]
    if helper_import_rss:
        peak = max(helper_import_rss) // 1024
        rows.append(["kms-import import (section 1 runs)", "-", "-", peak])
    return table(["cold start", "median s", "vs import boto3", "peak RSS MiB"], rows)


# Section 2b ----------------------------------------------------------------------------


def batch(local: Local, work: Path, keys: int, rounds: int) -> Samples:
    from . import batch as b

    fx = Fixture(local, work / "batch")
    fx.work.mkdir()

    def pairs() -> list[tuple[str, str]]:
        return [(fx.key()[0], f"file://{fx.material_file()}") for _ in range(keys)]

    def processes() -> float:
        return b.per_key_processes(pairs(), local.env, HELPER)

    def one() -> float:
        listing = fx.work / f"pairs-{fx.count}.json"
        listing.write_text(json.dumps(pairs()))
        return run_child([PYTHON, str(HERE / "batch.py"), str(listing)], local.env).seconds

    trials: dict[str, Trial] = {
        f"{keys} kms-import runs (a process each)": processes,
        f"one process, {keys} keys, 10 threads": one,
    }
    return interleave(trials, rounds)


def batch_table(samples: Samples) -> str:
    names = list(samples.seconds)
    base = samples.median(names[-1])
    rows = [[n, samples.median(n), f"{ratio(samples.median(n), base):.2f}x"] for n in names]
    return table(["N imports outside Terraform (10 at a time)", "median s", "vs one process"], rows)
