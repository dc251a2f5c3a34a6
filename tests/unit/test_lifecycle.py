"""`kms-import delete-material` (make delete-material): the root's outputs, the question, and
DeleteImportedKeyMaterial on the generation's key and replicas."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from kms_import.cli import main
from kms_import.errors import UsageError
from kms_import.lifecycle import NotConfirmed, delete_material, generation_keys, read_outputs


def _outputs(key_arns: dict[str, str], replicas: dict[str, dict[str, str]] | None = None) -> dict:
    outputs: dict[str, Any] = {"key_arns": {"value": key_arns, "type": "object"}}
    if replicas is not None:
        outputs["replica_arns"] = {"value": replicas}
    return outputs


def _imported_key(kms: Any) -> str:
    arn = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["Arn"]
    params = kms.get_parameters_for_import(
        KeyId=arn, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    from kms_import.material import Material

    with Material(bytearray(os.urandom(32)), "test material") as material:
        wrapped = material.wrap(params["PublicKey"], "RSAES_OAEP_SHA_256")
    kms.import_key_material(
        KeyId=arn,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrapped,
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    return arn


def test_generation_keys_reads_key_and_replica_arns() -> None:
    outputs = _outputs({"g1": "arn:k1"}, {"g1": {"us-west-2": "arn:r2", "eu-west-1": "arn:r1"}})
    keys = generation_keys(outputs, "g1")
    assert keys.all == ("arn:k1", "arn:r1", "arn:r2")
    assert generation_keys(_outputs({"g1": "arn:k1"}), "g1").replica_arns == ()


@pytest.mark.parametrize(
    ("outputs", "words"),
    [({}, "no output key_arns"), (_outputs({"g2": "arn:k2"}), "no generation g1 in state")],
)
def test_generation_keys_refuses_what_is_not_there(outputs: dict, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        generation_keys(outputs, "g1")


def test_read_outputs_refuses_what_is_not_json() -> None:
    with pytest.raises(UsageError, match="not JSON"):
        read_outputs(io.StringIO("Error: no state"))


def test_unconfirmed_deletes_nothing(kms: Any) -> None:
    arn = _imported_key(kms)
    keys = generation_keys(_outputs({"g1": arn}), "g1")
    asked: list[str] = []
    with pytest.raises(NotConfirmed, match="nothing deleted"):
        delete_material(keys, lambda question: asked.append(question) is not None)
    assert "Delete the material of g1" in asked[0] and "make reimport GEN=g1" in asked[0]
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"


def test_cli_yes_deletes_and_end_of_input_does_not(
    kms: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = _imported_key(kms)
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(_outputs({"g1": arn})))
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal: nothing is confirmed
    assert main(["delete-material", "g1", "--outputs-json", str(outputs)]) == 1
    assert "not confirmed; nothing deleted" in capsys.readouterr().err
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"

    monkeypatch.setattr("sys.stdin", io.StringIO("g1\n"))  # the generation's name, typed
    assert main(["delete-material", "g1", "--outputs-json", str(outputs)]) == 0
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"
    assert "material of g1 deleted; keys are PendingImport" in capsys.readouterr().out


def test_tfvars_active_prints_the_active_generation_for_makes_gen_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tfvars = tmp_path / "terraform.tfvars"
    tfvars.write_text('generations = {\n  g1 = { material_source = "file:///m" }\n}\n')
    assert main(["tfvars", "--file", str(tfvars), "active"]) == 2
    assert "sets no active_generation" in capsys.readouterr().err
    tfvars.write_text(tfvars.read_text() + 'active_generation = "g1"\n')
    assert main(["tfvars", "--file", str(tfvars), "active"]) == 0
    assert capsys.readouterr().out == "g1\n"
