"""`secretsmanager:<name or ARN>?format=...`: material kept in AWS Secrets Manager.

A binary secret (SecretBinary) is the material's bytes: `format=raw` (the default) or, when
the bytes are an encoding, `base64`, `hex`, `pem` or `der`. A string secret (SecretString) has
no default: name its encoding with `format=base64`, `hex` or `pem`, because the same text can
decode to different materials under different encodings. Optional: `version-stage=` or
`version-id=` (default AWSCURRENT), `region=` (default: the ARN's Region, then boto3's chain).

This module also holds the Secrets Manager escrow for `generate:`
(`generate:NAME?escrow=secretsmanager:PREFIX` keeps the material in the secret `PREFIX/NAME`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import aws
from ..errors import SourceError
from ..keyspecs import KeySpec
from ..material import Material
from . import SourceRef, parse_ref
from ._stored import (
    check_format,
    check_params,
    client,
    error_message,
    material_from_value,
    region_of_arn,
    translate,
    zero,
)

_PARAMS = ("format", "version-stage", "version-id", "region")


@dataclass(frozen=True)
class SecretsManagerSource:
    SCHEME: ClassVar[str] = "secretsmanager"
    EXAMPLE: ClassVar[str] = "secretsmanager:prod/kms/material?format=base64"
    SUMMARY: ClassVar[str] = (
        "an AWS Secrets Manager secret: binary (raw) or string (format=base64|hex|pem)"
    )

    secret_id: str
    format: str | None = None
    version_stage: str | None = None
    version_id: str | None = None
    region: str | None = None

    @classmethod
    def from_uri(cls, ref: SourceRef) -> SecretsManagerSource:
        check_params(ref.params, _PARAMS, ref.uri)
        if not ref.path:
            raise SourceError(
                f"secretsmanager source {ref.uri!r} names no secret",
                "write it as secretsmanager:<secret name or ARN>",
            )
        fmt = ref.params.get("format")
        check_format(fmt, ref.uri)
        return cls(
            ref.path,
            fmt,
            ref.params.get("version-stage") or None,
            ref.params.get("version-id") or None,
            ref.params.get("region") or region_of_arn(ref.path),
        )

    def read(self, spec: KeySpec) -> Material:
        sm = client("secretsmanager", self.region)
        value = get_secret(sm, self.secret_id, self.version_stage, self.version_id)
        if value is None:
            raise SourceError(
                f"secret {self.secret_id!r} (or the version asked for) does not exist in "
                f"{sm.meta.region_name}",
                "check the secret name or ARN, version-stage/version-id and ?region=",
            )
        return material_from_value(value, self.format, f"secret {self.secret_id}", spec)


def get_secret(
    sm: Any, secret_id: str, stage: str | None = None, version: str | None = None
) -> bytes | str | None:
    """The secret's SecretBinary or SecretString; None when it does not exist."""
    args: dict[str, str] = {"SecretId": secret_id}
    if stage:
        args["VersionStage"] = stage
    if version:
        args["VersionId"] = version
    try:
        response = sm.get_secret_value(**args)
    except Exception as exc:
        if aws.error_code(exc) == "ResourceNotFoundException":
            return None
        raise _error(exc, "GetSecretValue", secret_id) from None
    value: bytes | str | None = response.get("SecretBinary")
    if value is None:
        value = response.get("SecretString")
    response.clear()
    if value is None:
        raise SourceError(f"secret {secret_id!r} has no value", "put the material into it")
    return value


def _error(exc: BaseException, what: str, secret_id: str) -> Exception:
    code = aws.error_code(exc)
    detail = error_message(exc)
    if code == "AccessDeniedException":
        return SourceError(
            f"{what} on secret {secret_id!r} was denied",
            "grant this principal secretsmanager:GetSecretValue/CreateSecret on it and "
            "kms:Decrypt/GenerateDataKey on its KMS key",
        )
    if code == "DecryptionFailure":
        return SourceError(
            f"Secrets Manager cannot decrypt secret {secret_id!r}",
            "grant this principal kms:Decrypt on the secret's KMS key",
        )
    if code == "InvalidRequestException":
        return SourceError(
            f"{what} on secret {secret_id!r} was refused: {detail or code}",
            "if it is scheduled for deletion, restore it with "
            "`aws secretsmanager restore-secret --secret-id ...`",
        )
    return translate(exc, f"{what} {secret_id}")


@dataclass(frozen=True)
class SecretsManagerEscrow:
    """Escrow for `generate:`: the material lives in the binary secret `PREFIX/NAME`.

    Created once with CreateSecret; never overwritten (a secret that already exists is read
    instead, so a racing writer's material wins for everyone).
    """

    prefix: str
    region: str | None = None
    kms_key_id: str | None = None

    @classmethod
    def from_uri(cls, uri: str) -> SecretsManagerEscrow:
        ref = parse_ref(uri)
        check_params(ref.params, ("region", "kms-key-id"), uri)
        prefix = ref.path.strip("/")
        if not prefix or prefix.startswith("arn:"):
            raise SourceError(
                f"escrow {uri!r} names no secret prefix",
                "write it as escrow=secretsmanager:<prefix> (a name, not an ARN); the secret "
                "is then <prefix>/<generate name>",
            )
        return cls(prefix, ref.params.get("region") or None, ref.params.get("kms-key-id") or None)

    def secret_name(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def where(self, name: str) -> str:
        return f"escrow secret {self.secret_name(name)}"

    def load_or_create(
        self, name: str, spec: KeySpec, new_material: Callable[[KeySpec], bytes]
    ) -> Material:
        sm = client("secretsmanager", self.region)
        secret = self.secret_name(name)
        value = get_secret(sm, secret)
        if value is None:
            self._create(sm, name, bytearray(new_material(spec)))
            value = get_secret(sm, secret)  # what the escrow holds is what gets used
            if value is None:
                raise SourceError(
                    f"escrow secret {secret!r} was created but cannot be read back",
                    "check secretsmanager:GetSecretValue permissions and run again",
                )
        return material_from_value(value, None, self.where(name), spec)

    def _create(self, sm: Any, name: str, new: bytearray) -> None:
        args: dict[str, Any] = {
            "Name": self.secret_name(name),
            "Description": f"kms-import escrow for generate:{name}: the only copy of this key "
            "material; KMS accepts no other material for the key. Never delete it.",
            "Tags": [{"Key": "kms-import:escrow", "Value": name}],
        }
        if self.kms_key_id:
            args["KmsKeyId"] = self.kms_key_id
        try:
            sm.create_secret(SecretBinary=bytes(new), **args)
        except Exception as exc:
            if aws.error_code(exc) != "ResourceExistsException":  # a racing writer won
                raise _error(exc, "CreateSecret", self.secret_name(name)) from None
        finally:
            zero(new)


SOURCE = SecretsManagerSource
