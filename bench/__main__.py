"""`python -m bench` (`make bench`): run every section, print the tables (Markdown)."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from . import roots, single
from .harness import ratio, verdict
from .localstack import Local, local_aws

# The root size the apply goal is set for; roots this big or bigger run --big-rounds rounds.
BIG = 50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=4, help="rounds for sections 1 and 4")
    parser.add_argument(
        "--sizes", type=_sizes, default=(1, 10, 50, 200), help="keys per root (default 1,10,50,200)"
    )
    parser.add_argument(
        "--root-rounds", type=int, default=2, help=f"rounds for roots below {BIG} keys"
    )
    parser.add_argument("--big-rounds", type=int, default=1, help=f"rounds for roots of {BIG}+")
    parser.add_argument("--parallelism", type=int, default=10, help="terraform -parallelism")
    parser.add_argument(
        "--unrecorded",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time the module root without recorded fingerprints (default on)",
    )
    parser.add_argument("--batch", type=int, default=20, help="keys in section 2b")
    parser.add_argument(
        "--sections", default="1234", help="which sections to run, e.g. 13 (default all)"
    )
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    args = parser.parse_args(argv)

    started = time.monotonic()
    lines = [
        f"bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average at start {os.getloadavg()[0]:.1f}",
    ]

    def emit(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    emit(lines[0])
    with tempfile.TemporaryDirectory(prefix="kms-bench-") as tmp, local_aws(Path(tmp) / "s") as la:
        work = Path(tmp)
        goals = _sections(args, la, work, emit)
        emit("\n## Goals\n")
        emit("\n".join(goals))
    emit(
        f"\n(run took {time.monotonic() - started:.0f} s; load average at end "
        f"{os.getloadavg()[0]:.1f})"
    )
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")
    return 0


def _sections(
    args: argparse.Namespace, la: Local, work: Path, emit: Callable[[str], None]
) -> list[str]:
    goals: list[str] = []
    if "1" in args.sections or "4" in args.sections:
        one = single.single_key(la, work, args.rounds)
        emit("\n## 1. One key: import + encrypt test\n")
        emit(single.single_key_table(one))
        medians = one.samples.median
        seed_ratio = ratio(medians(single.SEED), medians(single.HELPER_IMPORT))
        goals.append(
            f"- {single.HELPER_IMPORT} vs the seed flow, one key: {seed_ratio:.2f}x faster "
            f"(goal >= 3x: {verdict(seed_ratio, 3.0, at_most=False)})"
        )
    if "3" in args.sections:
        found = single.calls_per_import(la, work)
        emit("\n## 3. KMS calls per import (counted at the local KMS)\n")
        emit(single.calls_table(found))
        kinds = found[single.HELPER_IMPORT]
        beyond = sum(len(v) for v in kinds.values()) - len(kinds["minimum"])
        goals.append(
            f"- helper calls beyond the minimum: {beyond} ({len(kinds['verify'])} of them "
            f"verification) (goal <= 3: {verdict(beyond, 3, at_most=True)}; without "
            f"verification {beyond - len(kinds['verify'])}: "
            f"{verdict(beyond - len(kinds['verify']), 3, at_most=True)})"
        )
    if "4" in args.sections:
        cold = single.cold_start(la, work, args.rounds)
        emit("\n## 4. Cold start and peak memory\n")
        helper_rss = one.helper_rss_kib if "1" in args.sections else []
        emit(single.cold_start_table(cold, helper_rss))
    if "2" in args.sections:
        scales = [
            roots.Scale(n, args.big_rounds if n >= BIG else args.root_rounds) for n in args.sizes
        ]
        kinds = roots.KINDS if args.unrecorded else (roots.MODULE, roots.PROVIDER)
        res = roots.run_roots(la, work, scales, args.parallelism, kinds)
        emit(
            "\n## 2. Roots: modules/external-keys vs the provider's own import "
            f"(-parallelism={args.parallelism})\n"
        )
        emit(roots.roots_table(res))
        emit("\nSide by side (medians; ratio = module / provider):\n")
        emit(roots.ratios_table(res))
        goals += root_goals(res, args.sizes)
        emit(f"\n## 2b. {args.batch} imports outside Terraform: a process per key, one process\n")
        emit(single.batch_table(single.batch(la, work, args.batch, args.big_rounds)))
    return goals


def root_goals(res: roots.RootResults, sizes: tuple[int, ...]) -> list[str]:
    goals = []
    modules = [k for k in res.kinds if k != roots.PROVIDER]
    for keys in (n for n in sizes if n >= BIG):
        for kind in modules:
            r = roots.apply_ratio(res, kind, keys)
            goal = f" (goal <= 1.5x: {verdict(r, 1.5, at_most=True)})" if keys == BIG else ""
            goals.append(f"- {keys}-key apply, {kind}: {r:.2f}x the provider's own import{goal}")
    for kind in modules:
        most = roots.most_helpers_per_apply(res, kind, at_least=20)
        if most is not None:
            goals.append(
                f"- helper processes per apply, {kind}, roots of 20+ keys: at most {most} "
                f"(goal <= 2: {'met' if most <= 2 else 'missed'})"
            )
    left = roots.helpers_left_running(res)
    goals.append(
        f"- helper processes still running after an apply: {left} "
        f"(goal 0: {'met' if left == 0 else 'missed'})"
    )
    return goals


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(n) for n in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give key counts like 1,10,50") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: every size must be at least 1")
    return sizes


if __name__ == "__main__":
    sys.exit(main())
