"""`kms-import`'s entry point: parse the arguments (cli_parser), run the command
(cli_commands), and end every failure with one line on stderr (what is wrong; what to do)
and a non-zero exit; `--debug` adds the traceback."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from .cli_commands import credentials_of
from .cli_parser import build_parser
from .errors import KmsImportError

log = logging.getLogger("kms-import")

__all__ = ["build_parser", "credentials_of", "interrupted", "main"]


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
