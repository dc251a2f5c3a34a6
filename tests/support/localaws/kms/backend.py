"""KmsBackend methods added or corrected by the add-on (installed by localaws.kms.install).

Each takes the backend as `self`, so they read like moto's own methods and could move
into moto.kms.models as they are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac as hmac_lib
from datetime import UTC, datetime, timedelta
from typing import Any

from moto.core.utils import unix_time

from localaws import clock
from localaws.kms import (
    ciphertext,
    lifecycle,
    material,
    rotation,
    specs,
    tokens,
    versions,
    wrapping,
)
from localaws.kms.errors import (
    IncorrectKeyException,
    InvalidCiphertextException,
    InvalidImportTokenException,
    InvalidKeyUsageException,
    KMSInvalidStateException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from localaws.kms.keypair import KeyPair

_MAC_HASHES = {
    "HMAC_SHA_224": hashlib.sha224,
    "HMAC_SHA_256": hashlib.sha256,
    "HMAC_SHA_384": hashlib.sha384,
    "HMAC_SHA_512": hashlib.sha512,
}


# --- importing -----------------------------------------------------------------------


def get_parameters_for_import(
    self: Any, key_id: str, wrapping_algorithm: str, wrapping_key_spec: str
) -> tuple[Any, wrapping.WrappingKey, bytes]:
    key = _external_key(self, key_id)
    if wrapping_algorithm not in specs.WRAPPING_ALGORITHMS:
        raise _enum_error("WrappingAlgorithm", wrapping_algorithm, specs.WRAPPING_ALGORITHMS)
    if wrapping_key_spec not in specs.WRAPPING_KEY_SPECS:
        raise _enum_error("WrappingKeySpec", wrapping_key_spec, specs.WRAPPING_KEY_SPECS)
    wrapper = wrapping.for_key(self.account_id, self.region_name, key.id, wrapping_key_spec)
    token = tokens.issue(
        tokens.Claims(key.id, self.region_name, wrapper.id, wrapping_algorithm, wrapper.valid_to)
    )
    return key, wrapper, token


def import_key_material(
    self: Any,
    key_id: str,
    import_token: bytes,
    encrypted_key_material: bytes,
    expiration_model: str | None,
    valid_to: Any,
    import_type: str | None = None,
    key_material_id: str | None = None,
    key_material_description: str | None = None,
) -> tuple[Any, versions.MaterialVersion]:
    key = _external_key(self, key_id)
    rotation.check_import_request(key, import_type, key_material_id, key_material_description)
    model, expires = _expiration(expiration_model, valid_to)
    claims = tokens.check(import_token, key.id, self.region_name)
    wrapper = wrapping.get(claims.wrapping_id)
    if wrapper is None:
        raise InvalidImportTokenException("Import token is invalid for this key.")
    new = material.parse(
        key.key_spec, wrapping.unwrap(wrapper, claims.algorithm, encrypted_key_material)
    )
    version = rotation.import_material(
        key, new, import_type, key_material_id, key_material_description, model, expires
    )
    return key, version


def delete_imported_key_material(
    self: Any, key_id: str, key_material_id: str | None = None
) -> tuple[Any, versions.MaterialVersion | None]:
    key = _external_key(self, key_id)
    return key, rotation.delete_material(key, key_material_id)


def rotate_external_key(self: Any, key: Any) -> str:
    """RotateKeyOnDemand of an EXTERNAL key (install.py routes other keys to moto)."""
    rotation.rotate_on_demand(key)
    return str(key.arn)


def external_key_rotations(self: Any, key: Any, include: str | None) -> list[dict[str, Any]]:
    return rotation.rotation_entries(key, include)


def _external_key(backend: Any, key_id: str) -> Any:
    key = backend.describe_key(key_id)
    if not lifecycle.is_external(key):
        raise UnsupportedOperationException(
            f"{key.arn} origin is {key.origin} which is not valid for this operation."
        )
    return key


def _expiration(model: str | None, valid_to: Any) -> tuple[str, datetime | None]:
    model = model or "KEY_MATERIAL_EXPIRES"  # the API's documented default
    if model not in specs.EXPIRATION_MODELS:
        raise _enum_error("ExpirationModel", model, specs.EXPIRATION_MODELS)
    if model == "KEY_MATERIAL_DOES_NOT_EXPIRE":
        if valid_to is not None:
            raise ValidationException(
                "ValidTo must not be set when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE."
            )
        return model, None
    if valid_to is None:
        raise ValidationException(
            "ValidTo is required when ExpirationModel is KEY_MATERIAL_EXPIRES."
        )
    expires = _timestamp(valid_to)
    now = clock.now()
    if expires <= now:
        raise ValidationException("ValidTo must be in the future.")
    if expires > now + timedelta(days=specs.MAX_VALID_TO_DAYS):
        raise ValidationException(
            f"ValidTo must be at most {specs.MAX_VALID_TO_DAYS} days from now."
        )
    return model, expires


def _timestamp(value: Any) -> datetime:
    """The JSON protocol sends epoch seconds; accept RFC 3339 too for hand-made calls."""
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise ValidationException(f"ValidTo '{value}' is not a valid timestamp.") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _enum_error(field: str, value: str, allowed: Any) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


# --- using material ------------------------------------------------------------------


def keypair_of(key: Any) -> KeyPair:
    """The key's private key: the imported one, or the one moto generated."""
    if lifecycle.is_external(key):
        current = lifecycle.record(key).current()
        pair = current.material.keypair if current and current.material else None
        assert pair is not None  # the state guard refuses keys without material
        return pair
    pair = getattr(key, "localaws_keypair", None)
    if pair is None:
        pair = KeyPair(key.key_spec, key.private_key.private_key)
        key.localaws_keypair = pair
    return pair


def encrypt(
    self: Any,
    key_id: str,
    plaintext: bytes,
    encryption_context: dict[str, str] | None,
    encryption_algorithm: str | None = None,
) -> tuple[bytes, str]:
    key = self.describe_key(key_id)
    _check_plaintext(plaintext)
    algorithm = _encryption_algorithm(key, encryption_algorithm)
    if algorithm == specs.SYMMETRIC:
        material_id, secret = _current_material(key)
        blob = ciphertext.seal(key.id, material_id, secret, plaintext, encryption_context)
    else:
        blob = keypair_of(key).encrypt(plaintext, algorithm)
    return blob, key.arn


def decrypt(
    self: Any,
    ciphertext_blob: bytes,
    encryption_context: dict[str, str] | None,
    key_id: str | None = None,
    encryption_algorithm: str | None = None,
) -> tuple[bytes, str]:
    if encryption_algorithm in specs.RSA_ENCRYPTION_HASHES:
        if not key_id:
            raise ValidationException("KeyId is required for asymmetric decryption.")
        key = self.describe_key(key_id)
        _encryption_algorithm(key, encryption_algorithm)
        return keypair_of(key).decrypt(ciphertext_blob, encryption_algorithm), key.arn
    key = _key_of_blob(self, ciphertext_blob)
    if key_id and self.any_id_to_key_id(key_id) != key.id:
        raise IncorrectKeyException(
            "The key ID in the request does not identify a KMS key that can perform this operation."
        )
    secret = _material_of_blob(key, ciphertext_blob)
    return ciphertext.open_blob(secret, ciphertext_blob, encryption_context), key.arn


def _current_material(key: Any) -> tuple[str, bytes]:
    """(KeyMaterialId, secret) that Encrypt uses: the CURRENT material."""
    if lifecycle.is_external(key):
        current = lifecycle.record(key).current()
        assert current is not None and current.material is not None  # state guard
        assert current.material.secret is not None
        return current.id, current.material.secret
    return _generated_material_id(key), key.key_material


def _generated_material_id(key: Any) -> str:
    return versions.material_id(key.id, hashlib.sha256(key.key_material).digest())


def _material_of_blob(key: Any, blob: bytes) -> bytes:
    """The material a blob was sealed with: any imported material of the key, current or
    not; the first one for blobs of the first layout."""
    wanted = ciphertext.material_id_of(blob)
    if not lifecycle.is_external(key):
        if wanted is not None and wanted != _generated_material_id(key):
            raise InvalidCiphertextException()
        return bytes(key.key_material)
    rec = lifecycle.record(key)
    version = rec.by_id(wanted) if wanted else (rec.versions[0] if rec.versions else None)
    if version is None:
        raise InvalidCiphertextException()
    if version.material is None or version.material.secret is None:
        raise KMSInvalidStateException(f"{key.arn} is pending import.")
    return version.material.secret


def _key_of_blob(backend: Any, blob: bytes) -> Any:
    named = ciphertext.key_id_of(blob)
    if named is None:
        raise InvalidCiphertextException()
    key = backend.keys.get(named)
    if key is None:
        raise NotFoundException(f"Key '{named}' does not exist")
    if key.key_spec != specs.SYMMETRIC:
        raise InvalidCiphertextException()
    return key


def _check_plaintext(plaintext: bytes) -> None:
    if not 1 <= len(plaintext or b"") <= 4096:
        raise ValidationException(
            "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
            "Member must have length between 1 and 4096"
        )


def _encryption_algorithm(key: Any, requested: str | None) -> str:
    if key.key_usage != "ENCRYPT_DECRYPT":
        raise InvalidKeyUsageException()
    algorithm = requested or specs.SYMMETRIC
    allowed = (
        [specs.SYMMETRIC]
        if key.key_spec == specs.SYMMETRIC
        else (list(specs.RSA_ENCRYPTION_HASHES) if key.key_spec in specs.RSA_BITS else [])
    )
    if algorithm not in allowed:
        raise InvalidKeyUsageException()
    return algorithm


def sign(
    self: Any, key_id: str, message: bytes, signing_algorithm: str, message_type: str = "RAW"
) -> tuple[str, bytes, str]:
    key = _signing_key(self, key_id)
    signature = keypair_of(key).sign(message, signing_algorithm, message_type)
    return key.arn, signature, signing_algorithm


def verify(
    self: Any,
    key_id: str,
    message: bytes,
    signature: bytes,
    signing_algorithm: str,
    message_type: str = "RAW",
) -> tuple[str, bool, str]:
    """KMS answers an invalid signature with KMSInvalidSignatureException, not False."""
    key = _signing_key(self, key_id)
    keypair_of(key).verify(message, signature, signing_algorithm, message_type)
    return key.arn, True, signing_algorithm


def _signing_key(backend: Any, key_id: str) -> Any:
    key = backend.describe_key(key_id)
    if key.key_usage != "SIGN_VERIFY":
        raise InvalidKeyUsageException()
    return key


def get_public_key(self: Any, key_id: str) -> tuple[Any, bytes]:
    key = self.describe_key(key_id)
    if not specs.is_asymmetric(key.key_spec):
        raise UnsupportedOperationException(
            f"{key.arn} key usage is not supported for GetPublicKey."
        )
    return key, keypair_of(key).public_der()


def generate_mac(
    self: Any,
    message: bytes,
    key_id: str,
    mac_algorithm: str,
    grant_tokens: Any = None,
    dry_run: Any = None,
) -> tuple[str, str, str]:
    key = self.describe_key(key_id)
    if key.key_usage != "GENERATE_VERIFY_MAC" or not specs.is_hmac(key.key_spec):
        raise InvalidKeyUsageException()
    if mac_algorithm != specs.MAC_ALGORITHM_FOR_SPEC[key.key_spec]:
        raise InvalidKeyUsageException()
    mac = hmac_lib.new(key.key_material, message, _MAC_HASHES[mac_algorithm]).digest()
    return base64.b64encode(mac).decode(), mac_algorithm, key.arn


# --- key lifecycle -------------------------------------------------------------------


def enable_key(self: Any, key_id: str) -> None:
    key = self.keys[self.get_key_id(key_id)]  # moto's version takes no ARN
    key.enabled, key.key_state = True, "Enabled"


def disable_key(self: Any, key_id: str) -> None:
    key = self.keys[self.get_key_id(key_id)]
    key.enabled, key.key_state = False, "Disabled"


def schedule_key_deletion(self: Any, key_id: str, pending_window_in_days: int) -> float:
    low, high = specs.DELETION_WINDOW_DAYS
    if not isinstance(pending_window_in_days, int) or not low <= pending_window_in_days <= high:
        raise ValidationException(
            f"1 validation error detected: Value '{pending_window_in_days}' at "
            f"'pendingWindowInDays' failed to satisfy constraint: Member must have value "
            f"between {low} and {high}"
        )
    key = self.keys[self.get_key_id(key_id)]
    return unix_time(lifecycle.schedule_deletion(key, pending_window_in_days).replace(tzinfo=None))


def cancel_key_deletion(self: Any, key_id: str) -> None:
    lifecycle.cancel_deletion(self.keys[self.get_key_id(key_id)])


METHODS = {
    name: globals()[name]
    for name in (
        "get_parameters_for_import",
        "import_key_material",
        "delete_imported_key_material",
        "rotate_external_key",
        "external_key_rotations",
        "encrypt",
        "decrypt",
        "sign",
        "verify",
        "get_public_key",
        "generate_mac",
        "enable_key",
        "disable_key",
        "schedule_key_deletion",
        "cancel_key_deletion",
    )
}
