"""KmsResponse methods added or corrected by the add-on: request parsing and JSON shape.

moto's KmsResponse._get_param base64-decodes only Plaintext, CiphertextBlob and Message,
so the import blobs are decoded here.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from moto.core.utils import unix_time


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
    key = self.kms_backend.import_key_material(
        key_id,
        _blob(self, "ImportToken"),
        _blob(self, "EncryptedKeyMaterial"),
        self._get_param("ExpirationModel"),
        self._get_param("ValidTo"),
    )
    return json.dumps({"KeyId": key.arn, "KeyMaterialId": key.localaws.fingerprint.hex()})


def delete_imported_key_material(self: Any) -> str:
    key_id = self._get_param("KeyId")
    self._validate_key_id(key_id)
    key = self.kms_backend.delete_imported_key_material(key_id)
    return json.dumps({"KeyId": key.arn})


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
    plaintext, arn = self.kms_backend.decrypt(
        ciphertext_blob=self._get_param("CiphertextBlob") or b"",
        encryption_context=self._get_param("EncryptionContext", {}),
        key_id=key_id,
        encryption_algorithm=algorithm,
    )
    return json.dumps(
        {"Plaintext": _b64(plaintext), "KeyId": arn, "EncryptionAlgorithm": algorithm}
    )


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
