"""Whose credentials a run acts with: the provider block's `profile` and `assume_role`, from
the command-line flags or a Terraform query, checked before any AWS call (aws.py resolves
them into sessions). Only references: a profile name and a role ARN, never a secret."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError

_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
MIN_DURATION_S, MAX_DURATION_S = 15 * 60, 12 * 3600  # the provider's and STS's bounds
DEFAULT_SESSION_NAME = "kms-import"


@dataclass(frozen=True)
class Credentials:
    """Whose credentials the helper uses: the provider block's `profile` and `assume_role`.

    Only references (a profile name, a role ARN): never a secret. All None: boto3's chain."""

    profile: str | None = None
    role_arn: str | None = None
    session_name: str | None = None
    external_id: str | None = field(default=None, repr=False)  # may be a shared secret
    duration: str | None = None  # as the provider writes it: "1h", "15m", "1h30m", "900s"

    def __post_init__(self) -> None:
        check_credentials(self)

    @property
    def default(self) -> bool:
        return self.profile is None and self.role_arn is None

    def describe(self) -> str:
        """For messages: the role and the profile, by name."""
        parts = [f"role {self.role_arn}"] if self.role_arn else []
        if self.profile:
            parts.append(f"profile {self.profile}")
        return " with ".join(parts) if parts else "the default credentials"

    @classmethod
    def from_query(cls, profile: object, assume_role: object) -> Credentials:
        """From hashicorp/external query fields: `profile` (a name, "" = none) and
        `assume_role` (jsonencode of the provider's block; "", "null" = none)."""
        import json

        if profile is not None and not isinstance(profile, str):
            raise UsageError('the query\'s "profile" must be a string', "pass a profile name")
        block: object = None
        if isinstance(assume_role, str) and assume_role.strip() not in ("", "null"):
            try:
                block = json.loads(assume_role)
            except json.JSONDecodeError:
                raise UsageError(
                    'the query\'s "assume_role" is not JSON', "pass jsonencode(var.assume_role)"
                ) from None
        elif assume_role not in (None, "", "null"):
            raise UsageError(
                'the query\'s "assume_role" must be a JSON string',
                "pass jsonencode(var.assume_role)",
            )
        if block is not None and not isinstance(block, dict):
            raise UsageError(
                'the query\'s "assume_role" must be a JSON object',
                "pass jsonencode(var.assume_role): role_arn, session_name, external_id, duration",
            )
        fields = block or {}
        unknown = sorted(set(fields) - {"role_arn", "session_name", "external_id", "duration"})
        if unknown:
            raise UsageError(
                f"assume_role has unknown field(s) {', '.join(unknown)}",
                "use role_arn, session_name, external_id and duration",
            )
        if fields and not fields.get("role_arn"):
            raise UsageError("assume_role needs role_arn", "set assume_role.role_arn")
        return cls(
            profile=profile or None,
            role_arn=_text(fields.get("role_arn")),
            session_name=_text(fields.get("session_name")),
            external_id=_text(fields.get("external_id")),
            duration=_text(fields.get("duration")),
        )


QUERY_FIELDS = ("profile", "assume_role")


def query_credentials(
    query: dict[str, Any], flags: Credentials
) -> tuple[Credentials, dict[str, Any]]:
    """Split an external data source query into its credentials (fields `profile` and
    `assume_role`) and the rest. Flags and query may both name them only if they agree."""
    rest = {k: v for k, v in query.items() if k not in QUERY_FIELDS}
    if not any(k in query for k in QUERY_FIELDS):
        return flags, rest
    asked = Credentials.from_query(query.get("profile"), query.get("assume_role"))
    if not flags.default and asked != flags:
        raise UsageError(
            "the query and the flags name different credentials",
            "pass profile and assume_role one way only",
        )
    return asked, rest


def _text(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UsageError(f"assume_role field {value!r} is not a string", "pass strings")
    return value


def check_credentials(creds: Credentials) -> None:
    """Refuse a malformed reference before anything is asked of AWS."""
    if creds.profile is not None and not creds.profile.strip():
        raise UsageError("--profile is empty", "name a profile from ~/.aws/config")
    role_only = {
        "session_name": creds.session_name,
        "external_id": creds.external_id,
        "duration": creds.duration,
    }
    if creds.role_arn is None:
        given = [name for name, value in role_only.items() if value is not None]
        if given:
            raise UsageError(
                f"assume_role {', '.join(given)} given without a role ARN",
                "pass --assume-role-arn (assume_role.role_arn)",
            )
        return
    if not _ROLE_ARN.fullmatch(creds.role_arn):
        raise UsageError(
            f"{creds.role_arn!r} is not an IAM role ARN",
            "use arn:aws:iam::ACCOUNT:role/NAME",
        )
    if creds.session_name is not None and not _SESSION_NAME.fullmatch(creds.session_name):
        raise UsageError(
            f"assume_role session name {creds.session_name!r} is not valid",
            "use 2 to 64 letters, digits and +=,.@_-",
        )
    if creds.external_id is not None and not _EXTERNAL_ID.fullmatch(creds.external_id):
        raise UsageError(
            "assume_role external id is not valid",  # it may be a shared secret: not echoed
            "use 2 to 1224 letters, digits and +=,.@:/_-",
        )
    if creds.duration is not None:
        duration_seconds(creds.duration)


def duration_seconds(text: str) -> int:
    """The provider's duration ("1h", "90m", "1h30m", "3600s") in seconds, 15 min to 12 h."""
    match = _DURATION.fullmatch(text)
    if not text or match is None:
        raise UsageError(
            f"assume_role duration {text!r} is not a duration",
            'write it like the provider: "1h", "45m" or "1h30m"',
        )
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if not MIN_DURATION_S <= total <= MAX_DURATION_S:
        raise UsageError(
            f"assume_role duration {text!r} is outside 15m to 12h", "pick a duration in that range"
        )
    return total
