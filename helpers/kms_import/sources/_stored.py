"""Shared by the sources that keep material in an AWS store (Secrets Manager, SSM).

`StoredSource` is their one shape: parse `scheme:<name or ARN>?format=...&region=...`, fetch
the value with one AWS call (the subclass's `fetch`), decode it by format, check it, and say
every refusal AWS gives as one line (the subclass's `REFUSALS` table).

Stored values are bytes (a binary secret) or text (a string secret, an SSM parameter). Bytes
default to raw; text never has a default encoding, because one text can decode under two
encodings to two different materials (64 hex digits are also valid base64), so the reference
must say which one it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from .. import aws
from ..errors import AwsError, SourceError
from ..formats import FORMATS, decode
from ..keyspecs import KeySpec
from ..material import Material, checked
from . import SourceRef

TEXT_FORMATS = ("base64", "hex", "pem")

# AWS error code -> (message, hint), str.format templates over the fields `action` (the AWS
# call), `name` (what the reference names), `region` and `detail` (AWS's own message).
Refusals = Mapping[str, tuple[str, str]]


@dataclass(frozen=True)
class StoredSource:
    """A material source that is one value in an AWS store; subclasses are the sources."""

    SCHEME: ClassVar[str]
    EXAMPLE: ClassVar[str]
    SUMMARY: ClassVar[str]
    SERVICE: ClassVar[str]  # the boto3 service name
    NOUN: ClassVar[str]  # what the store calls one value ("secret", "parameter")
    FORM: ClassVar[str]  # how a reference is written, for "names no ..."
    PARAMS: ClassVar[tuple[str, ...]]  # the ?parameters it knows
    REFUSALS: ClassVar[Refusals]

    name: str
    format: str | None = None
    region: str | None = None

    @classmethod
    def from_uri(cls, ref: SourceRef) -> Self:
        check_params(ref.params, cls.PARAMS, ref.uri)
        if not ref.path:
            raise SourceError(
                f"{cls.SCHEME} source {ref.uri!r} names no {cls.NOUN}", f"write it as {cls.FORM}"
            )
        check_no_wildcard(ref.path, cls.NOUN, ref.uri)
        fmt = ref.params.get("format")
        cls.check_format(fmt, ref.uri)
        region = ref.params.get("region") or region_of_arn(ref.path)
        return cls(ref.path, fmt, region, **cls.options(ref))

    @classmethod
    def check_format(cls, fmt: str | None, uri: str) -> None:
        check_format(fmt, uri)

    @classmethod
    def options(cls, ref: SourceRef) -> dict[str, Any]:
        """The subclass's own fields, from the reference."""
        return {}

    def read(self, spec: KeySpec) -> Material:
        store = client(self.SERVICE, self.region)
        value = self.fetch(store)
        return material_from_value(value, self.format, f"{self.NOUN} {self.name}", spec)

    def fetch(self, store: Any) -> bytes | str:
        """The stored value, from one call on `store` (a boto3 client); refusals raised."""
        raise NotImplementedError

    def refusal(self, exc: BaseException, action: str, store: Any, name: str = "") -> Exception:
        return refusal(exc, self.REFUSALS, action, name or self.name, store.meta.region_name)


def refusal(
    exc: BaseException, refusals: Refusals, action: str, name: str, region: str = ""
) -> Exception:
    """AWS's refusal as one line: from the table when it has the code, else aws.translate."""
    code = aws.error_code(exc)
    if code not in refusals:
        return translate(exc, f"{action} {name}")
    detail = error_message(exc) or code
    return explain(refusals, code, action=action, name=name, region=region, detail=detail)


def explain(refusals: Refusals, code: str, **fields: str) -> SourceError:
    message, hint = refusals[code]
    return SourceError(message.format(**fields), hint.format(**fields))


def check_format(fmt: str | None, uri: str) -> None:
    if fmt is not None and fmt not in FORMATS:
        raise SourceError(
            f"unknown format {fmt!r} in {uri!r}", f"use ?format= one of {', '.join(FORMATS)}"
        )


WILDCARDS = ("*", "?")


def check_no_wildcard(name: str, noun: str, uri: str) -> None:
    """Refuse `*` and `?` in a secret or parameter name (also %-encoded): the importer policy
    is built from the name, and IAM would read them as wildcards over other secrets."""
    found = [c for c in WILDCARDS if c in name]
    if found:
        raise SourceError(
            f"{uri!r} has a wildcard {found[0]!r} in its {noun} name",
            f"name exactly one {noun}: a wildcard would let the importer policy grant every "
            f"matching {noun}",
        )


def check_params(ref_params: dict[str, str], known: tuple[str, ...], uri: str) -> None:
    unknown = sorted(set(ref_params) - set(known))
    if unknown:
        raise SourceError(
            f"unknown parameter {unknown[0]!r} in {uri!r}",
            f"the known parameters are {', '.join(known)}",
        )


def material_from_value(
    value: bytes | bytearray | str, fmt: str | None, description: str, spec: KeySpec
) -> Material:
    """Decode a stored value into checked material; every copy this code owns is zeroed."""
    if isinstance(value, str):
        if fmt is None:
            raise SourceError(
                f"{description} holds text, so its encoding must be named",
                f"add ?format= one of {', '.join(TEXT_FORMATS)}",
            )
        if fmt not in TEXT_FORMATS:
            raise SourceError(
                f"{description} holds text, which cannot carry {fmt} bytes",
                f"store the material encoded and set ?format= one of {', '.join(TEXT_FORMATS)}",
            )
        data = bytearray(value.encode("utf-8"))
    else:
        data = bytearray(value)
    return checked(spec, Material(decode(data, fmt or "raw", description), description))


def region_of_arn(name: str) -> str | None:
    """The Region inside an ARN (arn:PARTITION:SERVICE:REGION:...), else None."""
    parts = name.split(":")
    if name.startswith("arn:") and len(parts) > 4 and parts[3]:
        return parts[3]
    return None


def client(service: str, region: str | None) -> Any:
    return aws.client(service, region)


def error_message(exc: BaseException) -> str:
    """AWS's own error text (never material), on one line."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return " ".join(str(response.get("Error", {}).get("Message", "")).split())


def translate(exc: BaseException, what: str) -> AwsError:
    """aws.translate, with AWS's message kept on one line."""
    error = aws.translate(exc, what)
    return AwsError(" ".join(error.message.split()), error.hint)
