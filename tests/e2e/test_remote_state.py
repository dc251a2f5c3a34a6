"""Remote state: the root on Terraform's own `s3` backend, locked, in a versioned local bucket.

A user selects S3 as docs/guide.md says (a `backend_override.tf` and `-backend-config` with the
repo's backend-s3.tfbackend.example settings), then runs the demo flow with the Makefile verbs
(apply, rotate). Every object version in the bucket (each state Terraform ever wrote, and each
lock file) is then searched for every generation's material, raw, base64 and hex.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from kms_import.leakscan import scan_bytes, spellings

from .workspace import REPO, Workspace

pytestmark = pytest.mark.e2e

STATE_KEY = "kms/imported-keys/terraform.tfstate"
LOCK_KEY = STATE_KEY + ".tflock"


def _s3(ws: Workspace) -> Any:
    return ws.client("s3", ws.stack.env()["AWS_REGION"])


def _select_s3_backend(ws: Workspace, bucket: str) -> None:
    """What docs/guide.md tells a user to do, with the example settings file's values."""
    (ws.dir / "backend_override.tf").write_text('terraform {\n  backend "s3" {}\n}\n')
    example = (REPO / "backend-s3.tfbackend.example").read_text()
    settings = example.replace("my-team-terraform-state", bucket).replace("# use_", "use_")
    settings = settings.replace("# skip_", "skip_")
    (ws.dir / "s3.tfbackend").write_text(settings)
    ws.tf("init", "-input=false", "-backend-config=s3.tfbackend")
    ws.initialised = True


def _all_versions(s3: Any, bucket: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    listed = s3.list_object_versions(Bucket=bucket)
    assert not listed.get("IsTruncated")
    return listed.get("Versions", []), listed.get("DeleteMarkers", [])


def test_demo_flow_with_state_in_s3_leaves_no_material_in_any_version(
    workspace: Workspace, tmp_path: Path
):
    s3 = _s3(workspace)
    bucket = f"tfstate-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    _select_s3_backend(workspace, bucket)

    escrow = tmp_path / "escrow"
    workspace.apply_generated_g1(escrow)
    workspace.make("rotate", AUTO_APPROVE="1", ESCROW=str(escrow))
    assert workspace.plan_exitcode() == 0

    arns = workspace.outputs()["key_arns"]
    assert set(arns) == {"g1", "g2"}
    assert not list(workspace.dir.glob("*.tfstate*")), "state was written locally"

    versions, markers = _all_versions(s3, bucket)
    state_versions = [v for v in versions if v["Key"] == STATE_KEY]
    assert len(state_versions) >= 2  # at least one state per apply, all kept by versioning
    # use_lockfile: a lock object was written for each locking run and deleted after it.
    assert any(v["Key"] == LOCK_KEY for v in versions)
    assert any(m["Key"] == LOCK_KEY and m["IsLatest"] for m in markers)

    materials = [p.read_bytes() for p in sorted(escrow.glob("*.key"))]
    assert len(materials) == 2
    needles = [spellings(m) for m in materials]
    for version in versions:
        body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
        data = body["Body"].read()
        where = f"s3://{bucket}/{version['Key']}?versionId={version['VersionId']}"
        for needle in needles:
            assert not scan_bytes(where, data, needle), f"material in {where}"
    latest = next(v for v in state_versions if v["IsLatest"])
    latest_body = s3.get_object(Bucket=bucket, Key=STATE_KEY, VersionId=latest["VersionId"])
    state_text = latest_body["Body"].read().decode()
    assert arns["g1"] in state_text and arns["g2"] in state_text  # the scan read real state

    for material in materials:
        workspace.assert_no_leak(material)
