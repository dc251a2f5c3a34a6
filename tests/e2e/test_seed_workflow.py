"""The seed workflow as `terraform apply`, through real Terraform on the offline stack.

Each test ends with the leak scan: state, saved plans, the trace log, child processes'
argv/environment and temp files must not hold the material in any spelling.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from .workspace import REPO, Workspace, material_file

pytestmark = pytest.mark.e2e


def _key(ws: Workspace, key_id: str) -> dict:
    return ws.kms().describe_key(KeyId=key_id)["KeyMetadata"]


def _seed_encrypt_test(ws: Workspace, key: str = "alias/MyImportedKey") -> None:
    kms = ws.kms()
    blob = kms.encrypt(KeyId=key, Plaintext=b"sensitive data\n")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sensitive data\n"


def test_apply_imports_without_expiry_and_replans_clean(workspace: Workspace, tmp_path: Path):
    path, material = material_file(tmp_path / "keys")
    workspace.write_generations(g1={"material_source": f"file://{path}"})
    workspace.apply()

    out = workspace.outputs()
    key = _key(workspace, out["key_id"])
    assert key["Origin"] == "EXTERNAL"
    assert key["KeyState"] == "Enabled"
    assert key["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert out["generations"]["g1"]["expiration_model"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert out["alias_name"] == "alias/MyImportedKey"
    tags = workspace.kms().list_resource_tags(KeyId=out["key_id"])["Tags"]
    fingerprint = out["generations"]["g1"]["material_fingerprint"]
    assert {"TagKey": "kms-import:fingerprint", "TagValue": fingerprint} in tags
    _seed_encrypt_test(workspace)
    assert workspace.plan_exitcode() == 0

    # Re-applying does nothing; forcing the import step again does not re-import.
    applied = workspace.apply()
    assert "0 added, 0 changed, 0 destroyed" in applied.stdout
    rerun = workspace.apply("-replace=module.key.module.generations.terraform_data.import")
    assert "g1: up to date" in rerun.stdout
    assert workspace.outputs()["key_id"] == out["key_id"]
    _seed_encrypt_test(workspace)
    assert workspace.plan_exitcode() == 0
    workspace.assert_no_leak(material)


def test_expiring_disabled_key_in_any_zone_then_enabled(workspace: Workspace, tmp_path: Path):
    """valid_to in any zone is one instant; a disabled key is imported, proven, then disabled;
    enabling it later changes only the import step."""
    path, material = material_file(tmp_path / "keys")
    local = (datetime.now(UTC) + timedelta(days=200)).replace(microsecond=0)
    written = local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "+00:00"
    shifted = (local - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%S") + "-08:00"
    assert shifted != written
    g1 = {"material_source": f"file://{path}", "valid_to": shifted, "enabled": False}
    workspace.write_generations(g1=g1)
    applied = workspace.apply()

    assert "imported; encrypt/decrypt round trip; state Disabled" in applied.stdout
    out = workspace.outputs()
    key = _key(workspace, out["key_id"])
    assert key["KeyState"] == "Disabled"
    assert key["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert key["ValidTo"].astimezone(UTC) == local
    assert out["generations"]["g1"]["expiration_model"] == "KEY_MATERIAL_EXPIRES"
    assert workspace.plan_exitcode() == 0
    # The same instant in another zone is the same trigger: still nothing to do.
    workspace.write_generations(g1={**g1, "valid_to": written})
    assert workspace.plan_exitcode() == 0

    workspace.write_generations(g1={**g1, "valid_to": written, "enabled": True})
    workspace.apply()
    assert workspace.outputs()["key_id"] == key["KeyId"]
    assert _key(workspace, key["KeyId"])["KeyState"] == "Enabled"
    _seed_encrypt_test(workspace)
    assert workspace.plan_exitcode() == 0
    workspace.assert_no_leak(material)


def test_generated_material_is_escrowed_and_reused(workspace: Workspace, tmp_path: Path):
    escrow = tmp_path / "escrow"
    workspace.write_generations(g1={"material_source": f"generate:demo?escrow=file://{escrow}"})
    workspace.apply()
    material = (escrow / "demo.key").read_bytes()
    assert len(material) == 32
    assert (escrow / "demo.key").stat().st_mode & 0o777 == 0o600
    _seed_encrypt_test(workspace)
    assert workspace.plan_exitcode() == 0
    assert (escrow / "demo.key").read_bytes() == material  # never overwritten
    workspace.assert_no_leak(material)


def test_wrong_material_reference_fails_clearly_and_leaves_key_pending(
    workspace: Workspace, tmp_path: Path
):
    path, material = material_file(tmp_path / "keys")
    from kms_import.material import secret_fingerprint

    missing = tmp_path / "keys" / "no-such-file.bin"
    workspace.write_generations(
        g1={
            "material_source": f"file://{missing}",
            "material_fingerprint": secret_fingerprint(material),
        }
    )
    failed = workspace.apply(check=False)
    assert failed.code != 0
    # Terraform re-wraps the helper's single line inside its diagnostic box.
    text = " ".join(failed.stderr.replace("│", " ").split())
    assert text.count("FAILED") == 1, failed.stderr
    assert f"g1: FAILED: material file {missing} does not exist" in text
    assert "Traceback" not in failed.stdout + failed.stderr
    key_id = workspace.state_key_id()
    assert _key(workspace, key_id)["KeyState"] == "PendingImport"

    # Pointing at the right material converges on the next apply.
    workspace.write_generations(
        g1={
            "material_source": f"file://{path}",
            "material_fingerprint": secret_fingerprint(material),
        }
    )
    workspace.apply()
    assert _key(workspace, key_id)["KeyState"] == "Enabled"
    assert workspace.plan_exitcode() == 0
    workspace.assert_no_leak(material)


def test_module_from_a_second_root(tmp_path: Path, clean_stack):
    ws = Workspace.create(tmp_path, clean_stack, root=REPO / "tests" / "e2e" / "roots" / "second")
    pay_path, pay = material_file(tmp_path / "keys", "payments.bin")
    rep_path, rep = material_file(tmp_path / "keys", "reports.bin")
    valid_to = (datetime.now(UTC) + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ws.write_vars(
        payments_source=f"file://{pay_path}",
        reports_source=f"file://{rep_path}",
        reports_valid_to=valid_to,
    )
    ws.apply()
    out = ws.outputs()
    assert out.get("reports_alias") is None  # null outputs are left out of output -json
    reports = _key(ws, out["reports_key_arn"])
    assert reports["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert reports["KeyState"] == "Enabled"
    _seed_encrypt_test(ws, "alias/payments")
    assert ws.plan_exitcode() == 0
    ws.destroy()
    assert _key(ws, out["payments_key_arn"])["KeyState"] == "PendingDeletion"
    ws.assert_no_leak(pay)
    ws.assert_no_leak(rep)


def test_leak_scan_sees_the_providers_own_import(tmp_path: Path, clean_stack):
    """The scan is not blind: key_material_base64 (the provider's own import) is caught."""
    root = tmp_path / "naive"
    root.mkdir()
    (root / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n\n'
        'variable "material" {\n  type      = string\n  sensitive = true\n}\n\n'
        'resource "aws_kms_external_key" "naive" {\n  key_material_base64 = var.material\n}\n'
    )
    ws = Workspace.create(tmp_path / "ws", clean_stack, root=root)
    _, material = material_file(tmp_path / "keys")
    import base64

    ws.write_vars(material=base64.b64encode(material).decode())
    ws.apply()
    hits = ws.watch.hits(material, roots=[ws.dir], plans=ws.plans)
    places = {h.where for h in hits}
    assert any(p.endswith("terraform.tfstate") for p in places), places
    assert all(material.hex() not in str(hit) for hit in hits)  # reports never echo it
