"""The seed's AWS CLI commands and openssl step interoperate with the helper's air-gapped split.

Everything runs as separate processes against one local AWS server over HTTP (as a user's
shell would): `.venv/bin/aws` (AWS CLI v1 from PyPI), `.venv/bin/kms-import`, and openssl as
the seed's wrapKey.sh uses it (kms-facts.md, step 3). The seed's commands are used as written,
with only ids and paths filled in.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from offline.stack import OfflineStack

BIN = Path(sys.executable).parent
SEED_PLAINTEXT_B64 = "c2Vuc2l0aXZlIGRhdGEK"  # "sensitive data\n"
# AWS CLI v1 sends a blob argument's text as is (v2 would base64-decode it first), so the seed's
# encrypt encrypts these 20 ASCII characters, and decrypt prints their base64.
SEED_DECRYPTED_B64 = base64.b64encode(SEED_PLAINTEXT_B64.encode()).decode()


class Shell:
    """Runs the CLIs with the stack's environment (and nothing that could reach real AWS)."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env = env
        self.cwd = cwd

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            list(argv), cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=120
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv[:3])} exited {done.returncode}: {done.stderr}")
        return done

    def aws(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(str(BIN / "aws"), *args, check=check)

    def helper(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(str(BIN / "kms-import"), *args, check=check)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with OfflineStack(tmp_path_factory.mktemp("interop-stack")).serving() as local:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        env.update(local.env())
        yield env


@pytest.fixture
def sh(stack: dict[str, str], tmp_path: Path) -> Shell:
    return Shell(stack, tmp_path)


def _create_key_and_alias(sh: Shell) -> tuple[str, str]:
    """Seed step 1, as written (with a unique alias per test)."""
    meta = json.loads(
        sh.aws("kms", "create-key", "--origin", "EXTERNAL", "--description", "External key").stdout
    )["KeyMetadata"]
    alias = f"alias/MyImportedKey-{secrets.token_hex(4)}"
    sh.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", meta["KeyId"])
    assert meta["KeyState"] == "PendingImport"
    return meta["KeyId"], alias


def _seed_get_parameters(sh: Shell, key_id: str, work: Path) -> None:
    """Seed step 2: `aws kms get-parameters-for-import ... > ./work/import.txt`."""
    out = sh.aws(
        "kms", "get-parameters-for-import", "--key-id", key_id,
        "--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_3072",
    ).stdout  # fmt: skip
    (work / "import.txt").write_text(out)


def _wrap_key_sh(sh: Shell, work: Path, plaintext: bytes) -> None:
    """The usual wrapKey.sh: decode import.txt, wrap with openssl, keep the token."""
    text = json.loads((work / "import.txt").read_text())
    (work / "PublicKey.bin").write_bytes(base64.b64decode(text["PublicKey"]))
    (work / "ImportToken.bin").write_bytes(base64.b64decode(text["ImportToken"]))
    (work / "PlaintextKeyMaterial.bin").write_bytes(plaintext)
    sh.run(
        "openssl", "pkeyutl", "-encrypt", "-in", "work/PlaintextKeyMaterial.bin",
        "-out", "work/EncryptedKeyMaterial.bin", "-inkey", "work/PublicKey.bin",
        "-keyform", "DER", "-pubin", "-pkeyopt", "rsa_padding_mode:oaep",
        "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256",
    )  # fmt: skip
    (work / "PlaintextKeyMaterial.bin").unlink()


def _seed_import(sh: Shell, key_id: str, *expiry: str) -> subprocess.CompletedProcess[str]:
    """Seed step 4, as written."""
    model = list(expiry) or ["--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE"]
    return sh.aws(
        "kms", "import-key-material", "--key-id", key_id,
        "--encrypted-key-material", "fileb://work/EncryptedKeyMaterial.bin",
        "--import-token", "fileb://work/ImportToken.bin", *model,
    )  # fmt: skip


def _seed_encrypt_test(sh: Shell, alias: str, work: Path) -> None:
    """Seed step 5 (`... --query CiphertextBlob | base64 --decode > ./work/ExampleEncryptedFile`),
    then the file decrypts back to the seed's plaintext."""
    blob = sh.aws(
        "kms", "encrypt", "--key-id", alias, "--plaintext", SEED_PLAINTEXT_B64,
        "--output", "text", "--query", "CiphertextBlob",
    ).stdout  # fmt: skip
    (work / "ExampleEncryptedFile").write_bytes(base64.b64decode(blob))
    assert _decrypted(sh, "ExampleEncryptedFile") == SEED_DECRYPTED_B64


def _decrypted(sh: Shell, name: str) -> str:
    """The seed's decrypt step on work/<name>: the plaintext, base64, as the CLI prints it."""
    return sh.aws(
        "kms", "decrypt", "--ciphertext-blob", f"fileb://work/{name}",
        "--output", "text", "--query", "Plaintext",
    ).stdout.strip()  # fmt: skip


def _material_file(tmp_path: Path, plaintext: bytes) -> str:
    path = tmp_path / "material.bin"
    path.write_bytes(plaintext)
    path.chmod(0o600)
    return f"file://{path}"


def _work(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    return work


def test_seed_cli_parameters_then_helper_wrap_and_import_wrapped(sh: Shell, tmp_path: Path) -> None:
    key_id, alias = _create_key_and_alias(sh)
    work = _work(tmp_path)
    _seed_get_parameters(sh, key_id, work)
    source = _material_file(tmp_path, os.urandom(32))

    wrapped = sh.helper("wrap", "--in", "work", "--source", source)
    assert "(RSAES_OAEP_SHA_256, RSA_3072)" in wrapped.stdout
    done = sh.helper("import-wrapped", "--in", "work", "--key-id", alias)
    assert "encrypt/decrypt round trip; state Enabled" in done.stdout
    _seed_encrypt_test(sh, alias, work)


def test_helper_params_and_openssl_wrap_then_seed_cli_import(sh: Shell, tmp_path: Path) -> None:
    key_id, alias = _create_key_and_alias(sh)
    work = tmp_path / "work"
    sh.helper("params", "--key-id", key_id, "--out", "work")
    _wrap_key_sh(sh, work, os.urandom(32))

    _seed_import(sh, key_id)
    state = sh.aws("kms", "describe-key", "--key-id", alias, "--query", "KeyMetadata.KeyState")
    assert json.loads(state.stdout) == "Enabled"
    _seed_encrypt_test(sh, alias, work)


def test_helper_params_and_wrap_then_seed_cli_import_with_expiry(sh: Shell, tmp_path: Path) -> None:
    key_id, alias = _create_key_and_alias(sh)
    sh.helper("params", "--key-id", key_id, "--out", "work")
    sh.helper("wrap", "--in", "work", "--source", _material_file(tmp_path, os.urandom(32)))

    # The seed's spelling (a -08:00 offset), within KMS's 365-day limit.
    day = (datetime.now(UTC) + timedelta(days=180)).date().isoformat()
    _seed_import(
        sh, key_id, "--expiration-model", "KEY_MATERIAL_EXPIRES",
        "--valid-to", f"{day}T12:00:00-08:00",
    )  # fmt: skip
    meta = json.loads(sh.aws("kms", "describe-key", "--key-id", alias).stdout)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    status = json.loads(sh.helper("status", "--key-id", key_id, "--json").stdout)
    assert f"{day}T20:00:00Z" in json.dumps(status)
    _seed_encrypt_test(sh, alias, tmp_path / "work")


def test_helper_import_txt_is_what_the_aws_cli_prints(sh: Shell, tmp_path: Path) -> None:
    key_id, _ = _create_key_and_alias(sh)
    cli_dir = _work(tmp_path)
    _seed_get_parameters(sh, key_id, cli_dir)
    sh.helper("params", "--key-id", key_id, "--out", "helper-work")

    ours = (tmp_path / "helper-work" / "import.txt").read_text()
    theirs = (cli_dir / "import.txt").read_text()
    ours_token = json.loads(ours)["ImportToken"]
    theirs_token = json.loads(theirs)["ImportToken"]
    assert ours.replace(ours_token, "TOKEN") == theirs.replace(theirs_token, "TOKEN")


def test_reupload_after_material_deletion_takes_only_the_same_material(
    sh: Shell, tmp_path: Path
) -> None:
    """The seed's 'Re-upload key material' section, through the air-gapped split."""
    key_id, alias = _create_key_and_alias(sh)
    original = _material_file(tmp_path, os.urandom(32))
    sh.helper("params", "--key-id", key_id, "--out", "work")
    sh.helper("wrap", "--in", "work", "--source", original)
    sh.helper("import-wrapped", "--in", "work")
    _seed_encrypt_test(sh, alias, tmp_path / "work")
    old_blob = (tmp_path / "work" / "ExampleEncryptedFile").read_bytes()

    sh.aws("kms", "delete-imported-key-material", "--key-id", key_id)
    other = tmp_path / "other.bin"
    other.write_bytes(os.urandom(32))
    other.chmod(0o600)
    sh.helper("params", "--key-id", key_id, "--out", "work")
    sh.helper("wrap", "--in", "work", "--source", f"file://{other}")
    refused = sh.helper("import-wrapped", "--in", "work", check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "IncorrectKeyMaterialException" in refused.stderr

    sh.helper("params", "--key-id", key_id, "--out", "work")
    sh.helper("wrap", "--in", "work", "--source", original)
    sh.helper("import-wrapped", "--in", "work")
    (tmp_path / "work" / "Old").write_bytes(old_blob)
    assert _decrypted(sh, "Old") == SEED_DECRYPTED_B64


def test_no_output_carries_the_material_or_the_token(sh: Shell, tmp_path: Path) -> None:
    key_id, _ = _create_key_and_alias(sh)
    plaintext = os.urandom(32)
    outputs = [
        sh.helper("params", "--key-id", key_id, "--out", "work"),
        sh.helper("wrap", "--in", "work", "--source", _material_file(tmp_path, plaintext)),
        sh.helper("import-wrapped", "--in", "work"),
    ]
    token = (tmp_path / "work" / "ImportToken.bin").read_bytes()
    wrapped = (tmp_path / "work" / "EncryptedKeyMaterial.bin").read_bytes()
    text = "".join(o.stdout + o.stderr for o in outputs)
    for secret in (plaintext, token, wrapped):
        assert base64.b64encode(secret).decode() not in text
        assert secret.hex() not in text
