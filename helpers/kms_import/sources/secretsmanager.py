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
from ..securefile import zero
from . import SourceRef, parse_ref
from ._stored import (
    Refusals,
    StoredSource,
    check_no_wildcard,
    check_params,
    client,
    explain,
    material_from_value,
    refusal,
)

_REFUSALS: Refusals = {
    "ResourceNotFoundException": (
        "secret {name!r} (or the version asked for) does not exist in {region}",
        "check the secret name or ARN, version-stage/version-id and ?region=",
    ),
    "AccessDeniedException": (
        "{action} on secret {name!r} was denied",
        "grant this principal secretsmanager:GetSecretValue/CreateSecret on it and "
        "kms:Decrypt/GenerateDataKey on its KMS key",
    ),
    "DecryptionFailure": (
        "Secrets Manager cannot decrypt secret {name!r}",
        "grant this principal kms:Decrypt on the secret's KMS key",
    ),
    "InvalidRequestException": (
        "{action} on secret {name!r} was refused: {detail}",
        "if it is scheduled for deletion, restore it with "
        "`aws secretsmanager restore-secret --secret-id ...`",
    ),
}


@dataclass(frozen=True)
class SecretsManagerSource(StoredSource):
    SCHEME: ClassVar[str] = "secretsmanager"
    EXAMPLE: ClassVar[str] = "secretsmanager:prod/kms/material?format=base64"
    SUMMARY: ClassVar[str] = (
        "an AWS Secrets Manager secret: binary (raw) or string (format=base64|hex|pem)"
    )
    SERVICE: ClassVar[str] = "secretsmanager"
    NOUN: ClassVar[str] = "secret"
    FORM: ClassVar[str] = "secretsmanager:<secret name or ARN>"
    PARAMS: ClassVar[tuple[str, ...]] = ("format", "version-stage", "version-id", "region")
    REFUSALS: ClassVar[Refusals] = _REFUSALS

    version_stage: str | None = None
    version_id: str | None = None

    @classmethod
    def options(cls, ref: SourceRef) -> dict[str, Any]:
        return {
            "version_stage": ref.params.get("version-stage") or None,
            "version_id": ref.params.get("version-id") or None,
        }

    def fetch(self, store: Any) -> bytes | str:
        value = get_secret(store, self.name, self.version_stage, self.version_id)
        if value is None:
            region = store.meta.region_name
            raise explain(_REFUSALS, "ResourceNotFoundException", name=self.name, region=region)
        return value


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
        raise refusal(exc, _REFUSALS, "GetSecretValue", secret_id) from None
    value: bytes | str | None = response.get("SecretBinary")
    if value is None:
        value = response.get("SecretString")
    response.clear()
    if value is None:
        raise SourceError(f"secret {secret_id!r} has no value", "put the material into it")
    return value


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
        check_no_wildcard(prefix, "escrow secret", uri)
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
                raise refusal(exc, _REFUSALS, "CreateSecret", self.secret_name(name)) from None
        finally:
            zero(new)


SOURCE = SecretsManagerSource
