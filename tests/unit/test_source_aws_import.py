"""The import step from Secrets Manager, SSM and the Secrets Manager escrow, against the local
KMS (moto + localaws) in-process: import, re-import after deletion, wrong material refused."""

from __future__ import annotations

import base64
import os
from typing import Any

import boto3
import pytest

from kms_import.errors import AwsError
from kms_import.importer import ImportRequest, run_import
from kms_import.material import secret_fingerprint

REGION = "us-east-1"


@pytest.fixture
def aws(local_aws: None) -> dict[str, Any]:
    return {n: boto3.client(n, region_name=REGION) for n in ("kms", "secretsmanager", "ssm")}


def _import_twice(kms: Any, uri: str, spec: str = "SYMMETRIC_DEFAULT") -> str:
    usage = "GENERATE_VERIFY_MAC" if spec.startswith("HMAC") else "ENCRYPT_DECRYPT"
    arn = kms.create_key(Origin="EXTERNAL", KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]
    first = run_import(ImportRequest(arn, uri), kms=kms)
    assert first.imported
    assert first.state == "Enabled"
    kms.delete_imported_key_material(KeyId=arn)
    again = run_import(ImportRequest(arn, uri), kms=kms)  # re-import: the same material
    assert again.imported
    assert again.fingerprint == first.fingerprint
    return first.fingerprint


def test_import_from_a_binary_secret(aws: dict[str, Any]) -> None:
    material = os.urandom(32)
    aws["secretsmanager"].create_secret(Name="prod/kms/m", SecretBinary=material)
    fp = _import_twice(aws["kms"], "secretsmanager:prod/kms/m")
    assert fp == secret_fingerprint(material)


def test_import_hmac_from_a_string_secret(aws: dict[str, Any]) -> None:
    material = os.urandom(48)
    aws["secretsmanager"].create_secret(Name="mac", SecretString=material.hex())
    fp = _import_twice(aws["kms"], "secretsmanager:mac?format=hex", "HMAC_384")
    assert fp == secret_fingerprint(material)


def test_import_from_an_ssm_securestring(aws: dict[str, Any]) -> None:
    material = os.urandom(32)
    aws["ssm"].put_parameter(
        Name="/prod/kms/m", Value=base64.b64encode(material).decode(), Type="SecureString"
    )
    fp = _import_twice(aws["kms"], "ssm:/prod/kms/m?format=base64")
    assert fp == secret_fingerprint(material)


def test_import_generated_material_escrowed_in_secrets_manager(aws: dict[str, Any]) -> None:
    uri = "generate:prod-1?escrow=secretsmanager:kms-import/escrow"
    fp = _import_twice(aws["kms"], uri)
    escrowed = aws["secretsmanager"].get_secret_value(SecretId="kms-import/escrow/prod-1")
    assert secret_fingerprint(escrowed["SecretBinary"]) == fp


def test_other_material_is_refused_after_deletion(aws: dict[str, Any]) -> None:
    aws["secretsmanager"].create_secret(Name="a", SecretBinary=os.urandom(32))
    aws["secretsmanager"].create_secret(Name="b", SecretBinary=os.urandom(32))
    kms = aws["kms"]
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    run_import(ImportRequest(arn, "secretsmanager:a"), kms=kms)
    kms.delete_imported_key_material(KeyId=arn)
    with pytest.raises(AwsError, match="IncorrectKeyMaterialException"):
        run_import(ImportRequest(arn, "secretsmanager:b"), kms=kms)
