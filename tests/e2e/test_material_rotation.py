"""On-demand rotation of imported material through real Terraform and the Makefile verbs:
`make rotate-material` keeps the key id and the alias, Encrypt moves to the new material, old
ciphertexts still decrypt, and `make reimport` brings back a deleted rotated material.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from iameval import allowed, requests_for_call

from kms_import.material import secret_fingerprint

from .workspace import Workspace

pytestmark = pytest.mark.e2e

ALIAS = "alias/MyImportedKey"


def _materials(kms: Any, key: str) -> list[dict[str, Any]]:
    answer = kms.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    return list(answer["Rotations"])


def _alias_target(kms: Any) -> str:
    return next(a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == ALIAS)


def test_rotate_material_keeps_key_and_alias_and_old_ciphertexts(
    workspace: Workspace, tmp_path: Path
) -> None:
    escrow = tmp_path / "escrow"
    workspace.apply_generated_g1(escrow)
    kms = workspace.kms()
    arn = workspace.outputs()["key_arns"]["g1"]
    key_id = arn.rsplit("/", 1)[1]
    (first,) = _materials(kms, arn)
    before = kms.encrypt(KeyId=ALIAS, Plaintext=b"before")["CiphertextBlob"]

    workspace.stack.control("DELETE", "/_localaws/calls")
    workspace.make("rotate-material", AUTO_APPROVE="1", ESCROW=str(escrow))

    # The root's importer policy covers every call the helper made in that apply.
    policy = json.loads(workspace.outputs()["importer_policy_json"])
    calls = workspace.stack.control("GET", "/_localaws/calls")
    helper_calls = [c for c in calls if c.get("agent") == "kms-import"]
    assert {"ListKeyRotations", "RotateKeyOnDemand"} <= {c["action"] for c in helper_calls}
    requests = [r for c in helper_calls for r in requests_for_call(c, lambda *_: "")]
    assert not [str(r) for r in requests if not allowed(policy, r)]

    # Same key, same alias; the generation gained one material, now current.
    assert workspace.outputs()["key_arns"] == {"g1": arn}
    assert _alias_target(kms) == key_id
    new_key = next(p for p in escrow.glob("*.key") if p.name != "g1.key")
    fingerprint = secret_fingerprint(new_key.read_bytes())
    old, new = _materials(kms, arn)
    assert (
        old["KeyMaterialId"] == first["KeyMaterialId"] and old["KeyMaterialState"] == "NON_CURRENT"
    )
    assert new["KeyMaterialState"] == "CURRENT" and new["RotationType"] == "ON_DEMAND"
    assert new["KeyMaterialDescription"] == f"kms-import rotation 1 {fingerprint}"
    assert (
        kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["CurrentKeyMaterialId"] == new["KeyMaterialId"]
    )
    after = kms.encrypt(KeyId=ALIAS, Plaintext=b"after")["CiphertextBlob"]
    answers = [kms.decrypt(CiphertextBlob=blob) for blob in (before, after)]
    assert [a["Plaintext"] for a in answers] == [b"before", b"after"]
    assert [a["KeyMaterialId"] for a in answers] == [old["KeyMaterialId"], new["KeyMaterialId"]]
    rows = workspace.make("status").stdout.splitlines()
    assert "ROTATIONS" in rows[0] and f"1 (current {fingerprint})" in rows[1], rows
    outputs = workspace.outputs()["generations"]["g1"]
    assert outputs["material_fingerprint"] == secret_fingerprint((escrow / "g1.key").read_bytes())
    assert workspace.plan_exitcode() == 0

    # Deleting the current material blocks the key; reimport re-imports it by its
    # KeyMaterialId (the rotation step re-runs with the import step), and both decrypt again.
    workspace.make("delete-material", GEN="g1", YES="1")
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingImport"
    workspace.make("reimport", GEN="g1", AUTO_APPROVE="1")
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert [m["KeyMaterialState"] for m in _materials(kms, arn)] == ["NON_CURRENT", "CURRENT"]
    assert [kms.decrypt(CiphertextBlob=b)["Plaintext"] for b in (before, after)] == [
        b"before",
        b"after",
    ]
    assert workspace.plan_exitcode() == 0

    for material in sorted(escrow.glob("*.key")):
        workspace.assert_no_leak(material.read_bytes())
