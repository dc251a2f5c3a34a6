"""`kms-import adopt --key-id`: a key made outside Terraform joins the root as a generation.

The seed's users made their keys by hand (`aws kms create-key --origin EXTERNAL`,
`create-alias`, `import-key-material`). Adopting keeps the key (same id, same material, no
replacement), as `adopt --state` does for key_material_base64 state, whose steps this reuses:

1. the key must be EXTERNAL, single-Region or a primary without replicas, with one material;
   every --alias must point at it and be one the root can hold;
2. prove the source holds the key's material by re-importing it as the key's existing
   material, with the key's own expiry (KMS refuses any other material with
   IncorrectKeyMaterialException). A key whose material was deleted (PendingImport) gets it
   back the same way;
3. tag the key with its fingerprint;
4. write the generation (with that fingerprint, its expiry, enabled, key spec) into tfvars,
   and import blocks for the key and the rotating alias into the root (adopt_GEN.tf).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import aws, keys, materials, tfvars
from .adopt import generation_key_address, import_block, prove_by_reimport, write_adopt_file
from .adopt_state import RESOURCE_TYPE, AdoptError
from .errors import FingerprintMismatch, KeyStateError, UsageError
from .keys import KeyInfo
from .keyspecs import key_spec
from .sources import open_source
from .validto import format_utc, require_future

log = logging.getLogger("kms-import")

ADOPTABLE_STATES = ("Enabled", "Disabled", "PendingImport")


@dataclass(frozen=True)
class KeyAdoptRequest:
    key_id: str
    source: str
    aliases: tuple[str, ...] = ()
    root: Path | None = None
    tfvars: Path | None = None
    generation: str | None = None  # None: the next free name (g1 in a new file)
    activate: bool = False
    module_address: str = "module.key"
    region: str | None = None
    valid_to: datetime | None = None  # only for a key whose material is gone (PendingImport)
    enabled: bool | None = None  # the generation's `enabled`; None: as the key is now


@dataclass(frozen=True)
class KeyAdoption:
    key: KeyInfo
    generation: str
    fingerprint: str
    restored: bool  # the material had been deleted or had expired: it is back now
    import_file: Path | None
    tfvars: Path | None
    first_import: bool = False  # the key never held material: imported, nothing proven


# ---- before anything is asked of AWS --------------------------------------------------------


def generation_name(request: KeyAdoptRequest) -> str:
    doc = _doc(request.tfvars)
    taken = set(doc.generations) if doc is not None else set()
    name = tfvars.check_name(request.generation or tfvars.next_name(taken))
    if name in taken:
        raise UsageError(
            f"{request.tfvars} already has a generation {name!r}",
            "pick another name with --generation",
        )
    return name


def _doc(path: Path | None) -> tfvars.Doc | None:
    return tfvars.load(path) if path is not None and path.exists() else None


def root_alias_name(request: KeyAdoptRequest) -> str | None:
    """The root's alias_name: set in its tfvars, else its variable's default."""
    doc = _doc(request.tfvars)
    if doc is not None and isinstance(doc.values.get("alias_name"), str):
        return str(doc.values["alias_name"])
    if request.root is None:
        return None
    for path in sorted(request.root.glob("*.tf")):
        default = _variable_default(path, "alias_name")
        if default is not None:
            return default
    return None


def _variables(path: Path) -> dict[str, dict[str, Any]]:
    """The variable blocks of one .tf file, by name (empty when python-hcl2 cannot read it)."""
    import hcl2
    from hcl2.utils import SerializationOptions
    from lark.exceptions import LarkError

    options = SerializationOptions(with_comments=False, strip_string_quotes=True)
    try:
        parsed = hcl2.loads(path.read_text(), serialization_options=options)
    except (OSError, UnicodeDecodeError, LarkError) as exc:
        log.debug("%s: variables not read (%s)", path, type(exc).__name__)
        return {}
    return {name: body for block in parsed.get("variable", []) for name, body in block.items()}


def _root_variables(request: KeyAdoptRequest) -> dict[str, dict[str, Any]]:
    if request.root is None:
        return {}
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(request.root.glob("*.tf")):
        found.update(_variables(path))
    return found


def _variable_default(path: Path, name: str) -> str | None:
    default = _variables(path).get(name, {}).get("default")
    return default if isinstance(default, str) else None


def generations_take_alias(request: KeyAdoptRequest) -> bool:
    """Whether the root's `generations` type has alias_name (an alias kept on its key)."""
    kind = _root_variables(request).get("generations", {}).get("type")
    return isinstance(kind, str) and "alias_name" in kind


@dataclass(frozen=True)
class AliasPlan:
    rotating: str | None  # the root's alias_name, adopted as the active generation's alias
    own: str | None  # an alias the generation keeps (its alias_name)


def check_aliases(request: KeyAdoptRequest) -> AliasPlan:
    """Each alias must be one the root can hold: its rotating alias (alias_name, on the active
    generation: needs --activate), or, if the root's generations take alias_name, one alias
    of the generation's own."""
    if len(set(request.aliases)) != len(request.aliases):
        raise UsageError("an --alias is named twice", "name each alias once")
    held = root_alias_name(request) if request.aliases else None
    rotating: str | None = None
    own: list[str] = []
    for alias in request.aliases:
        aws.check_key_id(alias)
        if not alias.startswith("alias/"):
            raise UsageError(f"--alias {alias!r} is not an alias name", "write it as alias/NAME")
        if held is None:
            raise UsageError(
                f"cannot tell which alias the root holds, so not {alias}",
                "pass --root (its variable alias_name) or --tfvars that sets alias_name",
            )
        if alias == held:
            if not request.activate:
                raise UsageError(
                    f"{alias} is the root's rotating alias, which points at the active generation",
                    "add --activate to make the adopted generation the active one",
                )
            rotating = alias
        else:
            own.append(alias)
    if own and not generations_take_alias(request):
        raise UsageError(
            f"the root holds one alias, {held} (alias_name), and its generations cannot set "
            f"alias_name, so it cannot hold {own[0]}",
            f"leave {own[0]} out (it stays, outside Terraform), or set alias_name = "
            f'"{own[0]}" in the tfvars first',
        )
    if len(own) > 1:
        raise UsageError(
            f"a generation keeps one alias of its own, not {len(own)} ({', '.join(own)})",
            "adopt one of them; the others stay outside Terraform",
        )
    return AliasPlan(rotating, own[0] if own else None)


def precheck(request: KeyAdoptRequest) -> tuple[str, AliasPlan]:
    """Refuse what would fail half-way (after the proof): the generation name and aliases."""
    aws.check_key_id(request.key_id)
    if request.root is not None and not request.root.is_dir():
        raise UsageError(f"--root {request.root} is not a folder", "pass the root's folder")
    name = generation_name(request)
    aliases = check_aliases(request)
    if request.root is not None and (request.root / f"adopt_{name}.tf").exists():
        raise UsageError(
            f"{request.root / f'adopt_{name}.tf'} exists already",
            "apply it and remove it, or pick another --generation",
        )
    return name, aliases


# ---- the key as KMS has it ------------------------------------------------------------------


def check_key(key: KeyInfo, request: KeyAdoptRequest) -> None:
    if key.origin != "EXTERNAL":
        raise KeyStateError(
            f"key {key.key_id} has origin {key.origin}, not EXTERNAL",
            "only keys made with --origin EXTERNAL hold imported material",
        )
    if key.state not in ADOPTABLE_STATES:
        hint = (
            "`kms-import cancel-deletion` (make cancel-deletion) cancels it and adopts the key"
            if key.state == "PendingDeletion"
            else "wait until it is ready and run again"
        )
        raise KeyStateError(f"key {key.key_id} is {key.state}", hint)
    if key.primary_arn or key.replica_arns:
        raise AdoptError(
            f"key {key.key_id} is a multi-Region "
            f"{'replica' if key.primary_arn else 'primary with replicas'}",
            "adopt supports single-Region keys and primaries without replicas",
        )
    if request.valid_to is not None and key.has_material:
        raise UsageError(
            f"key {key.key_id} holds its material: adopt keeps its expiry",
            "drop --valid-to (change it after adopting with `make renew`)",
        )


def _materials(kms: Any, key: KeyInfo) -> list[materials.MaterialEntry]:
    return materials.list_materials(kms, key.arn) if key.key_spec == materials.SYMMETRIC else []


def check_aliases_point_at(kms: Any, key: KeyInfo, request: KeyAdoptRequest) -> None:
    on_key = set(keys.aliases(kms, key.arn))
    for alias in request.aliases:
        if alias not in on_key:
            raise AdoptError(
                f"{alias} does not point at key {key.key_id}",
                "name only aliases of this key (`aws kms list-aliases --key-id ...`)",
            )
    held = root_alias_name(request)
    if held in on_key and held not in request.aliases:
        raise AdoptError(
            f"{held}, the root's alias, points at key {key.key_id}",
            f"adopt it too: add --alias {held} --activate",
        )


def expiry(key: KeyInfo, entries: list[materials.MaterialEntry], asked: datetime | None) -> Any:
    """The expiry to re-import with: the key's own while it holds material; for a key whose
    material is gone, --valid-to, else the expiry its material had if still ahead."""
    if key.has_material:
        return key.valid_to
    if asked is not None:
        require_future(asked)
        return asked
    first = materials.first_material(entries)
    had = first.valid_to if first is not None else key.valid_to
    if had is None:  # KMS forgets a deleted material's expiry
        return None
    if had.astimezone(UTC) <= datetime.now(UTC):
        raise KeyStateError(
            f"key {key.key_id}'s material expired at {format_utc(had)}",
            "pass --valid-to with the new expiry (RFC 3339, within 365 days)",
        )
    return had


# ---- the command ---------------------------------------------------------------------------


def run(request: KeyAdoptRequest) -> KeyAdoption:
    name, aliases = precheck(request)
    kms = aws.kms_client(request.key_id, request.region)
    key = keys.describe(kms, request.key_id)
    check_key(key, request)
    entries = _materials(kms, key)
    if len(entries) > 1:
        raise AdoptError(
            f"key {key.key_id} holds {len(entries)} materials (rotated on demand)",
            "adopt supports keys with one material",
        )
    check_aliases_point_at(kms, key, request)
    valid_to = expiry(key, entries, request.valid_to)
    restored = not key.has_material
    spec = key_spec(key.key_spec)
    with open_source(request.source).read(spec) as material:
        fingerprint = material.fingerprint(spec)
        if key.recorded_fingerprint not in (None, fingerprint):
            raise FingerprintMismatch(
                f"key {key.key_id} is tagged for material {key.recorded_fingerprint}, "
                f"{request.source} holds {fingerprint}",
                "point --source at the key's own material",
            )
        prove_by_reimport(kms, replace(key, valid_to=valid_to), material, request.source)
    # A symmetric key lists every material it ever held: none means this was its first.
    first = restored and not entries and key.key_spec == materials.SYMMETRIC
    if not first:
        log.info("%s: proven: KMS accepted %s as its material", key.key_id, request.source)
    if restored:
        key = keys.wait_for_material(kms, key.arn)
        if valid_to is None:
            log.info("%s: material back without expiry (--valid-to sets one)", key.key_id)
    keys.tag_fingerprint(kms, key, fingerprint)
    key = replace(key, valid_to=valid_to, recorded_fingerprint=fingerprint)
    import_file = write_import_file(request, name, key, aliases) if request.root else None
    if request.tfvars is not None:
        add_generation(request, name, fingerprint, key, _description(kms, key), aliases.own)
    return KeyAdoption(key, name, fingerprint, restored, import_file, request.tfvars, first)


def _description(kms: Any, key: KeyInfo) -> str | None:
    meta = aws.call("DescribeKey", kms.describe_key, KeyId=key.arn)["KeyMetadata"]
    text = str(meta.get("Description") or "")
    return text or None


def write_import_file(
    request: KeyAdoptRequest, name: str, key: KeyInfo, aliases: AliasPlan
) -> Path:
    assert request.root is not None
    address = generation_key_address(request.module_address, name)
    blocks = [import_block(address, key.key_id)]
    if aliases.own is not None:  # the generation's own alias sits beside its key
        own = address.removesuffix(f"{RESOURCE_TYPE}.this") + "aws_kms_alias.this[0]"
        blocks.append(import_block(own, aliases.own))
    if aliases.rotating is not None:
        rotating = f"{request.module_address}.aws_kms_alias.active"
        blocks.append(import_block(rotating, aliases.rotating))
    what = f"key {key.key_id} (made outside Terraform)"
    return write_adopt_file(request.root, name, what, blocks)


def add_generation(
    request: KeyAdoptRequest,
    name: str,
    fingerprint: str,
    key: KeyInfo,
    description: str | None,
    alias: str | None,
) -> None:
    """The generation as the key is, so the apply that imports it changes nothing about the
    key itself: its fingerprint, enabled, expiry, key spec and usage, description."""
    assert request.tfvars is not None
    options: dict[str, str | bool | int] = {
        "material_fingerprint": fingerprint,
        "enabled": key.state == "Enabled" if request.enabled is None else request.enabled,
    }
    if key.valid_to is not None:
        options["valid_to"] = format_utc(key.valid_to)
    if key.key_spec != "SYMMETRIC_DEFAULT":
        options["key_spec"] = key.key_spec
    if key.key_spec.startswith("RSA_"):  # the one kind with a choice (the module needs it)
        options["key_usage"] = key.key_usage
    if key.multi_region:
        options["multi_region"] = True
    if description is not None:
        options["description"] = description
    if alias is not None:
        options["alias_name"] = alias
    tfvars.add_generation(
        request.tfvars, name, request.source, options, create=True, activate=request.activate
    )


def report(done: KeyAdoption) -> str:
    key = done.key
    if done.first_import:
        how = "imported: the key had never held material, so there was nothing to prove"
    elif done.restored:
        how = "its deleted material is back (re-imported)"
    else:
        how = "re-imported"
    lines = [
        f"key {key.key_id} holds the material of the source (fingerprint {done.fingerprint}; "
        f"{how}); state {key.state}; generation {done.generation}",
    ]
    if done.import_file:
        lines.append(f"wrote {done.import_file} (import blocks for {RESOURCE_TYPE} and aliases)")
    if done.tfvars:
        lines.append(f"added generation {done.generation} to {done.tfvars}")
    lines.append(
        "next: terraform plan (imports, nothing replaced) && terraform apply, then remove "
        f"adopt_{done.generation}.tf"
    )
    return "\n".join(lines)
