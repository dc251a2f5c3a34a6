"""Shared key operations of the KMS key resources (internal/service/kms/key.go helpers)."""

from __future__ import annotations

import base64
from typing import Any

from botocore.exceptions import ClientError

from ...plugin.errors import ProviderError
from ...plugin.timefmt import format_rfc3339, parse_rfc3339
from .waiters import retry_when_not_found


def import_external_key_material(
    kms: Any, type_name: str, key_id: str, material_b64: str, valid_to: str
) -> None:
    """importExternalKeyMaterial: always RSAES_OAEP_SHA_256 with an RSA_2048 wrapping key."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        params = retry_when_not_found(
            lambda: kms.get_parameters_for_import(
                KeyId=key_id,
                WrappingAlgorithm="RSAES_OAEP_SHA_256",
                WrappingKeySpec="RSA_2048",
            )
        )
    except ClientError as exc:
        raise ProviderError(f"reading {type_name} ({key_id}) parameters for import: {exc}") from exc
    try:
        material = base64.b64decode(material_b64, validate=True)
    except ValueError as exc:
        raise ProviderError(f"decoding base64: {exc}") from exc
    public_key = serialization.load_der_public_key(params["PublicKey"])
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ProviderError(f"parsing {type_name} ({key_id}) public key (PKIX): not RSA")
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    request: dict[str, Any] = {
        "KeyId": key_id,
        "ImportToken": params["ImportToken"],
        "EncryptedKeyMaterial": public_key.encrypt(material, oaep),
        "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
    if valid_to:
        request["ExpirationModel"] = "KEY_MATERIAL_EXPIRES"
        request["ValidTo"] = parse_rfc3339(valid_to)
    try:
        retry_when_not_found(lambda: kms.import_key_material(**request))
    except ClientError as exc:
        raise ProviderError(f"importing {type_name} ({key_id}) key material: {exc}") from exc


def update_key_enabled(kms: Any, type_name: str, key_id: str, enabled: bool) -> None:
    try:
        if enabled:
            kms.enable_key(KeyId=key_id)
        else:
            kms.disable_key(KeyId=key_id)
    except ClientError as exc:
        verb = "enabling" if enabled else "disabling"
        raise ProviderError(f"{verb} {type_name} ({key_id}): {exc}") from exc


def update_key_description(kms: Any, type_name: str, key_id: str, description: str) -> None:
    try:
        kms.update_key_description(KeyId=key_id, Description=description)
    except ClientError as exc:
        raise ProviderError(f"updating {type_name} ({key_id}) description: {exc}") from exc


def update_key_policy(kms: Any, type_name: str, key_id: str, policy: str, bypass: bool) -> None:
    from ..policy import normalize_json

    try:
        kms.put_key_policy(
            KeyId=key_id,
            PolicyName="default",
            Policy=normalize_json(policy),
            BypassPolicyLockoutSafetyCheck=bypass,
        )
    except ClientError as exc:
        raise ProviderError(f"updating {type_name} ({key_id}) policy: {exc}") from exc


def valid_to_text(metadata: dict[str, Any]) -> str | None:
    """Read sets valid_to as Go's Format(time.RFC3339) of the API's time, or null."""
    value = metadata.get("ValidTo")
    return format_rfc3339(value) if value else None


def schedule_key_deletion(kms: Any, type_name: str, key_id: str, window: int | None) -> bool:
    """ScheduleKeyDeletion; False when the key was already gone or pending deletion."""
    request: dict[str, Any] = {"KeyId": key_id}
    if window:
        request["PendingWindowInDays"] = int(window)
    try:
        kms.schedule_key_deletion(**request)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "NotFoundException":
            return False
        if code == "KMSInvalidStateException" and "is pending deletion" in str(exc):
            return False
        raise ProviderError(f"deleting {type_name} ({key_id}): {exc}") from exc
    return True


__all__ = ["parse_rfc3339"]
