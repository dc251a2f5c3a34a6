"""modules/rotating-key on modules/external-keys: the generations' addresses, plan only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from e2e.workspace import REPO

from .roots import write_root

SYMMETRIC = "hmac-sha256:" + "0" * 32


GENERATION_ALIAS_ROOT = """
module "key" {
  source            = "./modules/rotating-key"
  alias_name        = "%(alias)s"
  active_generation = "g2"
  generations = {
    g1 = {
      material_source      = "generate:g1"
      material_fingerprint = "%(fp)s"
      alias_name           = "alias/g1"
    }
    g2 = { material_source = "generate:g2", material_fingerprint = "%(fp)s" }
  }
}
"""


def test_a_generation_may_have_an_alias_of_its_own(tf: Any, tmp_path: Path) -> None:
    """rotating-key: a generation's alias_name is that key's own alias (not the rotating one,
    which must differ)."""
    root = write_root(
        tmp_path / "r", GENERATION_ALIAS_ROOT % {"alias": "alias/app", "fp": SYMMETRIC}
    )
    (root / "modules").symlink_to(REPO / "modules")
    runner = tf(root)
    runner.init()
    runner.plan("-out=plan.bin", detailed=False, check=True)
    planned = {
        c["address"]: c["change"]["after"]
        for c in runner.show_json("plan.bin")["resource_changes"]
        if c["type"] == "aws_kms_alias"
    }
    assert (
        planned['module.key.module.generations.module.key["g1"].aws_kms_alias.this[0]']["name"]
        == "alias/g1"
    )
    assert planned["module.key.aws_kms_alias.active"]["name"] == "alias/app"
    assert len(planned) == 2

    (root / "main.tf").write_text(
        (root / "main.tf")
        .read_text()
        .replace('alias_name        = "alias/app"', 'alias_name = "alias/g1"')
    )
    refused = runner.plan(detailed=False)
    assert refused.code == 1
    assert "must differ from alias_name" in " ".join(refused.stderr.replace("│", " ").split())
