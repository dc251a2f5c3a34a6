"""The old state `kms-import adopt` reads (a local file or an s3:// object), and the key with
`key_material_base64` found in it, with any alias on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import aws
from .errors import KmsImportError, UsageError

RESOURCE_TYPE = "aws_kms_external_key"


class AdoptError(KmsImportError):
    """The old state or key cannot be adopted as asked."""


@dataclass(frozen=True)
class OldKey:
    """The key's resource in the old state (never holding the material beyond the check)."""

    address: str
    key_id: str
    arn: str
    material_b64: str = field(repr=False)  # the plaintext, as the old state holds it
    deletion_window_in_days: int | None
    alias_addresses: tuple[tuple[str, str], ...]  # (address, alias name)


@dataclass(frozen=True)
class StateRef:
    text: str
    path: Path | None = None
    bucket: str | None = None
    key: str | None = None


def read_state(ref: str) -> StateRef:
    if ref.startswith("s3://"):
        bucket, key = _split_s3(ref)
        s3 = aws.client("s3")
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            raise aws.translate(exc, f"reading {ref}") from None
        return StateRef(body.decode(), bucket=bucket, key=key)
    path = Path(ref)
    try:
        return StateRef(path.read_text(), path=path)
    except OSError as exc:
        raise UsageError(
            f"cannot read the old state {path}: {exc.strerror}",
            "pass the old root's terraform.tfstate or s3://BUCKET/KEY of its remote state",
        ) from None


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise UsageError(f"{uri!r} does not name an S3 object", "use s3://BUCKET/KEY")
    return bucket, key


def _instances(state: dict[str, Any], rtype: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for res in state.get("resources", []):
        if res.get("mode") != "managed" or res.get("type") != rtype:
            continue
        prefix = f"{res['module']}." if res.get("module") else ""
        for inst in res.get("instances", []):
            index = inst.get("index_key")
            suffix = "" if index is None else f"[{json.dumps(index)}]"
            yield f"{prefix}{rtype}.{res['name']}{suffix}", inst.get("attributes", {})


def find_key(text: str, address: str | None, where: str) -> OldKey:
    try:
        state = json.loads(text)
    except json.JSONDecodeError:
        raise UsageError(
            f"{where} is not a Terraform state (JSON)", "pass terraform.tfstate"
        ) from None
    found = {
        a: attrs
        for a, attrs in _instances(state, RESOURCE_TYPE)
        if attrs.get("key_material_base64")
    }
    if address is not None:
        if address not in found:
            raise AdoptError(
                f"{where} has no {address} with key_material_base64",
                f"pick one of: {', '.join(sorted(found)) or 'none found'}",
            )
    elif len(found) != 1:
        raise AdoptError(
            f"{where} holds {len(found)} {RESOURCE_TYPE} with key_material_base64",
            "name one with --address" if found else "nothing to adopt there",
        )
    address = address or next(iter(found))
    attrs = found[address]
    aliases = tuple(
        (a, str(alias["name"]))
        for a, alias in _instances(state, "aws_kms_alias")
        if alias.get("target_key_id") in (attrs.get("id"), attrs.get("arn"))
    )
    window = attrs.get("deletion_window_in_days")
    return OldKey(
        address=address,
        key_id=str(attrs["id"]),
        arn=str(attrs["arn"]),
        material_b64=str(attrs["key_material_base64"]),
        deletion_window_in_days=int(window) if window else None,
        alias_addresses=aliases,
    )
