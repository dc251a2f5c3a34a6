"""modules/external-key writes its key policy itself, byte for byte aws_iam_policy_document's.

Without policy documents or key_statements to merge, the module builds the key policy JSON in
HCL (no data source per key: it cost Terraform core a graph node, provider calls and a state
object in every walk). Keys made by earlier versions got the data source's JSON, and the
key_policy output promises the same value, so the two must stay identical to the byte. One
plan: each case once through the HCL path and once through the data source (an override
document with no statements changes nothing but selects the data source path), then compare.
With TF_REAL_CLI_CONFIG this checks the HCL against the real provider's data source.

Also: the import step's trigger keeps the types earlier versions recorded (upgrade safety).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .roots import write_root

MODULE = Path(__file__).resolve().parents[2] / "modules" / "external-key"
ROLE = "arn:aws:iam::111122223333:role"
SYMMETRIC = "hmac-sha256:" + "0" * 32
SPKI = "sha256-spki:" + "0" * 64

# name -> module arguments: role lists (duplicates, one principal, several in any order) and
# key specs whose usages give key users different actions.
CASES: dict[str, dict[str, Any]] = {
    "default": {},
    "owners_only": {"enable_default_policy": False, "key_owners": [f"{ROLE}/Owner"]},
    "every_role": {
        "key_owners": [f"{ROLE}/Owner", f"{ROLE}/Owner2"],
        "key_administrators": [f"{ROLE}/Admin"],
        "key_users": [f"{ROLE}/b-App", f"{ROLE}/a-App", f"{ROLE}/c-App", f"{ROLE}/a-App"],
        "key_service_users": [f"{ROLE}/Service"],
        "key_service_roles_for_autoscaling": [
            f"{ROLE}/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
        ],
    },
    "service_users": {"key_service_users": [f"{ROLE}/S2", f"{ROLE}/S1"]},
    "hmac_users": {
        "key_spec": "HMAC_256",
        "key_users": [f"{ROLE}/Mac"],
        "key_administrators": [f"{ROLE}/Admin", f"{ROLE}/Admin"],
    },
    "rsa_encrypt": {
        "key_spec": "RSA_3072",
        "key_usage": "ENCRYPT_DECRYPT",
        "material_fingerprint": SPKI,
        "key_users": [f"{ROLE}/Dec"],
    },
    "ecc_sign": {
        "key_spec": "ECC_NIST_P256",
        "material_fingerprint": SPKI,
        "enable_default_policy": False,
        "key_administrators": [f"{ROLE}/Admin"],
        "key_users": [f"{ROLE}/Signer", "arn:aws:sts::111122223333:assumed-role/R/s"],
    },
}

# One module block per path, the same cases and arguments; the data source path adds only
# an override document.
MODULE_BLOCK = """
module "%(name)s" {
  source   = "%(module)s"
  for_each = var.cases

  material_source                   = "generate:${each.key}"
  material_fingerprint              = try(each.value.material_fingerprint, "%(fp)s")
  key_spec                          = try(each.value.key_spec, "SYMMETRIC_DEFAULT")
  key_usage                         = try(each.value.key_usage, null)
  enable_default_policy             = try(each.value.enable_default_policy, true)
  key_owners                        = try(each.value.key_owners, [])
  key_administrators                = try(each.value.key_administrators, [])
  key_users                         = try(each.value.key_users, [])
  key_service_users                 = try(each.value.key_service_users, [])
  key_service_roles_for_autoscaling = try(each.value.key_service_roles_for_autoscaling, [])
%(extra)s}
"""

OUTPUTS = """
output "hcl" { value = { for k, m in module.hcl : k => m.key_policy } }
output "data_source" { value = { for k, m in module.data_source : k => m.key_policy } }
"""


def root_text() -> str:
    common = {"module": MODULE, "fp": SYMMETRIC}
    override = "  override_policy_documents         = [each.value.override]\n"
    return (
        'variable "cases" { type = any }\n'
        + MODULE_BLOCK % {**common, "name": "hcl", "extra": ""}
        + MODULE_BLOCK % {**common, "name": "data_source", "extra": override}
        + OUTPUTS
    )


def test_hcl_key_policy_is_the_data_source_json(tf: Any, tmp_path: Path) -> None:
    root = write_root(tmp_path / "r", root_text())
    # Merging a document (even an empty one) drops the Id of KMS's default policy, unless the
    # document brings that Id itself, as IAMPolicyDoc.Merge adopts a merged document's Id.
    cases = {
        name: {**args, "override": json.dumps({"Id": "key-default-1", "Statement": []})}
        if name == "default"
        else {**args, "override": json.dumps({"Statement": []})}
        for name, args in CASES.items()
    }
    (root / "terraform.tfvars.json").write_text(json.dumps({"cases": cases}))
    runner = tf(root)
    runner.init()
    runner.plan("-out=plan.bin", detailed=False, check=True)
    outputs = runner.show_json("plan.bin")["planned_values"]["outputs"]
    hcl, data_source = outputs["hcl"]["value"], outputs["data_source"]["value"]
    assert set(hcl) == set(data_source) == set(CASES)
    for name in CASES:
        assert hcl[name] == data_source[name], name
    # The cases reach every shape: KMS's default policy (Id), lists, conditions.
    assert json.loads(hcl["default"])["Id"] == "key-default-1"
    assert "Id" not in json.loads(hcl["every_role"])
    assert '"kms:GrantIsForAWSResource": "true"' in hcl["service_users"]


TRIGGER_ROOT = """
module "key" {
  source                  = "%(module)s"
  material_source         = "generate:trigger-type"
  material_fingerprint    = "%(fp)s"
  helper_command          = "%(helper)s"
  deletion_window_in_days = 7
}
"""


def test_import_trigger_keeps_the_recorded_types(tf: Any, tmp_path: Path) -> None:
    # terraform_data replaces itself when triggers_replace changes type, even with equal
    # values, so a refactor that retypes a trigger (a null valid_to as string instead of
    # dynamic) would re-run the import step of every existing key on upgrade.
    helper = tmp_path / "helper"
    helper.write_text("#!/bin/sh\nexit 0\n")
    helper.chmod(0o755)
    root = write_root(
        tmp_path / "r", TRIGGER_ROOT % {"module": MODULE, "fp": SYMMETRIC, "helper": helper}
    )
    runner = tf(root)
    runner.init()
    runner.apply()
    state = json.loads((root / "terraform.tfstate").read_text())
    (step,) = [r for r in state["resources"] if r["type"] == "terraform_data"]
    assert step["instances"][0]["attributes"]["triggers_replace"]["type"] == [
        "object",
        {
            "enabled": "bool",
            "key_arn": "string",
            "material_fingerprint": "string",
            "material_source": "string",
            "valid_to": "dynamic",
            "wrapping_algorithm": "string",
            "wrapping_key_spec": "string",
        },
    ]
