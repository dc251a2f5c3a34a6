"""The air-gapped work folder (airgap.py runs the steps): its private files, and import.txt
as the AWS CLI writes it, read back into the import parameters."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import wrapping
from .errors import (
    UsageError,
)
from .securefile import PrivateDir

IMPORT_TXT = "import.txt"
PUBLIC_KEY = "PublicKey.bin"
IMPORT_TOKEN = "ImportToken.bin"  # noqa: S105 (a file name, not a secret)
PARAMS_JSON = "import-params.json"
ENCRYPTED = "EncryptedKeyMaterial.bin"
WRAPPED_JSON = "wrapped.json"
DEFAULT_WRAPPING_KEY_SPEC = "RSA_3072"  # the seed's choice
# Sources that read from AWS cannot be used on an air-gapped machine.


@dataclass(frozen=True)
class ImportParameters:
    """One GetParametersForImport answer as found in a work folder."""

    key_id: str
    public_key: bytes
    import_token: bytes
    valid_to: datetime
    wrapping_key_spec: str
    wrapping_algorithm: str | None  # None: not recorded (import.txt alone)
    key_spec: str | None


# --- folder and files --------------------------------------------------------------------


_MAX_WORK_FILE = 1 << 20  # the largest file here (import.txt) is a few KiB


def _work_folder(path: Path, *, create: bool = False) -> PrivateDir:
    return PrivateDir(
        path,
        "work folder",
        create=create,
        error=UsageError,
        missing_hint="run `kms-import params --out ...` first",
    )


def create_private_dir(path: Path) -> Path:
    """Create the work folder 0700 (with parents), or refuse one that others can enter."""
    with _work_folder(path, create=True):
        return path


def check_private_dir(path: Path) -> Path:
    with _work_folder(path):
        return path


def write_private(path: Path, data: bytes) -> None:
    """Write `data` 0600 in one step into the work folder, replacing what was there."""
    with _work_folder(path.parent) as folder:
        folder.replace(path.name, data)


def _read_optional(folder: Path, name: str) -> bytes | None:
    """The file's bytes, None when missing. Its mode is not checked: the AWS CLI or openssl
    may have written it with the umask's mode, and the 0700 folder keeps others out."""
    with _work_folder(folder) as work:
        data = work.read(name, "work file", private=False, limit=_MAX_WORK_FILE)
    return None if data is None else bytes(data)


def _read(folder: Path, name: str, hint: str) -> bytes:
    data = _read_optional(folder, name)
    if data is None:
        raise UsageError(f"{folder / name} does not exist", hint)
    return data


def _read_json(folder: Path, name: str) -> dict[str, Any] | None:
    raw = _read_optional(folder, name)
    if raw is None:
        return None
    path = folder / name
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UsageError(f"{path} is not JSON", "delete it and run the step again") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a JSON object", "delete it and run the step again")
    return data


# --- import.txt, as the AWS CLI writes it ----------------------------------------------------


def cli_json(response: dict[str, Any]) -> str:
    """Text AWS CLI v1 prints for a response (awscli.formatter.JSONFormatter)."""
    shown = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    return json.dumps(shown, indent=4, default=_cli_encoder, ensure_ascii=False) + "\n"


def _cli_encoder(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("utf-8")
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def _parse_valid_to(value: Any) -> datetime:
    """ParametersValidTo as CLI v1 prints it (epoch seconds) or v2 does (ISO 8601)."""
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise UsageError(
            f"ParametersValidTo {value!r} in {IMPORT_TXT} is not a timestamp",
            "fetch the parameters again",
        ) from None


def _decode_field(text: dict[str, Any], name: str) -> bytes:
    value = text.get(name)
    if not isinstance(value, str):
        raise UsageError(f"{IMPORT_TXT} has no {name}", "fetch the parameters again")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise UsageError(f"{name} in {IMPORT_TXT} is not base64", "fetch it again") from None


def _wrapping_key_spec_of(public_key: bytes) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_der_public_key(public_key)
    except ValueError:
        key = None
    spec = f"RSA_{key.key_size}" if isinstance(key, rsa.RSAPublicKey) else ""
    if spec not in wrapping.WRAPPING_KEY_SPECS:
        raise UsageError(
            f"PublicKey in {IMPORT_TXT} is not an RSA wrapping key KMS hands out",
            "fetch the parameters again",
        )
    return spec


def load_params(folder: Path) -> ImportParameters:
    """The parameters in `folder`: import.txt, checked against the .bin files and side file."""
    raw = _read(folder, IMPORT_TXT, "run `kms-import params` (or the seed's AWS CLI step) first")
    try:
        text = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UsageError(f"{folder / IMPORT_TXT} is not JSON", "fetch it again") from None
    if not isinstance(text, dict) or not isinstance(text.get("KeyId"), str):
        raise UsageError(f"{folder / IMPORT_TXT} has no KeyId", "fetch it again")
    public_key = _decode_field(text, "PublicKey")
    token = _decode_field(text, "ImportToken")
    for name, value in ((PUBLIC_KEY, public_key), (IMPORT_TOKEN, token)):
        found = _read_optional(folder, name)
        if found is not None and found != value:
            raise UsageError(
                f"{folder / name} does not belong to {folder / IMPORT_TXT}",
                f"delete {name} (it is rewritten from {IMPORT_TXT}) or fetch new parameters",
            )
    spec_from_key = _wrapping_key_spec_of(public_key)
    side = _read_json(folder, PARAMS_JSON) or {}
    if side and side.get("KeyId") != text["KeyId"]:
        raise UsageError(
            f"{folder / PARAMS_JSON} is for another key than {IMPORT_TXT}",
            "delete the folder's files and run `kms-import params` again",
        )
    recorded_spec = side.get("WrappingKeySpec")
    if recorded_spec and recorded_spec != spec_from_key:
        raise UsageError(
            f"{folder / PARAMS_JSON} says {recorded_spec} but PublicKey is {spec_from_key}",
            "run `kms-import params` again",
        )
    return ImportParameters(
        key_id=text["KeyId"],
        public_key=public_key,
        import_token=token,
        valid_to=_parse_valid_to(text.get("ParametersValidTo")),
        wrapping_key_spec=spec_from_key,
        wrapping_algorithm=side.get("WrappingAlgorithm"),
        key_spec=side.get("KeySpec"),
    )
