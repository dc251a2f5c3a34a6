"""KMS's tag rules, which moto does not check: a TagKey of 1 to 128 characters, a TagValue of
0 to 256 (the KMS API's Tag type), both drawn from the characters AWS allows in user-defined
tags (letters, digits, white space and _ . : / = + - @), and no key starting with `aws:`.
KMS answers a broken tag with TagException; the local KMS does the same, so a tag value
kms-import or the modules write (the fingerprint and drift tags) is refused here as it would
be in AWS.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from localaws.kms.errors import TagException

_PUNCTUATION = set("_.:/=+-@")


def _allowed(text: str) -> bool:
    return all(c in _PUNCTUATION or unicodedata.category(c)[0] in "LNZ" for c in text)


def problem(key: Any, value: Any) -> str | None:
    """What is wrong with one tag, or None."""
    if not isinstance(key, str) or not 1 <= len(key) <= 128:
        return f"TagKey {key!r} must be 1 to 128 characters"
    if key.lower().startswith("aws:"):
        return f"TagKey {key!r} must not start with aws:"
    if not isinstance(value, str) or len(value) > 256:
        return f"TagValue of {key!r} must be at most 256 characters"
    for what, text in (("TagKey", key), ("TagValue", value)):
        if not _allowed(text):
            return f"{what} {text!r} may hold only letters, digits, spaces and _ . : / = + - @"
    return None


def check(tags: Iterable[dict[str, Any]] | None) -> None:
    """Raise TagException for the first broken tag of a request's Tags list."""
    for tag in tags or []:
        found = problem(tag.get("TagKey"), tag.get("TagValue"))
        if found:
            raise TagException(f"One or more tags are not valid: {found}.")
