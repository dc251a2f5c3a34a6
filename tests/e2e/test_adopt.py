"""`kms-import adopt`: existing keys under modules/rotating-key, same key, same material.

--state: the old setup is the provider's own import (the plaintext lands in state, its tfvars
and, after `terraform state rm`, the state backup). Adopt must refuse other material before
touching the key, hand the key and its alias to the repo root by import blocks (no
replacement, old ciphertexts still decrypt, plan clean afterwards) and name every file holding
the material.

--key-id: keys made by hand with the seed's CLI commands (`.venv/bin/aws` and openssl as the
seed's wrapKey.sh uses it), one with expiry and its alias, one whose material was deleted:
one apply adopts both, nothing destroyed, the alias stays on its key, the re-plan is clean.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
    return ws.client("s3", ws.stack.env()["AWS_REGION"])


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
    assert "g1: up to date" in applied.stdout  # the import step (import-keys) did not re-import
    assert new.plan_exitcode() == 0
    assert not new.runner.resources()[key_address("g1")].get("key_material_base64")
    new.assert_no_leak(material)


# ---- keys made outside Terraform: the seed's CLI commands ---------------------------------

SEED_ALIAS = "alias/MyImportedKey"


class SeedShell:
    """The seed's commands as a user runs them: the AWS CLI and openssl, in a folder that
    holds work/ (outside the root, as the seed's own checkout would be)."""

    def __init__(self, ws: Workspace, folder: Path) -> None:
        self.env = ws.runner.env
        self.cwd = folder
        (folder / "work").mkdir(parents=True, mode=0o700)

    def run(self, *argv: str) -> str:
        done = subprocess.run(
            list(argv), cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{' '.join(argv[:3])}: {done.stderr}"
        return done.stdout

    def aws(self, *args: str) -> str:
        return self.run(str(Path(sys.executable).parent / "aws"), "kms", *args)

    def create_key(self, alias: str | None = None) -> str:
        meta = json.loads(
            self.aws("create-key", "--origin", "EXTERNAL", "--description", "External key")
        )["KeyMetadata"]
        if alias:
            self.aws("create-alias", "--alias-name", alias, "--target-key-id", meta["KeyId"])
        return str(meta["KeyId"])

    def import_material(self, key_id: str, plaintext: bytes, *expiry: str) -> None:
        """get-parameters-for-import > work/import.txt, wrapKey.sh, import-key-material."""
        work = self.cwd / "work"
        (work / "import.txt").write_text(
            self.aws(
                "get-parameters-for-import", "--key-id", key_id,
                "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_3072",
            )
        )  # fmt: skip
        params = json.loads((work / "import.txt").read_text())
        (work / "PublicKey.bin").write_bytes(base64.b64decode(params["PublicKey"]))
        (work / "ImportToken.bin").write_bytes(base64.b64decode(params["ImportToken"]))
        plain = work / "PlaintextKeyMaterial.bin"
        plain.write_bytes(plaintext)
        try:
            self.run(
                "openssl", "pkeyutl", "-encrypt", "-in", "work/PlaintextKeyMaterial.bin",
                "-out", "work/EncryptedKeyMaterial.bin", "-inkey", "work/PublicKey.bin",
                "-keyform", "DER", "-pubin", "-pkeyopt", "rsa_padding_mode:oaep",
                "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256",
            )  # fmt: skip
        finally:
            plain.unlink()
        model = list(expiry) or ["--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE"]
        self.aws(
            "import-key-material", "--key-id", key_id,
            "--encrypted-key-material", "fileb://work/EncryptedKeyMaterial.bin",
            "--import-token", "fileb://work/ImportToken.bin", *model,
        )  # fmt: skip


def test_keys_made_with_the_seed_cli_are_adopted_by_one_apply(tmp_path: Path, clean_stack):
    ws = Workspace.create(tmp_path / "root", clean_stack)
    seed = SeedShell(ws, tmp_path / "seed")
    kms = ws.kms()

    # g1: the seed's key and alias, material with expiry. g2: a key whose material was deleted.
    path1, material1 = material_file(tmp_path / "keys", "g1.bin")
    path2, material2 = material_file(tmp_path / "keys", "g2.bin")
    valid_to = (datetime.now(UTC) + timedelta(days=120)).replace(microsecond=0)
    expires = valid_to.strftime("%Y-%m-%dT%H:%M:%SZ")
    key1 = seed.create_key(SEED_ALIAS)
    seed.import_material(
        key1, material1, "--expiration-model", "KEY_MATERIAL_EXPIRES", "--valid-to", expires
    )
    key2 = seed.create_key()
    seed.import_material(key2, material2)
    blob1 = kms.encrypt(KeyId=SEED_ALIAS, Plaintext=b"made by hand")["CiphertextBlob"]
    blob2 = kms.encrypt(KeyId=key2, Plaintext=b"before deletion")["CiphertextBlob"]
    seed.aws("delete-imported-key-material", "--key-id", key2)
    assert kms.describe_key(KeyId=key2)["KeyMetadata"]["KeyState"] == "PendingImport"

    tfvars = ws.dir / "terraform.tfvars"
    common = ["--root", str(ws.dir), "--tfvars", str(tfvars)]
    # The root holds one alias (alias_name): any other is refused, nothing written.
    kms.create_alias(AliasName="alias/by-hand", TargetKeyId=key1)
    refused = _adopt(
        ws, "--key-id", key1, "--source", f"file://{path1}", *common,
        "--alias", "alias/by-hand", "--activate",
    )  # fmt: skip
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "cannot hold alias/by-hand" in refused.stderr
    assert not tfvars.exists() and not list(ws.dir.glob("adopt_*.tf"))

    first = _adopt(
        ws, "--key-id", key1, "--source", f"file://{path1}", *common,
        "--alias", SEED_ALIAS, "--activate", "--generation", "g1",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    second = _adopt(ws, "--key-id", key2, "--source", f"file://{path2}", *common)
    assert second.returncode == 0, second.stderr
    assert "its deleted material is back" in second.stdout and "generation g2" in second.stdout
    assert kms.describe_key(KeyId=key2)["KeyMetadata"]["KeyState"] == "Enabled"

    applied = ws.apply()
    assert "0 destroyed" in applied.stdout and "3 imported" in applied.stdout, applied.stdout
    assert ws.state_key_id("g1") == key1 and ws.state_key_id("g2") == key2
    # adopt proved (and restored) the material: the import step has nothing left to do.
    assert "g1: up to date" in applied.stdout and "g2: up to date" in applied.stdout
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases[SEED_ALIAS] == key1 and aliases["alias/by-hand"] == key1
    meta1 = kms.describe_key(KeyId=key1)["KeyMetadata"]
    assert meta1["KeyState"] == "Enabled" and meta1["ValidTo"].astimezone(UTC) == valid_to
    assert kms.decrypt(CiphertextBlob=blob1)["Plaintext"] == b"made by hand"
    assert kms.decrypt(CiphertextBlob=blob2)["Plaintext"] == b"before deletion"
    assert ws.plan_exitcode() == 0
    for material in (material1, material2):
        ws.assert_no_leak(material)
