"""Run one command; write "<seconds> <ru_maxrss KiB>" of it to the file named first.

Why a launcher: Linux carries the parent's resident-set high-water mark into a child across
fork/exec, so wait4() in the bench process (tens of MiB) would report that for every child.
Started as `python -S -I`, this process stays small (~9 MiB), which is then the floor of what
the figure can show; its timing starts at the spawn, so its own start-up is not counted.
"""

import os
import sys
import time


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    with open(out, "w") as f:
        f.write(f"{seconds:.6f} {usage.ru_maxrss}\n")
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
