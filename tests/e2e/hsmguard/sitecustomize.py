"""Test-only: watch what the pkcs11 source does inside `kms-import` run by Terraform.

Put this folder first on PYTHONPATH and set E2E_HSM_GUARD_DIR. In kms-import processes, each
wrap done by the token (HsmKey._wrap_in_token) leaves `wrapped-<algorithm>-<pid>` there, and
reading a key value out of the token into the helper (HsmKey._extract) leaves
`extracted-<pid>` and fails. The leak watch's own sitecustomize, which this one shadows,
still runs.
"""

import importlib.util
import os
import sys

try:
    from leakwatch import CAPTURE_DIR

    # Loaded as a module, not with runpy.run_path: that would put its own path into
    # sys.argv[0] while the capture records argv.
    _spec = importlib.util.spec_from_file_location(
        "leakwatch_capture", CAPTURE_DIR / "sitecustomize.py"
    )
    _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
except ImportError:
    pass

_dir = os.environ.get("E2E_HSM_GUARD_DIR")
if _dir and os.path.basename(sys.argv[0]) == "kms-import":
    from kms_import.sources import pkcs11

    _wrap_in_token = pkcs11.HsmKey._wrap_in_token

    def _mark(name):
        with open(os.path.join(_dir, f"{name}-{os.getpid()}"), "w"):
            pass

    def _watched_wrap(self, public, algorithm):
        blob = _wrap_in_token(self, public, algorithm)
        _mark(f"wrapped-{algorithm}")
        return blob

    def _refused_extract(self):
        _mark("extracted")
        raise RuntimeError("e2e guard: the helper read the key value out of the HSM")

    pkcs11.HsmKey._wrap_in_token = _watched_wrap
    pkcs11.HsmKey._extract = _refused_extract
