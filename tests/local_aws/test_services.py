"""The other services at the local AWS's one endpoint (issue 6, item 3), used the way users
use them after `eval "$(make -s offline-env)"`: only the environment from
`OfflineStack.env()` points boto3 and the AWS CLI at the server; no endpoint is passed.

Each test writes with one client and reads with the other. The AWS CLI runs in a child
process given that environment; to keep the suite fast one child serves the module, running
each command through `awscli.clidriver` as `.venv/bin/aws` does, and the STS test also runs
the `aws` executable itself.
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

import boto3
import pytest
from botocore.exceptions import ClientError

from offline.stack import OfflineStack

AWS = Path(sys.executable).parent / "aws"
ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:*"}
        ],
    }
)

# `aws <argv>` for each JSON line read, answered with one JSON line; the same
# awscli.clidriver entry that `.venv/bin/aws` calls, with a fresh driver (session) per command.
_CLI_LOOP = """
import contextlib, io, json, sys
from awscli.clidriver import create_clidriver
for line in sys.stdin:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = create_clidriver().main(json.loads(line) + ["--output", "json"])
    print(json.dumps({"rc": rc, "out": out.getvalue(), "err": err.getvalue()}), flush=True)
"""


class Cli:
    """One child process running AWS CLI commands in the stack's environment (starting the
    CLI costs 1-2 s per process on a busy machine; one process serves the module)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CLI_LOOP],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __call__(self, *argv: str) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(list(argv)) + "\n")
        self.proc.stdin.flush()
        result: dict[str, Any] = json.loads(self.proc.stdout.readline())
        ok = result["rc"] == 0 and result["out"]
        result["json"] = json.loads(result["out"]) if ok else None
        return result

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running stack, its environment applied to this process (for boto3) and returned
    whole (for the CLI's child processes)."""
    with (
        OfflineStack(tmp_path_factory.mktemp("services")).serving() as stack,
        pytest.MonkeyPatch.context() as patch,
    ):
        child = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        child.update(stack.env())
        for name in [k for k in os.environ if k.startswith("AWS_")]:
            patch.delenv(name)
        for name, value in stack.env().items():
            patch.setenv(name, value)
        yield child


@pytest.fixture(scope="module")
def cli(env: dict[str, str]) -> Iterator[Cli]:
    runner = Cli(env)
    try:
        yield runner
    finally:
        runner.close()


def _client(service: str) -> Any:
    return boto3.Session().client(service)  # endpoint, region, keys: all from the env


def test_sts_caller_identity(env):
    identity = _client("sts").get_caller_identity()
    done = subprocess.run(
        [str(AWS), "sts", "get-caller-identity", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    from_cli = json.loads(done.stdout)
    assert from_cli["Account"] == identity["Account"] == "123456789012"
    assert from_cli["Arn"] == identity["Arn"]


def test_s3_versioning_keeps_both_versions(env, cli, tmp_path):
    s3 = _client("s3")
    s3.create_bucket(Bucket="tf-state-versions")
    s3.put_bucket_versioning(
        Bucket="tf-state-versions", VersioningConfiguration={"Status": "Enabled"}
    )
    first, second = tmp_path / "v1.json", tmp_path / "v2.json"
    first.write_text('{"serial": 1}')
    second.write_text('{"serial": 2}')
    put = ["s3api", "put-object", "--bucket", "tf-state-versions", "--key", "terraform.tfstate"]
    ids = [cli(*put, "--body", str(path))["json"]["VersionId"] for path in (first, second)]
    assert len(set(ids)) == 2
    listed = cli("s3api", "list-object-versions", "--bucket", "tf-state-versions")["json"]
    assert sorted(v["VersionId"] for v in listed["Versions"]) == sorted(ids)
    versions = s3.list_object_versions(Bucket="tf-state-versions")["Versions"]
    assert {v["VersionId"]: v["IsLatest"] for v in versions} == {ids[0]: False, ids[1]: True}
    for version_id, body in zip(ids, (b'{"serial": 1}', b'{"serial": 2}'), strict=True):
        got = s3.get_object(
            Bucket="tf-state-versions", Key="terraform.tfstate", VersionId=version_id
        )
        assert got["Body"].read() == body


def test_s3_conditional_put_is_a_lock(env, cli, tmp_path):
    """The s3 backend's lockfile (use_lockfile) is a PutObject with If-None-Match: *."""
    s3 = _client("s3")
    s3.create_bucket(Bucket="tf-state-locks")
    s3.put_bucket_versioning(Bucket="tf-state-locks", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="tf-state-locks", Key="a.tflock", Body=b"holder 1", IfNoneMatch="*")
    with pytest.raises(ClientError) as held:
        s3.put_object(Bucket="tf-state-locks", Key="a.tflock", Body=b"holder 2", IfNoneMatch="*")
    assert held.value.response["Error"]["Code"] == "PreconditionFailed"
    assert held.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    body = tmp_path / "lock"
    body.write_text("cli holder")
    put = ["s3api", "put-object", "--bucket", "tf-state-locks", "--body", str(body)]
    taken = cli(*put, "--key", "a.tflock", "--if-none-match", "*")
    assert taken["rc"] != 0 and "PreconditionFailed" in taken["err"]
    assert cli(*put, "--key", "b.tflock", "--if-none-match", "*")["rc"] == 0
    # Unlocking deletes the object (a delete marker here), which frees the lock again.
    s3.delete_object(Bucket="tf-state-locks", Key="a.tflock")
    s3.put_object(Bucket="tf-state-locks", Key="a.tflock", Body=b"holder 3", IfNoneMatch="*")
    got = s3.get_object(Bucket="tf-state-locks", Key="a.tflock")["Body"].read()
    assert got == b"holder 3"


def test_secrets_manager_binary_and_string_secrets(env, cli, tmp_path):
    secrets = _client("secretsmanager")
    binary = bytes(range(256))
    secrets.create_secret(Name="escrow/binary", SecretBinary=binary)
    read = cli("secretsmanager", "get-secret-value", "--secret-id", "escrow/binary")["json"]
    assert base64.b64decode(read["SecretBinary"]) == binary

    made = cli(
        "secretsmanager", "create-secret", "--name", "escrow/string", "--secret-string", "pw"
    )
    assert made["rc"] == 0, made["err"]
    assert secrets.get_secret_value(SecretId="escrow/string")["SecretString"] == "pw"

    blob = tmp_path / "material.bin"
    blob.write_bytes(b"\x00\xff" * 16)
    made = cli(
        "secretsmanager",
        "create-secret",
        "--name",
        "escrow/file",
        "--secret-binary",
        f"fileb://{blob}",
    )
    assert made["rc"] == 0, made["err"]
    assert secrets.get_secret_value(SecretId="escrow/file")["SecretBinary"] == b"\x00\xff" * 16


def test_ssm_secure_string_needs_with_decryption(env, cli):
    ssm = _client("ssm")
    ssm.put_parameter(Name="/escrow/boto3", Value="from boto3", Type="SecureString")
    decrypted = cli("ssm", "get-parameter", "--name", "/escrow/boto3", "--with-decryption")
    assert decrypted["json"]["Parameter"]["Value"] == "from boto3"
    hidden = cli("ssm", "get-parameter", "--name", "/escrow/boto3")["json"]
    assert hidden["Parameter"]["Value"] != "from boto3"

    put = ["ssm", "put-parameter", "--name", "/escrow/cli", "--type", "SecureString"]
    made = cli(*put, "--value", "from cli")
    assert made["rc"] == 0, made["err"]
    got = ssm.get_parameter(Name="/escrow/cli", WithDecryption=True)["Parameter"]
    assert (got["Type"], got["Value"]) == ("SecureString", "from cli")
    assert ssm.get_parameter(Name="/escrow/cli")["Parameter"]["Value"] != "from cli"


def test_iam_roles(env, cli):
    iam = _client("iam")
    made = iam.create_role(RoleName="kms-import-boto3", AssumeRolePolicyDocument=ROLE_POLICY)
    got = cli("iam", "get-role", "--role-name", "kms-import-boto3")["json"]
    assert got["Role"]["Arn"] == made["Role"]["Arn"]

    created = cli(
        "iam",
        "create-role",
        "--role-name",
        "kms-import-cli",
        "--assume-role-policy-document",
        ROLE_POLICY,
    )
    assert created["rc"] == 0, created["err"]
    role = iam.get_role(RoleName="kms-import-cli")["Role"]
    assert role["Arn"] == created["json"]["Role"]["Arn"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:*"
