"""Waiters (internal/service/kms wait.go). The local AWS is immediate, so these are short
polls that still give KMS's eventual consistency room, as the real provider does."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ...plugin.errors import ProviderError
from .finders import NotFound, find_key_metadata, find_key_policy, not_found

PROPAGATION_TIMEOUT_S = 30.0
_POLL_S = 0.1


def _until(what: str, check: Callable[[], bool], timeout: float = PROPAGATION_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise ProviderError(f"timeout while waiting for {what}")
        time.sleep(_POLL_S)


def retry_when_not_found(call: Callable[[], Any], timeout: float = PROPAGATION_TIMEOUT_S) -> Any:
    """tfresource.RetryWhenAWSErrCodeEquals(..., NotFoundException): a fresh key may 404.
    Also retries the finders' NotFound, as findKey(..., isNewResource) does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except (ClientError, NotFound) as exc:
            missing = isinstance(exc, NotFound) or not_found(exc)
            if not missing or time.monotonic() > deadline:
                raise
            time.sleep(_POLL_S)


def wait_key_material_imported(kms: Any, key_id: str) -> None:
    def imported() -> bool:
        return find_key_metadata(kms, key_id).get("KeyState") != "PendingImport"

    _until(f"KMS Key ({key_id}) material import", imported)


def wait_key_valid_to_propagated(kms: Any, key_id: str, valid_to: str) -> None:
    from ...plugin.timefmt import format_rfc3339, parse_rfc3339

    want = format_rfc3339(parse_rfc3339(valid_to)) if valid_to else None

    def propagated() -> bool:
        got = find_key_metadata(kms, key_id).get("ValidTo")
        return (format_rfc3339(got) if got else None) == want

    _until(f"KMS Key ({key_id}) valid_to propagation", propagated)


def wait_key_policy_propagated(kms: Any, key_id: str) -> None:
    # As waitKeyPolicyPropagated: NotFound (a new key not visible yet) means keep waiting.
    def propagated() -> bool:
        try:
            return bool(find_key_policy(kms, key_id))
        except NotFound:
            return False

    _until(f"KMS Key ({key_id}) policy propagation", propagated)


def wait_key_deleted(kms: Any, key_id: str) -> None:
    def deleted() -> bool:
        try:
            find_key_metadata(kms, key_id)
        except NotFound:
            return True
        return False

    _until(f"KMS Key ({key_id}) deletion", deleted)


def wait_key_state(kms: Any, key_id: str, states: tuple[str, ...]) -> None:
    _until(
        f"KMS Key ({key_id}) state {states}",
        lambda: find_key_metadata(kms, key_id).get("KeyState") in states,
    )
