"""The seed's Key Management part, driven by the Makefile verbs on a root copy.

Rotation by a new generation + alias swap, the three ways to retire a key, and the rule that
only the same material can be re-imported. Every verb must leave `terraform plan
-detailed-exitcode` at 0, and every test ends with the leak scan over all the materials.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from .workspace import REPO, Workspace, in_days, key_address, material_file, previous_tree

pytestmark = pytest.mark.e2e


def _start(ws: Workspace, tmp_path: Path, **g1: Any) -> Path:
    """Generation g1 applied, its material escrowed in the folder returned."""
    escrow = tmp_path / "escrow"
    ws.apply_generated_g1(escrow, **g1)
    return escrow


def _materials(escrow: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(escrow.glob("*.key"))]


def _clean(ws: Workspace, escrow: Path, extra: list[bytes] | None = None) -> None:
    assert ws.plan_exitcode() == 0
    for material in _materials(escrow) + (extra or []):
        ws.assert_no_leak(material)


def _arns(ws: Workspace) -> dict[str, str]:
    return dict(ws.outputs()["key_arns"])


def _state(ws: Workspace, key: str) -> str:
    return str(ws.kms().describe_key(KeyId=key)["KeyMetadata"]["KeyState"])


def _alias_target(ws: Workspace) -> str:
    aliases = ws.kms().list_aliases()["Aliases"]
    return next(a["TargetKeyId"] for a in aliases if a["AliasName"] == "alias/MyImportedKey")


def _encrypt(ws: Workspace, text: bytes) -> bytes:
    return bytes(ws.kms().encrypt(KeyId="alias/MyImportedKey", Plaintext=text)["CiphertextBlob"])


def _decrypt(ws: Workspace, blob: bytes) -> bytes:
    return bytes(ws.kms().decrypt(CiphertextBlob=blob)["Plaintext"])


def test_rotate_twice_alias_follows_and_every_generation_decrypts(workspace, tmp_path):
    escrow = _start(workspace, tmp_path)
    blobs = {"g1": _encrypt(workspace, b"one")}
    for gen in ("g2", "g3"):
        workspace.make("rotate", AUTO_APPROVE="1", ESCROW=str(escrow))
        arns = _arns(workspace)
        assert _alias_target(workspace) == arns[gen].rsplit("/", 1)[1]
        blobs[gen] = _encrypt(workspace, gen.encode())
    arns = _arns(workspace)
    assert set(arns) == {"g1", "g2", "g3"} and len(set(arns.values())) == 3
    assert all(_state(workspace, arn) == "Enabled" for arn in arns.values())
    assert _decrypt(workspace, blobs["g1"]) == b"one"
    assert _decrypt(workspace, blobs["g2"]) == b"g2"
    assert _decrypt(workspace, blobs["g3"]) == b"g3"
    assert len(_materials(escrow)) == 3
    status = workspace.make("status")
    assert [line.split()[0] for line in status.stdout.splitlines()[1:]] == ["g1", "g2", "g3"]
    _clean(workspace, escrow)


def test_delete_material_other_material_refused_then_reimport(workspace, tmp_path, clean_stack):
    """delete-material -> encrypt fails -> a different material is refused before any
    ImportKeyMaterial call -> reimport of the right one -> old ciphertexts decrypt."""
    escrow = _start(workspace, tmp_path)
    blob = _encrypt(workspace, b"before")
    refused = workspace.make("delete-material", check=False)
    assert refused.code != 0 and "set GEN=" in refused.stderr
    not_confirmed = workspace.make("delete-material", check=False, GEN="g1")
    assert not_confirmed.code != 0 and "not confirmed" in not_confirmed.stderr
    assert _state(workspace, _arns(workspace)["g1"]) == "Enabled"

    workspace.make("delete-material", GEN="g1", YES="1")
    assert _state(workspace, _arns(workspace)["g1"]) == "PendingImport"
    with pytest.raises(Exception, match="KMSInvalidStateException"):
        _encrypt(workspace, b"after")
    # Drift: the refresh read the key, so the plan shows g1's import step changing and why.
    drift = workspace.tf("plan", "-input=false", "-detailed-exitcode", check=False)
    assert drift.code == 2, drift.stderr
    assert re.search(r'~ g1 = \{\s*~ drift += "" -> "material missing / seen ', drift.stdout)

    # Same generation, other material: refused from the key's fingerprint tag alone.
    fingerprint = workspace.outputs()["generations"]["g1"]["material_fingerprint"]
    key_before = workspace.runner.resources()[key_address("g1")]
    other_path, other = material_file(tmp_path / "other")
    tfvars = workspace.dir / "terraform.tfvars"
    text = tfvars.read_text()
    # Source and recorded fingerprint both edited (a source that does not match its recorded
    # fingerprint is refused before that): the key's tag still names the first material.
    other_text = text.replace(f"generate:g1?escrow=file://{escrow}", f"file://{other_path}")
    other_text = re.sub(r"\n *material_fingerprint *= *\"[^\"]*\"", "", other_text)
    assert "material_fingerprint" not in other_text
    tfvars.write_text(other_text)
    clean_stack.control("DELETE", "/_localaws/calls")
    failed = workspace.make("apply", check=False, AUTO_APPROVE="1")
    assert failed.code != 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", failed.stderr)  # make's apply keeps colours
    message = " ".join(plain.replace("│", " ").split())
    assert f"was made for material {fingerprint}" in message, message
    assert "point the source back" in message and "Traceback" not in plain
    assert message.count("g1: FAILED:") == 1, message
    actions = [c["action"] for c in clean_stack.control("GET", "/_localaws/calls")]
    assert "ImportKeyMaterial" not in actions and "GetParametersForImport" not in actions
    assert _state(workspace, _arns(workspace)["g1"]) == "PendingImport"
    key_after = workspace.runner.resources()[key_address("g1")]
    # Unchanged, but for the fingerprint and drift tags: the first import run wrote them (the
    # fingerprint was not recorded) and this apply's refresh read them back.
    written = {"kms-import:fingerprint": fingerprint, "kms-import:drift": ""}
    assert key_after.pop("tags") == key_before.pop("tags") | written
    key_after.pop("tags_all"), key_before.pop("tags_all")
    assert key_after == key_before

    tfvars.write_text(text)  # back to the right material
    workspace.make("reimport", GEN="g1", AUTO_APPROVE="1")
    assert _state(workspace, _arns(workspace)["g1"]) == "Enabled"
    assert _decrypt(workspace, blob) == b"before"
    _clean(workspace, escrow, [other])


def test_expiry_then_renew_restores_the_key(workspace, tmp_path, clean_stack):
    soon = in_days(2)
    escrow = _start(workspace, tmp_path, valid_to=soon)
    blob = _encrypt(workspace, b"expiring")
    clean_stack.control("POST", "/_localaws/clock", {"advance_seconds": 3 * 86400})
    arn = _arns(workspace)["g1"]
    assert _state(workspace, arn) == "PendingImport"

    # The local KMS's clock moved three days; renew relative to it.
    later = in_days(200)
    workspace.make("renew", VALID_TO=later, AUTO_APPROVE="1")
    meta = workspace.kms().describe_key(KeyId=arn)["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["ValidTo"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == later
    assert _decrypt(workspace, blob) == b"expiring"
    _clean(workspace, escrow)


def test_disable_enable_and_schedule_deletion_then_cancel(workspace, tmp_path):
    escrow = _start(workspace, tmp_path)
    workspace.make("rotate", AUTO_APPROVE="1", ESCROW=str(escrow))
    arns = _arns(workspace)

    refused = workspace.make("disable", check=False, GEN="g2")
    assert refused.code != 0 and "active" in refused.stderr and "Traceback" not in refused.stderr
    workspace.make("disable", GEN="g1", AUTO_APPROVE="1")
    assert _state(workspace, arns["g1"]) == "Disabled"
    assert workspace.plan_exitcode() == 0
    workspace.make("enable", GEN="g1", AUTO_APPROVE="1")
    assert _state(workspace, arns["g1"]) == "Enabled"
    assert workspace.plan_exitcode() == 0

    for days in ("6", "31"):
        bad = workspace.make("schedule-deletion", check=False, GEN="g1", DAYS=days)
        assert bad.code != 0 and "DAYS must be 7 to 30" in bad.stderr
    active = workspace.make("schedule-deletion", check=False, GEN="g2", DAYS="7")
    assert active.code != 0 and "active generation" in active.stderr
    workspace.make("schedule-deletion", GEN="g1", DAYS="7", AUTO_APPROVE="1")
    meta = workspace.kms().describe_key(KeyId=arns["g1"])["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    days_left = (meta["DeletionDate"].astimezone(UTC) - datetime.now(UTC)).days
    assert 6 <= days_left <= 7
    assert set(_arns(workspace)) == {"g2"}
    assert workspace.plan_exitcode() == 0

    g1_source = f"generate:g1?escrow=file://{escrow}"
    key_id = arns["g1"].rsplit("/", 1)[1]
    workspace.make("cancel-deletion", KEY=key_id, SOURCE=g1_source, GEN="g1", AUTO_APPROVE="1")
    assert _arns(workspace)["g1"] == arns["g1"]
    assert _state(workspace, arns["g1"]) == "Enabled"
    assert not list(workspace.dir.glob("adopt_*.tf"))
    _clean(workspace, escrow)


def test_upgrade_from_the_seed_workflow_root_keeps_the_key(tmp_path, clean_stack):
    old_root = REPO / "tests" / "e2e" / "roots" / "seed-v1"
    ws = Workspace.create(tmp_path, clean_stack, root=old_root)
    # The modules of that era (one module instance and import step per key).
    ws.use_modules(previous_tree(tmp_path / "previous", "modules") / "modules")
    path, material = material_file(tmp_path / "keys")
    ws.write_vars(material_source=f"file://{path}")
    ws.apply()
    key_id = ws.outputs()["key_id"]
    blob = _encrypt(ws, b"seed era")

    for tf in ws.dir.glob("*.tf"):
        tf.unlink()
    for tf in REPO.glob("*.tf"):
        shutil.copy(tf, ws.dir / tf.name)
    ws.write_generations(g1={"material_source": f"file://{path}"})
    ws.use_modules(REPO / "modules")  # and `terraform get`: no registry involved
    plan = ws.tf("plan", "-input=false", "-no-color")
    assert "0 to destroy" in plan.stdout or "No changes" in plan.stdout, plan.stdout
    assert "must be replaced" not in plan.stdout
    ws.apply()
    assert ws.outputs()["key_id"] == key_id
    assert _alias_target(ws) == key_id
    assert _decrypt(ws, blob) == b"seed era"
    assert ws.plan_exitcode() == 0
    ws.assert_no_leak(material)
