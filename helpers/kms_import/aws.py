"""botocore clients configured for KMS's quirks, and AWS errors turned into one-line advice.

Credentials, profiles, Regions and endpoints come from boto3's default chain (so
AWS_ENDPOINT_URL_KMS selects the offline stack), unless the run names a profile or a role to
assume (`Credentials`, the provider block's `profile` and `assume_role`): then every client of
the process acts as that principal (see `use_credentials`). A key ARN names its own Region,
which wins over the environment so the helper always talks to the Region Terraform created
the key in.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .credentials import DEFAULT_SESSION_NAME, duration_seconds
from .credentials import Credentials as Credentials  # callers name them aws.*
from .credentials import check_credentials as check_credentials
from .credentials import query_credentials as query_credentials
from .errors import AwsError, KmsImportError, UsageError

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
            return session().create_client(service, region_name=region, config=config)
    except KmsImportError:
        raise
    except Exception as exc:  # botocore raises NoRegionError and friends at construction
        raise translate(exc) from None


_loader: Any = None
_building = threading.RLock()  # re-entered: a first client assumes the role


def _session(profile: str | None = None) -> Any:
    import botocore.session

    global _loader
    session = botocore.session.Session(profile=profile)
    if profile is not None and profile not in session.available_profiles:
        # Refused here, before botocore's ProfileNotFound surfaces from whichever client
        # reads the config first (as "calling AWS: ProfileNotFound").
        raise UsageError(
            f"AWS profile {profile!r} is not in the AWS config files",
            "check --profile (`aws configure list-profiles`) or AWS_CONFIG_FILE",
        )
    if _loader is None:
        _loader = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _loader)
    return session


# ---- whose credentials (credentials.py checks them; here they become sessions) ------------

# Assumed credentials are renewed this long before they expire (botocore's 15 min default
# would renew a 15 min session on every request); past the mandatory mark calls wait for it.
REFRESH_S, MANDATORY_REFRESH_S = 5 * 60, 2 * 60


_active = Credentials()
_resolved: dict[Credentials, Any] = {}
_resolve_lock = threading.Lock()


def use_credentials(creds: Credentials) -> None:
    """Every client made from now on acts with `creds`; forgets credentials resolved before
    (cli.main calls this once per run)."""
    global _active
    with _resolve_lock:
        _active = creds
        _resolved.clear()


def session(creds: Credentials | None = None) -> Any:
    """THE place that builds sessions. Default credentials: a fresh session, so credentials
    and Region come from the environment as it is now. A profile or a role: the profile's
    session (its Region too), with the credentials resolved once per process and shared by
    every client (assumed-role credentials are refreshed before they expire)."""
    creds = _active if creds is None else creds
    if creds.default:
        return _session()
    with _building:  # lock order everywhere: _building, then _resolve_lock
        resolved = _resolve(creds)
    new = _session(creds.profile)
    new.register_component("credential_provider", _fixed_resolver(resolved))
    return new


def _resolve(creds: Credentials) -> Any:
    with _resolve_lock:
        if creds not in _resolved:
            base = _session(creds.profile)  # its own: a session caches what it resolved
            _resolved[creds] = _assume(creds, base) if creds.role_arn else _base(creds, base)
        return _resolved[creds]


def _base(creds: Credentials, session_: Any) -> Any:
    """The profile's (or ambient) credentials; None lets botocore say NoCredentialsError."""
    from botocore import exceptions as bx

    try:
        return session_.get_credentials()
    except bx.ProfileNotFound:
        raise UsageError(
            f"AWS profile {creds.profile!r} is not in the AWS config files",
            "check --profile (`aws configure list-profiles`) or AWS_CONFIG_FILE",
        ) from None
    except KmsImportError:
        raise
    except Exception as exc:  # a profile's own assume-role or SSO login failing
        raise translate(exc, f"resolving {creds.describe()}") from None


def _assume(creds: Credentials, session_: Any) -> Any:
    """sts:AssumeRole with the profile's (or ambient) credentials, as the provider does;
    the result refreshes itself before it expires. Failure: one line naming role and
    profile."""
    from botocore.config import Config
    from botocore.credentials import AssumeRoleCredentialFetcher, RefreshableCredentials

    source = _base(creds, session_)
    if source is None:
        raise AwsError(
            f"cannot assume {creds.describe()}: no AWS credentials to assume it with",
            "set AWS_PROFILE or credentials, or pass --profile",
        )
    extra: dict[str, Any] = {"RoleSessionName": creds.session_name or DEFAULT_SESSION_NAME}
    if creds.external_id:
        extra["ExternalId"] = creds.external_id
    if creds.duration:
        extra["DurationSeconds"] = duration_seconds(creds.duration)
    config = Config(retries=RETRIES, user_agent_extra="kms-import")  # type: ignore[arg-type]

    def sts_client(service: str, **kwargs: Any) -> Any:
        with _building:  # also on renewal, from whichever thread needs it
            return session_.create_client(service, config=config, **kwargs)

    fetcher = AssumeRoleCredentialFetcher(
        sts_client, source, creds.role_arn, extra_args=extra, expiry_window_seconds=REFRESH_S
    )

    def fetch() -> dict[str, Any]:
        try:
            return dict(fetcher.fetch_credentials())
        except Exception as exc:
            raise _assume_error(creds, exc) from None

    return RefreshableCredentials.create_from_metadata(
        metadata=fetch(),
        refresh_using=fetch,
        method="assume-role",
        advisory_timeout=REFRESH_S,
        mandatory_timeout=MANDATORY_REFRESH_S,
    )


def _assume_error(creds: Credentials, exc: BaseException) -> AwsError:
    inner = translate(exc, "AssumeRole")
    detail = inner.message.removeprefix("AssumeRole: ")
    return AwsError(
        f"cannot assume {creds.describe()}: {detail}",
        "check the role ARN, its trust policy (this principal, the external id) and the "
        "duration the role allows",
        inner.code,
    )


def _fixed_resolver(resolved: Any) -> Any:
    from botocore.credentials import CredentialProvider, CredentialResolver

    class Resolved(CredentialProvider):  # type: ignore[misc]
        METHOD = "kms-import"
        CANONICAL_NAME = "custom-kms-import"

        def load(self) -> Any:
            return resolved

    return CredentialResolver([Resolved()])


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
