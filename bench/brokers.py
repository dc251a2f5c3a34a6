"""The helper's three ways to run, as environments for the contenders (helpers/kms_import/broker):

- off:  KMS_IMPORT_BROKER=0, one cold Python process per run (the helper before the broker);
- cold: a runtime folder of its own per trial, so each run starts its own broker server;
- warm: one runtime folder for the whole bench, its server started before the timed part.

The servers are found by their pid files (as `kms-import broker` lists them); `stop()` ends
them, `peak_rss_kib()` reads their resident-set high-water mark (VmHWM).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kms_import.broker import wire

OFF, COLD, WARM = "off", "cold", "warm"


@dataclass
class Brokers:
    env: dict[str, str]
    helper: str
    folders: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.warm_env = self._with_folder()

    def _with_folder(self) -> dict[str, str]:
        # Short: a socket address holds 107 bytes.
        folder = tempfile.mkdtemp(prefix="kb-", dir="/tmp")
        self.folders.append(folder)
        return {**self.env, "XDG_RUNTIME_DIR": folder}

    def env_for(self, mode: str) -> dict[str, str]:
        if mode == OFF:
            return {**self.env, "KMS_IMPORT_BROKER": "0"}
        if mode == COLD:
            return self._with_folder()
        return self.warm_env

    def warm_up(self, material: Path) -> None:
        """Start (or keep alive) the warm server: one brokered run outside the timed part."""
        subprocess.run(
            [self.helper, "fingerprint", "--source", f"file://{material}"],
            env=self.warm_env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def servers(self, folders: list[str] | None = None) -> list[int]:
        return [
            pid
            for folder in (self.folders if folders is None else folders)
            for pid, _socket in wire.running({"XDG_RUNTIME_DIR": folder})
        ]

    def peak_rss_kib(self) -> int:
        """The largest VmHWM among the live servers (0 if none)."""
        peak = 0
        for pid in self.servers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        return peak

    def stop(self, keep_warm: bool = True) -> None:
        """End the cold servers (and the warm one unless keep_warm); remove their folders."""
        keep = self.warm_env["XDG_RUNTIME_DIR"] if keep_warm else None
        done = [f for f in self.folders if f != keep]
        for pid in self.servers(done):
            os.kill(pid, signal.SIGKILL)
        for folder in done:
            shutil.rmtree(folder, ignore_errors=True)
        self.folders = [f for f in self.folders if f == keep]
