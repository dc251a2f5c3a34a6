"""aws_kms_alias retargeting, data sources, and the external data source's protocol."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .roots import init_root

ALIAS = """
variable "active" { type = string }
resource "aws_kms_external_key" "gen" {
  for_each                = toset(["a", "b"])
  description             = "gen ${each.key}"
  deletion_window_in_days = 7
}
resource "aws_kms_alias" "active" {
  name          = "alias/retarget"
  target_key_id = aws_kms_external_key.gen[var.active].id
}
data "aws_kms_key" "by_alias" {
  key_id     = aws_kms_alias.active.name
  depends_on = [aws_kms_alias.active]
}
data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
locals {
  root = format(
    "arn:%s:iam::%s:root",
    data.aws_partition.current.partition,
    data.aws_caller_identity.current.account_id,
  )
}
data "aws_iam_policy_document" "p" {
  statement {
    sid       = "Root"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.root]
    }
  }
}
output "target" { value = aws_kms_alias.active.target_key_id }
output "gen" { value = { for k, v in aws_kms_external_key.gen : k => v.id } }
output "via_data" { value = data.aws_kms_key.by_alias.id }
output "region" { value = data.aws_region.current.region }
output "policy" { value = data.aws_iam_policy_document.p.json }
"""


def test_alias_retarget_is_an_in_place_update(tf: Any, tmp_path: Path) -> None:
    runner = init_root(tf, tmp_path, ALIAS)
    runner.apply(vars={"active": "a"})
    gens = runner.output("gen")
    assert runner.output("target") == gens["a"]
    assert runner.output("via_data") == gens["a"]
    assert runner.output("region") == "us-east-1"
    policy = json.loads(runner.output("policy"))
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}

    code, out, _ = runner.plan("-var=active=b")
    assert code == 2, out
    assert "aws_kms_alias.active will be updated in-place" in out
    assert f'~ target_key_id  = "{gens["a"]}" -> (known after apply)' in out or (
        f'~ target_key_id  = "{gens["a"]}" -> "{gens["b"]}"' in out
    )
    assert "0 to add, 1 to change, 0 to destroy" in out
    runner.apply(vars={"active": "b"})
    assert runner.output("target") == gens["b"]


EXTERNAL = """
variable "program" { type = list(string) }
data "external" "x" {
  program = var.program
  query   = { word = "hello", gone = null }
}
output "result" { value = data.external.x.result }
"""


def _program(tmp_path: Path, body: str) -> str:
    script = tmp_path / "prog.py"
    script.write_text("import json, sys\nq = json.load(sys.stdin)\n" + body)
    return json.dumps(["python3", str(script)])


def test_external_protocol_strings_in_strings_out(tf: Any, tmp_path: Path) -> None:
    runner = init_root(tf, tmp_path, EXTERNAL)
    program = _program(tmp_path, "print(json.dumps({'echo': q['word'], 'keys': ','.join(q)}))")
    runner.apply(f"-var=program={program}")
    assert runner.output("result") == {"echo": "hello", "keys": "word"}


def test_external_nonzero_exit_reports_stderr(tf: Any, tmp_path: Path) -> None:
    runner = init_root(tf, tmp_path, EXTERNAL)
    program = _program(tmp_path, "sys.stderr.write('no such material source\\n'); sys.exit(3)")
    code, _, err = runner.plan(f"-var=program={program}")
    assert code == 1
    assert "External Program Execution Failed" in err
    assert "no such material source" in err
    assert "exit status 3" in err


def test_external_non_string_value_is_an_error(tf: Any, tmp_path: Path) -> None:
    runner = init_root(tf, tmp_path, EXTERNAL)
    program = _program(tmp_path, "print(json.dumps({'n': 1}))")
    code, _, err = runner.plan(f"-var=program={program}")
    assert code == 1
    assert "Unexpected External Program Results" in err
