"""The bench harness's bookkeeping (no timing): rotation, interleaving, call sorting, tables,
and section 2's counting of helper processes."""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root holds bench/

from bench import __main__ as bench_main
from bench import roots
from bench.counting import HelperLog, HelperRun, describe, parse, still_running, write_wrapper
from bench.harness import Samples, interleave, ratio, rotated, table, verdict
from bench.single import classify


def test_rotation_puts_each_contender_first_in_turn() -> None:
    names = ["a", "b", "c"]
    assert [rotated(names, r)[0] for r in range(4)] == ["a", "b", "c", "a"]
    assert sorted(rotated(names, 2)) == names
    assert rotated([], 3) == []


def test_interleave_runs_every_contender_once_per_round() -> None:
    order: list[str] = []

    def trial(name: str) -> float:
        order.append(name)
        return float(len(order))

    samples = interleave({n: functools.partial(trial, n) for n in ("x", "y")}, rounds=3)
    assert order == ["x", "y", "y", "x", "x", "y"]
    assert samples.seconds == {"x": [1.0, 4.0, 5.0], "y": [2.0, 3.0, 6.0]}
    assert samples.median("x") == 4.0 and samples.spread("y") == (2.0, 6.0)


def test_samples_ratio_and_verdict() -> None:
    s = Samples()
    for v in (3.0, 1.0, 2.0):
        s.add("k", v)
    assert s.median("k") == 2.0
    assert ratio(6.0, 2.0) == 3.0 and ratio(1.0, 0.0) == float("inf")
    assert verdict(3.2, 3.0, at_most=False) == "met"
    assert verdict(2.4, 3.0, at_most=False) == "missed by 25%"
    assert verdict(1.8, 1.5, at_most=True) == "missed by 20%"


def test_classify_sorts_calls_around_the_import() -> None:
    kinds = classify(
        [
            "DescribeKey",
            "ListResourceTags",
            "GetParametersForImport",
            "ImportKeyMaterial",
            "DescribeKey",
            "Encrypt",
            "Decrypt",
            "DisableKey",
        ]
    )
    assert kinds["minimum"] == ["GetParametersForImport", "ImportKeyMaterial"]
    assert kinds["checks"] == ["DescribeKey", "ListResourceTags"]
    assert kinds["wait"] == ["DescribeKey"]
    assert kinds["verify"] == ["Encrypt", "Decrypt"]
    assert kinds["state"] == ["DisableKey"]


def test_table_is_markdown() -> None:
    text = table(["name", "s"], [["a", 1.234], ["bb", 2]])
    assert text.splitlines() == [
        "| name | s    |",
        "|------|------|",
        "| a    | 1.23 |",
        "| bb   | 2    |",
    ]


# Section 2's helper counting (bench/counting.py) and root bookkeeping (bench/roots.py) -------


def _fake_helper(tmp_path: Path) -> Path:
    """Stands in for kms-import: prints its pid, its argv and its stdin."""
    fake = tmp_path / "fake-kms-import"
    fake.write_text('#!/bin/sh\necho "pid=$$ args=$*"\ncat\n')
    fake.chmod(0o700)
    return fake


def test_wrapper_logs_each_run_then_execs_the_helper_in_the_same_process(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    wrapper = write_wrapper(tmp_path / "count kms-import", log, str(_fake_helper(tmp_path)))
    assert wrapper.stat().st_mode & 0o777 == 0o700 and log.read_text() == ""
    first = subprocess.run(
        [str(wrapper), "plan-keys"], input='{"k1": "x"}', capture_output=True, text=True
    )
    second = subprocess.run(
        [str(wrapper), "--debug", "import-keys", "--key", '{"name": "a b"}', "--parallelism"],
        capture_output=True,
        text=True,
    )
    # As the modules run it: the version range is --requires' value, not the subcommand.
    third = subprocess.run(
        [str(wrapper), "--requires", ">=0.2.0, <0.3.0", "plan-keys"], capture_output=True, text=True
    )
    assert first.returncode == second.returncode == third.returncode == 0
    assert first.stdout.endswith('args=plan-keys\n{"k1": "x"}')  # argv and stdin reach it
    assert 'args=--debug import-keys --key {"name": "a b"} --parallelism' in second.stdout
    runs = HelperLog(log).take()
    # exec: the pid Terraform waits for is the helper's own.
    assert [f"pid={r.pid} " for r in runs] == [
        first.stdout.split("args")[0],
        second.stdout.split("args")[0],
        third.stdout.split("args")[0],
    ]
    assert [r.command for r in runs] == ["plan-keys", "import-keys", "plan-keys"]
    assert describe(runs) == "3 (import-keys, plan-keysx2)"
    assert HelperLog(log).take() == [] and describe([]) == "0"


def test_wrapper_exit_status_is_the_helpers(tmp_path: Path) -> None:
    failing = tmp_path / "failing"
    failing.write_text("#!/bin/sh\necho 'one line' >&2\nexit 3\n")
    failing.chmod(0o700)
    wrapper = write_wrapper(tmp_path / "w", tmp_path / "log", str(failing))
    run = subprocess.run([str(wrapper), "import-keys"], capture_output=True, text=True)
    assert (run.returncode, run.stderr) == (3, "one line\n")
    assert describe(HelperLog(tmp_path / "log").take()) == "1 (import-keys)"


def test_a_torn_log_line_is_an_error_not_a_miscount() -> None:
    assert parse("12 plan-keys\n13 import-keys\n") == [
        HelperRun(12, "plan-keys"),
        HelperRun(13, "import-keys"),
    ]
    for bad in ("12\n", "x plan-keys\n", "\n"):
        with pytest.raises(ValueError, match="PID SUBCOMMAND"):
            parse(bad)


def test_still_running_counts_only_live_helper_processes(tmp_path: Path) -> None:
    for pid, cmdline in ((10, b"/v/bin/python\0/v/bin/kms-import\0import-keys\0"), (11, b"sh\0")):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(cmdline)
    runs = [HelperRun(10, "import-keys"), HelperRun(11, "plan-keys"), HelperRun(12, "plan-keys")]
    # 11's pid now runs something else; 12 has exited.
    assert still_running(runs, proc=tmp_path) == [10]
    assert still_running([HelperRun(os.getpid(), "x")]) == []  # pytest is no kms-import


def test_module_tfvars_record_fingerprints_or_leave_them_out() -> None:
    sources = {"k000": "file:///m/k000.bin"}
    recorded = roots.module_tfvars(sources, {"k000": "fp0"}, "/w/count")
    assert recorded == {
        "keys": {"k000": {"material_source": "file:///m/k000.bin", "material_fingerprint": "fp0"}},
        "helper_command": "/w/count",
    }
    unrecorded = roots.module_tfvars(sources, None, "/w/count")
    assert unrecorded["keys"] == {"k000": {"material_source": "file:///m/k000.bin"}}


def test_write_roots_gives_each_kind_its_root_and_keeps_material_out_of_the_modules(
    tmp_path: Path,
) -> None:
    from kms_import.fingerprint import fingerprint_of

    made = roots.write_roots(tmp_path, 3)
    assert set(made) == set(roots.KINDS)
    module = json.loads((made[roots.MODULE] / "terraform.tfvars.json").read_text())
    assert sorted(module["keys"]) == ["k000", "k001", "k002"]
    for key in module["keys"].values():
        assert key["material_fingerprint"] == fingerprint_of(key["material_source"])
        path = Path(key["material_source"].removeprefix("file://"))
        assert path.stat().st_mode & 0o777 == 0o600
    unrecorded = json.loads((made[roots.UNRECORDED] / "terraform.tfvars.json").read_text())
    assert all("material_fingerprint" not in k for k in unrecorded["keys"].values())
    for kind in (roots.MODULE, roots.UNRECORDED):
        root = made[kind]
        tfvars = json.loads((root / "terraform.tfvars.json").read_text())
        assert tfvars["helper_command"] == str(root / "count-kms-import")
        assert f'source = "{roots.MODULE_DIR}"' in (root / "main.tf").read_text()
        assert roots.MODULE_DIR.name == "external-keys"
        text = "".join(p.read_text() for p in root.iterdir() if p.is_file())
        for key in module["keys"].values():
            raw = Path(key["material_source"].removeprefix("file://")).read_bytes()
            assert base64.b64encode(raw).decode() not in text and raw.hex() not in text
    provider = json.loads((made[roots.PROVIDER] / "terraform.tfvars.json").read_text())
    assert sorted(provider["materials"]) == ["k000", "k001", "k002"]


def _counted(plan: int, apply: int, alive: tuple[int, ...] = ()) -> roots.Counted:
    return roots.Counted(
        plan=[HelperRun(1, "plan-keys")] * plan,
        apply=[HelperRun(2, "plan-keys")] * (apply - 1) + [HelperRun(3, "import-keys")],
        replan=[],
        alive_after_apply=list(alive),
    )


def _results() -> roots.RootResults:
    res = roots.RootResults(scales=[roots.Scale(1, 2), roots.Scale(50, 1)])
    seconds = {roots.MODULE: 3.0, roots.UNRECORDED: 4.0, roots.PROVIDER: 2.0}
    for scale in res.scales:
        for kind, s in seconds.items():
            name = roots.label(kind, scale.keys)
            for _ in range(scale.rounds):
                res.plan.add(name, s / 2)
                res.apply.add(name, s * scale.keys)
                res.replan.add(name, 1.0)
            res.apply_calls[name] = 6 * scale.keys
        res.helpers[roots.label(roots.MODULE, scale.keys)] = [_counted(0, 1)] * scale.rounds
    res.helpers[roots.label(roots.UNRECORDED, 1)] = [_counted(1, 2), _counted(1, 2)]
    res.helpers[roots.label(roots.UNRECORDED, 50)] = [_counted(1, 3, alive=(99,))]
    return res


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_roots_table_shows_counted_helpers_per_step_and_ratios() -> None:
    lines = roots.roots_table(_results()).splitlines()
    assert _cells(lines[0])[6:] == [
        "helpers: plan",
        "helpers: apply",
        "helpers: re-plan",
        "helpers alive after apply",
        "KMS calls/key (apply)",
        "plan vs provider",
        "apply vs provider",
    ]
    rows = {tuple(_cells(line)[:2]): _cells(line)[6:] for line in lines[2:]}
    assert rows[("module", "50")] == ["0", "1 (import-keys)", "0", "0", "6.0", "1.50x", "1.50x"]
    assert rows[("module, unrecorded", "1")][:4] == [
        "1 (plan-keys)",
        "2 (import-keys, plan-keys)",
        "0",
        "0",
    ]
    assert rows[("module, unrecorded", "50")][1:4] == ["3 (import-keys, plan-keysx2)", "0", "1"]
    assert rows[("provider", "1")] == ["-", "-", "-", "-", "6.0", "1.00x", "1.00x"]


def test_counts_show_each_round_when_rounds_disagree() -> None:
    assert roots.counts([_counted(1, 2), _counted(0, 1)], "plan") == "1 (plan-keys) / 0"
    assert roots.counts([_counted(0, 1)] * 2, "apply") == "1 (import-keys)"
    assert roots.counts(None, "plan") == "-"


def test_ratios_side_by_side_and_the_goals() -> None:
    res = _results()
    lines = roots.ratios_table(res).splitlines()
    assert _cells(lines[0]) == [
        "N",
        "provider plan s",
        "provider apply s",
        "module apply s",
        "module apply ratio",
        "module plan ratio",
        "module, unrecorded apply s",
        "module, unrecorded apply ratio",
        "module, unrecorded plan ratio",
    ]
    assert _cells(lines[3]) == [
        "50", "1.00", "100.00", "150.00", "1.50x", "1.50x", "200.00", "2.00x", "2.00x"
    ]  # fmt: skip
    assert roots.apply_ratio(res, roots.MODULE, 50) == 1.5
    assert roots.most_helpers_per_apply(res, roots.UNRECORDED, at_least=20) == 3
    assert roots.most_helpers_per_apply(res, roots.MODULE, at_least=100) is None
    assert roots.helpers_left_running(res) == 1
    goals = bench_main.root_goals(res, (1, 50))
    assert goals == [
        "- 50-key apply, module: 1.50x the provider's own import (goal <= 1.5x: met)",
        "- 50-key apply, module, unrecorded: 2.00x the provider's own import "
        "(goal <= 1.5x: missed by 33%)",
        "- helper processes per apply, module, roots of 20+ keys: at most 1 (goal <= 2: met)",
        "- helper processes per apply, module, unrecorded, roots of 20+ keys: at most 3 "
        "(goal <= 2: missed)",
        "- helper processes still running after an apply: 1 (goal 0: missed)",
    ]


def test_sizes_are_positive_key_counts() -> None:
    assert bench_main._sizes("1,10,50,200") == (1, 10, 50, 200)
    for bad in ("", "1,x", "0,10"):
        with pytest.raises(argparse.ArgumentTypeError):
            bench_main._sizes(bad)
