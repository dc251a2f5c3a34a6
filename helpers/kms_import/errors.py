"""One exception type per failure a user can act on.

Every error prints as a single line: what is wrong, then what to do. Messages never contain
material, wrapped material or anything derived from them except the public fingerprint.
"""

from __future__ import annotations


class KmsImportError(Exception):
    """Base class: `message` says what is wrong, `hint` what to do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class UsageError(KmsImportError):
    """A flag or argument is missing or malformed."""

    exit_code = 2


class SourceError(KmsImportError):
    """The material source cannot be parsed, reached or trusted."""


class MaterialError(KmsImportError):
    """The material has the wrong size or format for the key."""


class FingerprintMismatch(KmsImportError):
    """The material is not the material this key was made for."""


class WrappingError(KmsImportError):
    """The wrapping algorithm, wrapping key spec and key spec do not fit together."""


class KeyStateError(KmsImportError):
    """The key is in a state that does not allow the requested step."""


class AwsError(KmsImportError):
    """AWS refused a call or could not be reached; `code` is AWS's error code, if it gave one."""

    def __init__(self, message: str, hint: str = "", code: str = "") -> None:
        super().__init__(message, hint)
        self.code = code


class VerificationError(KmsImportError):
    """The key does not behave as the imported material says it must."""
