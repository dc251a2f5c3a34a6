"""botocore clients configured for KMS's quirks, and AWS errors turned into one-line advice.

Credentials, profiles, Regions and endpoints come from boto3's default chain (so
AWS_ENDPOINT_URL_KMS selects the offline stack). A key ARN names its own Region, which wins
over the environment so the helper always talks to the Region Terraform created the key in.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import AwsError, UsageError

T = TypeVar("T")
log = logging.getLogger("kms-import")

# KMS throttles per account and Region; standard mode retries ThrottlingException with backoff.
RETRIES = {"mode": "standard", "max_attempts": 10}
# A new key can answer NotFoundException for a while (eventual consistency); the provider
# waits up to 2 minutes for the same reason.
PROPAGATION_TIMEOUT_S = 120.0
# Only a well-formed key ARN (what Terraform passes for the key it just created) is worth
# waiting for; an alias, a bare id or a typo can never "propagate" and must fail at once.
_KEY_ARN = re.compile(
    r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/"
    r"(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_KEY_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}"
    r"|alias/[A-Za-z0-9/_-]{1,250}|arn:aws[a-z-]*:kms:[^:]*:[^:]*:(key|alias)/.+"
)
# AWS error text is short; anything longer (an HTML error page from a proxy) is cut.
MAX_MESSAGE = 200


def region_of(key_id: str) -> str | None:
    """The Region inside a key or alias ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), else None."""
    parts = key_id.split(":")
    if key_id.startswith("arn:") and len(parts) > 5 and parts[3]:
        return parts[3]
    return None


def client(service: str, region: str | None = None) -> Any:
    """A botocore client from a fresh session (credentials and Region resolved now, from this
    environment) that shares the process's model loader, so a run that builds several clients
    (threads, replica Regions) loads each service model once; and no boto3 import (s3transfer
    and more)."""
    from botocore.config import Config

    config = Config(retries=RETRIES, user_agent_extra="kms-import")  # type: ignore[arg-type]
    try:
        with _building:  # botocore sessions and client creation are not thread-safe
            return _session().create_client(service, region_name=region, config=config)
    except Exception as exc:  # botocore raises NoRegionError and friends at construction
        raise translate(exc) from None


_loader: Any = None
_building = threading.Lock()


def _session() -> Any:
    import botocore.session

    global _loader
    session = botocore.session.Session()
    if _loader is None:
        _loader = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _loader)
    return session


def is_key_arn(key_id: str) -> bool:
    return _KEY_ARN.fullmatch(key_id) is not None


def check_key_id(key_id: str) -> None:
    """Refuse what cannot name a key before asking AWS (which would only say NotFound)."""
    if _KEY_ID.fullmatch(key_id):
        return
    if key_id.startswith("alias/"):
        raise UsageError(
            f"alias name {key_id!r} has characters KMS does not allow",
            "use letters, digits, /, _ and - after alias/",
        )
    raise UsageError(
        f"{key_id!r} is not a key id, key ARN, alias name or alias ARN",
        "pass a key id (UUID), an ARN, or an alias written as alias/NAME",
    )


def kms_client(key_id: str, region: str | None = None) -> Any:
    check_key_id(key_id)
    own = region_of(key_id)
    if region is not None and not _REGION.fullmatch(region):
        raise UsageError(
            f"--region {region!r} is not an AWS Region name", "use one like us-east-1 or eu-west-1"
        )
    if region and own and region != own:
        raise UsageError(
            f"--region {region} contradicts the Region {own} in {key_id}",
            "drop --region: an ARN carries its own Region",
        )
    return client("kms", region or own)


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
    waited = False
    while True:
        try:
            return fn(**kwargs)
        except Exception as exc:
            if error_code(exc) != "NotFoundException" or time.monotonic() > deadline:
                raise translate(exc, what) from None
        if not waited:
            waited = True
            log.info(
                "%s: key not found yet (a new key takes a moment to appear); waiting up to %.0f s",
                what,
                PROPAGATION_TIMEOUT_S,
            )
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


_HINTS = {
    "AccessDeniedException": "grant this principal the kms permission named above (see "
    "docs/guide.md, 'Least-privilege importer')",
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
        message = _one_line(str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")))
        if code.isdigit():  # botocore's code for an answer that is not an AWS error at all
            code = f"HTTP {code} from the endpoint"
            message = "not an AWS answer" if message.startswith("<") else message
            return AwsError(
                f"{what}: {code}: {message}",
                "check AWS_ENDPOINT_URL_KMS and the Region; retry if the endpoint is overloaded",
            )
        detail = f"{code}: {message}" if message else code
        hint = _HINTS.get(code, "see the AWS KMS documentation")
        return AwsError(f"{what}: {detail}", hint, code)
    return AwsError(f"{what}: {type(exc).__name__}", "run again with --debug for details")


def _one_line(text: str) -> str:
    """Whitespace collapsed and long text cut: every error prints as one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 3] + "..."
