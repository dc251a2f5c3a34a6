"""Shared by the sources that keep material in an AWS store (Secrets Manager, SSM).

Stored values are bytes (a binary secret) or text (a string secret, an SSM parameter). Bytes
default to raw; text never has a default encoding, because one text can decode under two
encodings to two different materials (64 hex digits are also valid base64), so the reference
must say which one it is.
"""

from __future__ import annotations

from typing import Any

from .. import aws
from ..errors import AwsError, SourceError
from ..formats import FORMATS, decode
from ..keyspecs import KeySpec, check_material
from ..material import Material

TEXT_FORMATS = ("base64", "hex", "pem")


def check_format(fmt: str | None, uri: str) -> None:
    if fmt is not None and fmt not in FORMATS:
        raise SourceError(
            f"unknown format {fmt!r} in {uri!r}", f"use ?format= one of {', '.join(FORMATS)}"
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
    material = Material(decode(data, fmt or "raw", description), description)
    try:
        check_material(spec, material)
    except BaseException:
        material.zero()
        raise
    return material


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


def zero(buf: bytearray) -> None:
    for i in range(len(buf)):
        buf[i] = 0
