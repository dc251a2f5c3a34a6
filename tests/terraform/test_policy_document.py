"""The key policy is built one way (aws_iam_policy_document per key kind) and writes the
bytes earlier versions wrote, so upgraded keys plan no policy change.

Until commit cb3997a modules/external-key wrote the policy JSON itself in HCL (imitating the
data source's layout) unless documents or key_statements had to be merged, and then used the
data source; tests/terraform kept the two equal (commit 116cc9a). Now modules/external-keys
only has the data source, with policy_id "key-default-1" when nothing but the default
statement exists. One plan renders each case through modules/external-key as it was at that
commit (extracted from git history) and as it is, and the two key_policy outputs must be
byte for byte equal: the seven role-list and key-spec cases of the HCL path, plus the two
merge cases that took the data source path. With TF_REAL_CLI_CONFIG this runs against the
real provider's data source.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from e2e.workspace import REPO, previous_tree

from .roots import write_root

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

# Cases that earlier versions sent through the data source (something to merge).
MERGE_CASES: dict[str, dict[str, Any]] = {
    "statements": {
        "key_users": [f"{ROLE}/App"],
        "key_statements": [
            {
                "sid": "DenyDeletion",
                "effect": "Deny",
                "actions": ["kms:ScheduleKeyDeletion"],
                "principals": [{"type": "AWS", "identifiers": [f"{ROLE}/App"]}],
            }
        ],
    },
    "override_default": {
        "override_policy_documents": [
            json.dumps(
                {
                    "Statement": [
                        {"Sid": "KeyUsage", "Effect": "Allow", "Action": "kms:Decrypt"}
                        | {"Resource": "*", "Principal": {"AWS": f"{ROLE}/Other"}}
                    ]
                }
            )
        ],
    },
}

# One module block per version, the same cases and arguments.
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
  key_statements                    = try(each.value.key_statements, [])
  override_policy_documents         = try(each.value.override_policy_documents, [])
}
"""

OUTPUTS = """
output "before" { value = { for k, m in module.before : k => m.key_policy } }
output "now" { value = { for k, m in module.now : k => m.key_policy } }
"""


def test_key_policy_bytes_are_the_previous_modules(tf: Any, tmp_path: Path) -> None:
    # Local (relative) sources: external-key calls ../external-keys, which Terraform allows
    # only outside a downloaded package.
    common = {"fp": SYMMETRIC}
    root = write_root(
        tmp_path / "r",
        'variable "cases" { type = any }\n'
        + MODULE_BLOCK % {**common, "name": "before", "module": "./previous/external-key"}
        + MODULE_BLOCK % {**common, "name": "now", "module": "./modules/external-key"}
        + OUTPUTS,
    )
    (root / "previous").symlink_to(previous_tree(tmp_path / "previous", "modules") / "modules")
    (root / "modules").symlink_to(REPO / "modules")
    cases = {**CASES, **MERGE_CASES}
    (root / "terraform.tfvars.json").write_text(json.dumps({"cases": cases}))
    runner = tf(root)
    runner.init()
    runner.plan("-out=plan.bin", detailed=False, check=True)
    outputs = runner.show_json("plan.bin")["planned_values"]["outputs"]
    old, new = outputs["before"]["value"], outputs["now"]["value"]
    assert set(old) == set(new) == set(cases)
    for name in cases:
        assert new[name] == old[name], name
    # The cases reach every shape: KMS's default policy (Id), lists, conditions, merges.
    assert json.loads(new["default"])["Id"] == "key-default-1"
    assert "Id" not in json.loads(new["every_role"])
    assert "Id" not in json.loads(new["statements"])
    assert '"kms:GrantIsForAWSResource": "true"' in new["service_users"]
    assert json.loads(new["override_default"])["Statement"][-1]["Sid"] == "KeyUsage"


KINDS_ROOT = """
module "keys" {
  source    = "%(module)s"
  key_users = ["%(role)s/App"]
  keys = {
    for name, spec in {
      sym1 = ["SYMMETRIC_DEFAULT", null], sym2 = ["SYMMETRIC_DEFAULT", null],
      mac = ["HMAC_256", null], rsa = ["RSA_2048", "SIGN_VERIFY"], ecc = ["ECC_NIST_P256", null],
    } : name => {
      material_source      = "generate:${name}"
      material_fingerprint = contains(["rsa", "ecc"], name) ? "%(spki)s" : "%(fp)s"
      key_spec             = spec[0]
      key_usage            = spec[1]
    }
  }
}
"""


def test_one_policy_document_per_key_kind(tf: Any, tmp_path: Path) -> None:
    """Keys of one kind share one data source; each key gets its kind's user actions."""
    values = {"module": "./modules/external-keys", "role": ROLE, "fp": SYMMETRIC, "spki": SPKI}
    root = write_root(tmp_path / "r", KINDS_ROOT % values)
    (root / "modules").symlink_to(REPO / "modules")
    runner = tf(root)
    runner.init()
    runner.plan("-out=plan.bin", detailed=False, check=True)
    plan = runner.show_json("plan.bin")
    documents = [
        r["address"]
        for r in plan["prior_state"]["values"]["root_module"]["child_modules"][0]["resources"]
        if r["type"] == "aws_iam_policy_document"
    ]
    assert sorted(documents) == [
        f'module.keys.data.aws_iam_policy_document.key["{kind}"]'
        for kind in ("GENERATE_VERIFY_MAC", "SIGN_VERIFY", "symmetric")
    ]
    policies = {
        r["address"].split('"')[1]: json.loads(r["values"]["policy"])
        for r in plan["planned_values"]["root_module"]["child_modules"][0]["child_modules"]
        for r in r["resources"]
        if r["type"] == "aws_kms_external_key"
    }
    usage = {name: p["Statement"][-1]["Action"] for name, p in policies.items()}
    assert usage["sym1"] == usage["sym2"]
    assert "kms:GenerateMac" in usage["mac"]
    assert "kms:Sign" in usage["rsa"] and usage["rsa"] == usage["ecc"]
