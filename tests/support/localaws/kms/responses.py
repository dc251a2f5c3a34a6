"""KmsResponse methods added or corrected by the add-on: request parsing and JSON shape.

moto's KmsResponse._get_param base64-decodes only Plaintext, CiphertextBlob and Message,
so the import blobs are decoded here.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.core.utils import unix_time

from localaws.kms import ciphertext, specs
from localaws.kms.errors import ValidationException


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _blob(self: Any, name: str) -> bytes:
    value = self._get_param(name)
    if isinstance(value, bytes):
        return value
    return base64.b64decode(value) if value else b""


def get_parameters_for_import(self: Any) -> str:
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    key, wrapper, token = self.kms_backend.get_parameters_for_import(
        key_id, self._get_param("WrappingAlgorithm"), self._get_param("WrappingKeySpec")
    )
    return json.dumps(
        {
            "KeyId": key.arn,
            "ImportToken": _b64(token),
            "PublicKey": _b64(wrapper.public_der()),
            "ParametersValidTo": unix_time(wrapper.valid_to.replace(tzinfo=None)),
        }
    )


def import_key_material(self: Any) -> str:
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    key, version = self.kms_backend.import_key_material(
        key_id,
        _blob(self, "ImportToken"),
        _blob(self, "EncryptedKeyMaterial"),
        self._get_param("ExpirationModel"),
        self._get_param("ValidTo"),
        import_type=self._get_param("ImportType"),
        key_material_id=self._get_param("KeyMaterialId"),
        key_material_description=self._get_param("KeyMaterialDescription"),
    )
    return json.dumps({"KeyId": key.arn, **_material_id(key, version)})


def delete_imported_key_material(self: Any) -> str:
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    key, version = self.kms_backend.delete_imported_key_material(
        key_id, self._get_param("KeyMaterialId")
    )
    return json.dumps({"KeyId": key.arn, **_material_id(key, version)})


def _material_id(key: Any, version: Any) -> dict[str, str]:
    """KMS names materials (KeyMaterialId) of symmetric encryption keys only."""
    if version is None or key.key_spec != specs.SYMMETRIC:
        return {}
    return {"KeyMaterialId": version.id}


def external_key_rotations(self: Any, key: Any) -> str:
    """ListKeyRotations of an EXTERNAL key: its materials, oldest first, paged by Limit and
    Marker (install.py routes other keys to moto)."""
    limit = self._get_param("Limit")
    if limit is None:
        limit = 100
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValidationException(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            "constraint: Member must have value between 1 and 1000"
        )
    entries = self.kms_backend.external_key_rotations(key, self._get_param("IncludeKeyMaterial"))
    marker = self._get_param("Marker")
    start = int(marker) if isinstance(marker, str) and marker.isdigit() else 0
    page = entries[start : start + limit]
    response: dict[str, Any] = {"Rotations": page, "Truncated": start + limit < len(entries)}
    if response["Truncated"]:
        response["NextMarker"] = str(start + limit)
    return json.dumps(response)


def encrypt(self: Any) -> str:
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    algorithm = self._get_param("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
    blob, arn = self.kms_backend.encrypt(
        key_id=key_id,
        plaintext=self._get_param("Plaintext") or b"",
        encryption_context=self._get_param("EncryptionContext", {}),
        encryption_algorithm=algorithm,
    )
    return json.dumps(
        {"CiphertextBlob": _b64(blob), "KeyId": arn, "EncryptionAlgorithm": algorithm}
    )


def decrypt(self: Any) -> str:
    key_id = self._get_param("KeyId")
    if key_id:
        self._validate_key_id(key_id)
    algorithm = self._get_param("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
    blob = self._get_param("CiphertextBlob") or b""
    plaintext, arn = self.kms_backend.decrypt(
        ciphertext_blob=blob,
        encryption_context=self._get_param("EncryptionContext", {}),
        key_id=key_id,
        encryption_algorithm=algorithm,
    )
    response = {"Plaintext": _b64(plaintext), "KeyId": arn, "EncryptionAlgorithm": algorithm}
    # KMS names the material that decrypted a symmetric ciphertext (DecryptResponse
    # KeyMaterialId, "present only when the operation uses a symmetric encryption KMS key").
    material_id = ciphertext.material_id_of(blob) if algorithm == specs.SYMMETRIC else None
    if material_id is not None:
        response["KeyMaterialId"] = material_id
    return json.dumps(response)


def sign(self: Any) -> str:
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    arn, signature, algorithm = self.kms_backend.sign(
        key_id=key_id,
        message=self._get_param("Message") or b"",
        signing_algorithm=self._get_param("SigningAlgorithm"),
        message_type=self._get_param("MessageType") or "RAW",
    )
    return json.dumps({"KeyId": arn, "Signature": _b64(signature), "SigningAlgorithm": algorithm})


def verify(self: Any) -> str:
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    arn, valid, algorithm = self.kms_backend.verify(
        key_id=key_id,
        message=self._get_param("Message") or b"",
        signature=_blob(self, "Signature"),
        signing_algorithm=self._get_param("SigningAlgorithm"),
        message_type=self._get_param("MessageType") or "RAW",
    )
    return json.dumps({"KeyId": arn, "SignatureValid": valid, "SigningAlgorithm": algorithm})


METHODS = {
    name: globals()[name]
    for name in (
        "get_parameters_for_import",
        "import_key_material",
        "delete_imported_key_material",
        "encrypt",
        "decrypt",
        "sign",
        "verify",
    )
}
