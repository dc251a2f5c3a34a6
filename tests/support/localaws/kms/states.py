"""Which key states refuse which operations, and with which error (KMS's key-state table:
https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).

A state missing from an operation's rule means the operation is allowed in it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws.kms.errors import DisabledException, KMSInvalidStateException

Refusal = Callable[[str], Exception]
Rule = dict[str, Refusal]


def _disabled(arn: str) -> Exception:
    return DisabledException(f"{arn} is disabled.")


def _pending_deletion(arn: str) -> Exception:
    return KMSInvalidStateException(f"{arn} is pending deletion.")


def _pending_import(arn: str) -> Exception:
    return KMSInvalidStateException(f"{arn} is pending import.")


def _not_pending_deletion(arn: str) -> Exception:
    return KMSInvalidStateException(f"{arn} is not pending deletion.")


CRYPTO: Rule = {
    "Disabled": _disabled,
    "PendingDeletion": _pending_deletion,
    "PendingImport": _pending_import,
}
ENABLE_DISABLE: Rule = {"PendingDeletion": _pending_deletion, "PendingImport": _pending_import}
NOT_PENDING_DELETION: Rule = {"PendingDeletion": _pending_deletion}
CANCEL: Rule = {state: _not_pending_deletion for state in ("Enabled", "Disabled", "PendingImport")}

RULES: dict[str, Rule] = {
    **dict.fromkeys(
        (
            "encrypt",
            "decrypt",
            "re_encrypt",
            "generate_data_key",
            "generate_data_key_without_plaintext",
            "sign",
            "verify",
            "get_public_key",
            "generate_mac",
            "verify_mac",
            "rotate_key_on_demand",
        ),
        CRYPTO,
    ),
    "enable_key": ENABLE_DISABLE,
    "disable_key": ENABLE_DISABLE,
    "cancel_key_deletion": CANCEL,
    **dict.fromkeys(
        (
            "schedule_key_deletion",
            "get_parameters_for_import",
            "import_key_material",
            "create_alias",
            "update_alias",
            "update_key_description",
            "tag_resource",
            "untag_resource",
            "enable_key_rotation",
            "disable_key_rotation",
        ),
        NOT_PENDING_DELETION,
    ),
}

# Request fields naming the key(s) an operation acts on (default: KeyId).
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "create_alias": ("TargetKeyId",),
    "update_alias": ("TargetKeyId",),
    "re_encrypt": ("SourceKeyId", "DestinationKeyId"),
}
# Operations whose key may be named only inside the ciphertext blob.
BLOB_FIELDS = ("decrypt", "re_encrypt")


def check(action: str, key: Any) -> None:
    """Raise KMS's error when `key`'s state refuses `action`."""
    refusal = RULES.get(action, {}).get(key.key_state)
    if refusal is not None:
        raise refusal(key.arn)
