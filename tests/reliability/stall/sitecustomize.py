"""Test-only: hold `kms-import import` or `import-keys` between GetParametersForImport and
ImportKeyMaterial.

Put this folder first on PYTHONPATH and set RELIABILITY_STALL_DIR: once the helper has its
import parameters and has wrapped the material, it writes `stalled-<pid>` there and waits
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
# The import commands: `import` (one key) and `import-keys` (external-keys' import step).
_importing = {"import", "import-keys"} & set(sys.argv[1:])
if _dir and os.path.basename(sys.argv[0]) == "kms-import" and _importing:
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
