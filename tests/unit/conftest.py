"""A real SoftHSM2 token for the pkcs11 source tests, created once per test process.

SoftHSM2 reads SOFTHSM2_CONF when the module is first initialised in a process, so one token
folder serves the whole session. Every key object is made with C_CreateObject from bytes the
test knows, marked sensitive, so a test can check what the HSM did with a key the helper could
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
    """The token, its PIN file and the known bytes behind each key object's label."""

    module: Path
    token: str
    pin_file: Path
    values: dict[str, bytes] = field(default_factory=dict)

    def uri(self, label: str, **params: str) -> str:
        query = {"module-path": str(self.module), "pin-source": f"file:{self.pin_file}"}
        query.update({k.replace("_", "-"): v for k, v in params.items()})
        text = "&".join(f"{k}={v}" for k, v in query.items() if v)
        return f"pkcs11:token={quote(self.token)};object={quote(label)}?{text}"


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
        hsm = SoftHsm(SOFTHSM_MODULE, TOKEN, pin_file)
        _create_keys(hsm)
        yield hsm


def _create_keys(hsm: SoftHsm) -> None:
    import pkcs11
    from pkcs11 import Attribute, KeyType, ObjectClass

    token = pkcs11.lib(str(hsm.module)).get_token(token_label=hsm.token)
    with token.open(user_pin=PIN, rw=True) as session:
        for label, (key_type, size, extra) in KEYS.items():
            value = os.urandom(size)
            template: dict[Any, Any] = {
                Attribute.CLASS: ObjectClass.SECRET_KEY,
                Attribute.KEY_TYPE: getattr(KeyType, key_type),
                Attribute.VALUE: value,
                Attribute.LABEL: label,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: True,
            }
            template.update({getattr(Attribute, k): v for k, v in extra.items()})
            session.create_object(template)
            hsm.values[label] = value
        # Two objects with one label, and one found by its binary id.
        for _ in range(2):
            session.create_object(_aes(b"\x00" * 32, "twin"))
        by_id = os.urandom(32)
        session.create_object({**_aes(by_id, "by-id"), Attribute.ID: b"\x01\xff\x2f"})
        hsm.values["by-id"] = by_id


def _aes(value: bytes, label: str) -> dict[Any, Any]:
    from pkcs11 import Attribute, KeyType, ObjectClass

    return {
        Attribute.CLASS: ObjectClass.SECRET_KEY,
        Attribute.KEY_TYPE: KeyType.AES,
        Attribute.VALUE: value,
        Attribute.LABEL: label,
        Attribute.TOKEN: True,
        Attribute.PRIVATE: True,
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: True,
    }


@pytest.fixture
def local_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local AWS in-process (moto + the localaws add-on), dummy credentials, no real AWS."""
    from moto import mock_aws

    import localaws

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    localaws.install()
    with mock_aws():
        yield
    localaws.clock.reset()


@pytest.fixture
def kms(local_aws: None) -> Any:
    """A KMS client on the in-process local AWS."""
    import boto3

    return boto3.client("kms", region_name="us-east-1")
