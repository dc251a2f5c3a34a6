"""`ssm:<parameter name or ARN>?format=base64|hex|pem`: material in SSM Parameter Store.

Only SecureString parameters are accepted (a plain String parameter is readable by anyone
with ssm:GetParameter and sits unencrypted in the parameter history, like a world-readable
file). Parameters hold text, so the encoding is named explicitly: `format=base64`, `hex` or
`pem`. Optional: `version=N` or `label=L` (default: the latest version), `region=` (default:
the ARN's Region, then boto3's chain).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .. import aws
from ..errors import SourceError
from ..keyspecs import KeySpec
from ..material import Material
from . import SourceRef
from ._stored import (
    TEXT_FORMATS,
    check_params,
    client,
    error_message,
    material_from_value,
    region_of_arn,
    translate,
)

_PARAMS = ("format", "version", "label", "region")


@dataclass(frozen=True)
class SsmSource:
    SCHEME: ClassVar[str] = "ssm"
    EXAMPLE: ClassVar[str] = "ssm:/prod/kms/material?format=base64"
    SUMMARY: ClassVar[str] = (
        "an SSM Parameter Store SecureString holding encoded material (format=base64|hex|pem)"
    )

    name: str
    format: str
    selector: str = ""  # ":<version>" or ":<label>", appended to the name
    region: str | None = None

    @classmethod
    def from_uri(cls, ref: SourceRef) -> SsmSource:
        check_params(ref.params, _PARAMS, ref.uri)
        if not ref.path:
            raise SourceError(
                f"ssm source {ref.uri!r} names no parameter",
                "write it as ssm:/path/to/parameter?format=base64",
            )
        fmt = ref.params.get("format")
        if fmt not in TEXT_FORMATS:
            raise SourceError(
                f"ssm source {ref.uri!r} needs ?format= one of {', '.join(TEXT_FORMATS)}"
                + (f" (not {fmt!r})" if fmt else ""),
                "parameters hold text: name the encoding of the material in it",
            )
        region = ref.params.get("region") or region_of_arn(ref.path)
        return cls(ref.path, fmt, _selector(ref), region)

    def read(self, spec: KeySpec) -> Material:
        ssm = client("ssm", self.region)
        parameter = self._get(ssm)
        value = parameter.get("Value", "")
        if parameter.get("Type") != "SecureString":
            raise SourceError(
                f"parameter {self.name!r} is a {parameter.get('Type')}, not a SecureString",
                "store key material only as a SecureString, then treat this copy as exposed",
            )
        parameter.clear()
        return material_from_value(value, self.format, f"parameter {self.name}", spec)

    def _get(self, ssm: Any) -> dict[str, Any]:
        try:
            response = ssm.get_parameter(Name=self.name + self.selector, WithDecryption=True)
        except Exception as exc:
            raise self._error(exc, ssm.meta.region_name) from None
        parameter: dict[str, Any] = response["Parameter"]
        return parameter

    def _error(self, exc: BaseException, region: str) -> Exception:
        code = aws.error_code(exc)
        if code in ("ParameterNotFound", "ParameterVersionNotFound"):
            return SourceError(
                f"parameter {self.name + self.selector!r} does not exist in {region}",
                "check the parameter name, version/label and ?region=",
            )
        if code == "AccessDeniedException":
            return SourceError(
                f"reading parameter {self.name!r} was denied",
                "grant this principal ssm:GetParameter on it and kms:Decrypt on its KMS key",
            )
        if code == "InvalidKeyId":
            return SourceError(
                f"SSM cannot decrypt parameter {self.name!r}: {error_message(exc) or code}",
                "grant this principal kms:Decrypt on the parameter's KMS key",
            )
        return translate(exc, f"GetParameter {self.name}")


def _selector(ref: SourceRef) -> str:
    version, label = ref.params.get("version", ""), ref.params.get("label", "")
    if version and label:
        raise SourceError(
            f"ssm source {ref.uri!r} gives both version= and label=", "give one of them"
        )
    if version and not version.isdigit():
        raise SourceError(
            f"ssm version {version!r} in {ref.uri!r} is not a number",
            "use version=N, or label= for a label",
        )
    return f":{version or label}" if version or label else ""


SOURCE = SsmSource
