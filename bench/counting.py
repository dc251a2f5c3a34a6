"""Count the helper processes Terraform starts: a wrapper given to the module as its
helper_command notes each run (its pid and subcommand, nothing else) in a log, then execs
kms-import, so the process Terraform waits for is the helper itself (same pid, argv, stdin,
stdout, environment). The bench reads the log after each plan and apply, and checks that no
helper it noted is still running once Terraform has returned.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Global options come first (the modules pass `--requires RANGE`): the subcommand is the
# first argument without a dash that is not --requires' value.
WRAPPER = """#!/bin/sh
# bench: note this helper run (pid and subcommand only), then become kms-import.
cmd=-
value=
for arg in "$@"; do
  if [ -n "$value" ]; then value=; continue; fi
  case $arg in --requires) value=1 ;; -*) ;; *) cmd=$arg; break ;; esac
done
printf '%s %s\\n' "$$" "$cmd" >> {log}
exec {helper} "$@"
"""


@dataclass(frozen=True)
class HelperRun:
    pid: int
    command: str


def write_wrapper(path: Path, log: Path, helper: str) -> Path:
    """The counting helper_command at `path` (0700), logging to `log` (created empty)."""
    log.write_text("")
    path.write_text(WRAPPER.format(log=shlex.quote(str(log)), helper=shlex.quote(helper)))
    path.chmod(0o700)
    return path


def parse(text: str) -> list[HelperRun]:
    """The log's lines ("PID SUBCOMMAND") as runs; a torn or empty line is an error, since
    a miscount would go unnoticed in a table."""
    runs = []
    for line in text.splitlines():
        pid, _, command = line.partition(" ")
        if not pid.isdigit() or not command:
            raise ValueError(f"helper log line {line!r} is not 'PID SUBCOMMAND'")
        runs.append(HelperRun(int(pid), command))
    return runs


@dataclass(frozen=True)
class HelperLog:
    path: Path

    def take(self) -> list[HelperRun]:
        """The runs noted since the last take, and a fresh log for the next step."""
        runs = parse(self.path.read_text())
        self.path.write_text("")
        return runs


def still_running(runs: Sequence[HelperRun], proc: Path = Path("/proc")) -> list[int]:
    """Pids of noted runs that are still kms-import processes (a reused pid running
    something else does not count)."""
    alive = []
    for run in runs:
        try:
            cmdline = (proc / str(run.pid) / "cmdline").read_bytes()
        except OSError:
            continue
        if any(arg.endswith(b"kms-import") for arg in cmdline.split(b"\0")):
            alive.append(run.pid)
    return alive


def describe(runs: Sequence[HelperRun]) -> str:
    """'0', or the count and which subcommands: '2 (import-keys, plan-keys)'."""
    if not runs:
        return "0"
    counts = Counter(run.command for run in runs)
    listed = ", ".join(f"{c}x{n}" if n > 1 else c for c, n in sorted(counts.items()))
    return f"{len(runs)} ({listed})"
