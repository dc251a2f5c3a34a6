"""The bench harness's bookkeeping (no timing): rotation, interleaving, call sorting, tables."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root holds bench/

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
