"""The `kms-import` argument parser: every subcommand, its flags and help (docs/reference.md's
CLI section is generated from it by `make docs`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .cli_commands import (
    cmd_adopt,
    cmd_cancel_deletion,
    cmd_delete_material,
    cmd_fingerprint,
    cmd_import,
    cmd_import_keys,
    cmd_import_wrapped,
    cmd_leak_scan,
    cmd_params,
    cmd_plan_keys,
    cmd_rotate_material,
    cmd_sources,
    cmd_status,
    cmd_test,
    cmd_tfvars,
    cmd_verify,
    cmd_wrap,
)
from .cli_tfvars import add_tfvars_arguments

DESCRIPTION = """`kms-import`: the commands Terraform and the Makefile run, and users run by hand.

Every failure prints one line on stderr (what is wrong; what to do) and exits non-zero;
`--debug` adds the traceback. Progress goes to stderr, results to stdout.
"""


def _parallelism(text: str) -> int:
    from .batch import MAX_PARALLELISM

    if not text.isdigit() or not 1 <= int(text) <= MAX_PARALLELISM:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number, 1 to {MAX_PARALLELISM}")
    return int(text)


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


def _add_key(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key-id", required=True, help="key id, key ARN, alias name or alias ARN")
    parser.add_argument("--region", help="AWS Region (default: from the ARN, else boto3's)")


def build_parser() -> argparse.ArgumentParser:
    from .keyspecs import KEY_USAGES, SPECS
    from .wrapping import ALGORITHMS, WRAPPING_KEY_SPECS

    parser = _Parser(prog="kms-import", description=DESCRIPTION)
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
        "external-keys' plan step: stdin {NAME or NAME#N: JSON {source, key_spec}}, stdout "
        "{same keys: fingerprint} (hashicorp/external's protocol); credentials by the flags "
        "only, so every query field is a key",
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

    cancel = command(
        "cancel-deletion",
        cmd_cancel_deletion,
        "cancel a key's scheduled deletion (it comes back Disabled) and adopt it back as a "
        "generation (as adopt --key-id): the generation, enabled, in --tfvars and its import "
        "block in --root's adopt_GEN.tf",
        aws=True,
    )
    _add_key(cancel)
    cancel.add_argument("--source", required=True, help="material source URI of its material")
    cancel.add_argument("--generation", help="generation name (default: the next free gN)")
    cancel.add_argument(
        "--tfvars",
        type=Path,
        default=Path("terraform.tfvars"),
        help="the root's tfvars (default: terraform.tfvars)",
    )
    cancel.add_argument(
        "--root", type=Path, default=Path("."), help="the root: adopt_GEN.tf goes here (default: .)"
    )

    add_tfvars_arguments(
        command("tfvars", cmd_tfvars, "show or edit generations and active_generation in a tfvars")
    )
    return parser
