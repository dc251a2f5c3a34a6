"""The `kms-import` commands: one function per subcommand, called with the parsed arguments
(cli_parser builds the parser; cli.main runs them). Each imports what it needs lazily, so a
run pays only for its own command."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TYPE_CHECKING

from .errors import KmsImportError

if TYPE_CHECKING:
    from .aws import Credentials

log = logging.getLogger("kms-import")


def cmd_import(args: argparse.Namespace) -> int:
    from .importer import ImportRequest, run_import
    from .validto import parse

    outcome = run_import(
        ImportRequest(
            key_id=args.key_id,
            source=args.source,
            wrapping_algorithm=args.wrapping_algorithm,
            wrapping_key_spec=args.wrapping_key_spec,
            valid_to=parse(args.valid_to) if args.valid_to else None,
            expect_fingerprint=args.expect_fingerprint,
            enabled=not args.disable,
            region=args.region,
            with_rotations=args.with_rotations,
            key_spec=args.key_spec,
            key_usage=args.key_usage,
        )
    )
    verb = "imported" if outcome.imported else "already imported"
    print(
        f"{outcome.key_id}: {verb}; {outcome.proof}; state {outcome.state}; "
        f"fingerprint {outcome.fingerprint}"
    )
    return 0


def cmd_rotate_material(args: argparse.Namespace) -> int:
    from .rotation import RotationRequest, run_rotations
    from .validto import parse

    fingerprints = args.expect_fingerprint or [None] * len(args.source)
    outcome = run_rotations(
        RotationRequest(
            key_id=args.key_id,
            sources=tuple(args.source),
            expect_fingerprints=tuple(fingerprints),
            wrapping_algorithm=args.wrapping_algorithm,
            wrapping_key_spec=args.wrapping_key_spec,
            valid_to=parse(args.valid_to) if args.valid_to else None,
            enabled=not args.disable,
            region=args.region,
        )
    )
    print(
        f"{outcome.key_id}: {outcome.rotated} rotation(s) now, {outcome.reimported} material(s) "
        f"re-imported; current material {outcome.current_fingerprint}; {outcome.proof}; "
        f"state {outcome.state}"
    )
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    """With --source: print the fingerprint. Without: the external data source protocol."""
    from .fingerprint import fingerprint_of, from_query

    if args.source:
        print(fingerprint_of(args.source, args.key_spec))
        return 0
    json.dump(from_query(sys.stdin.read(), credentials_of(args)), sys.stdout)
    sys.stdout.write("\n")
    return 0


def cmd_plan_keys(args: argparse.Namespace) -> int:
    """external-keys' plan step: unrecorded fingerprints and every key's drift, JSON in/out."""
    from .fingerprint import plan_keys

    json.dump(plan_keys(sys.stdin.read(), credentials_of(args)), sys.stdout)
    sys.stdout.write("\n")
    return 0


def cmd_import_keys(args: argparse.Namespace) -> int:
    """external-keys' import step: every key in one process; one line per key on stderr."""
    from .batch import print_result, run_batch, summary
    from .batchentry import parse_entries

    entries, problems = parse_entries(args.key)
    for problem in problems:
        print(f"kms-import: error: {problem}", file=sys.stderr)
    if problems:
        return problems[0].exit_code
    if not args.debug:  # one line per key: the single-key steps' own progress only with --debug
        log.setLevel(logging.WARNING)
    results = run_batch(entries, args.parallelism, report=print_result)
    print(f"kms-import: {summary(results)}", file=sys.stderr)
    return 1 if any(r.status.name == "FAILED" for r in results) else 0


def cmd_test(args: argparse.Namespace) -> int:
    from . import aws
    from .verify import SEED_PLAINTEXT, round_trip

    blob = round_trip(aws.kms_client(args.key_id, args.region), args.key_id, SEED_PLAINTEXT)
    if args.out:
        args.out.write_bytes(blob)
    where = f"; ciphertext written to {args.out}" if args.out else ""
    print(f"{args.key_id}: encrypt/decrypt round trip OK ({len(blob)}-byte ciphertext){where}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from . import aws, keys
    from .keyspecs import key_spec
    from .sources import open_source
    from .verify import prove

    kms = aws.kms_client(args.key_id, args.region)
    key = keys.describe(kms, args.key_id)
    spec = key_spec(key.key_spec)
    with open_source(args.source).read(spec) as material:
        fp = material.fingerprint(spec)
        if key.recorded_fingerprint and key.recorded_fingerprint != fp:
            raise KmsImportError(
                f"key {key.key_id} was made for material {key.recorded_fingerprint}, the source "
                f"holds {fp}",
                "check the source reference",
            )
        if key.state != "Enabled":
            raise KmsImportError(f"key {key.key_id} is {key.state}", "enable it to verify it")
        proof = prove(kms, key, spec, material)
    print(f"{key.key_id}: verified: {proof}; fingerprint {fp}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from .status import labelled_keys, report

    keys = labelled_keys(args.key_id or [], args.key_arns_json)
    return report(keys, args.region, as_json=args.json, expiring_within_days=args.expiring_within)


def cmd_sources(args: argparse.Namespace) -> int:
    from .sources import registry

    for scheme, source in sorted(registry().items()):
        print(f"{scheme:16} {source.SUMMARY}\n{'':16} e.g. {source.EXAMPLE}")
    return 0


def cmd_leak_scan(args: argparse.Namespace) -> int:
    from .keyspecs import key_spec
    from .leakscan import scan_paths, spellings
    from .sources import open_source

    with open_source(args.source).read(key_spec(args.key_spec)) as material:
        plaintext = getattr(material, "buffer", None)
        if plaintext is None:
            raise KmsImportError(
                f"{material.description} never leaves its holder", "nothing to scan for"
            )
        needles = spellings(plaintext)
    hits = scan_paths(args.paths, needles)
    for hit in hits:
        print(hit)
    if hits:
        raise KmsImportError(
            f"material found in {len(hits)} place(s)",
            "treat the material as exposed: destroy those copies and rotate to new material",
        )
    print(f"no material found in {', '.join(str(p) for p in args.paths)}")
    return 0


def cmd_delete_material(args: argparse.Namespace) -> int:
    from .lifecycle import delete_material, generation_keys, read_outputs, typed_answer

    keys = generation_keys(read_outputs(args.outputs_json), args.generation)
    confirm = (lambda _question: True) if args.yes else typed_answer(args.generation)
    delete_material(keys, confirm)
    every = " in every Region" if keys.replica_arns else ""
    print(f"material of {args.generation} deleted{every}; keys are PendingImport")
    return 0


def cmd_cancel_deletion(args: argparse.Namespace) -> int:
    from .adopt_key import KeyAdoptRequest, report
    from .lifecycle import cancel_deletion

    done = cancel_deletion(
        KeyAdoptRequest(
            key_id=args.key_id,
            source=args.source,
            root=args.root,
            tfvars=args.tfvars,
            generation=args.generation,
            region=args.region,
        )
    )
    print(report(done))
    return 0


def cmd_tfvars(args: argparse.Namespace) -> int:
    from .tfvars_cli import run

    return run(args)


def cmd_params(args: argparse.Namespace) -> int:
    """Air-gapped step 1 (online): the seed's work folder with import.txt and the .bin files."""
    from .airgap import fetch_params
    from .validto import format_utc

    outcome = fetch_params(
        args.key_id, args.out, args.wrapping_algorithm, args.wrapping_key_spec, args.region
    )
    print(
        f"{outcome.key_id}: import parameters in {args.out} ({outcome.wrapping_algorithm}, "
        f"{outcome.wrapping_key_spec}); valid until {format_utc(outcome.valid_to)}"
    )
    return 0


def cmd_wrap(args: argparse.Namespace) -> int:
    """Air-gapped step 2 (offline): EncryptedKeyMaterial.bin, with no AWS access at all."""
    from .airgap import ENCRYPTED, wrap_folder

    outcome = wrap_folder(args.in_dir, args.source, args.wrapping_algorithm, args.key_spec)
    print(
        f"{outcome.key_id}: {outcome.key_spec} material wrapped into {args.in_dir / ENCRYPTED} "
        f"({outcome.wrapping_algorithm}, {outcome.wrapping_key_spec}); "
        f"fingerprint {outcome.fingerprint}"
    )
    return 0


def cmd_import_wrapped(args: argparse.Namespace) -> int:
    """Air-gapped step 3 (online): import the wrapped material, wait, prove what can be."""
    from .airgap import import_wrapped
    from .validto import parse, require_future

    valid_to = parse(args.valid_to) if args.valid_to else None
    if valid_to:
        require_future(valid_to)
    outcome = import_wrapped(args.in_dir, args.key_id, valid_to, args.region)
    print(f"{outcome.key_id}: imported from {args.in_dir}; {outcome.proof}; state {outcome.state}")
    return 0


def cmd_adopt(args: argparse.Namespace) -> int:
    """--state: move a key made with key_material_base64 under the module and list plaintext
    copies. --key-id: adopt a key made outside Terraform (the seed's CLI commands)."""
    if args.key_id:
        return _adopt_key(args)
    from .adopt import AdoptRequest, report, run
    from .errors import UsageError

    for flag, value in (("--alias", args.alias), ("--valid-to", args.valid_to)):
        if value:
            raise UsageError(f"{flag} goes with --key-id, not --state", f"drop {flag}")
    plan, copies = run(
        AdoptRequest(
            state=args.state,
            source=args.source,
            address=args.address,
            generation=args.generation or "g1",
            root=args.root,
            tfvars=args.tfvars,
            module_address=args.module_address,
            activate=args.activate,
            scan=tuple(args.scan or ()),
            leftovers_only=args.leftovers_only,
            key_spec=args.key_spec or "SYMMETRIC_DEFAULT",
        )
    )
    print(report(plan, copies))
    return 0


def _adopt_key(args: argparse.Namespace) -> int:
    from .adopt_key import KeyAdoptRequest, report, run
    from .errors import UsageError
    from .validto import parse

    for flag, value in (
        ("--address", args.address),
        ("--scan", args.scan),
        ("--leftovers-only", args.leftovers_only),
        ("--key-spec", args.key_spec),
    ):
        if value:
            raise UsageError(f"{flag} goes with --state, not --key-id", f"drop {flag}")
    done = run(
        KeyAdoptRequest(
            key_id=args.key_id,
            source=args.source,
            aliases=tuple(args.alias or ()),
            root=args.root,
            tfvars=args.tfvars,
            generation=args.generation,
            activate=args.activate,
            module_address=args.module_address,
            region=args.region,
            valid_to=parse(args.valid_to) if args.valid_to else None,
        )
    )
    print(report(done))
    return 0


def credentials_of(args: argparse.Namespace) -> Credentials:
    """The credentials a run's flags name (all None for commands without the flags)."""
    from .aws import Credentials

    return Credentials(
        profile=getattr(args, "profile", None),
        role_arn=getattr(args, "assume_role_arn", None),
        session_name=getattr(args, "assume_role_session_name", None),
        external_id=getattr(args, "assume_role_external_id", None),
        duration=getattr(args, "assume_role_duration", None),
    )
