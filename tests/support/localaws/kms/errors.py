"""KMS error codes moto does not define, in moto's JsonRESTError shape.

Each carries the `__type` KMS returns, so boto3 raises `client.exceptions.<Name>`.
"""

from __future__ import annotations

from moto.core.exceptions import JsonRESTError
from moto.kms.exceptions import (
    InvalidCiphertextException,
    InvalidKeyUsageException,
    KMSInvalidMacException,
    NotFoundException,
    ValidationException,
)

__all__ = [
    "DisabledException",
    "ExpiredImportTokenException",
    "IncorrectKeyException",
    "IncorrectKeyMaterialException",
    "InvalidCiphertextException",
    "InvalidImportTokenException",
    "InvalidKeyUsageException",
    "KMSInvalidMacException",
    "KMSInvalidSignatureException",
    "KMSInvalidStateException",
    "LimitExceededException",
    "NotFoundException",
    "TagException",
    "UnsupportedOperationException",
    "ValidationException",
]


class _KmsError(JsonRESTError):
    code = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(type(self).__name__, message)


class KMSInvalidStateException(_KmsError):
    pass


class DisabledException(_KmsError):
    pass


class IncorrectKeyMaterialException(_KmsError):
    pass


class IncorrectKeyException(_KmsError):
    pass


class ExpiredImportTokenException(_KmsError):
    pass


class InvalidImportTokenException(_KmsError):
    pass


class UnsupportedOperationException(_KmsError):
    pass


class KMSInvalidSignatureException(_KmsError):
    pass


class LimitExceededException(_KmsError):
    pass


class TagException(_KmsError):
    pass
