"""--state-dir: keys, material versions and rotation state, aliases, import parameters,
secrets and objects survive a server restart (issue 6, item 5)."""

from __future__ import annotations

import os
import signal
import stat
import time

import boto3
from kms_conformance import wrap

from offline.stack import OfflineStack


def _clients(stack):
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return (
        session.client(name, endpoint_url=stack.endpoint)
        for name in ("kms", "secretsmanager", "s3")
    )


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


def _stop(stack):
    """SIGTERM saves and exits; reap the child so OfflineStack.down() does not wait on a
    zombie."""
    pid = int(stack.pid_file.read_text())
    os.killpg(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    stack.down()


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
        _stop(stack)
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
        _stop(stack)
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
        deadline = time.monotonic() + 10
        while not _holds(saved, key_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _holds(saved, key_id)
    finally:
        pid = int(stack.pid_file.read_text())
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        stack.down()
    stack.up(persist=True)
    try:
        kms, _, _ = _clients(stack)
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == ("survives SIGKILL")
    finally:
        _stop(stack)
