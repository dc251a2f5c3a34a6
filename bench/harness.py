"""Timing plumbing shared by the sections: child processes, interleaved rounds, tables.

Pure logic apart from `run_child`; tests/unit/test_bench_harness.py covers it without timing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class ChildFailed(RuntimeError):
    """A benchmarked command exited non-zero; the message carries its output."""


@dataclass(frozen=True)
class ChildRun:
    seconds: float
    maxrss_kib: int  # ru_maxrss of this child alone (Linux reports KiB)
    stdout: str


LAUNCHER = Path(__file__).resolve().parent / "launch.py"


def run_child(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None, timeout: float = 900
) -> ChildRun:
    """Run one command; its wall-clock seconds and its own peak RSS come from bench/launch.py
    (spawn to wait4), so neither the launcher's start-up nor the bench's RSS is counted."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report"
        proc = subprocess.run(
            [sys.executable, "-S", "-I", str(LAUNCHER), str(report), *argv],
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise ChildFailed(
                f"{' '.join(argv[:4])} exited {proc.returncode}\n"
                f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
            )
        seconds, maxrss = report.read_text().split()
    return ChildRun(float(seconds), int(maxrss), proc.stdout)


Trial = Callable[[], float]


def rotated(names: Sequence[str], round_no: int) -> list[str]:
    """The contenders' order in one round: rotated by the round number, so no contender
    always runs first (cold caches) or last (after the others warmed the server)."""
    if not names:
        return []
    shift = round_no % len(names)
    return [*names[shift:], *names[:shift]]


@dataclass
class Samples:
    """Seconds per contender, in the order the rounds ran."""

    seconds: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.seconds.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.seconds[name])

    def spread(self, name: str) -> tuple[float, float]:
        values = self.seconds[name]
        return min(values), max(values)


def interleave(
    trials: Mapping[str, Trial],
    rounds: int,
    samples: Samples | None = None,
    before_each: Callable[[str], None] | None = None,
) -> Samples:
    """Run every contender once per round, in rotated order; each trial returns seconds."""
    samples = samples if samples is not None else Samples()
    names = list(trials)
    for round_no in range(rounds):
        for name in rotated(names, round_no):
            if before_each:
                before_each(name)
            samples.add(name, trials[name]())
    return samples


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table (also readable as plain text)."""
    cells = [[str(c) for c in header], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def verdict(measured: float, goal: float, *, at_most: bool) -> str:
    """'met' or 'missed by X%' for a ratio goal (at_most: measured <= goal is good)."""
    good = measured <= goal if at_most else measured >= goal
    if good:
        return "met"
    off = (measured / goal - 1) if at_most else (goal / measured - 1)
    return f"missed by {off:.0%}"
