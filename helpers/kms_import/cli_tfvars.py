"""The `kms-import tfvars` command's arguments: `tfvars --file F ACTION` (tfvars_cli runs it; its
values are checked there, for one-line errors)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_tfvars_arguments(parser: argparse.ArgumentParser) -> None:
    """`tfvars --file F ACTION` and every action's arguments."""
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
