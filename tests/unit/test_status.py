"""`kms-import status --expiring-within N` (make status WARN_DAYS=N): a warning per key whose
material expires within N days, and exit code 3 when there is one, so a cron job can alarm."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kms_import.cli import main
from kms_import.material import Material
from kms_import.status import EXIT_EXPIRING


def _imported(kms: Any, valid_to: datetime | None) -> str:
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    params = kms.get_parameters_for_import(
        KeyId=arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    with Material(bytearray(os.urandom(32)), "test material") as material:
        wrapped = material.wrap(params["PublicKey"], "RSAES_OAEP_SHA_256")
    expiry: dict[str, Any] = (
        {"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": valid_to}
        if valid_to
        else {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    )
    kms.import_key_material(
        KeyId=arn, ImportToken=params["ImportToken"], EncryptedKeyMaterial=wrapped, **expiry
    )
    return arn


@pytest.fixture
def keys(kms: Any) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "g1": _imported(kms, now + timedelta(days=10)),
        "g2": _imported(kms, now + timedelta(days=40)),
        "g3": _imported(kms, None),
    }


def _status(keys: dict[str, str], days: int | None, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(keys)))
    argv = ["status", "--key-arns-json", "-"]
    return argv + (["--expiring-within", str(days)] if days is not None else [])


@pytest.mark.parametrize(
    ("days", "code", "warned"),
    [(None, 0, []), (5, 0, []), (30, EXIT_EXPIRING, ["g1"]), (60, EXIT_EXPIRING, ["g1", "g2"])],
)
def test_expiring_within_warns_and_exits_3(
    keys: dict[str, str],
    days: int | None,
    code: int,
    warned: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(_status(keys, days, monkeypatch)) == code
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["g1", "g2", "g3"]
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert [w.split()[1].rstrip(":") for w in warnings] == warned
    for line in warnings:
        gen = line.split()[1].rstrip(":")
        assert f"make renew GEN={gen} VALID_TO=" in line and f"within {days} days" in line
