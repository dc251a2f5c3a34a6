"""Section 2b: N imports without Terraform, one helper process per key (what the module's
local-exec steps amount to, 10 at a time like -parallelism=10) vs one process importing all N
on 10 threads (what "one helper process per apply" could at best cost).

`python bench/batch.py PAIRS_JSON`: the one-process contender ([[key_arn, source], ...]).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

THREADS = 10


def one_process(pairs: list[list[str]]) -> None:
    from kms_import import aws
    from kms_import.importer import ImportRequest, run_import

    kms = aws.kms_client(pairs[0][0])
    with ThreadPoolExecutor(THREADS) as pool:
        done = pool.map(lambda p: run_import(ImportRequest(p[0], p[1]), kms=kms), pairs)
        assert all(o.imported for o in done)


def per_key_processes(pairs: list[tuple[str, str]], env: dict[str, str], helper: str) -> float:
    def one(pair: tuple[str, str]) -> None:
        argv = [helper, "import", "--key-id", pair[0], "--source", pair[1]]
        subprocess.run(argv, env=env, check=True, capture_output=True, timeout=300)

    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, pairs))
    return time.perf_counter() - start


if __name__ == "__main__":
    one_process(json.loads(Path(sys.argv[1]).read_text()))
