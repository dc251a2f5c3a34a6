"""Test-only: hold `kms-import import` (or `import-keys`, in the thread importing a key)
between GetParametersForImport and ImportKeyMaterial.

Put this folder first on PYTHONPATH and set RELIABILITY_STALL_DIR: once the helper has its
import parameters and has wrapped the material, it writes `stalled-<pid>` there (the pid of
the process doing the import: the helper, or the broker's worker) and waits
until a file named `release` appears. The fault tests kill it (or Terraform) at that point,
or release it. The leak watch's own sitecustomize, which this one shadows, still runs.
"""

import os
import runpy
import sys
import time

try:
    from leakwatch import CAPTURE_DIR

    runpy.run_path(str(CAPTURE_DIR / "sitecustomize.py"))
except ImportError:
    pass

_dir = os.environ.get("RELIABILITY_STALL_DIR")
_helper = os.path.basename(sys.argv[0]) == "kms-import" and bool(
    {"import", "import-keys"} & set(sys.argv[1:])
)
# The broker's server (kms_import.broker.server): every worker it forks inherits the stall,
# and only the import step's worker wraps material.
# While site runs, `python -m X` has only "-m" for X in sys.argv; orig_argv has it all.
_broker = "kms_import.broker.server" in sys.orig_argv
if _dir and (_helper or _broker):
    from kms_import import wrapping

    _wrap = wrapping.wrap

    def _stalling_wrap(*args, **kwargs):
        blob = _wrap(*args, **kwargs)
        with open(os.path.join(_dir, f"stalled-{os.getpid()}"), "w"):
            pass
        release = os.path.join(_dir, "release")
        deadline = time.monotonic() + 600
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.05)
        return blob

    wrapping.wrap = _stalling_wrap
