"""`kms-import`: the commands Terraform and the Makefile run, and users run by hand.

Every failure prints one line on stderr (what is wrong; what to do) and exits non-zero;
`--debug` adds the traceback. Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
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


def _parallelism(text: str) -> int:
    from .batch import MAX_PARALLELISM

    if not text.isdigit() or not 1 <= int(text) <= MAX_PARALLELISM:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number, 1 to {MAX_PARALLELISM}")
    return int(text)


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


def cmd_tfvars(args: argparse.Namespace) -> int:
    from .tfvars import run

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


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"{self.prog}: error: {message}; see `{self.prog} --help`", file=sys.stderr)
        sys.exit(2)


def _credentials_parent() -> _Parser:
    """The flags of every command that calls AWS: the provider block's profile and
    assume_role, so the helper acts as the same principal as Terraform's provider. Only
    references: a profile name and a role ARN, never a secret."""
    parent = _Parser(add_help=False)
    group = parent.add_argument_group("credentials (as the provider's profile and assume_role)")
    group.add_argument("--profile", metavar="NAME", help="AWS profile (default: boto3's chain)")
    group.add_argument(
        "--assume-role-arn",
        metavar="ARN",
        help="assume this role (sts:AssumeRole with the profile's or ambient credentials)",
    )
    group.add_argument(
        "--assume-role-session-name", metavar="NAME", help="role session name (default: kms-import)"
    )
    group.add_argument("--assume-role-external-id", metavar="ID", help="the role's external id")
    group.add_argument(
        "--assume-role-duration", metavar="DURATION", help='session duration, e.g. "1h" (15m-12h)'
    )
    return parent


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


def _add_key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key-id", required=True, help="key id, key ARN, alias name or alias ARN")
    parser.add_argument("--region", help="AWS Region (default: from the ARN, else boto3's)")


def build_parser() -> argparse.ArgumentParser:
    from .keyspecs import KEY_USAGES, SPECS
    from .wrapping import ALGORITHMS, WRAPPING_KEY_SPECS

    parser = _Parser(prog="kms-import", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--quiet", action="store_true", help="print results only")
    parser.add_argument(
        "--requires",
        metavar="RANGE",
        help='stop unless this helper\'s version is in RANGE, e.g. ">=0.2.0, <0.3.0" '
        "(the modules pass the range they were written for)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    credentials = [_credentials_parent()]

    def command(  # type: ignore[no-untyped-def]
        name: str, run: Callable[[argparse.Namespace], int], text: str, *, aws: bool = False
    ):
        parents = credentials if aws else []
        cmd = sub.add_parser(name, help=text, description=text, parents=parents)
        cmd.set_defaults(run=run)
        return cmd

    imp = command(
        "import", cmd_import, "import material into an EXTERNAL key and prove it", aws=True
    )
    _add_key(imp)
    imp.add_argument("--source", required=True, help="material source URI (never the material)")
    imp.add_argument(
        "--wrapping-algorithm",
        choices=ALGORITHMS,
        help="default: RSAES_OAEP_SHA_256 for secret keys, "
        "RSA_AES_KEY_WRAP_SHA_256 for private keys",
    )
    imp.add_argument("--wrapping-key-spec", choices=WRAPPING_KEY_SPECS, default="RSA_3072")
    imp.add_argument("--valid-to", help="RFC 3339 expiry; omit for material that never expires")
    imp.add_argument("--expect-fingerprint", help="refuse material with another fingerprint")
    imp.add_argument("--disable", action="store_true", help="leave the key disabled")
    imp.add_argument(
        "--with-rotations",
        action="store_true",
        help="the key also holds material rotated in on demand (see rotate-material)",
    )
    imp.add_argument("--key-spec", choices=sorted(SPECS), help="refuse a key of another key spec")
    imp.add_argument("--key-usage", choices=KEY_USAGES, help="refuse a key with another key usage")

    rot = command(
        "rotate-material",
        cmd_rotate_material,
        "import new material into a symmetric key and rotate to it on demand (same key id), "
        "for each --source in order; idempotent",
        aws=True,
    )
    _add_key(rot)
    rot.add_argument(
        "--source",
        action="append",
        required=True,
        help="material source URI of rotation 1, 2, ... (repeat, in order)",
    )
    rot.add_argument(
        "--expect-fingerprint",
        action="append",
        help="the fingerprint of each --source, in the same order",
    )
    rot.add_argument("--wrapping-algorithm", choices=ALGORITHMS, help="default: RSAES_OAEP_SHA_256")
    rot.add_argument("--wrapping-key-spec", choices=WRAPPING_KEY_SPECS, default="RSA_3072")
    rot.add_argument("--valid-to", help="RFC 3339 expiry; omit for material that never expires")
    rot.add_argument("--disable", action="store_true", help="leave the key disabled")

    fp = command(
        "fingerprint",
        cmd_fingerprint,
        "print the material's non-secret fingerprint (no --source: JSON on stdin/out)",
        aws=True,
    )
    fp.add_argument("--source", help="material source URI")
    fp.add_argument("--key-spec", default="SYMMETRIC_DEFAULT", choices=sorted(SPECS))

    command(
        "plan-keys",
        cmd_plan_keys,
        "external-keys' plan step (hashicorp/external's protocol): stdin {NAME: JSON "
        "{key_arn, enabled, valid_to, replicas[, source, key_spec]}, NAME#N: JSON {source, "
        "key_spec}}, stdout {NAME: JSON {drift[, fingerprint]}, NAME#N: fingerprint}; the "
        "query may also carry profile and assume_role (jsonencode of the provider's block)",
        aws=True,
    )
    batch = command(
        "import-keys",
        cmd_import_keys,
        "external-keys' import step: import, replicate and rotate every --key's material in "
        "one process (keys already up to date are skipped); exit 1 if any key failed",
        aws=True,
    )
    batch.add_argument(
        "--key",
        action="append",
        default=[],  # none: an instance with an empty keys map, nothing to do
        metavar="JSON",
        help='one key: {"name", "key_arn", "material_source", "material_fingerprint", '
        '"wrapping_algorithm", "wrapping_key_spec", "valid_to", "enabled", "key_spec", '
        '"key_usage", "replicas": {REGION: ARN}, "rotations": [{"material_source", '
        '"material_fingerprint"}]} (repeat per key)',
    )
    batch.add_argument(
        "--parallelism",
        type=_parallelism,
        default=8,
        metavar="N",
        help="keys handled at once (default: 8)",
    )

    test = command(
        "test", cmd_test, "the seed's encrypt test, as an encrypt/decrypt round trip", aws=True
    )
    _add_key(test)
    test.add_argument("--out", type=Path, help="also write the ciphertext to this file")

    ver = command("verify", cmd_verify, "prove the key holds the material of --source", aws=True)
    _add_key(ver)
    ver.add_argument("--source", required=True, help="material source URI")

    status = command(
        "status", cmd_status, "state, expiry, aliases and fingerprint of keys", aws=True
    )
    status.add_argument("--key-id", action="append", help="repeatable")
    status.add_argument(
        "--key-arns-json",
        type=argparse.FileType("r"),
        metavar="FILE",
        help="JSON object generation -> key ARN (`terraform output -json key_arns`; - = stdin)",
    )
    status.add_argument("--region", help="AWS Region (default: from the ARN, else boto3's)")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.add_argument(
        "--expiring-within",
        type=int,
        metavar="DAYS",
        help="exit 3 and warn when material expires within DAYS days",
    )

    command("sources", cmd_sources, "list the material source schemes with examples")

    params = command(
        "params",
        cmd_params,
        "air-gapped step 1: fetch import parameters into a work folder",
        aws=True,
    )
    _add_key(params)
    params.add_argument(
        "--wrapping-algorithm",
        choices=ALGORITHMS,
        help="default: RSAES_OAEP_SHA_256 for secret keys, "
        "RSA_AES_KEY_WRAP_SHA_256 for private keys",
    )
    params.add_argument("--wrapping-key-spec", choices=WRAPPING_KEY_SPECS, default="RSA_3072")
    params.add_argument(
        "--out", type=Path, required=True, help="work folder (created 0700), e.g. work/"
    )

    wrap = command(
        "wrap", cmd_wrap, "air-gapped step 2: wrap material for a work folder (no AWS access)"
    )
    wrap.add_argument("--in", dest="in_dir", type=Path, required=True, help="the work folder")
    wrap.add_argument("--source", required=True, help="material source URI (no AWS sources)")
    wrap.add_argument(
        "--wrapping-algorithm",
        choices=ALGORITHMS,
        help="only for folders without import-params.json (default: the key spec's default)",
    )
    wrap.add_argument(
        "--key-spec",
        choices=sorted(SPECS),
        help="only for folders without import-params.json (default: SYMMETRIC_DEFAULT)",
    )

    iw = command(
        "import-wrapped",
        cmd_import_wrapped,
        "air-gapped step 3: import a work folder's material",
        aws=True,
    )
    iw.add_argument("--in", dest="in_dir", type=Path, required=True, help="the work folder")
    iw.add_argument("--key-id", help="default: the KeyId in the folder's import.txt")
    iw.add_argument("--region", help="AWS Region (default: from the ARN, else boto3's)")
    iw.add_argument("--valid-to", help="RFC 3339 expiry; omit for material that never expires")

    scan = command(
        "leak-scan",
        cmd_leak_scan,
        "search files and folders for the material (raw, base64, hex)",
        aws=True,
    )
    scan.add_argument("--source", required=True, help="material source URI")
    scan.add_argument("--key-spec", default="SYMMETRIC_DEFAULT", choices=sorted(SPECS))
    scan.add_argument("paths", nargs="+", type=Path, help="files or folders to search")

    adopt = command(
        "adopt",
        cmd_adopt,
        "bring an existing key under modules/rotating-key (same key, same material): one made "
        "outside Terraform (--key-id), or one made with key_material_base64 (--state, which "
        "also lists the plaintext copies the old setup left)",
        aws=True,
    )
    what = adopt.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--key-id", help="a key made outside Terraform (key id, key ARN or alias name)"
    )
    what.add_argument(
        "--state", help="the old root's state: a terraform.tfstate or s3://BUCKET/KEY"
    )
    adopt.add_argument("--source", required=True, help="material source URI of the same material")
    adopt.add_argument(
        "--alias",
        action="append",
        metavar="NAME",
        help="with --key-id: an alias of the key to adopt too (the root's alias_name, with "
        "--activate); repeatable",
    )
    adopt.add_argument(
        "--valid-to",
        help="with --key-id, for a key whose material expired: the expiry to re-import with",
    )
    adopt.add_argument("--region", help="with --key-id: AWS Region (default: from the ARN)")
    adopt.add_argument("--address", help="the old aws_kms_external_key (needed if several)")
    adopt.add_argument(
        "--generation",
        help="generation name (default: g1 for --state; the next free gN for --key-id)",
    )
    adopt.add_argument(
        "--root", type=Path, help="the new root: adopt_GEN.tf (import blocks) goes here"
    )
    adopt.add_argument("--tfvars", type=Path, help="the new root's tfvars: the generation is added")
    adopt.add_argument("--activate", action="store_true", help="make the generation the active one")
    adopt.add_argument(
        "--module-address",
        default="module.key",
        help="the rotating-key module in the new root (default: module.key, as in this repo)",
    )
    adopt.add_argument(
        "--scan",
        action="append",
        metavar="PATH|s3://BUCKET/PREFIX",
        help="more places to search for plaintext copies (repeatable)",
    )
    adopt.add_argument(
        "--leftovers-only", action="store_true", help="only list the plaintext copies left"
    )
    adopt.add_argument(
        "--key-spec", choices=sorted(SPECS), help="with --state (default: SYMMETRIC_DEFAULT)"
    )

    delete = command(
        "delete-material",
        cmd_delete_material,
        "DeleteImportedKeyMaterial on a generation's key and replicas (asks first)",
        aws=True,
    )
    delete.add_argument("generation", metavar="GEN")
    delete.add_argument(
        "--outputs-json",
        type=argparse.FileType("r"),
        required=True,
        metavar="FILE",
        help="`terraform output -json` of the root, e.g. <(terraform output -json)",
    )
    delete.add_argument("--yes", action="store_true", help="do not ask")

    _add_tfvars(
        command("tfvars", cmd_tfvars, "show or edit generations and active_generation in a tfvars")
    )
    return parser


def _add_tfvars(parser: argparse.ArgumentParser) -> None:
    """`tfvars --file F ACTION`; values are checked by tfvars.py, for one-line errors."""
    parser.add_argument(
        "--file",
        type=Path,
        default=Path("terraform.tfvars"),
        help="the tfvars file (default: terraform.tfvars)",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    show = actions.add_parser("show", help="print the generations and the active one")
    show.add_argument("--json", action="store_true", help="print JSON")

    add = actions.add_parser("add-generation", help="add a generation (refuses a taken name)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--material-source", required=True, help="material source URI")
    add.add_argument("--valid-to", help="RFC 3339 expiry (omit: material never expires)")
    add.add_argument("--enabled", metavar="true|false")
    add.add_argument("--deletion-window-in-days", metavar="DAYS", help="7 to 30")
    add.add_argument("--key-spec", help="e.g. HMAC_256 or RSA_2048 (default: SYMMETRIC_DEFAULT)")
    add.add_argument("--key-usage", help="needed for RSA key specs: ENCRYPT_DECRYPT or SIGN_VERIFY")
    add.add_argument(
        "--like-active",
        action="store_true",
        help="same key spec and usage as the active generation (what make rotate uses)",
    )
    add.add_argument("--activate", action="store_true", help="also make it the active one")
    _add_no_fingerprint(add)
    add.add_argument("--create", action="store_true", help="create the file if it is missing")

    active = actions.add_parser("set-active", help="point active_generation at NAME")
    active.add_argument("name", metavar="NAME")
    active.add_argument("--force", action="store_true", help="even if NAME is disabled")

    put = actions.add_parser("set", help="set valid_to, enabled or deletion_window_in_days")
    put.add_argument("name", metavar="NAME")
    put.add_argument(
        "field", metavar="FIELD", choices=("valid_to", "enabled", "deletion_window_in_days")
    )
    put.add_argument("value", metavar="VALUE", help="valid_to: RFC 3339, or null to remove it")
    put.add_argument("--force", action="store_true", help="even to disable the active one")

    rot = actions.add_parser(
        "add-rotation",
        help="append new material to NAME's material_rotations (rotated in on demand)",
    )
    rot.add_argument("name", metavar="NAME")
    rot.add_argument("--material-source", required=True, help="material source URI")
    _add_no_fingerprint(rot)

    remove = actions.add_parser("remove-generation", help="remove a generation from the file")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--force", action="store_true", help="even the active one")

    actions.add_parser("next-name", help="print a fresh generation name: g<N+1>")
    actions.add_parser("active", help="print the active generation's name")


def _add_no_fingerprint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-fingerprint",
        action="store_true",
        help="do not read the material now for its material_fingerprint (every plan then "
        "reads the source instead)",
    )


def _configure_logging(debug: bool, quiet: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("kms-import: %(message)s"))
    for old in log.handlers[:]:  # a second run in one process: one handler, today's stderr
        log.removeHandler(old)
    log.addHandler(handler)
    log.setLevel(logging.WARNING if quiet else logging.DEBUG if debug else logging.INFO)
    log.propagate = False  # botocore's own loggers stay silent: they would log request bodies


def interrupted() -> int:
    """Ctrl-C: say so in one line; the exit code of a process ended by SIGINT."""
    print(
        "kms-import: interrupted; nothing was left half-done that a re-run won't finish",
        file=sys.stderr,
    )
    return 130


def _use_credentials(args: argparse.Namespace) -> None:
    from . import aws

    aws.use_credentials(credentials_of(args))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.debug, args.quiet)
    try:
        from .compat import require

        require(args.requires)
        _use_credentials(args)
        return int(args.run(args))
    except KmsImportError as exc:
        if args.debug:
            log.exception("debug traceback")
        print(f"kms-import: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return interrupted()
    except Exception as exc:  # a bug: say so in one line, traceback only with --debug
        if args.debug:
            raise
        print(
            f"kms-import: error: unexpected {type(exc).__name__}; run again with --debug "
            "and report it",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
