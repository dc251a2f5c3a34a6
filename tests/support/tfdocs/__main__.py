"""python -m tfdocs [--check] MODULE_DIR..."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import updated_readme


def main() -> int:
    parser = argparse.ArgumentParser(prog="tfdocs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when a README is stale")
    parser.add_argument("modules", nargs="+", type=Path)
    args = parser.parse_args()
    stale = []
    for module in args.modules:
        current, fresh = updated_readme(module)
        if current == fresh and (module / "README.md").exists():
            continue
        if args.check:
            stale.append(module)
        else:
            (module / "README.md").write_text(fresh)
            print(f"updated {module / 'README.md'}")
    for module in stale:
        print(f"tfdocs: {module}/README.md is stale: run `make docs`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
