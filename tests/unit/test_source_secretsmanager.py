"""secretsmanager: source and the generate: escrow in Secrets Manager, on moto in-process."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kms_import.cli import main as cli
from kms_import.errors import AwsError, MaterialError, SourceError
from kms_import.keyspecs import key_spec
from kms_import.material import secret_fingerprint
from kms_import.sources import open_source, secretsmanager

SYM = key_spec("SYMMETRIC_DEFAULT")
REGION = "eu-west-1"


@pytest.fixture
def sm(moto_region: str) -> Any:
    """secretsmanager on moto, in REGION (conftest's moto_region)."""
    return boto3.client("secretsmanager", region_name=moto_region)


def _one_line(exc: pytest.ExceptionInfo[Exception]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_binary_secret_is_raw_material(sm: Any) -> None:
    material = os.urandom(32)
    sm.create_secret(Name="prod/kms/m", SecretBinary=material)
    with open_source("secretsmanager:prod/kms/m").read(SYM) as got:
        assert bytes(got.buffer) == material
        assert got.fingerprint(SYM) == secret_fingerprint(material)
        assert "prod/kms/m" in got.description


@pytest.mark.parametrize("fmt", ["base64", "hex"])
def test_string_secret_decodes_by_the_named_format(sm: Any, fmt: str) -> None:
    material = os.urandom(48)
    text = base64.b64encode(material).decode() if fmt == "base64" else material.hex()
    sm.create_secret(Name="s", SecretString=text + "\n")
    with open_source(f"secretsmanager:s?format={fmt}").read(key_spec("HMAC_384")) as got:
        assert bytes(got.buffer) == material


def test_binary_secret_holding_an_encoding_decodes_with_format(sm: Any) -> None:
    material = os.urandom(32)
    sm.create_secret(Name="b64bin", SecretBinary=base64.b64encode(material))
    with open_source("secretsmanager:b64bin?format=base64").read(SYM) as got:
        assert bytes(got.buffer) == material


def test_pem_string_secret_becomes_pkcs8_der(sm: Any) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    sm.create_secret(Name="ec", SecretString=pem.decode())
    spec = key_spec("ECC_NIST_P256")
    with open_source("secretsmanager:ec?format=pem").read(spec) as got:
        assert bytes(got.buffer) == key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def test_string_secret_without_format_is_refused(sm: Any) -> None:
    # 64 hex digits are valid base64 too: guessing could yield the wrong 48-byte material.
    sm.create_secret(Name="s", SecretString=os.urandom(32).hex())
    with pytest.raises(SourceError, match="holds text, so its encoding must be named") as exc:
        open_source("secretsmanager:s").read(key_spec("HMAC_384"))
    assert "format=" in _one_line(exc)


@pytest.mark.parametrize("fmt", ["raw", "der"])
def test_string_secret_cannot_be_raw_or_der(sm: Any, fmt: str) -> None:
    sm.create_secret(Name="s", SecretString="x" * 32)
    with pytest.raises(SourceError, match=f"cannot carry {fmt} bytes") as exc:
        open_source(f"secretsmanager:s?format={fmt}").read(SYM)
    _one_line(exc)


def test_version_stage_and_version_id_select_versions(sm: Any) -> None:
    old, new = os.urandom(32), os.urandom(32)
    first = sm.create_secret(Name="v", SecretBinary=old)["VersionId"]
    sm.put_secret_value(SecretId="v", SecretBinary=new)
    with open_source("secretsmanager:v").read(SYM) as got:
        assert bytes(got.buffer) == new
    with open_source("secretsmanager:v?version-stage=AWSPREVIOUS").read(SYM) as got:
        assert bytes(got.buffer) == old
    with open_source(f"secretsmanager:v?version-id={first}").read(SYM) as got:
        assert bytes(got.buffer) == old


def test_arn_carries_its_region(sm: Any) -> None:
    material = os.urandom(32)
    other = boto3.client("secretsmanager", region_name="us-west-2")
    arn = other.create_secret(Name="far", SecretBinary=material)["ARN"]
    with open_source(f"secretsmanager:{arn}").read(SYM) as got:
        assert bytes(got.buffer) == material
    with open_source("secretsmanager:far?region=us-west-2").read(SYM) as got:
        assert bytes(got.buffer) == material
    with pytest.raises(SourceError, match="does not exist in eu-west-1"):
        open_source("secretsmanager:far").read(SYM)


def test_material_is_zeroed_after_use(sm: Any) -> None:
    sm.create_secret(Name="z", SecretBinary=os.urandom(32))
    with open_source("secretsmanager:z").read(SYM) as got:
        buffer = got.buffer
    assert buffer == bytearray(32)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("secretsmanager:", "names no secret"),
        ("secretsmanager:x?format=zip", "unknown format"),
        ("secretsmanager:x?colour=red", "unknown parameter 'colour'"),
        ("secretsmanager:missing", "secret 'missing' .*does not exist"),
        ("secretsmanager:v?version-stage=NOPE", "does not exist"),
    ],
)
def test_bad_references_fail_with_one_clear_line(sm: Any, uri: str, message: str) -> None:
    sm.create_secret(Name="v", SecretBinary=os.urandom(32))
    with pytest.raises(SourceError, match=message) as exc:
        open_source(uri).read(SYM)
    _one_line(exc)


def test_wrong_size_is_refused(sm: Any) -> None:
    sm.create_secret(Name="short", SecretBinary=os.urandom(31))
    with pytest.raises(MaterialError, match="secret short holds 31 bytes") as exc:
        open_source("secretsmanager:short").read(SYM)
    _one_line(exc)


def test_bad_encoding_is_refused(sm: Any) -> None:
    sm.create_secret(Name="s", SecretString="not base64 at all!")
    with pytest.raises(MaterialError, match="not valid base64"):
        open_source("secretsmanager:s?format=base64").read(SYM)


def test_deleted_secret_says_how_to_restore(sm: Any) -> None:
    sm.create_secret(Name="gone", SecretBinary=os.urandom(32))
    sm.delete_secret(SecretId="gone")
    with pytest.raises(SourceError, match="restore-secret") as exc:
        open_source("secretsmanager:gone").read(SYM)
    _one_line(exc)


@pytest.mark.parametrize(
    ("code", "kind", "message"),
    [
        ("AccessDeniedException", SourceError, "was denied"),
        ("DecryptionFailure", SourceError, "kms:Decrypt"),
        ("ThrottlingException", AwsError, "ThrottlingException"),
    ],
)
def test_aws_refusals_become_one_line(code: str, kind: type[Exception], message: str) -> None:
    error = ClientError({"Error": {"Code": code, "Message": "no\nway"}}, "GetSecretValue")

    class Refusing:
        def get_secret_value(self, **_: Any) -> Any:
            raise error

    with pytest.raises(kind, match=message) as exc:
        secretsmanager.get_secret(Refusing(), "s")
    _one_line(exc)


def test_kms_import_sources_lists_the_new_schemes(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["sources"]) == 0
    out = capsys.readouterr().out
    for example in ("secretsmanager:prod/kms/material", "ssm:/prod/kms/material"):
        assert example in out


# --- generate: with the escrow in Secrets Manager ------------------------------------------


def test_escrow_creates_a_binary_secret_once_and_reuses_it(sm: Any) -> None:
    uri = "generate:prod-1?escrow=secretsmanager:kms-import/escrow"
    with open_source(uri).read(SYM) as first:
        first_bytes = bytes(first.buffer)
    stored = sm.get_secret_value(SecretId="kms-import/escrow/prod-1")
    assert stored["SecretBinary"] == first_bytes
    assert "SecretString" not in stored
    with open_source(uri).read(SYM) as again:
        assert bytes(again.buffer) == first_bytes
    versions = sm.list_secret_version_ids(SecretId="kms-import/escrow/prod-1")["Versions"]
    assert len(versions) == 1
    tags = sm.describe_secret(SecretId="kms-import/escrow/prod-1")["Tags"]
    assert {"Key": "kms-import:escrow", "Value": "prod-1"} in tags


def test_escrow_names_give_distinct_material(sm: Any) -> None:
    fps = set()
    for name in ("g1", "g2"):
        with open_source(f"generate:{name}?escrow=secretsmanager:esc").read(SYM) as m:
            fps.add(m.fingerprint(SYM))
    assert len(fps) == 2


def test_escrow_never_overwrites_an_existing_secret(sm: Any) -> None:
    existing = os.urandom(32)
    sm.create_secret(Name="esc/k", SecretBinary=existing)
    with open_source("generate:k?escrow=secretsmanager:esc").read(SYM) as got:
        assert bytes(got.buffer) == existing


def test_escrow_race_loser_uses_the_winners_material(
    sm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = os.urandom(32)
    real_get = secretsmanager.get_secret
    calls: list[str] = []

    def get_after_losing_the_race(client: Any, secret_id: str, *args: Any) -> Any:
        calls.append(secret_id)
        if len(calls) == 1:  # another writer creates the secret right after our first read
            sm.create_secret(Name=secret_id, SecretBinary=winner)
            return None
        return real_get(client, secret_id, *args)

    monkeypatch.setattr(secretsmanager, "get_secret", get_after_losing_the_race)
    with open_source("generate:r?escrow=secretsmanager:esc").read(SYM) as got:
        assert bytes(got.buffer) == winner
    assert len(sm.list_secret_version_ids(SecretId="esc/r")["Versions"]) == 1


def test_escrow_region_and_private_keys(sm: Any) -> None:
    spec = key_spec("ECC_NIST_P256")
    uri = "generate:ec?escrow=secretsmanager:esc%3Fregion%3Dus-east-2"
    with open_source(uri).read(spec) as first:
        fp = first.fingerprint(spec)
    assert fp.startswith("sha256-spki:")
    far = boto3.client("secretsmanager", region_name="us-east-2")
    assert far.get_secret_value(SecretId="esc/ec")["SecretBinary"]
    with open_source(uri).read(spec) as again:
        assert again.fingerprint(spec) == fp


def test_escrow_of_the_wrong_size_is_refused(sm: Any) -> None:
    sm.create_secret(Name="esc/hmac", SecretBinary=os.urandom(32))
    with pytest.raises(MaterialError, match="escrow secret esc/hmac holds 32 bytes") as exc:
        open_source("generate:hmac?escrow=secretsmanager:esc").read(key_spec("HMAC_512"))
    _one_line(exc)


@pytest.mark.parametrize(
    ("escrow", "message"),
    [
        ("secretsmanager:", "names no secret prefix"),
        ("secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:x", "not an ARN"),
        ("secretsmanager:esc%3Fcolour%3Dred", "unknown parameter 'colour'"),
        ("ssm:/x", "neither a file:///absolute/dir nor a secretsmanager:prefix"),
    ],
)
def test_bad_escrows_fail_with_one_clear_line(sm: Any, escrow: str, message: str) -> None:
    with pytest.raises(SourceError, match=message) as exc:
        open_source(f"generate:k?escrow={escrow}").read(SYM)
    _one_line(exc)


def test_file_escrow_still_works_beside_it(sm: Any, tmp_path: Path) -> None:
    uri = f"generate:f?escrow=file://{tmp_path}/e"
    with open_source(uri).read(SYM) as first:
        fp = first.fingerprint(SYM)
    assert (tmp_path / "e" / "f.key").stat().st_mode & 0o777 == 0o600
    with open_source(uri).read(SYM) as again:
        assert again.fingerprint(SYM) == fp
    assert sm.list_secrets()["SecretList"] == []
