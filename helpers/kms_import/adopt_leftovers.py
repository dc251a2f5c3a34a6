"""`kms-import adopt`'s last step (and `--leftovers-only`): every plaintext copy of the
material the old setup left, in files under the old state's folder (saved plans' zip members
too) and in every S3 object version under the old state's key, with how to destroy each."""

from __future__ import annotations

import shlex
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import aws
from .adopt_state import AdoptError, StateRef, _split_s3
from .errors import KmsImportError
from .leakscan import Hit, scan_bytes, scan_paths, spellings
from .material import KeyMaterial


@dataclass(frozen=True)
class Copy:
    """One place holding the plaintext material, and how to destroy it."""

    where: str
    spelling: str
    remedy: str

    def __str__(self) -> str:
        return f"{self.where}: material found ({self.spelling}); {self.remedy}"


def find_copies(material: KeyMaterial, state: StateRef, extra: list[str]) -> list[Copy]:
    plaintext = getattr(material, "buffer", None)
    if plaintext is None:
        raise AdoptError(
            f"{material.description} never leaves its holder", "there is no plaintext to look for"
        )
    needles = spellings(plaintext)
    copies: list[Copy] = []
    local = [Path(p) for p in extra if not p.startswith("s3://")]
    remote = [p for p in extra if p.startswith("s3://")]
    if state.path is not None:
        local.insert(0, state.path.parent)
    if state.bucket and state.key:
        remote.insert(0, f"s3://{state.bucket}/{state.key}")
    for hit in scan_paths(local, needles):
        copies.append(Copy(hit.where, hit.spelling, _file_remedy(hit.where, state)))
    for archive, member, hit in _zipped_hits(local, needles):
        where = f"{archive} (inside {member})"
        copies.append(Copy(where, hit.spelling, _file_remedy(str(archive), state)))
    for uri in remote:
        copies += _s3_copies(uri, needles)
    return _first_spelling(copies)


def _zipped_hits(roots: list[Path], needles: dict[str, bytes]) -> Iterator[tuple[Path, str, Hit]]:
    """Saved plans (`terraform plan -out`) are zip files: their variables and state are
    compressed, so the plain scan cannot see the material there; search their members."""
    for root in roots:
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
        for path in files:
            if path.is_symlink() or not zipfile.is_zipfile(path):
                continue
            try:
                with zipfile.ZipFile(path) as archive:
                    for member in archive.namelist():
                        data = archive.read(member)
                        for hit in scan_bytes(f"{path}:{member}", data, needles):
                            yield path, member, hit
            except (zipfile.BadZipFile, OSError):
                continue


def _file_remedy(where: str, state: StateRef) -> str:
    if state.path is not None and Path(where) == state.path:
        return "the current state: `terraform state rm` (printed above) rewrites it without it"
    return f"destroy it: shred -u {shlex.quote(where)}"


def _s3_copies(uri: str, needles: dict[str, bytes]) -> list[Copy]:
    bucket, prefix = _split_s3(uri)
    s3 = aws.client("s3")
    copies: list[Copy] = []
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for version in page.get("Versions", []):
                key, vid = version["Key"], version["VersionId"]
                body = s3.get_object(Bucket=bucket, Key=key, VersionId=vid)["Body"].read()
                where = f"s3://{bucket}/{key}?versionId={vid}"
                remedy = "destroy it: aws s3api delete-object " + shlex.join(
                    ["--bucket", bucket, "--key", key, "--version-id", vid]
                )
                copies += [
                    Copy(where, h.spelling, remedy) for h in scan_bytes(where, body, needles)
                ]
    except KmsImportError:
        raise
    except Exception as exc:
        raise aws.translate(exc, f"listing versions of {uri}") from None
    return copies


def _first_spelling(copies: list[Copy]) -> list[Copy]:
    """One line per place (the first spelling found there)."""
    seen: dict[str, Copy] = {}
    for copy in copies:
        seen.setdefault(copy.where, copy)
    return list(seen.values())
