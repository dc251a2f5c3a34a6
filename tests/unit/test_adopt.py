"""kms-import adopt, the parts that need no AWS: reading the old state, the material check
against key_material_base64, the search for copies (inside saved plans too), and bad input
refused in one line before anything is asked of AWS."""

from __future__ import annotations

import base64
import json
import os
import zipfile
from pathlib import Path

import pytest

from kms_import import cli
from kms_import.adopt import check_against_state
from kms_import.adopt_leftovers import find_copies
from kms_import.adopt_state import AdoptError, StateRef, find_key
from kms_import.errors import FingerprintMismatch
from kms_import.material import Material

ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _state(material: bytes, *, module: str | None = None, index: object = None) -> dict:
    key = {
        "mode": "managed",
        "type": "aws_kms_external_key",
        "name": "legacy",
        "instances": [
            {
                **({"index_key": index} if index is not None else {}),
                "attributes": {
                    "id": ARN.rsplit("/", 1)[1],
                    "arn": ARN,
                    "key_material_base64": base64.b64encode(material).decode(),
                    "deletion_window_in_days": 7,
                },
            }
        ],
        **({"module": module} if module else {}),
    }
    alias = {
        "mode": "managed",
        "type": "aws_kms_alias",
        "name": "legacy",
        "instances": [{"attributes": {"name": "alias/legacy", "target_key_id": ARN}}],
    }
    return {"version": 4, "resources": [key, alias]}


def test_find_key_names_the_resource_its_alias_and_window():
    old = find_key(json.dumps(_state(b"m" * 32, module="module.kms", index="a")), None, "s")
    assert old.address == 'module.kms.aws_kms_external_key.legacy["a"]'
    assert old.arn == ARN and old.deletion_window_in_days == 7
    assert old.alias_addresses == (("aws_kms_alias.legacy", "alias/legacy"),)
    assert base64.b64encode(b"m" * 32).decode() not in repr(old)  # never shown


def test_find_key_refuses_none_or_an_unknown_address():
    empty = json.dumps({"version": 4, "resources": []})
    with pytest.raises(AdoptError, match="holds 0 aws_kms_external_key"):
        find_key(empty, None, "old.tfstate")
    with pytest.raises(AdoptError, match=r"pick one of: aws_kms_external_key\.legacy"):
        find_key(json.dumps(_state(b"m" * 32)), "aws_kms_external_key.other", "old.tfstate")


def test_other_material_than_the_states_is_refused():
    old = find_key(json.dumps(_state(b"a" * 32)), None, "s")
    with (
        Material(bytearray(b"b" * 32), "test") as other,
        pytest.raises(FingerprintMismatch, match="does not hold the material"),
    ):
        check_against_state(old, other, "file:///x")
    with Material(bytearray(b"a" * 32), "test") as same:
        check_against_state(old, same, "file:///x")


def test_copies_are_found_in_files_and_inside_saved_plans(tmp_path: Path):
    material = os.urandom(32)
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps(_state(material)))
    (tmp_path / "vars.json").write_text(json.dumps({"m": material.hex()}))
    with zipfile.ZipFile(tmp_path / "old.tfplan", "w", zipfile.ZIP_DEFLATED) as plan:
        plan.writestr("tfplan", b"\x00" * 100 + base64.b64encode(material) + b"\x00" * 100)
    (tmp_path / "clean.txt").write_text("nothing here")
    with Material(bytearray(material), "test") as held:
        copies = find_copies(held, StateRef("", path=state), [])
    found = {c.where: c for c in copies}
    assert set(found) == {
        str(state),
        str(tmp_path / "vars.json"),
        f"{tmp_path / 'old.tfplan'} (inside tfplan)",
    }
    assert "terraform state rm" in found[str(state)].remedy
    assert found[str(tmp_path / "vars.json")].remedy.startswith("destroy it: shred -u ")
    assert all(material.hex() not in str(c) for c in copies)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "{tmp}/missing.tfstate"], "cannot read the old state"),
        (["--state", "{tmp}/not-json.tfstate"], "is not a Terraform state (JSON)"),
        (["--state", "{tmp}/old.tfstate", "--generation", "G 1"], "generation name 'G 1'"),
        (["--state", "{tmp}/old.tfstate", "--root", "{tmp}/nowhere"], "is not a folder"),
        (["--state", "s3://bucket-only"], "does not name an S3 object"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, args, message):
    (tmp_path / "not-json.tfstate").write_text("not json")
    (tmp_path / "old.tfstate").write_text(json.dumps(_state(b"m" * 32)))
    argv = ["adopt", "--source", f"file://{tmp_path}/m.bin"]
    argv += [a.format(tmp=tmp_path) for a in args]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("kms-import: error: ") and message in err
