"""The `kms-import` console script. Terraform's per-key commands go to the broker (a warm
server, see broker/); everything else, and everything when the broker cannot help, runs here.
Imports stay minimal: this runs once per key and step."""

from __future__ import annotations

import os
import sys

# What Terraform runs once per key: the fingerprint data source and the import steps.
BROKERED = frozenset({"fingerprint", "import", "rotate-material"})
OFF = frozenset({"0", "off", "no", "false"})


def main() -> None:
    argv = sys.argv[1:]
    if brokered(argv, os.environ):
        from .broker.client import run_brokered

        code = run_brokered(argv)
        if code is not None:
            sys.exit(code)
    from .cli import main as run

    sys.exit(run(argv))


def brokered(argv: list[str], env: os._Environ[str] | dict[str, str]) -> bool:
    if env.get("KMS_IMPORT_BROKER", "").lower() in OFF:
        return False
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    return command in BROKERED
