"""ssm: SecureString parameters as material, on moto in-process."""

from __future__ import annotations

import base64
import os
from typing import Any

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kms_import.errors import MaterialError, SourceError
from kms_import.keyspecs import key_spec
from kms_import.material import secret_fingerprint
from kms_import.sources import open_source

SYM = key_spec("SYMMETRIC_DEFAULT")
REGION = "eu-west-1"


@pytest.fixture
def ssm(moto_region: str) -> Any:
    """ssm on moto, in REGION (conftest's moto_region)."""
    return boto3.client("ssm", region_name=moto_region)


def _put(ssm: Any, name: str, value: str, kind: str = "SecureString") -> None:
    ssm.put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)


def _one_line(exc: pytest.ExceptionInfo[Exception]) -> str:
    text = str(exc.value)
    assert "\n" not in text
    return text


@pytest.mark.parametrize("fmt", ["base64", "hex"])
def test_securestring_decodes_by_format(ssm: Any, fmt: str) -> None:
    material = os.urandom(32)
    _put(
        ssm,
        "/prod/kms/m",
        base64.b64encode(material).decode() if fmt == "base64" else material.hex(),
    )
    with open_source(f"ssm:/prod/kms/m?format={fmt}").read(SYM) as got:
        assert bytes(got.buffer) == material
        assert got.fingerprint(SYM) == secret_fingerprint(material)
    assert got.buffer == bytearray(32)  # zeroed when the block ends


def test_pem_private_key(ssm: Any) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _put(ssm, "/k/ec", pem.decode())
    with open_source("ssm:/k/ec?format=pem").read(key_spec("ECC_NIST_P384")) as got:
        assert got.fingerprint(key_spec("ECC_NIST_P384")).startswith("sha256-spki:")


def test_version_and_label_select_versions(ssm: Any) -> None:
    old, new = os.urandom(32), os.urandom(32)
    _put(ssm, "/v", old.hex())
    ssm.label_parameter_version(Name="/v", ParameterVersion=1, Labels=["first"])
    _put(ssm, "/v", new.hex())
    for uri, expected in [
        ("ssm:/v?format=hex", new),
        ("ssm:/v?format=hex&version=1", old),
        ("ssm:/v?format=hex&label=first", old),
    ]:
        with open_source(uri).read(SYM) as got:
            assert bytes(got.buffer) == expected, uri


def test_arn_carries_its_region(ssm: Any) -> None:
    material = os.urandom(32)
    far = boto3.client("ssm", region_name="ap-south-1")
    far.put_parameter(Name="/far", Value=material.hex(), Type="SecureString")
    arn = far.get_parameter(Name="/far")["Parameter"]["ARN"]
    with open_source(f"ssm:{arn}?format=hex").read(SYM) as got:
        assert bytes(got.buffer) == material
    with open_source("ssm:/far?format=hex&region=ap-south-1").read(SYM) as got:
        assert bytes(got.buffer) == material


@pytest.mark.parametrize("kind", ["String", "StringList"])
def test_plain_parameters_are_refused(ssm: Any, kind: str) -> None:
    _put(ssm, "/plain", os.urandom(32).hex(), kind)
    with pytest.raises(SourceError, match=f"is a {kind}, not a SecureString") as exc:
        open_source("ssm:/plain?format=hex").read(SYM)
    _one_line(exc)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("ssm:/m", "needs \\?format= one of base64, hex, pem"),
        ("ssm:/m?format=raw", "not 'raw'"),
        ("ssm:/m?format=der", "not 'der'"),
        ("ssm:?format=hex", "names no parameter"),
        ("ssm:/m?format=hex&colour=red", "unknown parameter 'colour'"),
        ("ssm:/m?format=hex&version=1&label=a", "both version= and label="),
        ("ssm:/m?format=hex&version=latest", "is not a number"),
        ("ssm:/missing?format=hex", "parameter '/missing' does not exist in eu-west-1"),
        ("ssm:/m?format=hex&version=9", "parameter '/m:9' does not exist"),
    ],
)
def test_bad_references_fail_with_one_clear_line(ssm: Any, uri: str, message: str) -> None:
    _put(ssm, "/m", os.urandom(32).hex())
    with pytest.raises(SourceError, match=message) as exc:
        open_source(uri).read(SYM)
    _one_line(exc)


def test_wrong_size_and_bad_encoding_are_refused(ssm: Any) -> None:
    _put(ssm, "/short", os.urandom(16).hex())
    with pytest.raises(MaterialError, match="parameter /short holds 16 bytes") as exc:
        open_source("ssm:/short?format=hex").read(SYM)
    _one_line(exc)
    _put(ssm, "/junk", "zz" * 32)
    with pytest.raises(MaterialError, match="not valid hex"):
        open_source("ssm:/junk?format=hex").read(SYM)
