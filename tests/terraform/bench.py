"""Plan/apply timings of an N-key root through the stand-ins: `python -m tests.terraform.bench`.

Starts its own local AWS; prints seconds for init, apply, re-plan and destroy.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from offline.fixtures import TerraformRunner, runner_env
from offline.stack import OfflineStack

from .roots import material, write_root


def body(keys: int) -> str:
    return f"""
variable "material" {{
  type      = string
  sensitive = true
}}
resource "aws_kms_external_key" "k" {{
  count                   = {keys}
  key_material_base64     = var.material
  enabled                 = true
  deletion_window_in_days = 7
}}
resource "aws_kms_alias" "a" {{
  count         = {keys}
  name          = "alias/bench-${{count.index}}"
  target_key_id = aws_kms_external_key.k[count.index].id
}}
"""


def measure(keys: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        stack = OfflineStack(Path(tmp) / "stack")
        stack.up(persist=False)
        try:
            runner = TerraformRunner(
                write_root(Path(tmp) / "root", body(keys)),
                runner_env(stack, Path(tmp) / "data"),
            )
            times: dict[str, float] = {}
            var = {"material": material()}
            for name, step in (
                ("init", runner.init),
                ("apply", lambda: runner.apply(vars=var)),
                ("plan", lambda: runner.plan("-var", f"material={var['material']}", check=True)),
                ("destroy", lambda: runner.destroy(vars=var)),
            ):
                start = time.monotonic()
                step()
                times[name] = round(time.monotonic() - start, 2)
            return times
        finally:
            stack.down()


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [1, 20]:
        print(f"{n} key(s): {measure(n)}")
