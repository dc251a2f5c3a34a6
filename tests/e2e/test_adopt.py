"""`kms-import adopt`: off key_material_base64 and under modules/rotating-key, same key.

The old setup is the provider's own import (the plaintext lands in state, its tfvars and, after
`terraform state rm`, the state backup). Adopt must refuse other material before touching the
key, hand the key and its alias to the repo root by import blocks (no replacement, old
ciphertexts still decrypt, plan clean afterwards) and name every file holding the material.
"""

from __future__ import annotations

import base64
import subprocess
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from kms_import.material import secret_fingerprint

from .workspace import REPO, Workspace, key_address, material_file

pytestmark = pytest.mark.e2e

OLD_ROOT = """provider "aws" {
  region = "us-east-1"
}

variable "material" {
  type      = string
  sensitive = true
}

resource "aws_kms_external_key" "legacy" {
  description         = "imported by the provider"
  enabled             = true # unset, the provider leaves the key disabled after its import
  key_material_base64 = var.material
}

resource "aws_kms_alias" "legacy" {
  name          = "alias/MyImportedKey"
  target_key_id = aws_kms_external_key.legacy.id
}
"""


STATE_KEY = "legacy/terraform.tfstate"


def _s3(ws: Workspace) -> Any:
    env = ws.stack.env()
    return boto3.client(
        "s3",
        region_name=env["AWS_REGION"],
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )


def _versioned_bucket(ws: Workspace) -> str:
    bucket = f"legacy-state-{uuid.uuid4().hex[:8]}"
    s3 = _s3(ws)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def _adopt(ws: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "kms-import"), "adopt", *args],
        env=ws.runner.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _refused(proc: subprocess.CompletedProcess[str], text: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert text in proc.stderr, proc.stderr


def test_adopt_moves_the_key_under_the_module_and_names_every_plaintext_copy(
    tmp_path: Path, clean_stack
):
    # The old way: the provider imports key_material_base64 (plaintext in state and tfvars).
    naive = tmp_path / "naive"
    naive.mkdir()
    (naive / "main.tf").write_text(OLD_ROOT)
    old = Workspace.create(tmp_path / "old", clean_stack, root=naive)
    path, material = material_file(tmp_path / "keys")
    old.write_vars(material=base64.b64encode(material).decode())
    old.apply()
    key_id = old.runner.resources()["aws_kms_external_key.legacy"]["id"]
    kms = old.kms()
    blob = kms.encrypt(KeyId="alias/MyImportedKey", Plaintext=b"before adopt")["CiphertextBlob"]
    state = old.dir / "terraform.tfstate"
    new = Workspace.create(tmp_path / "new", clean_stack)
    tfvars = new.dir / "terraform.tfvars"
    source = f"file://{path}"
    common = ["--state", str(state), "--root", str(new.dir), "--tfvars", str(tfvars)]

    # Other material is refused before anything is written: by the state's own copy, and
    # (with a state doctored to match it) by KMS's refusal to take it as the key's material.
    other_path, other = material_file(tmp_path / "keys", "other.bin")
    _refused(
        _adopt(old, *common, "--source", f"file://{other_path}"),
        "does not hold the material aws_kms_external_key.legacy imported",
    )
    doctored = tmp_path / "doctored.tfstate"
    doctored.write_text(
        state.read_text().replace(
            base64.b64encode(material).decode(), base64.b64encode(other).decode()
        )
    )
    refused = _adopt(
        old, "--state", str(doctored), "--root", str(new.dir), "--tfvars", str(tfvars),
        "--source", f"file://{other_path}",
    )  # fmt: skip
    _refused(refused, f"key {key_id} does not hold the material")
    assert not tfvars.exists() and not list(new.dir.glob("adopt_*.tf"))
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before adopt"

    adopted = _adopt(old, *common, "--source", source, "--activate")
    assert adopted.returncode == 0, adopted.stderr
    out = adopted.stdout
    assert f"key {key_id} holds the material" in out
    assert secret_fingerprint(material) in out
    assert "terraform state rm aws_kms_external_key.legacy aws_kms_alias.legacy" in out
    assert f"{state}: material found" in out and "terraform state rm" in out
    assert f"{old.dir / 'terraform.tfvars.json'}: material found" in out
    assert f"shred -u {old.dir / 'terraform.tfvars.json'}" in out
    written = tfvars.read_text()
    assert 'active_generation = "g1"' in written
    assert f'"{source}"' in written and f'"{secret_fingerprint(material)}"' in written
    import_tf = (new.dir / "adopt_g1.tf").read_text()
    assert f'id = "{key_id}"' in import_tf and 'id = "alias/MyImportedKey"' in import_tf

    # The old root lets go of the key; its state backup now holds the material. Its state
    # was also kept in a versioned bucket, as an s3 backend keeps it (tests/e2e/
    # test_remote_state.py runs the real backend): the version from before still holds it.
    bucket = _versioned_bucket(old)
    s3 = _s3(old)
    before = s3.put_object(Bucket=bucket, Key=STATE_KEY, Body=state.read_bytes())["VersionId"]
    old.tf("state", "rm", "aws_kms_external_key.legacy", "aws_kms_alias.legacy")
    after = s3.put_object(Bucket=bucket, Key=STATE_KEY, Body=state.read_bytes())["VersionId"]
    left = _adopt(
        old, "--state", str(state), "--scan", f"s3://{bucket}/{STATE_KEY}",
        "--source", source, "--leftovers-only",
    )  # fmt: skip
    assert left.returncode == 0, left.stderr
    (backup,) = old.dir.glob("terraform.tfstate.*.backup")  # state rm's own backup
    assert f"{backup}: material found" in left.stdout
    assert f"shred -u {backup}" in left.stdout
    assert f"{state}: material" not in left.stdout  # state rm cleaned the live state
    plan_file = old.dir / "plan-0.tfplan"  # a saved plan keeps the variable, zipped
    assert f"{plan_file} (inside tfplan): material found" in left.stdout
    assert f"s3://{bucket}/{STATE_KEY}?versionId={before}: material found" in left.stdout
    assert f"--version-id {before}" in left.stdout
    assert after not in left.stdout
    assert "plaintext material in 4 place(s)" in left.stdout  # + terraform.tfvars.json

    # The new root imports the same key and alias: nothing replaced, plan clean after.
    applied = new.apply()
    assert "0 destroyed" in applied.stdout and "2 imported" in applied.stdout, applied.stdout
    outputs = new.outputs()
    assert outputs["key_id"] == key_id
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before adopt"
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/MyImportedKey"] == key_id
    assert "already holds this material" in applied.stdout  # the import step did not re-import
    assert new.plan_exitcode() == 0
    assert not new.runner.resources()[key_address("g1")].get("key_material_base64")
    new.assert_no_leak(material)
