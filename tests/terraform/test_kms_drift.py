"""The diffs the real hashicorp/aws provider shows for KMS drift, through real core + stand-in.

Out-of-band import/deletion of material needs the local AWS's ImportKeyMaterial (localaws);
these tests fail (not skip) without it.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .roots import init_root, kms, material

KEY = """
variable "material" {
  type    = string
  default = null
}
variable "valid_to" {
  type    = string
  default = null
}
variable "enabled" {
  type    = bool
  default = null
}
resource "aws_kms_external_key" "this" {
  description             = "drift"
  key_material_base64     = var.material
  valid_to                = var.valid_to
  enabled                 = var.enabled
  deletion_window_in_days = 7
}
output "key_id" { value = aws_kms_external_key.this.id }
"""


def _days_ahead(days: int) -> str:
    # KMS accepts ValidTo at most 365 days ahead; whole seconds, UTC, as Read writes them.
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _import_out_of_band(client: Any, key_id: str, raw: bytes) -> None:
    params = client.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256", WrappingKeySpec="RSA_2048"
    )
    public = serialization.load_der_public_key(params["PublicKey"])
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    client.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=public.encrypt(raw, oaep),  # type: ignore[union-attr]
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )


def test_valid_to_change_plans_in_place_reimport(
    tf: Any, offline_stack: Any, tmp_path: Path
) -> None:
    runner = init_root(tf, tmp_path, KEY)
    first = {"material": material(), "valid_to": _days_ahead(100), "enabled": True}
    runner.apply(vars=first)
    key = runner.resources()["aws_kms_external_key.this"]
    assert key["valid_to"] == first["valid_to"]
    assert key["expiration_model"] == "KEY_MATERIAL_EXPIRES"

    later = {**first, "valid_to": _days_ahead(200)}
    args = [f"-var={k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in later.items()]
    code, out, _ = runner.plan(*args)
    assert code == 2, out
    assert (
        f'~ valid_to                           = "{first["valid_to"]}" -> "{later["valid_to"]}"'
        in out
    )
    assert "1 to change, 0 to destroy" in out  # in place: the provider re-imports

    runner.apply(vars=later)
    metadata = kms(offline_stack).describe_key(KeyId=key["id"])["KeyMetadata"]
    assert metadata["ValidTo"].strftime("%Y-%m-%dT%H:%M:%SZ") == later["valid_to"]
    assert runner.plan(*args).code == 0


def test_pending_import_key_with_enabled_true_is_tolerated_and_diffs_forever(
    tf: Any, tmp_path: Path
) -> None:
    # No material: KMS keeps the key PendingImport, Read reports enabled=false although the
    # plan said true. The legacy type system turns that into a log warning, as for SDKv2.
    runner = init_root(tf, tmp_path, KEY)
    runner.apply(vars={"enabled": True})
    key = runner.resources()["aws_kms_external_key.this"]
    assert (key["key_state"], key["enabled"]) == ("PendingImport", False)
    code, out, _ = runner.plan("-var=enabled=true")
    assert code == 2
    assert "~ enabled" in out and "false -> true" in out


def test_out_of_band_import_and_material_deletion_show_as_drift(
    tf: Any, offline_stack: Any, tmp_path: Path
) -> None:
    runner = init_root(tf, tmp_path, KEY)
    runner.apply()
    key_id = runner.output("key_id")
    client = kms(offline_stack)

    _import_out_of_band(client, key_id, base64.b64decode(material()))
    code, out, _ = runner.plan("-refresh-only")
    assert code == 2, out
    assert '~ key_state                          = "PendingImport" -> "Enabled"' in out
    assert "~ enabled                            = false -> true" in out
    assert runner.plan().code == 0  # nothing configured differs: only state catches up
    runner.apply("-refresh-only")

    client.delete_imported_key_material(KeyId=key_id)
    code, out, _ = runner.plan("-refresh-only")
    assert code == 2, out
    assert '~ key_state                          = "Enabled" -> "PendingImport"' in out
    assert '- expiration_model                   = "KEY_MATERIAL_DOES_NOT_EXPIRE" -> null' in out


def test_scheduled_deletion_drops_key_from_state(
    tf: Any, offline_stack: Any, tmp_path: Path
) -> None:
    runner = init_root(tf, tmp_path, KEY)
    runner.apply()
    key_id = runner.output("key_id")
    kms(offline_stack).schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    code, out, _ = runner.plan()
    assert code == 2, out
    assert "aws_kms_external_key.this will be created" in out
    assert "has been deleted" in out  # core's note on an object Read found gone
    runner.apply("-refresh-only")
    assert runner.resources() == {}


def test_import_by_key_id_then_no_changes(tf: Any, offline_stack: Any, tmp_path: Path) -> None:
    client = kms(offline_stack)
    key_id = client.create_key(Origin="EXTERNAL", Description="drift")["KeyMetadata"]["KeyId"]
    runner = init_root(tf, tmp_path, KEY)
    runner.run("import", "aws_kms_external_key.this", key_id, check=True)
    key = runner.resources()["aws_kms_external_key.this"]
    assert key["id"] == key_id and key["key_state"] == "PendingImport"
    # deletion_window_in_days is not read back (importIgnore upstream): Default fills it.
    code, out, _ = runner.plan()
    assert code in (0, 2), out
    assert "must be replaced" not in out
