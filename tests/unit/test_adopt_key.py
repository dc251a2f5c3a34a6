"""kms-import adopt --key-id: keys made with the seed's CLI commands join the root.

Against the local KMS in-process; the keys are made the seed's way (create-key --origin
EXTERNAL, create-alias, get-parameters-for-import, wrapped like wrapKey.sh, import-key-material),
never through the helper.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from kms_import import cli, tfvars
from kms_import.keys import FINGERPRINT_TAG
from kms_import.material import secret_fingerprint
from kms_import.validto import format_utc

REPO = Path(__file__).resolve().parents[2]
ALIAS = "alias/MyImportedKey"
KEY_ADDRESS = 'module.key.module.generations.module.key["{gen}"].aws_kms_external_key.this'


def _seed_key(
    kms: Any, tmp_path: Path, *, valid_to: datetime | None = None, alias: str | None = ALIAS
) -> tuple[str, str, bytes]:
    """The seed's flow; returns (key id, file:// source of the material, the material)."""
    key_id = kms.create_key(Origin="EXTERNAL", Description="External key")["KeyMetadata"]["KeyId"]
    if alias:
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    material = os.urandom(32)
    _seed_import(kms, key_id, material, valid_to)
    path = tmp_path / f"{key_id}.bin"
    path.write_bytes(material)
    path.chmod(0o600)
    return key_id, f"file://{path}", material


def _seed_import(kms: Any, key_id: str, material: bytes, valid_to: datetime | None) -> None:
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_3072"
    )
    public = serialization.load_der_public_key(params["PublicKey"])
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    expiry: dict[str, Any] = (
        {"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": valid_to}
        if valid_to
        else {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    )
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=public.encrypt(material, oaep),  # type: ignore[union-attr]
        **expiry,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root like this repo's: its variables.tf (alias_name defaults to the seed's alias)."""
    folder = tmp_path / "root"
    folder.mkdir()
    (folder / "variables.tf").write_text((REPO / "variables.tf").read_text())
    return folder


def _adopt(key_id: str, source: str, root: Path, *extra: str) -> int:
    args = ["adopt", "--key-id", key_id, "--source", source, "--root", str(root)]
    return cli.main([*args, "--tfvars", str(root / "terraform.tfvars"), *extra])


def _one_line(capsys: pytest.CaptureFixture[str], text: str) -> None:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert text in err, err


def _nothing_written(root: Path) -> None:
    assert not (root / "terraform.tfvars").exists() and not list(root.glob("adopt_*.tf"))


def test_a_seed_key_and_its_alias_are_adopted(
    kms: Any, tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id, source, material = _seed_key(kms, tmp_path)
    blob = kms.encrypt(KeyId=ALIAS, Plaintext=b"before")["CiphertextBlob"]

    assert _adopt(key_id, source, root, "--alias", ALIAS, "--activate") == 0
    out = capsys.readouterr().out
    fingerprint = secret_fingerprint(material)
    assert f"key {key_id} holds the material of the source (fingerprint {fingerprint}" in out
    blocks = (root / "adopt_g1.tf").read_text()
    assert f'to = {KEY_ADDRESS.format(gen="g1")}\n  id = "{key_id}"' in blocks
    assert f'to = module.key.aws_kms_alias.active\n  id = "{ALIAS}"' in blocks
    doc = tfvars.load(root / "terraform.tfvars")
    assert doc.active == "g1"
    assert doc.values["generations"]["g1"] == {
        "material_source": source,
        "material_fingerprint": fingerprint,
        "enabled": True,
        "description": "External key",
    }
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert tags[FINGERPRINT_TAG] == fingerprint
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"


def test_a_key_with_expiry_keeps_its_valid_to(kms: Any, tmp_path: Path, root: Path) -> None:
    valid_to = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)
    key_id, source, _ = _seed_key(kms, tmp_path, valid_to=valid_to, alias=None)
    assert _adopt(key_id, source, root, "--generation", "legacy") == 0
    generation = tfvars.load(root / "terraform.tfvars").values["generations"]["legacy"]
    assert generation["valid_to"] == format_utc(valid_to)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["ValidTo"].astimezone(UTC) == valid_to
    blocks = (root / "adopt_legacy.tf").read_text()
    assert "aws_kms_alias" not in blocks


def test_a_key_whose_material_was_deleted_gets_it_back(
    kms: Any, tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id, source, _ = _seed_key(kms, tmp_path)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"old data")["CiphertextBlob"]
    kms.delete_imported_key_material(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"

    assert _adopt(key_id, source, root, "--alias", ALIAS, "--activate") == 0
    assert "its deleted material is back" in capsys.readouterr().out
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"old data"
    generation = tfvars.load(root / "terraform.tfvars").values["generations"]["g1"]
    assert generation["enabled"] is True and "valid_to" not in generation


def test_a_deleted_material_can_come_back_with_a_new_expiry(
    kms: Any, tmp_path: Path, root: Path
) -> None:
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    key_id, source, _ = _seed_key(kms, tmp_path, valid_to=expires, alias=None)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"old data")["CiphertextBlob"]
    kms.delete_imported_key_material(KeyId=key_id)  # KMS forgets the expiry with the material
    new = format_utc(datetime.now(UTC).replace(microsecond=0) + timedelta(days=90))
    assert _adopt(key_id, source, root, "--valid-to", new) == 0
    assert format_utc(kms.describe_key(KeyId=key_id)["KeyMetadata"]["ValidTo"]) == new
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"old data"
    assert tfvars.load(root / "terraform.tfvars").values["generations"]["g1"]["valid_to"] == new


@pytest.mark.parametrize("deleted", [False, True], ids=["enabled", "material-deleted"])
def test_other_material_is_refused_and_nothing_changes(
    kms: Any, tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str], deleted: bool
) -> None:
    key_id, _, _ = _seed_key(kms, tmp_path)
    if deleted:
        kms.delete_imported_key_material(KeyId=key_id)
    other = tmp_path / "other.bin"
    other.write_bytes(os.urandom(32))
    other.chmod(0o600)
    state = kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]

    assert _adopt(key_id, f"file://{other}", root, "--alias", ALIAS, "--activate") == 1
    _one_line(capsys, f"key {key_id} does not hold the material of file://{other}")
    _nothing_written(root)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == state
    assert not kms.list_resource_tags(KeyId=key_id)["Tags"]


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--alias", "alias/Other"], 2, "the root holds one alias, alias/MyImportedKey"),
        (["--alias", ALIAS], 2, "add --activate"),
        (["--alias", "alias/elsewhere", "--activate"], 2, "the root holds one alias"),
        ([], 1, "alias/MyImportedKey, the root's alias, points at key"),
    ],
    ids=["not-the-roots", "without-activate", "not-the-roots-with-activate", "left-out"],
)
def test_aliases_the_root_cannot_hold_are_refused(
    kms: Any,
    tmp_path: Path,
    root: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    code: int,
    message: str,
) -> None:
    key_id, source, _ = _seed_key(kms, tmp_path)
    kms.create_alias(AliasName="alias/Other", TargetKeyId=key_id)
    assert _adopt(key_id, source, root, *extra) == code
    _one_line(capsys, message)
    _nothing_written(root)
    assert not kms.list_resource_tags(KeyId=key_id)["Tags"]


def test_an_alias_of_another_key_is_refused(
    kms: Any, tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id, source, _ = _seed_key(kms, tmp_path, alias=None)
    _seed_key(kms, tmp_path)  # ALIAS points at this other key
    assert _adopt(key_id, source, root, "--alias", ALIAS, "--activate") == 1
    _one_line(capsys, f"{ALIAS} does not point at key {key_id}")
    _nothing_written(root)


def test_the_tfvars_alias_name_is_the_roots(kms: Any, tmp_path: Path, root: Path) -> None:
    key_id, source, _ = _seed_key(kms, tmp_path, alias="alias/payments")
    (root / "terraform.tfvars").write_text('alias_name = "alias/payments"\n')
    assert _adopt(key_id, source, root, "--alias", "alias/payments", "--activate") == 0
    doc = tfvars.load(root / "terraform.tfvars")
    assert doc.values["alias_name"] == "alias/payments" and doc.active == "g1"


def test_the_next_free_generation_name_is_used(kms: Any, tmp_path: Path, root: Path) -> None:
    first, source, _ = _seed_key(kms, tmp_path, alias=None)
    second, other, _ = _seed_key(kms, tmp_path, alias=None)
    assert _adopt(first, source, root) == 0
    assert _adopt(second, other, root) == 0
    assert set(tfvars.load(root / "terraform.tfvars").generations) == {"g1", "g2"}
    assert (root / "adopt_g2.tf").exists()


def test_a_key_that_is_not_external_is_refused(
    kms: Any, tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    _, source, _ = _seed_key(kms, tmp_path, alias=None)
    assert _adopt(key_id, source, root) == 1
    _one_line(capsys, "has origin AWS_KMS, not EXTERNAL")
    _nothing_written(root)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "one of the arguments --key-id --state is required"),
        (["--key-id", "k", "--state", "s"], "not allowed with argument"),
        (["--state", "s.tfstate", "--alias", ALIAS], "--alias goes with --key-id"),
        (["--key-id", "alias/x", "--scan", "/tmp"], "--scan goes with --state"),
        (["--key-id", "alias/x", "--generation", "G 1"], "generation name 'G 1'"),
        (["--key-id", "not a key"], "is not a key id"),
    ],
)
def test_bad_flags_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    try:
        code = cli.main(["adopt", "--source", "file:///x", *args])
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    assert code == 2
    _one_line(capsys, message)


def test_a_root_whose_generations_take_alias_name_keeps_another_alias(
    kms: Any, tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A generation's own alias (modules/rotating-key's generations[*].alias_name) stays on
    its key: adopted beside it, while alias_name still follows the active generation."""
    text = (root / "variables.tf").read_text()
    field = "    material_source         = string\n"
    (root / "variables.tf").write_text(
        text.replace(field, field + "    alias_name              = optional(string)\n", 1)
    )
    key_id, source, _ = _seed_key(kms, tmp_path)
    kms.create_alias(AliasName="alias/legacy-app", TargetKeyId=key_id)
    kms.create_alias(AliasName="alias/other-app", TargetKeyId=key_id)

    both = ["--alias", "alias/legacy-app", "--alias", "alias/other-app", "--activate"]
    assert _adopt(key_id, source, root, "--alias", ALIAS, *both) == 2
    _one_line(capsys, "a generation keeps one alias of its own, not 2")
    _nothing_written(root)

    one = ["--alias", "alias/legacy-app", "--activate"]
    assert _adopt(key_id, source, root, "--alias", ALIAS, *one) == 0
    blocks = (root / "adopt_g1.tf").read_text()
    own = KEY_ADDRESS.format(gen="g1").replace("aws_kms_external_key.this", "aws_kms_alias.this[0]")
    assert f'to = {own}\n  id = "alias/legacy-app"' in blocks
    assert f'to = module.key.aws_kms_alias.active\n  id = "{ALIAS}"' in blocks
    generation = tfvars.load(root / "terraform.tfvars").values["generations"]["g1"]
    assert generation["alias_name"] == "alias/legacy-app"


def test_a_disabled_key_stays_disabled(kms: Any, tmp_path: Path, root: Path) -> None:
    key_id, source, _ = _seed_key(kms, tmp_path, alias=None)
    kms.disable_key(KeyId=key_id)
    assert _adopt(key_id, source, root) == 0
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    assert tfvars.load(root / "terraform.tfvars").values["generations"]["g1"]["enabled"] is False


def test_an_hmac_key_keeps_its_key_spec(kms: Any, tmp_path: Path, root: Path) -> None:
    """The generation names the key spec: the module would otherwise plan a replacement."""
    key_id = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")[
        "KeyMetadata"
    ]["KeyId"]
    material = os.urandom(32)
    _seed_import(kms, key_id, material, None)
    path = tmp_path / "hmac.bin"
    path.write_bytes(material)
    path.chmod(0o600)
    assert _adopt(key_id, f"file://{path}", root) == 0
    generation = tfvars.load(root / "terraform.tfvars").values["generations"]["g1"]
    assert generation["key_spec"] == "HMAC_256" and "key_usage" not in generation


def test_the_key_can_be_named_by_its_alias(kms: Any, tmp_path: Path, root: Path) -> None:
    key_id, source, _ = _seed_key(kms, tmp_path)
    assert _adopt(ALIAS, source, root, "--alias", ALIAS, "--activate") == 0
    assert f'id = "{key_id}"' in (root / "adopt_g1.tf").read_text()  # the key's id, not alias


def test_a_key_that_never_held_material_says_so(
    kms: Any, tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`create-key` without the import: adopting imports, and does not claim a proof."""
    key_id = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    _, source, _ = _seed_key(kms, tmp_path, alias=None)
    assert _adopt(key_id, source, root) == 0
    assert "the key had never held material" in capsys.readouterr().out
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def _cancel(key_id: str, source: str, root: Path, *extra: str) -> int:
    args = ["cancel-deletion", "--key-id", key_id, "--source", source, "--root", str(root)]
    return cli.main([*args, "--tfvars", str(root / "terraform.tfvars"), *extra])


def test_cancel_deletion_brings_the_key_back_as_an_enabled_generation(
    kms: Any, tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make cancel-deletion`: CancelKeyDeletion, then adopt --key-id's path; the generation
    says enabled, so the apply that imports the key enables it again."""
    key_id, source, material = _seed_key(kms, tmp_path, alias=None)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    assert _cancel(key_id, source, root, "--generation", "g3") == 0
    captured = capsys.readouterr()
    assert f"key {key_id} is Disabled again; adopting it as generation g3" in captured.err
    assert f"fingerprint {secret_fingerprint(material)}" in captured.out
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Disabled"
    generation = tfvars.load(root / "terraform.tfvars").values["generations"]["g3"]
    assert generation["enabled"] is True
    assert generation["material_fingerprint"] == secret_fingerprint(material)
    blocks = (root / "adopt_g3.tf").read_text()
    assert f'to = {KEY_ADDRESS.format(gen="g3")}\n  id = "{key_id}"' in blocks


def test_cancel_deletion_refuses_before_cancelling(
    kms: Any, tmp_path: Path, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What adopt would refuse leaves the key pending deletion: nothing changed."""
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]  # not EXTERNAL
    _, source, _ = _seed_key(kms, tmp_path, alias=None)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert _cancel(key_id, source, root) == 1
    _one_line(capsys, "has origin AWS_KMS, not EXTERNAL")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    _nothing_written(root)

    assert _cancel(key_id, source, root, "--generation", "G 1") == 2
    _one_line(capsys, "generation name 'G 1'")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
