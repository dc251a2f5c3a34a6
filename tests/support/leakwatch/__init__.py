"""The leak scan every end-to-end test ends with (the one rule in design.md).

    watch = LeakWatch(tmp_path)          # before running Terraform
    env.update(watch.env())              # TF_LOG trace, TMPDIR, child-process capture
    ... run terraform init/plan/apply with env, save plans with -out ...
    watch.assert_clean(material, roots=[root_dir, data_dir], plans=[plan_json_text])

It searches state files and backups, saved plans rendered as JSON, the TF_LOG=trace log,
every captured child process's argv and environment (and its parent shell's), Terraform's
stdout/stderr, and whatever is left in the private TMPDIR, for the material raw, base64,
base64url and hex (both cases). Any hit fails the test with where and in which spelling.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kms_import.leakscan import Hit, scan_bytes, scan_paths, spellings

CAPTURE_DIR = Path(__file__).parent / "capture"


@dataclass
class LeakWatch:
    root: Path
    outputs: list[str] = field(default_factory=list)

    tmp: Path = field(init=False)

    def __post_init__(self) -> None:
        (self.root / "procs").mkdir(parents=True, exist_ok=True)
        # A short path: providers put unix sockets in TMPDIR, and a socket path longer than
        # 107 bytes cannot be bound (the provider then dies before its handshake).
        self.tmp = Path(tempfile.mkdtemp(prefix="leakwatch-"))

    @property
    def trace_log(self) -> Path:
        return self.root / "terraform-trace.log"

    def env(self) -> dict[str, str]:
        return {
            "TF_LOG": "trace",
            "TF_LOG_PATH": str(self.trace_log),
            "TMPDIR": str(self.tmp),
            "LEAKWATCH_DIR": str(self.root / "procs"),
            "PYTHONPATH": str(CAPTURE_DIR),
        }

    def record_output(self, *texts: str) -> None:
        """Keep Terraform's stdout/stderr so they are scanned too."""
        self.outputs.extend(texts)

    def captured_processes(self) -> list[dict[str, object]]:
        return [json.loads(p.read_text()) for p in sorted((self.root / "procs").glob("*.json"))]

    def hits(
        self, material: bytes, roots: Iterable[Path] = (), plans: Iterable[str] = ()
    ) -> list[Hit]:
        needles = spellings(material)
        hits = scan_paths([*roots, self.trace_log, self.tmp], needles)
        for i, plan in enumerate(plans):
            hits += scan_bytes(f"saved plan #{i} as JSON", plan.encode(), needles)
        for i, text in enumerate(self.outputs):
            hits += scan_bytes(f"terraform output #{i}", text.encode(), needles)
        for proc in self.captured_processes():
            text = json.dumps(proc).encode()
            hits += scan_bytes(f"child process {proc['argv']}", text, needles)
        return hits

    def assert_clean(
        self, material: bytes, roots: Iterable[Path] = (), plans: Iterable[str] = ()
    ) -> None:
        assert self.trace_log.exists(), "TF_LOG trace was not written: the scan would be blind"
        assert self.captured_processes(), "no child process was captured: the scan would be blind"
        hits = self.hits(material, roots, plans)
        assert not hits, "key material leaked:\n" + "\n".join(map(str, hits))
