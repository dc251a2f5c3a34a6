"""`kms-import adopt`: move a key made with `key_material_base64` under modules/rotating-key.

The provider's own import (`aws_kms_external_key` + `key_material_base64`) keeps the plaintext
material in Terraform state. Adopting keeps the key (same id, same material, no replacement):

1. find the key in the old state (a local file or an s3:// object), with any alias on it;
2. prove the material source holds exactly that key's material: it must equal the state's
   `key_material_base64`, and KMS must accept it as a re-import of the key's existing
   material with the key's own expiry (KMS refuses any other material with
   IncorrectKeyMaterialException, so nothing changes unless it is the same material);
3. tag the key with its fingerprint (what the module checks before every import);
4. write an `import` block (key, alias) into the new root and the generation into its tfvars,
   and print the `terraform state rm` for the old root;
5. list every plaintext copy the old setup left: files under the old state's folder (state,
   its backups, tfvars) and every S3 object version under the old state's key.

`--leftovers-only` runs step 5 alone (after `terraform state rm`, to see what remains).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import aws, keys
from .adopt_leftovers import Copy, find_copies
from .adopt_state import RESOURCE_TYPE, AdoptError, OldKey, find_key, read_state
from .errors import AwsError, FingerprintMismatch, KeyStateError, UsageError
from .importer import ImportRequest, choose_wrapping, wrap_and_import
from .keys import FINGERPRINT_TAG, KeyInfo
from .keyspecs import key_spec
from .material import KeyMaterial
from .sources import open_source

log = logging.getLogger("kms-import")

IMPORT_WRAPPING_KEY_SPEC = "RSA_3072"


@dataclass(frozen=True)
class Plan:
    key: OldKey
    fingerprint: str
    import_file: Path | None
    tfvars: Path | None
    state_rm: str


# ---- the proof ---------------------------------------------------------------------------


def check_against_state(old: OldKey, material: KeyMaterial, source: str) -> None:
    """The source must hold the bytes the old state imported (when it can show them)."""
    plaintext = getattr(material, "buffer", None)
    if plaintext is None:
        return  # an HSM never shows the key: KMS's re-import check below decides alone
    try:
        recorded = bytearray(base64.b64decode(old.material_b64, validate=True))
    except (binascii.Error, ValueError):
        raise AdoptError(
            f"{old.address}'s key_material_base64 is not base64", "check the old state"
        ) from None
    try:
        if not hmac.compare_digest(recorded, plaintext):  # no extra copies
            raise FingerprintMismatch(
                f"{source} does not hold the material {old.address} imported",
                "point --source at the same material (decoded from key_material_base64)",
            )
    finally:
        recorded[:] = bytes(len(recorded))


def prove_by_reimport(kms: Any, key: KeyInfo, material: KeyMaterial, source: str) -> None:
    """Re-import the material as the key's existing material, with the key's own expiry.

    KMS accepts only the material the key already has (IncorrectKeyMaterialException
    otherwise), so this proves the material and changes nothing about the key."""
    request = ImportRequest(
        key.arn, source, wrapping_key_spec=IMPORT_WRAPPING_KEY_SPEC, valid_to=key.valid_to
    )
    algorithm = choose_wrapping(key_spec(key.key_spec), request, material)
    try:  # quietly: a proof, not an import the user asked for
        wrap_and_import(kms, key, material, algorithm, request, {})
    except AwsError as exc:
        if exc.code == "IncorrectKeyMaterialException":
            raise FingerprintMismatch(
                f"key {key.key_id} does not hold the material of {source} (KMS refused it "
                "as the key's existing material)",
                "nothing was changed; point --source at the key's own material",
            ) from None
        raise


def _check_key(key: KeyInfo) -> None:
    if key.origin != "EXTERNAL":
        raise KeyStateError(f"key {key.key_id} has origin {key.origin}", "only EXTERNAL keys")
    if not key.has_material:
        raise KeyStateError(
            f"key {key.key_id} is {key.state}, so KMS cannot confirm its material",
            "re-import it with the old setup (or cancel its deletion) first, then adopt",
        )


# ---- what the user runs ------------------------------------------------------------------


def import_block(to: str, key_id: str) -> str:
    return f"import {{\n  to = {to}\n  id = {json.dumps(key_id)}\n}}\n"


def generation_key_address(module_address: str, generation: str) -> str:
    """Where modules/rotating-key keeps a generation's key (external-keys' per-key module)."""
    return f'{module_address}.module.generations.module.key["{generation}"].{RESOURCE_TYPE}.this'


def write_import_file(root: Path, generation: str, module_address: str, old: OldKey) -> Path:
    blocks = [import_block(generation_key_address(module_address, generation), old.key_id)]
    if old.alias_addresses:
        blocks.append(
            import_block(f"{module_address}.aws_kms_alias.active", old.alias_addresses[0][1])
        )
    return write_adopt_file(root, generation, f"{old.address} ({old.key_id})", blocks)


def write_adopt_file(root: Path, generation: str, what: str, blocks: list[str]) -> Path:
    """adopt_GEN.tf: the import blocks that bring `what` under the root as GEN."""
    header = (
        f"# Written by `kms-import adopt`: {what} becomes generation\n"
        f"# {generation}. Remove this file after the apply that imports it.\n\n"
    )
    path = root / f"adopt_{generation}.tf"
    path.write_text(header + "\n".join(blocks))
    return path


def add_to_tfvars(
    path: Path,
    generation: str,
    source: str,
    fingerprint: str,
    key: KeyInfo,
    old: OldKey,
    activate: bool,
) -> None:
    """The generation as the key is: its source, the proven fingerprint (plan then never
    reads the source, and the import step refuses any other material), enabled, expiry."""
    from . import tfvars
    from .validto import format_utc

    options: dict[str, str | bool | int] = {
        "material_fingerprint": fingerprint,
        "enabled": key.state == "Enabled",
    }
    if key.valid_to is not None:
        options["valid_to"] = format_utc(key.valid_to)
    if old.deletion_window_in_days:
        options["deletion_window_in_days"] = old.deletion_window_in_days
    tfvars.add_generation(path, generation, source, options, create=True, activate=activate)


def state_rm_command(old: OldKey) -> str:
    addresses = [old.address, *(a for a, _ in old.alias_addresses)]
    return "terraform state rm " + " ".join(shlex.quote(a) for a in addresses)


# ---- the command -------------------------------------------------------------------------


@dataclass(frozen=True)
class AdoptRequest:
    state: str
    source: str
    address: str | None = None
    generation: str = "g1"
    root: Path | None = None
    tfvars: Path | None = None
    module_address: str = "module.key"
    activate: bool = False
    scan: tuple[str, ...] = ()
    leftovers_only: bool = False
    key_spec: str = "SYMMETRIC_DEFAULT"


def precheck(request: AdoptRequest) -> None:
    """Refuse what would fail half-way (after the proof), before anything is asked of AWS."""
    from . import tfvars

    if request.leftovers_only:
        return
    tfvars.check_name(request.generation)
    if request.root is not None and not request.root.is_dir():
        raise UsageError(f"--root {request.root} is not a folder", "pass the new root's folder")
    taken = (
        request.tfvars is not None
        and request.tfvars.exists()
        and request.generation in tfvars.load(request.tfvars).generations
    )
    if taken:
        raise UsageError(
            f"{request.tfvars} already has a generation {request.generation!r}",
            "pick another name with --generation",
        )


def run(request: AdoptRequest) -> tuple[Plan | None, list[Copy]]:
    precheck(request)
    state = read_state(request.state)
    if request.leftovers_only:
        with open_source(request.source).read(key_spec(request.key_spec)) as material:
            return None, find_copies(material, state, list(request.scan))
    old = find_key(state.text, request.address, request.state)
    kms = aws.kms_client(old.arn)
    key = keys.describe(kms, old.arn)
    _check_key(key)
    if key.recorded_fingerprint is not None:
        log.info("%s: already tagged %s", key.key_id, key.recorded_fingerprint)
    spec = key_spec(key.key_spec)
    with open_source(request.source).read(spec) as material:
        check_against_state(old, material, request.source)
        fingerprint = material.fingerprint(spec)
        if key.recorded_fingerprint not in (None, fingerprint):
            raise FingerprintMismatch(
                f"key {key.key_id} is tagged for material {key.recorded_fingerprint}, "
                f"{request.source} holds {fingerprint}",
                "point --source at the key's own material",
            )
        prove_by_reimport(kms, key, material, request.source)
        log.info("%s: proven: KMS accepted %s as its existing material", key.key_id, request.source)
        keys.tag_fingerprint(kms, key, fingerprint)
        import_file = (
            write_import_file(request.root, request.generation, request.module_address, old)
            if request.root
            else None
        )
        if request.tfvars:
            add_to_tfvars(
                request.tfvars,
                request.generation,
                request.source,
                fingerprint,
                key,
                old,
                request.activate,
            )
        copies = find_copies(material, state, list(request.scan))
    plan = Plan(old, fingerprint, import_file, request.tfvars, state_rm_command(old))
    return plan, copies


def report(plan: Plan | None, copies: list[Copy]) -> str:
    lines: list[str] = []
    if plan is not None:
        lines += [
            f"{plan.key.address}: key {plan.key.key_id} holds the material of the source "
            f"(fingerprint {plan.fingerprint}); tagged {FINGERPRINT_TAG}",
        ]
        if plan.import_file:
            lines.append(f"wrote {plan.import_file} (import blocks)")
        if plan.tfvars:
            lines.append(f"added the generation to {plan.tfvars}")
        lines += [
            "next, in the old root: remove the resource blocks and key_material_base64, then",
            f"  {plan.state_rm}",
            "then in the new root: terraform plan (imports, no replacement) && terraform apply",
            "then run this again with --leftovers-only: `terraform state rm` leaves a backup",
        ]
    if copies:
        lines.append(f"plaintext material in {len(copies)} place(s):")
        lines += [f"  {copy}" for copy in copies]
    else:
        lines.append("no plaintext copies found in the places searched")
    return "\n".join(lines)
