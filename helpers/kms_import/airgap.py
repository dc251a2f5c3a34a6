"""Air-gapped import in the seed's file layout: params (online) -> wrap (offline) -> import.

The work folder (0700, every file 0600) holds what the seed's hand-made steps hold:

  import.txt               `aws kms get-parameters-for-import` output, as AWS CLI v1 prints it
                           (JSON, indent 4, blobs base64, ParametersValidTo as sent on the wire:
                           epoch seconds); also accepted when written by the AWS CLI itself
  PublicKey.bin            the wrapping public key (DER SubjectPublicKeyInfo), decoded
  ImportToken.bin          the import token, decoded
  import-params.json       written by `params`: what was asked (KeyId, KeySpec, KeyUsage,
                           WrappingAlgorithm, WrappingKeySpec, ParametersValidTo). import.txt
                           does not say which algorithm the token is bound to; without this file
                           `wrap` takes --wrapping-algorithm, else the key spec's default
                           (RSAES_OAEP_SHA_256 for secret keys, as the seed asks), and the
                           wrapping key spec from the public key's size
  EncryptedKeyMaterial.bin written by `wrap` (or by openssl, as wrapKey.sh does)
  wrapped.json             written by `wrap`: key spec, algorithm and the material's non-secret
                           fingerprint, so `import-wrapped` can check the key's recorded
                           fingerprint and, for private keys, prove the import

`wrap` never creates an AWS client: AWS-backed sources are refused, and while it runs any
attempt to load or use the AWS SDK fails. Plaintext material is never written anywhere.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import wrapping
from .airgap_files import (
    DEFAULT_WRAPPING_KEY_SPEC,
    ENCRYPTED,
    IMPORT_TOKEN,
    IMPORT_TXT,
    PARAMS_JSON,
    PUBLIC_KEY,
    WRAPPED_JSON,
    ImportParameters,
    _parse_valid_to,
    _read,
    _read_json,
    _read_optional,
    _work_folder,
    check_private_dir,
    cli_json,
    create_private_dir,
    load_params,
    write_private,
)
from .errors import (
    AwsError,
    FingerprintMismatch,
    KeyStateError,
    UsageError,
    VerificationError,
    WrappingError,
)
from .keyspecs import PROOF_ENCRYPTION_CONTEXT, KeySpec, Kind, key_spec
from .privatekeys import public_key_fingerprint
from .validto import format_utc

log = logging.getLogger("kms-import")

_AWS_SCHEMES = ("secretsmanager", "ssm")


# --- params (online) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ParamsOutcome:
    key_id: str
    wrapping_algorithm: str
    wrapping_key_spec: str
    valid_to: datetime


def fetch_params(
    key_id: str,
    out: Path,
    algorithm: str | None = None,
    wrapping_key_spec: str | None = None,
    region: str | None = None,
    kms: Any = None,
) -> ParamsOutcome:
    """GetParametersForImport into `out`, in the seed's layout plus import-params.json."""
    from . import aws, keys

    kms = kms or wire_kms_client(key_id, region)
    key = keys.describe(kms, key_id, wait_for_new_key=True)
    _check_key(key.key_id, key.origin, key.state)
    spec = key_spec(key.key_spec)
    algorithm = algorithm or wrapping.default_algorithm(spec)
    wks = wrapping_key_spec or DEFAULT_WRAPPING_KEY_SPEC
    wrapping.check_combination(spec, algorithm, wks)
    folder = create_private_dir(out)
    response = aws.call_when_propagated(
        "GetParametersForImport",
        kms.get_parameters_for_import,
        KeyId=key.arn,
        WrappingAlgorithm=algorithm,
        WrappingKeySpec=wks,
    )
    valid_to = _parse_valid_to(response["ParametersValidTo"])
    with _work_folder(folder) as work:
        for stale in (ENCRYPTED, WRAPPED_JSON):  # wrapped for older parameters: unusable now
            work.remove(stale)
    write_private(folder / IMPORT_TXT, cli_json(response).encode())
    write_private(folder / PUBLIC_KEY, response["PublicKey"])
    write_private(folder / IMPORT_TOKEN, response["ImportToken"])
    side = {
        "KeyId": response["KeyId"],
        "KeySpec": spec.name,
        "KeyUsage": key.key_usage,
        "WrappingAlgorithm": algorithm,
        "WrappingKeySpec": wks,
        "ParametersValidTo": format_utc(valid_to),
    }
    write_private(folder / PARAMS_JSON, (json.dumps(side, indent=2) + "\n").encode())
    return ParamsOutcome(key.key_id, algorithm, wks, valid_to)


def wire_kms_client(key_id: str, region: str | None = None) -> Any:
    """A KMS client that keeps timestamps as sent (what AWS CLI v1 prints by default)."""
    from botocore.config import Config

    from . import aws

    core = aws.session()  # the run's credentials (profile, assumed role), like every client
    core.get_component("response_parser_factory").set_parser_defaults(
        timestamp_parser=lambda value: value
    )
    config = Config(retries=aws.RETRIES, user_agent_extra="kms-import")  # type: ignore[arg-type]
    try:
        return core.create_client("kms", region_name=region or aws.region_of(key_id), config=config)
    except Exception as exc:
        raise aws.translate(exc) from None


def _check_key(key_id: str, origin: str, state: str) -> None:
    if origin != "EXTERNAL":
        raise KeyStateError(
            f"key {key_id} has origin {origin}, not EXTERNAL",
            "only keys created with --origin EXTERNAL take imported material",
        )
    if state == "PendingDeletion":
        raise KeyStateError(f"key {key_id} is pending deletion", "cancel the deletion first")


# --- wrap (offline) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrapOutcome:
    key_id: str
    key_spec: str
    wrapping_algorithm: str
    wrapping_key_spec: str
    fingerprint: str


def wrap_folder(
    folder: Path,
    source: str,
    algorithm: str | None = None,
    spec_name: str | None = None,
    now: datetime | None = None,
) -> WrapOutcome:
    """EncryptedKeyMaterial.bin for the folder's parameters, without any AWS access."""
    check_private_dir(folder)
    params = load_params(folder)
    _require_unexpired(params, folder, now)
    spec = key_spec(_pick("key spec", params.key_spec, spec_name, "SYMMETRIC_DEFAULT"))
    chosen = _pick(
        "wrapping algorithm",
        params.wrapping_algorithm,
        algorithm,
        wrapping.default_algorithm(spec),
    )
    wrapping.check_combination(spec, chosen, params.wrapping_key_spec)
    _refuse_aws_source(source)
    with no_aws():
        blob, fingerprint = _wrap_material(source, spec, chosen, params)
    write_private(folder / ENCRYPTED, blob)
    for name, value in ((PUBLIC_KEY, params.public_key), (IMPORT_TOKEN, params.import_token)):
        if _read_optional(folder, name) is None:
            write_private(folder / name, value)
    record = {
        "KeyId": params.key_id,
        "KeySpec": spec.name,
        "WrappingAlgorithm": chosen,
        "WrappingKeySpec": params.wrapping_key_spec,
        "Fingerprint": fingerprint,
    }
    write_private(folder / WRAPPED_JSON, (json.dumps(record, indent=2) + "\n").encode())
    key_id = params.key_id.rsplit("/", 1)[-1]
    return WrapOutcome(key_id, spec.name, chosen, params.wrapping_key_spec, fingerprint)


def _pick(what: str, recorded: str | None, requested: str | None, default: str) -> str:
    if recorded and requested and recorded != requested:
        raise WrappingError(
            f"the parameters were fetched for {what} {recorded}, not {requested}",
            f"drop the flag, or run `kms-import params` again for {requested}",
        )
    chosen = recorded or requested
    if chosen is None:
        log.info("%s not recorded in %s; using %s", what, PARAMS_JSON, default)
    return chosen or default


def _require_unexpired(params: ImportParameters, folder: Path, now: datetime | None) -> None:
    now = now or datetime.now(UTC)
    if params.valid_to <= now:
        raise UsageError(
            f"the import parameters in {folder} expired at {format_utc(params.valid_to)}",
            "run `kms-import params` (or get-parameters-for-import) again, then wrap again",
        )


def _refuse_aws_source(source: str) -> None:
    scheme = source.split(":", 1)[0].lower()
    escrow = any(f"escrow={s}" in source for s in _AWS_SCHEMES)
    if scheme in _AWS_SCHEMES or escrow:
        raise UsageError(
            f"`wrap` runs without AWS access, but {source.split('?', 1)[0]} reads from AWS",
            "on the air-gapped machine use a file:, generate:?escrow=file:// or pkcs11: source",
        )


def _wrap_material(
    source: str, spec: KeySpec, algorithm: str, params: ImportParameters
) -> tuple[bytes, str]:
    from .sources import open_source

    with open_source(source).read(spec) as material:
        wrapping.choose_algorithm(
            spec, algorithm, material.wrapping_algorithms, material.description
        )
        wrapping.check_combination(spec, algorithm, params.wrapping_key_spec, material.size)
        return material.wrap(params.public_key, algorithm), material.fingerprint(spec)


class _AwsBlocker:
    """A meta path finder that refuses to import the AWS SDK."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.split(".", 1)[0] in ("boto3", "botocore"):
            raise ImportError(f"{name}: kms-import wrap runs without AWS access")


def _refuse_client(*_: Any, **__: Any) -> Any:
    raise AwsError("`wrap` runs without AWS access", "a source tried to reach AWS; use a local one")


@contextmanager
def no_aws() -> Iterator[None]:
    """No AWS client can be made inside: the SDK cannot be imported or, if loaded, used."""
    blocker = _AwsBlocker()
    sys.meta_path.insert(0, blocker)
    session_module = sys.modules.get("botocore.session")
    original = getattr(session_module, "Session", None)
    create = getattr(original, "create_client", None)
    if original is not None:
        original.create_client = _refuse_client  # type: ignore[method-assign]
    try:
        yield
    finally:
        sys.meta_path.remove(blocker)
        if original is not None:
            original.create_client = create  # type: ignore[method-assign]


# --- import-wrapped (online) -------------------------------------------------------------------


@dataclass(frozen=True)
class ImportWrappedOutcome:
    key_id: str
    proof: str
    state: str


_AIRGAP_HINTS = {
    "ExpiredImportTokenException": "the folder's parameters expired (24 h): run `kms-import "
    "params` again, wrap again, then import",
    "InvalidCiphertextException": "EncryptedKeyMaterial.bin was not wrapped with this folder's "
    "PublicKey.bin and wrapping algorithm: run `kms-import wrap` again",
    "InvalidImportTokenException": "ImportToken.bin belongs to other parameters or another key: "
    "fetch new parameters for this key",
}


def import_wrapped(
    folder: Path,
    key_id: str | None = None,
    valid_to: datetime | None = None,
    region: str | None = None,
    kms: Any = None,
) -> ImportWrappedOutcome:
    """Import the folder's EncryptedKeyMaterial.bin with its ImportToken.bin, then prove it."""
    from . import aws, keys

    check_private_dir(folder)
    params = load_params(folder)
    blob = _read(folder, ENCRYPTED, "run `kms-import wrap --in ...` first")
    wrapped = _read_json(folder, WRAPPED_JSON) or {}
    kms = kms or aws.kms_client(key_id or params.key_id, region)
    key = keys.describe(kms, key_id or params.key_id, wait_for_new_key=True)
    _check_key(key.key_id, key.origin, key.state)
    if key.arn != params.key_id and key.key_id != params.key_id:
        raise UsageError(
            f"the parameters in {folder} are for key {params.key_id}, not {key.arn}",
            "pass the matching --key-id, or fetch parameters for this key",
        )
    fingerprint = wrapped.get("Fingerprint")
    if fingerprint and key.recorded_fingerprint and fingerprint != key.recorded_fingerprint:
        raise FingerprintMismatch(
            f"key {key.key_id} was made for material {key.recorded_fingerprint}, but "
            f"{folder / ENCRYPTED} holds {fingerprint}",
            "wrap the key's original material (its escrow) again",
        )
    _send(kms, key.arn, params.import_token, blob, valid_to)
    key = keys.wait_for_material(kms, key.arn)
    proof = _prove(kms, key, fingerprint)
    return ImportWrappedOutcome(key.key_id, proof, key.state)


def _send(kms: Any, arn: str, token: bytes, blob: bytes, valid_to: datetime | None) -> None:
    from . import aws

    args: dict[str, Any] = {
        "KeyId": arn,
        "ImportToken": token,
        "EncryptedKeyMaterial": blob,
        "ExpirationModel": "KEY_MATERIAL_EXPIRES" if valid_to else "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
    if valid_to:
        args["ValidTo"] = valid_to
    try:
        kms.import_key_material(**args)
    except Exception as exc:
        error = aws.translate(exc, "ImportKeyMaterial")
        hint = _AIRGAP_HINTS.get(aws.error_code(exc))
        raise AwsError(error.message, hint or error.hint) from None
    finally:
        args.clear()


def _prove(kms: Any, key: Any, fingerprint: str | None) -> str:
    from . import aws, verify

    spec = key_spec(key.key_spec)
    if key.state != "Enabled":
        return f"not proven: the key is {key.state}"
    if spec.kind is Kind.SYMMETRIC:
        verify.round_trip(kms, key.arn, context=PROOF_ENCRYPTION_CONTEXT)  # importer policy
        return "encrypt/decrypt round trip"
    if spec.kind is Kind.HMAC or not fingerprint:
        return f"not proven here: run `kms-import verify --key-id {key.key_id} --source ...`"
    remote = aws.call("GetPublicKey", kms.get_public_key, KeyId=key.arn)["PublicKey"]
    if public_key_fingerprint(remote) != fingerprint:
        raise VerificationError(
            f"key {key.key_id} has a different public key than the wrapped material",
            "the key holds other material; do not use it for this data",
        )
    return f"GetPublicKey matches the wrapped private key ({fingerprint})"
