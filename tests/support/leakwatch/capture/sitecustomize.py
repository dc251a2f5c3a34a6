"""Test-only: record how every Python child process was started, for the leak scan.

Loaded through PYTHONPATH by the e2e harness only. It writes the process's argv and
environment, and its parent's command line and environment (the /bin/sh that Terraform's
local-exec starts), to $LEAKWATCH_DIR. Never on a user's machine.
"""

import json
import os
import sys

_dir = os.environ.get("LEAKWATCH_DIR")
if _dir:

    def _read(path):
        try:
            with open(path, "rb") as handle:
                return handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            return ""

    _ppid = os.getppid()
    _record = {
        "pid": os.getpid(),
        "argv": sys.argv,
        "environ": dict(os.environ),
        "parent_cmdline": _read(f"/proc/{_ppid}/cmdline"),
        "parent_environ": _read(f"/proc/{_ppid}/environ"),
    }
    try:
        with open(os.path.join(_dir, f"proc-{os.getpid()}.json"), "w") as _out:
            json.dump(_record, _out)
    except OSError:
        pass
