"""Import tokens: opaque to clients, bound to key, region, wrapping key, algorithm and
expiry, and authenticated with a per-process secret so a forged or altered one is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from localaws import clock
from localaws.kms.errors import ExpiredImportTokenException, InvalidImportTokenException

_PREFIX = b"LAIT1:"
_secret = os.urandom(32)


@dataclass(frozen=True)
class Claims:
    key_id: str
    region: str
    wrapping_id: str
    algorithm: str
    valid_to: datetime


def secret() -> bytes:
    return _secret


def use_secret(value: bytes) -> None:
    """Adopt a saved secret so tokens issued before a restart stay valid."""
    global _secret
    _secret = value


def issue(claims: Claims) -> bytes:
    payload = base64.urlsafe_b64encode(
        json.dumps(
            {
                "k": claims.key_id,
                "r": claims.region,
                "w": claims.wrapping_id,
                "a": claims.algorithm,
                "v": claims.valid_to.timestamp(),
            }
        ).encode()
    )
    mac = hmac.new(_secret, payload, hashlib.sha256).hexdigest().encode()
    return _PREFIX + payload + b"." + mac


def check(token: bytes, key_id: str, region: str) -> Claims:
    """The claims of a token issued for this key; raises the error KMS gives otherwise."""
    claims = _decode(token)
    if claims is None or claims.key_id != key_id or claims.region != region:
        raise InvalidImportTokenException("Import token is invalid for this key.")
    if claims.valid_to <= clock.now():
        raise ExpiredImportTokenException("Import token has expired.")
    return claims


def _decode(token: bytes) -> Claims | None:
    if not token.startswith(_PREFIX) or token.count(b".") != 1:
        return None
    payload, mac = token[len(_PREFIX) :].split(b".")
    good = hmac.new(_secret, payload, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(mac, good):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload))
        return Claims(
            key_id=data["k"],
            region=data["r"],
            wrapping_id=data["w"],
            algorithm=data["a"],
            valid_to=datetime.fromtimestamp(data["v"], UTC),
        )
    except (ValueError, KeyError, TypeError):
        return None
