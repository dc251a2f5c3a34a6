"""The provider's `assume_role` block through real Terraform core and the stand-in (issue 21,
item 4): Terraform acts as the role, which the local AWS's call record shows by access key;
a role that cannot be assumed fails configuration with the provider's own diagnostic."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from offline.stack import OfflineStack

from .roots import init_root

ACCOUNT = "123456789012"
PROVIDERS = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 6.0" }
  }
}
variable "role_arn" { type = string }
provider "aws" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_metadata_api_check     = "true"
  assume_role {
    role_arn     = var.role_arn
    session_name = "terraform"
    duration     = "1h"
  }
}
"""
KEY = """
resource "aws_kms_external_key" "this" {
  description             = "made as the role"
  deletion_window_in_days = 7
}
output "key_id" { value = aws_kms_external_key.this.id }
"""


def _role(stack: OfflineStack) -> str:
    iam = stack.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    name = f"deployer-{uuid.uuid4().hex[:8]}"
    made = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    return str(made["Role"]["Arn"])


def _calls(stack: OfflineStack) -> list[dict[str, str]]:
    record = stack.control("GET", "/_localaws/calls")
    assert isinstance(record, list)
    return record


def test_terraform_creates_the_key_as_the_assumed_role(
    tf: Any, tmp_path: Path, offline_stack: OfflineStack
) -> None:
    role_arn = _role(offline_stack)
    runner = init_root(tf, tmp_path, KEY, PROVIDERS)
    before = len(_calls(offline_stack))
    runner.apply(vars={"role_arn": role_arn})
    mine = _calls(offline_stack)[before:]
    assumed = [c for c in mine if c["action"] == "AssumeRole"]
    assert assumed and {c["access_key_id"] for c in assumed} == {"testing"}
    (create,) = [c for c in mine if c["action"] == "CreateKey"]
    assert create["access_key_id"] not in ("testing", "")
    # Every KMS call of this run was made with an assumed role's key, none with "testing".
    kms_keys = {c.get("access_key_id") for c in mine if c["service"] == "kms"}
    assert kms_keys and not kms_keys & {"testing", None}
    runner.destroy(vars={"role_arn": role_arn})


def test_a_role_that_cannot_be_assumed_fails_configuration(
    tf: Any, tmp_path: Path, offline_stack: OfflineStack
) -> None:
    missing = f"arn:aws:iam::{ACCOUNT}:role/nobody-made-this"
    runner = init_root(tf, tmp_path, KEY, PROVIDERS)
    offline_stack.control("POST", "/_localaws/sts", {"check_roles": True})
    try:
        code, _, err = runner.plan(f"-var=role_arn={missing}")
    finally:
        offline_stack.control("POST", "/_localaws/sts", {})
    assert code == 1
    assert "Cannot assume IAM Role" in err
    assert f"IAM Role ({missing}) cannot be assumed." in err
    assert "AccessDenied" in err
