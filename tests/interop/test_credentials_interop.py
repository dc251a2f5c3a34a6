"""The helper's two module runs act as the assumed role, over HTTP against the local AWS.

`kms-import plan-keys --assume-role-arn ...` (as hashicorp/external runs it) and
`kms-import import-keys --assume-role-arn ...` (as local-exec runs it) are separate
processes with only the stack's ambient `testing` key in their environment, as Terraform runs
them. The local AWS decides AssumeRole by the role's trust policy (POST /_localaws/sts
check_roles) and its call record names the access key each call was signed with, so the test
sees who imported, not what the helper says.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kms_import.leakscan import spellings
from offline.stack import OfflineStack

BIN = Path(sys.executable).parent
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfflineStack]:
    with OfflineStack(tmp_path_factory.mktemp("credentials-stack")).serving() as local:
        yield local


@pytest.fixture
def aws(stack: OfflineStack) -> Iterator[OfflineStack]:
    stack.reset()
    stack.control("POST", "/_localaws/sts", {"check_roles": True})
    yield stack
    stack.reset()


def _env(stack: OfflineStack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
    return {**env, **stack.env()}


def _client(stack: OfflineStack, service: str) -> Any:
    return stack.client(service)


def _role(stack: OfflineStack, name: str, trusted_account: str) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{trusted_account}:root"},
        "Action": "sts:AssumeRole",
    }
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    return str(
        _client(stack, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"][
            "Arn"
        ]
    )


def _helper(stack: OfflineStack, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "kms-import"), *args],
        input=stdin,
        env=_env(stack),
        capture_output=True,
        text=True,
        timeout=180,
    )


def _signers(stack: OfflineStack, action: str) -> list[str]:
    calls = stack.control("GET", "/_localaws/calls")
    assert isinstance(calls, list)
    return [c.get("access_key_id", "") for c in calls if c.get("action") == action]


def _materials(tmp_path: Path, names: list[str]) -> dict[str, tuple[str, bytes]]:
    made = {}
    for name in names:
        material = os.urandom(32)
        path = tmp_path / f"{name}.bin"
        path.write_bytes(material)
        path.chmod(0o600)
        made[name] = (f"file://{path}", material)
    return made


def test_plan_and_import_run_as_the_assumed_role(aws: OfflineStack, tmp_path: Path) -> None:
    role = _role(aws, "importer", ACCOUNT)
    kms = _client(aws, "kms")
    materials = _materials(tmp_path, ["a", "b"])
    stored = os.urandom(32)  # c's material sits in SSM: plan reads it as the role too
    _client(aws, "ssm").put_parameter(
        Name="/keys/c", Type="SecureString", Value=base64.b64encode(stored).decode()
    )
    materials["c"] = ("ssm:/keys/c?format=base64", stored)
    arns = {n: kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"] for n in materials}

    query = {
        name: json.dumps({"source": source, "key_spec": "SYMMETRIC_DEFAULT"})
        for name, (source, _) in materials.items()
    }
    flags = ["--assume-role-arn", role, "--assume-role-session-name", "terraform"]
    planned = _helper(
        aws, "plan-keys", *flags, "--assume-role-duration", "1h", stdin=json.dumps(query)
    )
    assert planned.returncode == 0, planned.stderr
    fingerprints = json.loads(planned.stdout)
    assert set(fingerprints) == set(materials)

    entries = []
    for name, (source, _) in materials.items():
        entry = {
            "name": name,
            "key_arn": arns[name],
            "material_source": source,
            "material_fingerprint": fingerprints[name],
            "wrapping_key_spec": "RSA_2048",
        }
        entries += ["--key", json.dumps(entry)]
    imported = _helper(aws, "import-keys", *entries, *flags, "--assume-role-duration", "1h")
    assert imported.returncode == 0, imported.stderr

    signers = _signers(aws, "ImportKeyMaterial")
    assert len(signers) == 3 and len(set(signers)) == 1, signers
    assumed = signers[0]
    assert assumed.startswith("ASIA")  # the role's session, not the ambient `testing` key
    assert _signers(aws, "AssumeRole") == ["testing", "testing"]  # once per helper run
    readers = _signers(aws, "GetParameter")  # c's source: at plan, then at import
    assert len(readers) == 2 and readers[0].startswith("ASIA") and readers[1] == assumed
    for done in (planned, imported):
        text = done.stdout + done.stderr
        assert assumed not in text  # no credential in anything the helper prints
        for _, material in materials.values():
            assert not any(n.decode(errors="ignore") in text for n in spellings(material).values())


def test_a_role_that_does_not_trust_the_caller_is_one_line(
    aws: OfflineStack, tmp_path: Path
) -> None:
    role = _role(aws, "elsewhere", "210987654321")
    kms = _client(aws, "kms")
    ((source, _),) = _materials(tmp_path, ["a"]).values()
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    entry = json.dumps({"name": "a", "key_arn": arn, "material_source": source})
    done = _helper(aws, "import-keys", "--key", entry, "--assume-role-arn", role)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"cannot assume role {role}: AccessDenied" in done.stderr
    assert _signers(aws, "ImportKeyMaterial") == []
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"
