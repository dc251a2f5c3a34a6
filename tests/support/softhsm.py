"""A real SoftHSM2 token for the pkcs11 source tests, created once per test process.

Registered for the whole suite by `tests/conftest.py`, so unit and end-to-end tests share it:
SoftHSM2 reads SOFTHSM2_CONF when the module is first initialised in a process, so one token
folder serves the whole session (and `SoftHsm.conf` is what a test hands to Terraform, whose
children run the helper). Every key object is made with C_CreateObject from bytes the test
knows, marked sensitive, so a test can check what the HSM did with a key the helper could
never read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "kms-test"
PIN = "4711-test-pin"
SO_PIN = "12345678"


@dataclass
class SoftHsm:
    """The token, its config and PIN file, and the known bytes behind each key object's label."""

    module: Path
    token: str
    pin_file: Path
    conf: Path
    values: dict[str, bytes] = field(default_factory=dict)

    def uri(self, label: str, *, object_safe: str = "/", **params: str) -> str:
        """The key's RFC 7512 URI; `object_safe` names characters left unencoded in the label."""
        query = {"module-path": str(self.module), "pin-source": f"file:{self.pin_file}"}
        query.update({k.replace("_", "-"): v for k, v in params.items()})
        text = "&".join(f"{k}={v}" for k, v in query.items() if v)
        return f"pkcs11:token={quote(self.token)};object={quote(label, safe=object_safe)}?{text}"

    def add_key(self, label: str, value: bytes, **extra: bool) -> None:
        """A token AES key object holding `value`: sensitive, extractable, plus `extra`."""
        from pkcs11 import Attribute

        token = _library(self.module).get_token(token_label=self.token)
        with token.open(user_pin=PIN, rw=True) as session:
            template = _secret(value, label)
            template.update({getattr(Attribute, k): v for k, v in extra.items()})
            session.create_object(template)
        self.values[label] = value

    def session(self) -> Any:
        """A logged-in read-only session on the token (use it as a context manager)."""
        return _library(self.module).get_token(token_label=self.token).open(user_pin=PIN)


# label -> (key type name, size, extra attributes by name)
KEYS: dict[str, tuple[str, int, dict[str, bool]]] = {
    "aes-1": ("AES", 32, {"ENCRYPT": True}),
    "hmac-224": ("GENERIC_SECRET", 28, {"SIGN": True}),
    "hmac-256": ("GENERIC_SECRET", 32, {"SIGN": True}),
    "hmac-384-nosign": ("GENERIC_SECRET", 48, {"SIGN": False}),
    "hmac-512": ("GENERIC_SECRET", 64, {"SIGN": True}),
    "not-extractable": ("AES", 32, {"EXTRACTABLE": False}),
    "not-sensitive": ("AES", 32, {"SENSITIVE": False}),
    "short": ("AES", 16, {}),
}


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    util = shutil.which("softhsm2-util")
    if not SOFTHSM_MODULE.is_file() or util is None:
        pytest.fail(
            f"SoftHSM2 is not installed ({SOFTHSM_MODULE} missing): run `make softhsm` as root, "
            "or `sudo apt-get install softhsm2`",
            pytrace=False,
        )
    home = tmp_path_factory.mktemp("softhsm")
    (home / "tokens").mkdir()
    conf = home / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {home / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\nslots.removable = false\n"
    )
    pin_file = home / "user.pin"
    pin_file.write_text(PIN + "\n")
    pin_file.chmod(0o600)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOFTHSM2_CONF", str(conf))
        for label in (TOKEN, "other-token"):
            subprocess.run(
                [util, "--init-token", "--free", "--label", label, "--so-pin", SO_PIN,
                 "--pin", PIN],
                check=True,
                capture_output=True,
            )  # fmt: skip
        hsm = SoftHsm(SOFTHSM_MODULE, TOKEN, pin_file, conf)
        _create_keys(hsm)
        yield hsm


def _library(module: Path) -> Any:
    import pkcs11

    return pkcs11.lib(str(module))


def _create_keys(hsm: SoftHsm) -> None:
    from pkcs11 import Attribute

    token = _library(hsm.module).get_token(token_label=hsm.token)
    with token.open(user_pin=PIN, rw=True) as session:
        for label, (key_type, size, extra) in KEYS.items():
            value = os.urandom(size)
            template = _secret(value, label, key_type)
            template.update({getattr(Attribute, k): v for k, v in extra.items()})
            session.create_object(template)
            hsm.values[label] = value
        # Two objects with one label, and one found by its binary id.
        for _ in range(2):
            session.create_object(_secret(b"\x00" * 32, "twin"))
        by_id = os.urandom(32)
        session.create_object({**_secret(by_id, "by-id"), Attribute.ID: b"\x01\xff\x2f"})
        hsm.values["by-id"] = by_id


def _secret(value: bytes, label: str, key_type: str = "AES") -> dict[Any, Any]:
    """A token secret key object holding `value`: private, sensitive, extractable."""
    from pkcs11 import Attribute, KeyType, ObjectClass

    return {
        Attribute.CLASS: ObjectClass.SECRET_KEY,
        Attribute.KEY_TYPE: getattr(KeyType, key_type),
        Attribute.VALUE: value,
        Attribute.LABEL: label,
        Attribute.TOKEN: True,
        Attribute.PRIVATE: True,
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: True,
    }
