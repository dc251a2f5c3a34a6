"""The reference's generated parts: every `kms-import` command and flag, and the root's
inputs/outputs, in docs/reference.md.

    python -m tfdocs.cli docs/reference.md          rewrite the marked blocks (`make docs`)
    python -m tfdocs.cli --check docs/reference.md  exit 1 when a block is stale

The CLI section is read from the helper's own argparse parser (kms_import.cli.build_parser),
so it lists exactly what `kms-import --help` accepts; the root's tables come from render() as
in the module READMEs. Everything outside the BEGIN/END markers is left alone.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Iterator
from pathlib import Path

from . import render

CLI_BEGIN = "<!-- BEGIN_CLI_DOCS -->"
CLI_END = "<!-- END_CLI_DOCS -->"
ROOT_BEGIN = "<!-- BEGIN_ROOT_TF_DOCS -->"
ROOT_END = "<!-- END_ROOT_TF_DOCS -->"
REPO = Path(__file__).resolve().parents[3]
USAGE_WIDTH = 100  # fixed, so the text does not depend on the terminal that runs `make docs`


def _named(action: argparse.Action) -> argparse.Action:
    """The action with its value named (KEY_SPEC) instead of its choices, which the table lists."""
    if not action.option_strings or action.choices is None or action.metavar is not None:
        return action
    named = copy.copy(action)
    named.metavar = action.dest.upper()
    return named


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=USAGE_WIDTH)
    actions = [_named(action) for action in parser._actions]
    formatter.add_usage(parser.usage, actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip().removeprefix("usage: ")


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _option_row(action: argparse.Action) -> str:
    if action.option_strings:
        name = ", ".join(f"`{flag}`" for flag in action.option_strings)
    else:
        name = f"`{action.metavar or action.dest.upper()}`"
    takes_value = action.nargs != 0
    value = ""
    if takes_value and action.option_strings:
        value = _cell(f"`{action.metavar or action.dest.upper()}`")
    notes = [action.help or ""]
    if action.choices is not None:
        notes.append("one of " + ", ".join(f"`{choice}`" for choice in action.choices))
    if isinstance(action, argparse._AppendAction):
        notes.append("repeatable")
    stated = "default" in (action.help or "")
    if takes_value and action.default not in (None, argparse.SUPPRESS) and not stated:
        notes.append(f"default `{action.default}`")
    required = "yes" if action.required else "no"
    text = "; ".join(note for note in notes if note)
    return f"| {name} | {value} | {required} | {_cell(text)} |"


def _options_table(parser: argparse.ArgumentParser) -> list[str]:
    rows = [
        _option_row(action)
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
    ]
    if not rows:
        return []
    return ["| option | value | required | meaning |", "|---|---|:---:|---|", *rows, ""]


def _commands(parser: argparse.ArgumentParser, depth: int) -> Iterator[str]:
    """One section per (sub)command, depth-first in the parser's own order."""
    sub = _subcommands(parser)
    if sub is None:
        return
    helps = {choice.dest: choice.help or "" for choice in sub._choices_actions}
    for name, child in sub.choices.items():
        yield f"{'#' * depth} `{child.prog}`"
        yield ""
        yield _cell(child.description or helps.get(name, ""))
        yield ""
        yield "```"
        yield _usage(child)
        yield "```"
        yield ""
        yield from _options_table(child)
        yield from _commands(child, depth + 1)


def render_cli() -> str:
    from kms_import.cli import build_parser

    parser = build_parser()
    lines = [
        "```",
        _usage(parser),
        "```",
        "",
        "Options before the command:",
        "",
        *_options_table(parser),
        *_commands(parser, 3),
    ]
    return "\n".join(lines).rstrip("\n")


def render_root() -> str:
    return (
        render(REPO)
        .replace("## Inputs", "### Root inputs")
        .replace("## Outputs", "### Root outputs")
    )


def _replace(text: str, begin: str, end: str, body: str) -> str:
    if begin not in text or end not in text:
        raise SystemExit(f"tfdocs.cli: the markers {begin} ... {end} are missing")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def updated(page: Path) -> tuple[str, str]:
    """(current text, text with fresh generated blocks)."""
    current = page.read_text()
    fresh = _replace(current, CLI_BEGIN, CLI_END, render_cli())
    return current, _replace(fresh, ROOT_BEGIN, ROOT_END, render_root())


def main() -> int:
    parser = argparse.ArgumentParser(prog="tfdocs.cli", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when the page is stale")
    parser.add_argument("page", type=Path, help="the reference page, e.g. docs/reference.md")
    args = parser.parse_args()
    current, fresh = updated(args.page)
    if current == fresh:
        return 0
    if args.check:
        print(f"tfdocs.cli: {args.page} is stale: run `make docs`", file=sys.stderr)
        return 1
    args.page.write_text(fresh)
    print(f"updated {args.page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
