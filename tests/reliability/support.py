"""Shared by the reliability tests: run kms-import, talk to the local AWS's control API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kms_import.leakscan import scan_bytes, spellings
from offline.fixtures import clean_env
from offline.stack import OfflineStack

BIN = Path(sys.executable).parent
KMS_IMPORT = BIN / "kms-import"
ROOT = Path(__file__).parent / "roots" / "one-key"
# An error line: `kms-import: error: ...` or argparse's `kms-import import: error: ...`.
ERROR_PREFIXES = ("kms-import: error: ", "kms-import ")


def helper_env(stack: OfflineStack | None, **extra: str) -> dict[str, str]:
    env = clean_env()
    if stack is not None:
        env.update(stack.env())
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_helper(
    *args: str, env: dict[str, str], timeout: float = 60, prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, str(KMS_IMPORT), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line]


def assert_one_clear_error(stderr: str, *fragments: str) -> str:
    """Exactly one error line, with a hint after '; ', holding every fragment; no traceback."""
    assert "Traceback" not in stderr, stderr
    errors = error_lines(stderr)
    assert len(errors) == 1, stderr
    line = errors[0]
    assert line.startswith("kms-import"), line
    _, _, hint = line.partition("; ")
    assert hint.strip(), f"no 'what to do' after the error: {line}"
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    # Anything else on stderr is the helper's own progress lines.
    others = [x for x in stderr.splitlines() if x.strip() and x != line]
    assert all(x.startswith("kms-import: ") for x in others), stderr
    return line


def assert_not_in(material: bytes, *texts: str) -> None:
    needles = spellings(material)
    for i, text in enumerate(texts):
        assert not scan_bytes(f"text #{i}", text.encode(), needles), "material in output"


def kms_client(stack: OfflineStack, region: str = "us-east-1") -> Any:
    return stack.client("kms", region)


def key_snapshot(kms: Any, key_id: str) -> dict[str, Any]:
    """What must not change when an input is refused: metadata, tags and aliases."""
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    tags = kms.list_resource_tags(KeyId=key_id).get("Tags", [])
    aliases = kms.list_aliases(KeyId=meta["KeyId"]).get("Aliases", [])
    return {"meta": meta, "tags": tags, "aliases": [a["AliasName"] for a in aliases]}


def control(stack: OfflineStack, name: str, body: dict[str, Any] | None = None) -> Any:
    """GET (body None) or POST one of the local AWS's /_localaws/ control endpoints."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback only
        f"{stack.endpoint}/_localaws/{name}", data=data, method="GET" if data is None else "POST"
    )
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
        return json.loads(resp.read())
