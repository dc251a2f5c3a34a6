"""The air-gapped split (params -> wrap -> import-wrapped) against the in-process local KMS.

The commands run through `kms_import.cli.main`, as users run them; AWS calls are counted on
the local KMS's own record (localaws.calls), since the commands make their own clients.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import localaws
from kms_import import airgap, cli
from kms_import.errors import AwsError, UsageError
from kms_import.keys import FINGERPRINT_TAG
from kms_import.leakscan import scan_paths, spellings
from kms_import.material import secret_fingerprint

OPENSSL_WRAP = [
    "openssl", "pkeyutl", "-encrypt", "-pubin", "-keyform", "DER",
    "-pkeyopt", "rsa_padding_mode:oaep",
    "-pkeyopt", "rsa_oaep_md:sha256",
    "-pkeyopt", "rsa_mgf1_md:sha256",
]  # fmt: skip
FOLDER_FILES = {"import.txt", "PublicKey.bin", "ImportToken.bin", "import-params.json"}


def _actions() -> list[str]:
    return [call["action"] for call in localaws.calls.calls()]


def _key(
    kms: Any, spec: str = "SYMMETRIC_DEFAULT", usage: str = "ENCRYPT_DECRYPT", **kw: Any
) -> str:
    meta = kms.create_key(Origin="EXTERNAL", KeySpec=spec, KeyUsage=usage, **kw)["KeyMetadata"]
    return str(meta["KeyId"])


def _secret_file(tmp_path: Path, size: int = 32) -> tuple[str, bytes]:
    data = os.urandom(size)
    path = tmp_path / f"material-{data[:3].hex()}.bin"
    path.write_bytes(data)
    path.chmod(0o600)
    return f"file://{path}", data


def _private_key_file(tmp_path: Path, spec: str) -> tuple[str, bytes]:
    if spec.startswith("ECC"):
        key: Any = ec.generate_private_key(
            {"ECC_NIST_P256": ec.SECP256R1(), "ECC_NIST_P521": ec.SECP521R1()}[spec]
        )
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = tmp_path / f"{spec}.der"
    path.write_bytes(der)
    path.chmod(0o600)
    return f"file://{path}?format=der", der


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--quiet", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- params ----------------------------------------------------------------------------------


def test_params_writes_the_seed_layout_private(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = _key(kms)
    work = tmp_path / "work"
    code, out, _ = _run(capsys, "params", "--key-id", key_id, "--out", str(work))

    assert code == 0 and "RSAES_OAEP_SHA_256, RSA_3072" in out
    assert {p.name for p in work.iterdir()} == FOLDER_FILES
    assert stat.S_IMODE(work.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in work.iterdir())
    text = (work / "import.txt").read_text()
    shown = json.loads(text)
    assert list(shown) == ["KeyId", "ImportToken", "PublicKey", "ParametersValidTo"]
    assert text.startswith('{\n    "KeyId": "arn:aws:kms:us-east-1:') and text.endswith("}\n")
    assert isinstance(shown["ParametersValidTo"], float)  # the wire value, as CLI v1 prints it
    assert base64.b64decode(shown["PublicKey"]) == (work / "PublicKey.bin").read_bytes()
    assert base64.b64decode(shown["ImportToken"]) == (work / "ImportToken.bin").read_bytes()
    side = json.loads((work / "import-params.json").read_text())
    assert side["KeyId"] == shown["KeyId"] and side["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert side["WrappingAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert side["WrappingKeySpec"] == "RSA_3072"
    valid_to = datetime.fromtimestamp(shown["ParametersValidTo"], UTC)
    assert timedelta(hours=23) < valid_to - datetime.now(UTC) <= timedelta(hours=24)


def test_import_txt_matches_the_aws_cli_json_formatter() -> None:
    from awscli.formatter import JSONFormatter

    class Args:
        query = None

    response = {
        "KeyId": "arn:aws:kms:us-east-1:111122223333:key/k",
        "ImportToken": b"\x00token\xff",
        "PublicKey": b"\x30\x82key",
        "ParametersValidTo": 1796012527.090128,
        "ResponseMetadata": {"RequestId": "r"},
    }
    import io

    stream = io.StringIO()
    JSONFormatter(Args())("get-parameters-for-import", dict(response), stream)
    assert airgap.cli_json(response) == stream.getvalue()


@pytest.mark.parametrize(
    ("spec", "usage", "flags", "message"),
    [
        ("RSA_2048", "SIGN_VERIFY", ["--wrapping-algorithm", "RSAES_OAEP_SHA_256"], "cannot wrap"),
        (
            "ECC_NIST_P521",
            "SIGN_VERIFY",
            ["--wrapping-algorithm", "RSAES_OAEP_SHA_1", "--wrapping-key-spec", "RSA_2048"],
            "carries at most 214 bytes",
        ),
    ],
)
def test_params_refuses_invalid_combinations_before_asking_kms(
    kms: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spec: str,
    usage: str,
    flags: list[str],
    message: str,
) -> None:
    key_id = _key(kms, spec, usage)
    localaws.calls.clear()
    code, _, err = _run(capsys, "params", "--key-id", key_id, "--out", str(tmp_path / "w"), *flags)
    assert code == 1 and message in err and err.count("\n") == 1
    assert "GetParametersForImport" not in _actions()
    assert not (tmp_path / "w").exists()


def test_params_refuses_a_folder_others_can_enter(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = _key(kms)
    work = tmp_path / "work"
    work.mkdir(mode=0o755)
    work.chmod(0o755)
    localaws.calls.clear()
    code, _, err = _run(capsys, "params", "--key-id", key_id, "--out", str(work))
    assert code == 2 and "chmod 700" in err and err.count("\n") == 1
    assert "GetParametersForImport" not in _actions() and not list(work.iterdir())


def test_new_params_drop_material_wrapped_for_old_ones(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = _key(kms)
    work = tmp_path / "work"
    source, _ = _secret_file(tmp_path)
    _run(capsys, "params", "--key-id", key_id, "--out", str(work))
    assert _run(capsys, "wrap", "--in", str(work), "--source", source)[0] == 0
    assert (work / "EncryptedKeyMaterial.bin").exists()
    _run(capsys, "params", "--key-id", key_id, "--out", str(work))
    assert not (work / "EncryptedKeyMaterial.bin").exists()
    assert not (work / "wrapped.json").exists()


# --- wrap ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "usage", "algorithm"),
    [
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", None),
        ("HMAC_512", "GENERATE_VERIFY_MAC", "RSAES_OAEP_SHA_1"),
        ("RSA_2048", "SIGN_VERIFY", None),
        ("ECC_NIST_P256", "SIGN_VERIFY", "RSAES_OAEP_SHA_256"),
        ("ECC_NIST_P521", "SIGN_VERIFY", "RSA_AES_KEY_WRAP_SHA_1"),
    ],
)
def test_params_wrap_import_wrapped_round_trip(
    kms: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spec: str,
    usage: str,
    algorithm: str | None,
) -> None:
    key_id = _key(kms, spec, usage)
    work = tmp_path / "work"
    if spec.startswith(("RSA", "ECC")):
        source, plaintext = _private_key_file(tmp_path, spec)
    else:
        source, plaintext = _secret_file(tmp_path, 128 if spec == "HMAC_512" else 32)
    flags = ["--wrapping-algorithm", algorithm] if algorithm else []

    assert _run(capsys, "params", "--key-id", key_id, "--out", str(work), *flags)[0] == 0
    code, out, _ = _run(capsys, "wrap", "--in", str(work), "--source", source)
    assert code == 0 and f"{spec} material wrapped" in out
    assert stat.S_IMODE((work / "EncryptedKeyMaterial.bin").stat().st_mode) == 0o600
    assert not scan_paths([work], spellings(plaintext))  # plaintext never written

    localaws.calls.clear()
    code, out, err = _run(capsys, "import-wrapped", "--in", str(work))
    assert code == 0, err
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert _actions().count("ImportKeyMaterial") == 1
    expected = {
        "SYMMETRIC_DEFAULT": "encrypt/decrypt round trip",
        "HMAC_512": "not proven here: run `kms-import verify",
    }.get(spec, "GetPublicKey matches the wrapped private key")
    assert expected in out
    token = (work / "ImportToken.bin").read_bytes()
    assert base64.b64encode(token).decode() not in out + err
    if spec == "HMAC_512":  # and the proof the command points to holds
        assert _run(capsys, "verify", "--key-id", key_id, "--source", source)[0] == 0


def test_wrap_refuses_expired_parameters_with_one_line(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    _run(capsys, "params", "--key-id", _key(kms), "--out", str(work))
    text = json.loads((work / "import.txt").read_text())
    text["ParametersValidTo"] = (datetime.now(UTC) - timedelta(minutes=1)).timestamp()
    (work / "import.txt").write_text(json.dumps(text, indent=4) + "\n")
    source, _ = _secret_file(tmp_path)

    code, _, err = _run(capsys, "wrap", "--in", str(work), "--source", source)
    assert code == 2 and "expired at" in err and "kms-import params" in err
    assert err.count("\n") == 1
    assert not (work / "EncryptedKeyMaterial.bin").exists()


@pytest.mark.parametrize(
    "source",
    ["secretsmanager:team/key", "ssm:/team/key", "generate:k1?escrow=secretsmanager:team"],
)
def test_wrap_refuses_sources_that_need_aws(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    work = tmp_path / "work"
    _run(capsys, "params", "--key-id", _key(kms), "--out", str(work))
    localaws.calls.clear()
    code, _, err = _run(capsys, "wrap", "--in", str(work), "--source", source)
    assert code == 2 and "without AWS access" in err and err.count("\n") == 1
    assert _actions() == []


def test_no_aws_blocks_the_sdk_even_when_loaded() -> None:
    import botocore.session

    with airgap.no_aws():
        with pytest.raises(AwsError, match="without AWS access"):
            botocore.session.get_session().create_client("kms", region_name="us-east-1")
        with pytest.raises(ImportError):
            __import__("botocore.stub")  # any not-yet-loaded SDK module
    assert boto3.client("kms", region_name="us-east-1")  # restored afterwards


def test_wrap_runs_without_loading_the_aws_sdk(tmp_path: Path) -> None:
    """In a fresh process (as on an air-gapped machine) neither boto3 nor botocore is loaded."""
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    public = (
        rsa.generate_private_key(public_exponent=65537, key_size=3072)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    response = {
        "KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "ImportToken": b"token",
        "PublicKey": public,
        "ParametersValidTo": (datetime.now(UTC) + timedelta(hours=1)).timestamp(),
    }
    (work / "import.txt").write_text(airgap.cli_json(response))
    source, _ = _secret_file(tmp_path)
    script = (
        "import sys; from kms_import import cli; "
        f"code = cli.main(['--quiet', 'wrap', '--in', {str(work)!r}, '--source', {source!r}]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore'))); "
        "sys.exit(code)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert (work / "EncryptedKeyMaterial.bin").stat().st_size == 384
    assert (work / "ImportToken.bin").read_bytes() == b"token"  # decoded, as wrapKey.sh does


def test_wrap_refuses_an_algorithm_other_than_the_one_fetched(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    _run(capsys, "params", "--key-id", _key(kms), "--out", str(work))
    source, _ = _secret_file(tmp_path)
    code, _, err = _run(
        capsys, "wrap", "--in", str(work), "--source", source,
        "--wrapping-algorithm", "RSAES_OAEP_SHA_1",
    )  # fmt: skip
    assert code == 1 and "fetched for wrapping algorithm RSAES_OAEP_SHA_256" in err


def test_wrap_refuses_a_mismatched_bin_file(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    _run(capsys, "params", "--key-id", _key(kms), "--out", str(work))
    (work / "PublicKey.bin").write_bytes(b"other")
    source, _ = _secret_file(tmp_path)
    code, _, err = _run(capsys, "wrap", "--in", str(work), "--source", source)
    assert code == 2 and "does not belong to" in err


# --- import-wrapped ----------------------------------------------------------------------------


def _openssl_wrap(work: Path, plaintext: bytes, md: str = "sha256") -> None:
    """What the seed's wrapKey.sh does (kms-facts.md, step 3)."""
    (work / "PlaintextKeyMaterial.bin").write_bytes(plaintext)
    args = [a.replace("sha256", md) for a in OPENSSL_WRAP]
    subprocess.run(
        [*args, "-inkey", str(work / "PublicKey.bin"),
         "-in", str(work / "PlaintextKeyMaterial.bin"),
         "-out", str(work / "EncryptedKeyMaterial.bin")],
        check=True, capture_output=True,
    )  # fmt: skip
    (work / "PlaintextKeyMaterial.bin").unlink()


def test_openssl_wrapped_material_imports_through_import_wrapped(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plaintext = os.urandom(32)
    key_id = _key(
        kms, Tags=[{"TagKey": FINGERPRINT_TAG, "TagValue": secret_fingerprint(plaintext)}]
    )
    work = tmp_path / "work"
    _run(capsys, "params", "--key-id", key_id, "--out", str(work))
    _openssl_wrap(work, plaintext)
    valid_to = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)

    code, out, err = _run(
        capsys, "import-wrapped", "--in", str(work), "--key-id", key_id,
        "--valid-to", valid_to.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )  # fmt: skip
    assert code == 0, err
    assert "encrypt/decrypt round trip; state Enabled" in out
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert meta["ValidTo"].astimezone(UTC) == valid_to
    # The key really holds `plaintext`: the helper's own import of it is accepted as the same.
    path = tmp_path / "same.bin"
    path.write_bytes(plaintext)
    path.chmod(0o600)
    kms.delete_imported_key_material(KeyId=key_id)
    assert _run(capsys, "import", "--key-id", key_id, "--source", f"file://{path}")[0] == 0


def test_material_wrapped_with_another_algorithm_gives_one_clear_line(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = _key(kms)
    work = tmp_path / "work"
    _run(capsys, "params", "--key-id", key_id, "--out", str(work))
    _openssl_wrap(work, os.urandom(32), md="sha1")  # the token expects SHA-256
    code, _, err = _run(capsys, "import-wrapped", "--in", str(work))
    assert code == 1 and err.count("\n") == 1
    assert "InvalidCiphertextException" in err and "kms-import wrap` again" in err
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"


def test_import_wrapped_refuses_another_key_before_importing(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "work"
    _run(capsys, "params", "--key-id", _key(kms), "--out", str(work))
    source, _ = _secret_file(tmp_path)
    _run(capsys, "wrap", "--in", str(work), "--source", source)
    other = _key(kms)
    localaws.calls.clear()
    code, _, err = _run(capsys, "import-wrapped", "--in", str(work), "--key-id", other)
    assert code == 2 and "are for key" in err
    assert "ImportKeyMaterial" not in _actions()


def test_import_wrapped_refuses_material_the_key_was_not_made_for(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = _key(
        kms, Tags=[{"TagKey": FINGERPRINT_TAG, "TagValue": secret_fingerprint(b"x" * 32)}]
    )
    work = tmp_path / "work"
    _run(capsys, "params", "--key-id", key_id, "--out", str(work))
    source, _ = _secret_file(tmp_path)
    _run(capsys, "wrap", "--in", str(work), "--source", source)
    localaws.calls.clear()
    code, _, err = _run(capsys, "import-wrapped", "--in", str(work))
    assert code == 1 and "was made for material" in err
    assert "ImportKeyMaterial" not in _actions()


def test_expired_token_at_kms_is_one_clear_line(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = _key(kms)
    work = tmp_path / "work"
    _run(capsys, "params", "--key-id", key_id, "--out", str(work))
    source, _ = _secret_file(tmp_path)
    _run(capsys, "wrap", "--in", str(work), "--source", source)
    localaws.clock.advance(timedelta(hours=25).total_seconds())
    code, _, err = _run(capsys, "import-wrapped", "--in", str(work))
    assert code == 1 and err.count("\n") == 1
    assert "ExpiredImportTokenException" in err and "kms-import params" in err


def test_seed_folder_without_side_file_uses_documented_defaults(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder made by the seed's CLI step has import.txt only: SYMMETRIC_DEFAULT and
    RSAES_OAEP_SHA_256 are assumed, the wrapping key spec comes from the public key."""
    key_id = _key(kms)
    work = tmp_path / "work"
    _run(
        capsys, "params", "--key-id", key_id, "--out", str(work), "--wrapping-key-spec", "RSA_2048"
    )
    for name in ("import-params.json", "PublicKey.bin", "ImportToken.bin"):
        (work / name).unlink()
    source, _ = _secret_file(tmp_path)
    code, out, _ = _run(capsys, "wrap", "--in", str(work), "--source", source)
    assert code == 0 and "(RSAES_OAEP_SHA_256, RSA_2048)" in out
    assert (work / "ImportToken.bin").exists() and (work / "PublicKey.bin").exists()
    assert _run(capsys, "import-wrapped", "--in", str(work))[0] == 0


def test_check_private_dir_refuses_group_access(tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir(mode=0o700)
    work.chmod(0o750)
    with pytest.raises(UsageError, match="mode 0750"):
        airgap.check_private_dir(work)
