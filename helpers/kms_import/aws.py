"""boto3 clients configured for KMS's quirks, and AWS errors turned into one-line advice.

Credentials, profiles, Regions and endpoints come from boto3's default chain (so
AWS_ENDPOINT_URL_KMS selects the offline stack). A key ARN names its own Region, which wins
over the environment so the helper always talks to the Region Terraform created the key in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import AwsError

T = TypeVar("T")

# KMS throttles per account and Region; standard mode retries ThrottlingException with backoff.
RETRIES = {"mode": "standard", "max_attempts": 10}
# A new key can answer NotFoundException for a while (eventual consistency); the provider
# waits up to 2 minutes for the same reason.
PROPAGATION_TIMEOUT_S = 120.0


def region_of(key_id: str) -> str | None:
    """The Region inside a key or alias ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), else None."""
    parts = key_id.split(":")
    if key_id.startswith("arn:") and len(parts) > 5 and parts[3]:
        return parts[3]
    return None


def client(service: str, region: str | None = None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries=RETRIES, user_agent_extra="kms-import")  # type: ignore[arg-type]
    try:
        return boto3.session.Session().client(service, region_name=region, config=config)
    except Exception as exc:  # botocore raises NoRegionError and friends at construction
        raise translate(exc) from None


def kms_client(key_id: str, region: str | None = None) -> Any:
    return client("kms", region or region_of(key_id))


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def call(what: str, fn: Callable[..., T], **kwargs: Any) -> T:
    """Run one AWS call; any failure becomes an AwsError naming `what` was attempted."""
    try:
        return fn(**kwargs)
    except Exception as exc:
        raise translate(exc, what) from None


def call_when_propagated(what: str, fn: Callable[..., T], **kwargs: Any) -> T:
    """Like `call`, but waits out NotFoundException on a key that was just created."""
    deadline = time.monotonic() + PROPAGATION_TIMEOUT_S
    delay = 0.2
    while True:
        try:
            return fn(**kwargs)
        except Exception as exc:
            if error_code(exc) != "NotFoundException" or time.monotonic() > deadline:
                raise translate(exc, what) from None
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


_HINTS = {
    "AccessDeniedException": "grant this principal the kms permission named above (see README, "
    "'Least-privilege importer')",
    "NotFoundException": "check the key id and the Region (an ARN carries its own Region)",
    "KMSInvalidStateException": "check the key state with `kms-import status --key-id ...`",
    "DisabledException": "enable the key first (set enabled = true and apply, or `make enable`)",
    "IncorrectKeyMaterialException": "KMS only accepts the material this key held before: use "
    "that material's source (its escrow), or make a new generation for new material",
    "InvalidCiphertextException": "the wrapped material does not match the import parameters; "
    "run the import again",
    "ExpiredImportTokenException": "the import parameters expired (24 h): fetch new ones",
    "InvalidImportTokenException": "the import token belongs to another key or is damaged: "
    "fetch new parameters for this key",
    "UnsupportedOperationException": "the key's origin must be EXTERNAL (aws_kms_external_key)",
    "ValidationException": "check valid_to (RFC 3339, in the future) and the other inputs",
    "ThrottlingException": "KMS kept throttling; try again later or lower -parallelism",
    "UnrecognizedClientException": "the credentials are not valid for this account and Region",
    "InvalidClientTokenId": "the credentials are not valid for this account and Region",
    "ExpiredTokenException": "the session credentials expired: log in again",
}


def translate(exc: BaseException, what: str = "calling AWS") -> AwsError:
    """One-line advice for botocore errors; AWS error text never contains material."""
    from botocore import exceptions as bx

    if isinstance(exc, AwsError):
        return exc
    if isinstance(exc, bx.NoCredentialsError):
        return AwsError(
            f"{what}: no AWS credentials found",
            "set AWS_PROFILE or credentials, or select the offline stack with "
            '`eval "$(make -s offline-env)"`',
        )
    if isinstance(exc, bx.NoRegionError):
        return AwsError(f"{what}: no AWS Region set", "set AWS_REGION or pass a key ARN")
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectionClosedError):
        return AwsError(
            f"{what}: cannot reach the AWS endpoint ({exc.kwargs.get('endpoint_url', '?')})",
            "check the network, AWS_ENDPOINT_URL_KMS, or start the offline stack with "
            "`make offline-up`",
        )
    code = error_code(exc)
    if code:
        message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")).strip()
        detail = f"{code}: {message}" if message else code
        return AwsError(f"{what}: {detail}", _HINTS.get(code, "see the AWS KMS documentation"))
    return AwsError(f"{what}: {type(exc).__name__}", "run again with --debug for details")
