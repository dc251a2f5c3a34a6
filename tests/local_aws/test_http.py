"""The same behaviour over HTTP, through a real `local-aws serve` subprocess started the
way the project's offline stack starts it, plus the control endpoints and the AWS CLI."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from kms_conformance import wrap

from offline.stack import OfflineStack


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with OfflineStack(tmp_path_factory.mktemp("stack")).serving() as stack:
        yield stack


@pytest.fixture
def kms(server):
    return boto3.client(
        "kms",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _control(server, path, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    url = f"{server.endpoint}/_localaws/{path}"  # always http://127.0.0.1:<port>
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_health(server):
    assert _control(server, "health")[0] == 200


def test_import_expire_and_reimport_over_http(server, kms):
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    material = os.urandom(32)
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
        ExpirationModel="KEY_MATERIAL_EXPIRES",
        ValidTo=datetime.now(UTC) + timedelta(hours=1),
    )
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"over http")["CiphertextBlob"]
    try:
        status, body = _control(server, "clock", "POST", {"advance_seconds": 7200})
        assert status == 200
        assert datetime.fromisoformat(body["now"]) > datetime.now(UTC) + timedelta(minutes=110)
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert meta["KeyState"] == "PendingImport"
        with pytest.raises(ClientError) as caught:
            kms.decrypt(CiphertextBlob=blob)
        assert caught.value.response["Error"]["Code"] == "KMSInvalidStateException"
        # Parameters from before the jump are still within their 24 h.
        kms.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"over http"
        _control(server, "clock", "POST", {"advance_seconds": 25 * 3600})
        with pytest.raises(ClientError) as caught:
            kms.import_key_material(
                KeyId=key_id,
                ImportToken=params["ImportToken"],
                EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
            )
        assert caught.value.response["Error"]["Code"] == "ExpiredImportTokenException"
    finally:
        _control(server, "clock", "POST", {"reset": True})
    now = datetime.fromisoformat(_control(server, "clock")[1]["now"])
    assert abs((now - datetime.now(UTC)).total_seconds()) < 5


def test_clock_set_to_a_fixed_time(server):
    try:
        _, body = _control(server, "clock", "POST", {"now": "2031-06-17T20:00:00Z"})
        assert body["now"].startswith("2031-06-17T20:00")
    finally:
        _control(server, "clock", "POST", {"reset": True})


def test_calls_record_and_reset(server, kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.describe_key(KeyId=key_id)
    _, record = _control(server, "calls")
    mine = [c for c in record if c.get("key_id") == key_id]
    assert [c["action"] for c in mine] == ["DescribeKey"]
    assert set(mine[0]) == {"service", "action", "region", "key_id", "access_key_id", "time"}
    assert mine[0]["access_key_id"] == "testing"
    assert _control(server, "calls", "DELETE")[0] == 200
    assert _control(server, "calls")[1] == []


def test_other_services_share_the_endpoint(server):
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    assert session.client("sts", endpoint_url=server.endpoint).get_caller_identity()["Account"]
    s3 = session.client("s3", endpoint_url=server.endpoint)
    s3.create_bucket(Bucket="state")
    s3.put_object(Bucket="state", Key="k", Body=b"v")
    assert s3.get_object(Bucket="state", Key="k")["Body"].read() == b"v"


def _aws(server, tmp: Path, *args: str) -> str:
    env = {**os.environ, **server.env()}
    env.pop("AWS_PROFILE", None)
    aws = str(Path(sys.executable).parent / "aws")
    return subprocess.run(
        [aws, *args], env=env, cwd=tmp, check=True, capture_output=True, text=True
    ).stdout


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_seed_workflow_with_the_aws_cli_and_openssl(server, kms, tmp_path):
    """The workflow users run by hand today, unchanged, against the local server (the CLI
    starts slowly, so set-up and checks go through boto3)."""
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/MyImportedKey", TargetKeyId=key_id)
    (tmp_path / "import.txt").write_text(
        _aws(
            server,
            tmp_path,
            "kms",
            "get-parameters-for-import",
            "--key-id",
            key_id,
            "--wrapping-algorithm",
            "RSAES_OAEP_SHA_256",
            "--wrapping-key-spec",
            "RSA_3072",
        )
    )
    params = json.loads((tmp_path / "import.txt").read_text())
    (tmp_path / "PublicKey.bin").write_bytes(base64.b64decode(params["PublicKey"]))
    (tmp_path / "ImportToken.bin").write_bytes(base64.b64decode(params["ImportToken"]))
    subprocess.run(
        ["openssl", "rand", "-out", "PlaintextKeyMaterial.bin", "32"], cwd=tmp_path, check=True
    )
    subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-encrypt",
            "-in",
            "PlaintextKeyMaterial.bin",
            "-out",
            "EncryptedKeyMaterial.bin",
            "-inkey",
            "PublicKey.bin",
            "-keyform",
            "DER",
            "-pubin",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
        ],
        cwd=tmp_path,
        check=True,
    )
    _aws(
        server,
        tmp_path,
        "kms",
        "import-key-material",
        "--key-id",
        key_id,
        "--encrypted-key-material",
        "fileb://EncryptedKeyMaterial.bin",
        "--import-token",
        "fileb://ImportToken.bin",
        "--expiration-model",
        "KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    blob = _aws(
        server,
        tmp_path,
        "kms",
        "encrypt",
        "--key-id",
        "alias/MyImportedKey",
        "--plaintext",
        "fileb://PlaintextKeyMaterial.bin",
        "--query",
        "CiphertextBlob",
        "--output",
        "text",
    ).strip()
    plain = kms.decrypt(CiphertextBlob=base64.b64decode(blob))["Plaintext"]
    assert plain == (tmp_path / "PlaintextKeyMaterial.bin").read_bytes()
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (meta["KeyState"], meta["ExpirationModel"]) == (
        "Enabled",
        "KEY_MATERIAL_DOES_NOT_EXPIRE",
    )


def test_cli_reports_kms_error_codes(server, kms, tmp_path):
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    with pytest.raises(subprocess.CalledProcessError) as caught:
        _aws(server, tmp_path, "kms", "enable-key", "--key-id", key_id)
    assert "KMSInvalidStateException" in caught.value.stderr


def test_faults_endpoint(server, kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    try:
        status, body = _control(server, "faults", "POST", {"throttle_rate": 1.0})
        assert status == 200 and body["throttle_rate"] == 1.0
        from botocore.config import Config

        no_retry = boto3.client(
            "kms",
            endpoint_url=server.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )
        with pytest.raises(ClientError) as caught:
            no_retry.describe_key(KeyId=key_id)
        assert caught.value.response["Error"]["Code"] == "ThrottlingException"
    finally:
        _control(server, "faults", "POST", {})
    assert _control(server, "faults")[1]["throttle_rate"] == 0.0
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
