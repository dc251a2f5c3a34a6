"""--state-dir: keys, material versions and rotation state, aliases, import parameters,
secrets and objects survive a server restart (issue 6, item 5); every service the stack
serves survives `offline-stack down` + `up`, and a failed save is logged and retried
(issue 23, item 5)."""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from kms_conformance import wrap

import localaws
from localaws import persistence
from offline.stack import OfflineStack, StackError


def _clients(stack):
    return (stack.client(name) for name in ("kms", "secretsmanager", "s3"))


def _import(kms, key_id, material, **extra):
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    return kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        **extra,
    )["KeyMaterialId"]


def test_state_survives_a_restart(tmp_path):
    stack = OfflineStack(tmp_path / "offline")
    stack.up(persist=True)
    try:
        kms, secrets, s3 = _clients(stack)
        key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/persisted", TargetKeyId=key_id)
        material = os.urandom(32)
        params = kms.get_parameters_for_import(
            KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
        )
        kms.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
        blob = kms.encrypt(KeyId="alias/persisted", Plaintext=b"kept")["CiphertextBlob"]
        kms.delete_imported_key_material(KeyId=key_id)
        # Rotation state: two generations (one rotation) and a third pending.
        rotated = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        gen1 = _import(kms, rotated, os.urandom(32), KeyMaterialDescription="gen 1")
        gen1_blob = kms.encrypt(KeyId=rotated, Plaintext=b"gen 1")["CiphertextBlob"]
        gen2 = _import(kms, rotated, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
        kms.rotate_key_on_demand(KeyId=rotated)
        gen2_blob = kms.encrypt(KeyId=rotated, Plaintext=b"gen 2")["CiphertextBlob"]
        gen3 = _import(kms, rotated, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
        secrets.create_secret(Name="escrow", SecretBinary=b"\x00\x01")
        s3.create_bucket(Bucket="tf-state")
        s3.put_object(Bucket="tf-state", Key="terraform.tfstate", Body=b"{}")
    finally:
        stack.stop_child()
    saved = tmp_path / "offline" / "aws" / "state.pickle"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600

    started = time.perf_counter()
    stack.up(persist=True)
    restart_s = time.perf_counter() - started
    try:
        kms, secrets, s3 = _clients(stack)
        assert kms.describe_key(KeyId="alias/persisted")["KeyMetadata"]["KeyState"] == (
            "PendingImport"
        )
        # Parameters fetched before the restart still import the same material after it.
        kms.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", material),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
        materials = kms.list_key_rotations(KeyId=rotated, IncludeKeyMaterial="ALL_KEY_MATERIAL")
        assert [
            (m["KeyMaterialId"], m["KeyMaterialState"], m.get("KeyMaterialDescription"))
            for m in materials["Rotations"]
        ] == [
            (gen1, "NON_CURRENT", "gen 1"),
            (gen2, "CURRENT", None),
            (gen3, "PENDING_ROTATION", None),
        ]
        assert kms.decrypt(CiphertextBlob=gen1_blob)["Plaintext"] == b"gen 1"
        assert kms.decrypt(CiphertextBlob=gen2_blob)["Plaintext"] == b"gen 2"
        kms.rotate_key_on_demand(KeyId=rotated)  # the pending material survived too
        assert kms.describe_key(KeyId=rotated)["KeyMetadata"]["CurrentKeyMaterialId"] == gen3
        assert secrets.get_secret_value(SecretId="escrow")["SecretBinary"] == b"\x00\x01"
        body = s3.get_object(Bucket="tf-state", Key="terraform.tfstate")["Body"].read()
        assert body == b"{}"
    finally:
        stack.stop_child()
    assert restart_s < 20, restart_s


def _holds(saved, key_id: str) -> bool:
    """The pickled state names the key (pickle keeps strings as UTF-8)."""
    return saved.exists() and key_id.encode() in saved.read_bytes()


def test_autosave_covers_a_killed_server(tmp_path):
    stack = OfflineStack(tmp_path / "offline")
    stack.up(persist=True)
    saved = tmp_path / "offline" / "aws" / "state.pickle"
    try:
        kms, _, _ = _clients(stack)
        key_id = kms.create_key(Description="survives SIGKILL")["KeyMetadata"]["KeyId"]
        # The autosave thread runs about once a second; an earlier save (from the calls
        # before create_key) may already exist, so wait for one that holds the key.
        _wait_for(lambda: _holds(saved, key_id))
    finally:
        stack.stop_child(signal.SIGKILL)
    stack.up(persist=True)
    try:
        kms, _, _ = _clients(stack)
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == ("survives SIGKILL")
    finally:
        stack.stop_child()


# --- Issue 23 item 5: every service the stack serves survives `offline-stack down` + `up`.
# The stack is driven the way `make offline-up` / `make offline-down` drive it: the
# `offline-stack` command in a child process, so the server is not this process's child.

OFFLINE_STACK = Path(sys.executable).parent / "offline-stack"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
ALLOW_KMS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}],
    }
)


def _offline_stack(root: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OFFLINE_STACK), "--dir", str(root), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _write_ssm(stack: OfflineStack) -> dict[str, Any]:
    ssm = stack.client("ssm")
    ssm.put_parameter(Name="/kms-import/material", Value="c2VjcmV0", Type="SecureString")
    ssm.put_parameter(
        Name="/kms-import/material", Value="djI=", Type="SecureString", Overwrite=True
    )
    ssm.add_tags_to_resource(
        ResourceType="Parameter",
        ResourceId="/kms-import/material",
        Tags=[{"Key": "team", "Value": "platform"}],
    )
    return {}


def _check_ssm(stack: OfflineStack, _: dict[str, Any]) -> None:
    ssm = stack.client("ssm")
    got = ssm.get_parameter(Name="/kms-import/material", WithDecryption=True)["Parameter"]
    assert (got["Value"], got["Version"]) == ("djI=", 2)
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/kms-import/material")
    assert tags["TagList"] == [{"Key": "team", "Value": "platform"}]


def _write_kms(stack: OfflineStack) -> dict[str, Any]:
    # Created after the SSM PutParameter above: the save that used to die there.
    kms = stack.client("kms")
    key_id = kms.create_key(
        Description="after ssm", Tags=[{"TagKey": "kms-import:fingerprint", "TagValue": "ab"}]
    )["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/after-ssm", TargetKeyId=key_id)
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    _import(kms, external, material)
    blob = kms.encrypt(KeyId=external, Plaintext=b"kept")["CiphertextBlob"]
    return {"key_id": key_id, "external": external, "blob": blob}


def _check_kms(stack: OfflineStack, saved: dict[str, Any]) -> None:
    kms = stack.client("kms")
    meta = kms.describe_key(KeyId="alias/after-ssm")["KeyMetadata"]
    assert (meta["KeyId"], meta["Description"]) == (saved["key_id"], "after ssm")
    tags = kms.list_resource_tags(KeyId=saved["key_id"])["Tags"]
    assert tags == [{"TagKey": "kms-import:fingerprint", "TagValue": "ab"}]
    assert kms.decrypt(CiphertextBlob=saved["blob"])["Plaintext"] == b"kept"


def _write_addon(stack: OfflineStack) -> dict[str, Any]:
    """The import add-on's own state: the clock offset and import parameters."""
    stack.control("POST", "/_localaws/clock", {"advance_seconds": 86400 * 10})
    kms = stack.client("kms")
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    return {"key_id": key_id, "params": params}


def _check_addon(stack: OfflineStack, saved: dict[str, Any]) -> None:
    now = stack.control("GET", "/_localaws/clock")
    assert isinstance(now, dict)
    moved = datetime.fromisoformat(now["now"]) - datetime.now(UTC)
    assert timedelta(days=9) < moved < timedelta(days=11)
    params = saved["params"]
    stack.client("kms").import_key_material(
        KeyId=saved["key_id"],
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )


def _write_secretsmanager(stack: OfflineStack) -> dict[str, Any]:
    secrets = stack.client("secretsmanager")
    secrets.create_secret(Name="escrow/g1", SecretBinary=b"\x00\x01")
    secrets.put_secret_value(SecretId="escrow/g1", SecretBinary=b"\x02\x03")
    return {}


def _check_secretsmanager(stack: OfflineStack, _: dict[str, Any]) -> None:
    secrets = stack.client("secretsmanager")
    assert secrets.get_secret_value(SecretId="escrow/g1")["SecretBinary"] == b"\x02\x03"
    versions = secrets.list_secret_version_ids(SecretId="escrow/g1")["Versions"]
    assert len(versions) == 2


def _write_s3(stack: OfflineStack) -> dict[str, Any]:
    s3 = stack.client("s3")
    s3.create_bucket(Bucket="tf-state")
    s3.put_object(Bucket="tf-state", Key="root/terraform.tfstate", Body=b"{}")
    s3.put_bucket_tagging(Bucket="tf-state", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    return {}


def _check_s3(stack: OfflineStack, _: dict[str, Any]) -> None:
    s3 = stack.client("s3")
    assert s3.get_object(Bucket="tf-state", Key="root/terraform.tfstate")["Body"].read() == b"{}"
    assert s3.get_bucket_tagging(Bucket="tf-state")["TagSet"] == [{"Key": "a", "Value": "b"}]


def _write_iam(stack: OfflineStack) -> dict[str, Any]:
    iam = stack.client("iam")
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="deployer", PolicyName="kms", PolicyDocument=ALLOW_KMS)
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]["AccessKeyId"]
    return {"access_key_id": key}


def _check_iam(stack: OfflineStack, saved: dict[str, Any]) -> None:
    iam = stack.client("iam")
    assert iam.get_role(RoleName="deployer")["Role"]["RoleName"] == "deployer"
    policy = iam.get_role_policy(RoleName="deployer", PolicyName="kms")["PolicyDocument"]
    assert policy["Statement"][0]["Action"] == "kms:DescribeKey"
    keys = iam.list_access_keys(UserName="ci")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [saved["access_key_id"]]


def _write_sts(stack: OfflineStack) -> dict[str, Any]:
    assumed = stack.client("sts").assume_role(
        RoleArn="arn:aws:iam::123456789012:role/deployer", RoleSessionName="before-restart"
    )
    return {"credentials": assumed["Credentials"], "arn": assumed["AssumedRoleUser"]["Arn"]}


def _check_sts(stack: OfflineStack, saved: dict[str, Any]) -> None:
    creds = saved["credentials"]
    sts = stack.client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assert sts.get_caller_identity()["Arn"] == saved["arn"]


def _write_cloudwatch(stack: OfflineStack) -> dict[str, Any]:
    stack.client("cloudwatch").put_metric_alarm(
        AlarmName="key-expiry",
        Namespace="AWS/KMS",
        MetricName="SecondsUntilKeyMaterialExpiration",
        Dimensions=[{"Name": "KeyId", "Value": "1234abcd"}],
        Statistic="Minimum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=2592000.0,
        ComparisonOperator="LessThanThreshold",
        Tags=[{"Key": "team", "Value": "platform"}],
    )
    return {}


def _check_cloudwatch(stack: OfflineStack, _: dict[str, Any]) -> None:
    cloudwatch = stack.client("cloudwatch")
    alarm = cloudwatch.describe_alarms(AlarmNames=["key-expiry"])["MetricAlarms"][0]
    assert (alarm["Threshold"], alarm["Dimensions"]) == (
        2592000.0,
        [{"Name": "KeyId", "Value": "1234abcd"}],
    )
    tags = cloudwatch.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
    assert tags == [{"Key": "team", "Value": "platform"}]


# Written in this order (SSM first, so every later change rides on a save after it), then
# checked after one `down` + `up`. Each service is its own test.
SERVICES: dict[str, tuple[Callable[..., dict[str, Any]], Callable[..., None]]] = {
    "ssm": (_write_ssm, _check_ssm),
    "kms": (_write_kms, _check_kms),
    "kms-import-addon": (_write_addon, _check_addon),
    "secretsmanager": (_write_secretsmanager, _check_secretsmanager),
    "s3": (_write_s3, _check_s3),
    "iam": (_write_iam, _check_iam),
    "sts": (_write_sts, _check_sts),
    "cloudwatch": (_write_cloudwatch, _check_cloudwatch),
}


def test_every_served_service_is_covered():
    assert set(SERVICES) == {*persistence.SERVICES, persistence.ADDON}


@pytest.fixture(scope="module")
def restarted(tmp_path_factory):
    """Every service written to, then `offline-stack down` and `up` (no SIGKILL, no
    autosave race: down must save)."""
    root = tmp_path_factory.mktemp("restart") / "offline"
    stack = OfflineStack(root)
    started = _offline_stack(root, "up")
    assert started.returncode == 0, started.stderr
    try:
        written = {name: write(stack) for name, (write, _) in SERVICES.items()}
        stopped = _offline_stack(root, "down")
        assert (stopped.returncode, stopped.stderr) == (0, "local AWS stopped\n")
        assert _offline_stack(root, "up").returncode == 0
        yield stack, written
    finally:
        _offline_stack(root, "down", "--force")
    log = (root / "local-aws.log").read_text()
    assert "SAVE FAILED" not in log, log


@pytest.mark.parametrize("service", list(SERVICES))
def test_service_survives_offline_down_and_up(restarted, service):
    stack, written = restarted
    _, check = SERVICES[service]
    check(stack, written[service])


def test_autosave_survives_ssm_and_a_killed_server(tmp_path):
    """The autosave thread used to die pickling a lambda in moto's SSM backend, so a key
    created after an SSM PutParameter was lost."""
    stack = OfflineStack(tmp_path / "offline")
    stack.up(persist=True)
    saved = tmp_path / "offline" / "aws" / "state.pickle"
    try:
        stack.client("ssm").put_parameter(Name="/p", Value="v", Type="String")
        key_id = stack.client("kms").create_key(Description="after ssm")["KeyMetadata"]["KeyId"]
        _wait_for(lambda: _holds(saved, key_id))
    finally:
        stack.stop_child(signal.SIGKILL)
    stack.up(persist=True)
    try:
        assert stack.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"] == key_id
        assert stack.client("ssm").get_parameter(Name="/p")["Parameter"]["Value"] == "v"
    finally:
        stack.stop_child()
    assert "SAVE FAILED" not in (tmp_path / "offline" / "local-aws.log").read_text()


def test_a_failed_save_is_logged_retried_and_never_ends_the_autosave(tmp_path, caplog):
    """In-process: a backend attribute pickle cannot handle (a lock) stands for any failure."""
    from moto import mock_aws
    from moto.backends import get_backend

    localaws.install()
    caplog.set_level(logging.INFO, logger="localaws")
    stop = threading.Event()
    with mock_aws():
        kms = boto3.client(
            "kms",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        ssm = boto3.client(
            "ssm",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        ssm.put_parameter(Name="/p", Value="v", Type="String")
        backend = get_backend("ssm")["123456789012"]["us-east-1"]
        backend.unpicklable = threading.Lock()
        with pytest.raises(persistence.SaveError) as failed:
            persistence.save(tmp_path)
        assert list(failed.value.failures) == ["ssm"]
        assert "TypeError" in failed.value.failures["ssm"]
        thread = persistence.start_autosave(
            tmp_path, interval_s=0.05, stop=stop, max_retry_wait_s=0.2
        )
        try:
            key_id = kms.create_key()["KeyMetadata"]["KeyId"]
            _wait_for(lambda: caplog.text.count("SAVE FAILED") >= 2)
            # The other services were saved all the same.
            assert _holds(tmp_path / persistence.FILE_NAME, key_id)
            assert "ssm: TypeError" in caplog.text and "retrying in" in caplog.text
            del backend.unpicklable
            _wait_for(lambda: "saved again after failures" in caplog.text)
            assert thread.is_alive()
        finally:
            stop.set()
            thread.join(timeout=10)
    assert not thread.is_alive()


def _wait_for(condition: Callable[[], bool], timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_down_keeps_the_server_running_when_the_save_fails(tmp_path, monkeypatch):
    stack = OfflineStack(tmp_path / "offline")
    stack.up(persist=False)
    try:
        monkeypatch.setattr(
            OfflineStack,
            "control",
            lambda self, method, path, body=None: {"saved": False, "failures": {"ssm": "boom"}},
        )
        with pytest.raises(StackError, match=r"ssm: boom.*keeps running.*--force"):
            stack.down()
        assert stack.running()
        assert stack.down(force=True)
    finally:
        monkeypatch.undo()
        if stack.pid_file.exists():
            stack.stop_child()


def test_a_state_file_from_before_one_pickle_per_service_still_loads(tmp_path):
    """Format 2 (the whole state in one pickle): an upgrade keeps a running demo's keys."""
    import pickle

    from moto import mock_aws
    from moto.backends import get_backend

    localaws.install()
    with mock_aws():
        kms = boto3.client(
            "kms",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        key_id = kms.create_key(Description="format 2")["KeyMetadata"]["KeyId"]
        old = {
            "format": 2,
            "backends": {"kms": persistence._service_state(get_backend("kms"))},
            **persistence._addon_state(),
        }
        state_dir = tmp_path / "offline" / "aws"
        state_dir.mkdir(parents=True)
        (state_dir / persistence.FILE_NAME).write_bytes(pickle.dumps(old))
    stack = OfflineStack(tmp_path / "offline")
    stack.up(persist=True)
    try:
        described = stack.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
        assert described["Description"] == "format 2"
    finally:
        stack.stop_child()


def test_saves_under_concurrent_requests_never_fail_and_lose_nothing(tmp_path):
    """Autosaves run while four clients write (requests and saves take turns through
    persistence.gate); every save succeeds and everything written is there after down + up.
    (The race the gate closes, a dict changing mid-pickle, did not show in this test
    without it either: it is rare; the test guards the outcome, not the race.)"""
    from concurrent.futures import ThreadPoolExecutor

    root = tmp_path / "offline"
    stack = OfflineStack(root)
    assert _offline_stack(root, "up").returncode == 0
    try:

        def work(worker: int) -> list[str]:
            kms, ssm = stack.client("kms"), stack.client("ssm")
            made = []
            for n in range(15):
                ssm.put_parameter(Name=f"/load/{worker}/{n}", Value="v", Type="String")
                made.append(kms.create_key(Description=f"{worker}/{n}")["KeyMetadata"]["KeyId"])
            return made

        with ThreadPoolExecutor(4) as pool:
            key_ids = [k for made in pool.map(work, range(4)) for k in made]
        stopped = _offline_stack(root, "down")
        assert stopped.returncode == 0, stopped.stderr
        assert _offline_stack(root, "up").returncode == 0
        kms, ssm = stack.client("kms"), stack.client("ssm")
        listed = {k["KeyId"] for page in kms.get_paginator("list_keys").paginate()
                  for k in page["Keys"]}  # fmt: skip
        assert set(key_ids) <= listed
        names = ssm.get_parameters_by_path(Path="/load", Recursive=True, MaxResults=10)
        assert names["Parameters"]
    finally:
        _offline_stack(root, "down", "--force")
    assert "SAVE FAILED" not in (root / "local-aws.log").read_text()


def test_a_state_file_that_cannot_be_loaded_is_kept_aside(tmp_path, caplog):
    state_dir = tmp_path / "aws"
    state_dir.mkdir()
    (state_dir / persistence.FILE_NAME).write_bytes(b"not a pickle")
    assert not persistence.load(state_dir)
    kept = state_dir / f"{persistence.FILE_NAME}.unloaded"
    assert kept.read_bytes() == b"not a pickle"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert "could not load saved state" in caplog.text and str(kept) in caplog.text


def test_save_now_reports_a_state_folder_it_cannot_write(tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    monkeypatch.setattr(persistence, "_state_dir", blocked / "aws")
    result = persistence.save_now()
    assert result["saved"] is False
    assert "state file" in result["failures"]
