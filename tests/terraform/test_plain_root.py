"""A plain root: aws_kms_external_key with key_material_base64 + aws_kms_alias, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .roots import kms, material, write_root


def _root(tmp_path: Path, alias: str) -> Path:
    return write_root(
        tmp_path / "root",
        f"""
variable "material" {{
  type      = string
  sensitive = true
}}

resource "aws_kms_external_key" "this" {{
  description             = "plain root"
  key_material_base64     = var.material
  enabled                 = true
  deletion_window_in_days = 7
  tags                    = {{ owner = "tests" }}
}}

resource "aws_kms_alias" "this" {{
  name          = "{alias}"
  target_key_id = aws_kms_external_key.this.id
}}

output "key_id" {{ value = aws_kms_external_key.this.id }}
output "key_state" {{ value = aws_kms_external_key.this.key_state }}
output "alias_target" {{ value = aws_kms_alias.this.target_key_arn }}
""",
    )


def test_apply_replan_clean_destroy(tf: Any, offline_stack: Any, tmp_path: Path) -> None:
    runner = tf(_root(tmp_path, "alias/plain-root"))
    runner.init()
    variables = {"material": material()}
    runner.apply(vars=variables)

    key_id = runner.output("key_id")
    assert runner.output("key_state") == "Enabled"
    assert runner.output("alias_target").endswith(f":key/{key_id}")
    key = runner.resources()["aws_kms_external_key.this"]
    assert key["expiration_model"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert key["tags_all"] == {"owner": "tests", "suite": "terraform-offline"}
    assert key["tags"] == {"owner": "tests"}

    code, out, _ = runner.plan("-var", f"material={variables['material']}")
    assert code == 0, out

    runner.destroy(vars=variables)
    metadata = kms(offline_stack).describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    assert runner.resources() == {}
