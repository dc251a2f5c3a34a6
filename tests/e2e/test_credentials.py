"""Credentials parity and the version handshake through real Terraform (issue 21, items 2
and 4): the modules' `profile` and `assume_role` reach both helper runs, so the helper acts
as the provider's principal; a role that cannot be assumed, or a helper outside the module's
version range, stops the plan in one line with nothing created. Each test ends with the leak
scan.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from kms_import import __version__
from kms_import.material import secret_fingerprint
from offline.stack import OfflineStack

from .workspace import PROVIDERS, REPO, Workspace, material_file

pytestmark = pytest.mark.e2e

HELPER = REPO / ".venv" / "bin" / "kms-import"
ACCOUNT = "123456789012"
AMBIENT_KEY = "testing"  # the offline stack's AWS_ACCESS_KEY_ID

# A root whose provider uses the ambient credentials while the module is given its own: what
# the helper does is then the module's doing alone.
MODULE_ROOT = """
variable "keys" {
  description = "Key name -> material reference."
  type        = map(string)
}

variable "fingerprints" {
  description = "Key name -> recorded fingerprint (the others are computed at plan)."
  type        = map(string)
  default     = {}
}

variable "helper_command" {
  description = "kms-import, or a wrapper around it."
  type        = string
}

variable "profile" {
  description = "Passed to the module."
  type        = string
  default     = null
}

variable "assume_role" {
  description = "Passed to the module."
  type        = any
  default     = null
}

module "keys" {
  source = "../modules/external-keys"

  keys = {
    for name, source in var.keys :
    name => {
      material_source      = source
      material_fingerprint = lookup(var.fingerprints, name, null)
    }
  }
  helper_command = var.helper_command
  profile        = var.profile
  assume_role    = var.assume_role
}
"""


def _module_root(tmp_path: Path, stack: OfflineStack) -> Workspace:
    source = tmp_path / "src"
    source.mkdir(parents=True)
    (source / "main.tf").write_text(PROVIDERS + MODULE_ROOT)
    return Workspace.create(tmp_path, stack, root=source)


def _secret_material(ws: Workspace, name: str) -> tuple[str, bytes]:
    """Material in Secrets Manager: reading it is an AWS call, so plan-keys' reads show in
    the call record under whoever made them."""
    material = os.urandom(32)
    ws.client("secretsmanager").create_secret(Name=name, SecretBinary=material)
    return f"secretsmanager:{name}", material


def _role(ws: Workspace, name: str, principal: Any) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
    }
    role = ws.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    return str(role["Role"]["Arn"])


def _check_roles(stack: OfflineStack) -> None:
    """AssumeRole honours IAM roles and their trust policies from now on."""
    stack.control("POST", "/_localaws/sts", {"check_roles": True})


def _calls(stack: OfflineStack) -> list[dict[str, str]]:
    record = stack.control("GET", "/_localaws/calls")
    assert isinstance(record, list)
    return record


def _helper_keys(stack: OfflineStack, action: str) -> set[str]:
    """The access keys the helper's `action` calls were signed with."""
    return {
        c["access_key_id"]
        for c in _calls(stack)
        if c["action"] == action and c.get("agent") == "kms-import"
    }


def _identity(stack: OfflineStack, access_key_id: str) -> str:
    """Whose access key this is, as the local AWS knows it (it does not check signatures)."""
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=stack.endpoint,
        aws_access_key_id=access_key_id,
        aws_secret_access_key="unused",  # the local AWS does not verify signatures
    )
    return str(sts.get_caller_identity()["Arn"])


def _flat(text: str) -> str:
    """Terraform's output with its box drawing and line wrapping undone."""
    return " ".join(text.replace("│", " ").split())


def _keys(ws: Workspace) -> list[str]:
    return [k["KeyId"] for k in ws.kms().list_keys()["Keys"]]


def test_assume_role_on_the_root_plans_and_imports_as_the_role(workspace: Workspace) -> None:
    ws, stack = workspace, workspace.stack
    _check_roles(stack)
    role = _role(ws, "key-deployer", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    source, material = _secret_material(ws, "kms/e2e/assumed")
    session = "kms-import-e2e"
    assume_role = {"role_arn": role, "session_name": session, "duration": "1h"}
    generations = {"g1": {"material_source": source}}  # no fingerprint: plan reads it
    ws.write_vars(
        generations=generations,
        active_generation="g1",
        helper_command=str(HELPER),
        assume_role=assume_role,
    )
    as_role = f"arn:aws:sts::{ACCOUNT}:assumed-role/key-deployer/{session}"

    # Plan alone: plan-keys reads the secret as the role, which it assumed with the ambient key.
    ws.init()
    ws.tf("plan", "-input=false")
    (plan_key,) = _helper_keys(stack, "GetSecretValue")
    assert plan_key != AMBIENT_KEY and _identity(stack, plan_key) == as_role
    assert _helper_keys(stack, "AssumeRole") == {AMBIENT_KEY}
    stack.control("DELETE", "/_localaws/calls")

    ws.apply()
    imported = _helper_keys(stack, "ImportKeyMaterial")
    assert imported and AMBIENT_KEY not in imported
    assert {_identity(stack, key) for key in imported} == {as_role}
    # Every call the helper made, but assuming the role, was signed with the role's keys.
    signed = {c["access_key_id"] for c in _calls(stack) if c.get("agent") == "kms-import"}
    assert {_identity(stack, key) for key in signed - {AMBIENT_KEY}} == {as_role}
    assert _helper_keys(stack, "AssumeRole") == {AMBIENT_KEY}
    assert not [
        c
        for c in _calls(stack)
        if c["access_key_id"] == AMBIENT_KEY
        and c.get("agent") == "kms-import"
        and c["action"] != "AssumeRole"
    ]
    key_id = ws.outputs()["key_id"]
    assert ws.kms().describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert ws.plan_exitcode() == 0

    # Who runs the import is not what was imported: another session name re-imports nothing.
    ws.write_vars(
        generations=generations,
        active_generation="g1",
        helper_command=str(HELPER),
        assume_role={**assume_role, "session_name": "someone-else"},
    )
    assert ws.plan_exitcode() == 0
    ws.assert_no_leak(material)


def test_a_role_that_cannot_be_assumed_fails_the_plan_in_one_line(
    tmp_path: Path, clean_stack: OfflineStack
) -> None:
    ws = _module_root(tmp_path, clean_stack)
    _check_roles(clean_stack)
    # It exists, but trusts only EC2: the ambient principal may not assume it.
    role = _role(ws, "ec2-only", {"Service": "ec2.amazonaws.com"})
    source, material = _secret_material(ws, "kms/e2e/untrusted")
    ws.write_vars(keys={"app": source}, helper_command=str(HELPER), assume_role={"role_arn": role})
    result = ws.apply(check=False)
    assert result.code != 0
    output = _flat(result.stdout + result.stderr)
    # The first read that needs the role names it (plan-keys reads sources lazily).
    assert f"kms-import: error: plan-keys: entry 'app': cannot assume role {role}: " in output
    assert output.count("kms-import: error:") == 1
    assert "Traceback" not in output
    assert _keys(ws) == []
    ws.assert_no_leak(material)


CONFIG = """[profile deployer]
aws_access_key_id = {key}
aws_secret_access_key = {secret}
region = us-east-1
"""


def test_a_profile_on_the_root_is_used_by_plan_and_import(workspace: Workspace) -> None:
    ws, stack = workspace, workspace.stack
    key, secret = "AKIADEPLOYER00000001", os.urandom(20).hex()
    config = ws.dir.parent / "aws-config"
    config.write_text(CONFIG.format(key=key, secret=secret))
    config.chmod(0o600)
    ws.runner.env["AWS_CONFIG_FILE"] = str(config)
    source, material = _secret_material(ws, "kms/e2e/profile")
    ws.write_vars(
        generations={"g1": {"material_source": source}},
        active_generation="g1",
        helper_command=str(HELPER),
        profile="deployer",
    )
    ws.init()
    ws.tf("plan", "-input=false")
    assert _helper_keys(stack, "GetSecretValue") == {key}
    stack.control("DELETE", "/_localaws/calls")

    ws.apply()
    assert _helper_keys(stack, "ImportKeyMaterial") == {key}
    assert {c["access_key_id"] for c in _calls(stack) if c.get("agent") == "kms-import"} == {key}
    assert ws.plan_exitcode() == 0
    ws.assert_no_leak(material)
    # The profile's secret key stays in the config file: never in argv, env, state or logs.
    ws.assert_no_leak(secret.encode())


# Runs the real helper as if it were release 0.1.0.
OLD_HELPER = """#!/bin/sh
exec '{python}' -c '
import sys, kms_import
kms_import.__version__ = "0.1.0"
from kms_import.cli import main
sys.exit(main())' "$@"
"""


def _old_helper(tmp_path: Path) -> str:
    script = tmp_path / "old-kms-import"
    script.write_text(OLD_HELPER.format(python=REPO / ".venv" / "bin" / "python"))
    script.chmod(0o755)
    return str(script)


def _module_range() -> str:
    text = (REPO / "modules" / "external-keys" / "versions.tf").read_text()
    match = re.search(r'helper_versions\s*=\s*"([^"]+)"', text)
    assert match, "modules/external-keys/versions.tf declares no helper_versions"
    return match.group(1)


def _mismatch_line(installed: str, wanted: str) -> str:
    spec = wanted.replace(" ", "")
    return (
        f"kms-import: error: kms-import {installed} is installed, but this module needs "
        f"kms-import {wanted}; install a matching helper: pipx install 'kms-import{spec}'"
    )


@pytest.mark.parametrize("mismatch", ["old-helper", "newer-module"])
def test_a_helper_outside_the_modules_range_fails_the_plan_in_one_line(
    tmp_path: Path, clean_stack: OfflineStack, mismatch: str
) -> None:
    ws = _module_root(tmp_path, clean_stack)
    source, material = _secret_material(ws, "kms/e2e/handshake")
    helper, installed, wanted = str(HELPER), __version__, _module_range()
    if mismatch == "old-helper":
        helper, installed = _old_helper(tmp_path), "0.1.0"
    else:  # a module copy written for the next minor release
        wanted = ">=0.3.0, <0.4.0"
        versions = ws.dir.parent / "modules" / "external-keys" / "versions.tf"
        versions.write_text(versions.read_text().replace(_module_range(), wanted))
    ws.write_vars(keys={"app": source}, helper_command=helper)
    result = ws.apply(check=False)
    assert result.code != 0
    output = _flat(result.stdout + result.stderr)
    assert _mismatch_line(installed, wanted) in output
    assert output.count("kms-import: error:") == 1 and "Traceback" not in output
    assert _keys(ws) == []
    assert not [c for c in _calls(clean_stack) if c.get("agent") == "kms-import"]
    ws.assert_no_leak(material)


def test_with_every_fingerprint_recorded_an_old_helper_still_fails_the_plan(
    tmp_path: Path, clean_stack: OfflineStack
) -> None:
    """Plan reads no material then, but its helper run still checks the version: the plan
    fails before any key is created and nothing is imported."""
    ws = _module_root(tmp_path, clean_stack)
    source, material = _secret_material(ws, "kms/e2e/handshake-apply")
    ws.write_vars(
        keys={"app": source},
        fingerprints={"app": secret_fingerprint(material)},
        helper_command=_old_helper(tmp_path),
    )
    result = ws.apply(check=False)
    assert result.code != 0
    output = _flat(result.stdout + result.stderr)
    assert _mismatch_line("0.1.0", _module_range()) in output and "Traceback" not in output
    assert _keys(ws) == []
    assert not [c for c in _calls(clean_stack) if c.get("agent") == "kms-import"]
    ws.assert_no_leak(material)


def test_keys_named_like_the_credentials_are_keys(
    tmp_path: Path, clean_stack: OfflineStack
) -> None:
    """The plan step's query holds key names only: keys named profile and assume_role are
    fingerprinted and imported like any other, with credentials set or not."""
    ws = _module_root(tmp_path, clean_stack)
    materials = {
        name: _secret_material(ws, f"kms/e2e/{name}") for name in ("profile", "assume_role")
    }
    role = _role(ws, "key-deployer", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
    ws.write_vars(
        keys={name: source for name, (source, _) in materials.items()},
        helper_command=str(HELPER),
        assume_role={"role_arn": role},
    )
    ws.apply()
    assert len(_helper_keys(clean_stack, "ImportKeyMaterial")) == 1
    for key_id in _keys(ws):
        assert ws.kms().describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert len(_keys(ws)) == 2
    assert ws.plan_exitcode() == 0
    for _, material in materials.values():
        ws.assert_no_leak(material)


ROLE = f"arn:aws:iam::{ACCOUNT}:role/KeyDeployer"
BAD_INPUT = [
    ("profile=-x", "profile must be a profile name"),
    ("profile=two words", "profile must be a profile name"),
    ('assume_role={role_arn="arn:aws:iam::1:role/x"}', "assume_role.role_arn must be an IAM role"),
    ('assume_role={role_arn="deployer"}', "assume_role.role_arn must be an IAM role"),
    (f'assume_role={{role_arn="{ROLE}",session_name="a b"}}', "assume_role.session_name must"),
    (f'assume_role={{role_arn="{ROLE}",external_id="x"}}', "assume_role.external_id must"),
    (f'assume_role={{role_arn="{ROLE}",external_id="{"x" * 1225}"}}', "external_id must"),
    (f'assume_role={{role_arn="{ROLE}",duration="5m"}}', "assume_role.duration must"),
    (f'assume_role={{role_arn="{ROLE}",duration="12h1m"}}', "assume_role.duration must"),
    (f'assume_role={{role_arn="{ROLE}",duration="1 hour"}}', "assume_role.duration must"),
    (f'assume_role={{role_arn="{ROLE}",duration=""}}', "assume_role.duration must"),
]
GOOD_INPUT = [
    "profile=platform-deploy",
    f'assume_role={{role_arn="{ROLE}"}}',
    f'assume_role={{role_arn="{ROLE}",session_name="kms-import",duration="15m"}}',
    f'assume_role={{role_arn="{ROLE}",external_id="ticket-42",duration="1h30m"}}',
    f'assume_role={{role_arn="{ROLE}",duration="12h",external_id="{"x" * 1224}"}}',
    f'assume_role={{role_arn="{ROLE}",duration="900s"}}',
]


def test_profile_and_assume_role_are_validated_by_the_module(
    tmp_path: Path, clean_stack: OfflineStack
) -> None:
    """Bad references stop the plan with the module's own message before any helper run;
    the provider's forms of good ones plan (the helper is not asked to assume anything:
    file sources need no AWS call at plan)."""
    ws = _module_root(tmp_path, clean_stack)
    path, material = material_file(tmp_path / "keys")
    ws.write_vars(keys={"app": f"file://{path}"}, helper_command=str(HELPER))
    ws.init()
    for value, message in BAD_INPUT:
        result = ws.tf("plan", "-input=false", f"-var={value}", check=False)
        output = _flat(result.stdout + result.stderr)
        assert result.code == 1 and message in output, (value, output[-2000:])
        assert "kms-import: error" not in output and "Traceback" not in output
    for value in GOOD_INPUT:
        result = ws.tf("plan", "-input=false", f"-var={value}", check=False)
        assert result.code == 0, (value, _flat(result.stderr)[-2000:])
    assert _keys(ws) == []
    ws.assert_no_leak(material)
