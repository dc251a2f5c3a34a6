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

from ..errors import SourceError
from . import SourceRef
from ._stored import TEXT_FORMATS, Refusals, StoredSource

_NOT_FOUND = (
    "parameter {name!r} does not exist in {region}",
    "check the parameter name, version/label and ?region=",
)


@dataclass(frozen=True)
class SsmSource(StoredSource):
    SCHEME: ClassVar[str] = "ssm"
    EXAMPLE: ClassVar[str] = "ssm:/prod/kms/material?format=base64"
    SUMMARY: ClassVar[str] = (
        "an SSM Parameter Store SecureString holding encoded material (format=base64|hex|pem)"
    )
    SERVICE: ClassVar[str] = "ssm"
    NOUN: ClassVar[str] = "parameter"
    FORM: ClassVar[str] = "ssm:/path/to/parameter?format=base64"
    PARAMS: ClassVar[tuple[str, ...]] = ("format", "version", "label", "region")
    REFUSALS: ClassVar[Refusals] = {
        "ParameterNotFound": _NOT_FOUND,
        "ParameterVersionNotFound": _NOT_FOUND,
        "AccessDeniedException": (
            "reading parameter {name!r} was denied",
            "grant this principal ssm:GetParameter on it and kms:Decrypt on its KMS key",
        ),
        "InvalidKeyId": (
            "SSM cannot decrypt parameter {name!r}: {detail}",
            "grant this principal kms:Decrypt on the parameter's KMS key",
        ),
    }

    selector: str = ""  # ":<version>" or ":<label>", appended to the name

    @classmethod
    def check_format(cls, fmt: str | None, uri: str) -> None:
        if fmt not in TEXT_FORMATS:
            raise SourceError(
                f"ssm source {uri!r} needs ?format= one of {', '.join(TEXT_FORMATS)}"
                + (f" (not {fmt!r})" if fmt else ""),
                "parameters hold text: name the encoding of the material in it",
            )

    @classmethod
    def options(cls, ref: SourceRef) -> dict[str, Any]:
        return {"selector": _selector(ref)}

    def fetch(self, store: Any) -> str:
        name = self.name + self.selector
        try:
            response = store.get_parameter(Name=name, WithDecryption=True)
        except Exception as exc:
            raise self.refusal(exc, "GetParameter", store, name) from None
        parameter: dict[str, Any] = response["Parameter"]
        if parameter.get("Type") != "SecureString":
            raise SourceError(
                f"parameter {self.name!r} is a {parameter.get('Type')}, not a SecureString",
                "store key material only as a SecureString, then treat this copy as exposed",
            )
        value = str(parameter.get("Value", ""))
        parameter.clear()
        return value


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
