"""Keep plaintext material in this process's memory from leaving it through a dump or ptrace.

`protect()` runs once, before the first source is opened (not at CLI import, so commands
that never read material are untouched): RLIMIT_CORE 0 (no core file), and on Linux
PR_SET_DUMPABLE 0 (no core dump either, and other processes of the same user can no longer
ptrace-attach or read /proc/PID/mem; the process itself still uses /proc/self).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import sys
from functools import cache

from .errors import KmsImportError

PR_GET_DUMPABLE = 3
PR_SET_DUMPABLE = 4


class ProcessHardeningError(KmsImportError):
    """The process could not be made safe to hold plaintext material."""


@cache
def protect() -> None:
    """No core dumps, and on Linux not dumpable (no ptrace attach by the same user)."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (OSError, ValueError) as exc:
        raise ProcessHardeningError(
            f"cannot switch off core dumps before reading material ({exc})",
            "run kms-import where setrlimit(RLIMIT_CORE) is allowed",
        ) from None
    if sys.platform.startswith("linux"):
        _prctl(PR_SET_DUMPABLE, 0)


def dumpable() -> int:
    """PR_GET_DUMPABLE (Linux): 0 after protect()."""
    return _prctl(PR_GET_DUMPABLE, 0)


def _prctl(option: int, arg: int) -> int:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    args = (ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    result = int(libc.prctl(ctypes.c_int(option), *args))
    if result < 0:
        err = ctypes.get_errno()
        raise ProcessHardeningError(
            f"prctl({option}) failed before reading material ({os.strerror(err)})",
            "run kms-import on a kernel that allows PR_SET_DUMPABLE",
        )
    return result
