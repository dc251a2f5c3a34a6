"""Launchers for the provider stand-ins and the Terraform CLI config that selects them.

`install_launchers()` writes `<venv>/providers/terraform-provider-{aws,external}`: tiny
scripts whose shebang is this venv's interpreter (go-plugin needs the file name to contain
`terraform-provider`). `write_cli_config(path)` writes a CLI config whose
`provider_installation { dev_overrides {...} direct {} }` points hashicorp/aws and
hashicorp/external at that folder, leaving a root's real `.terraform.lock.hcl` alone.

How `terraform init` behaves with these dev_overrides, offline (Terraform 1.15.5, measured):
- It succeeds for roots using hashicorp/aws, hashicorp/external and built-in terraform_data,
  and never contacts a registry for the overridden providers; it prints the warning
  "Provider development overrides are in effect" (also on plan/apply).
- Overridden providers are not installed into .terraform/providers and are not written to
  .terraform.lock.hcl; an existing lock file is left untouched, with its real hashes.
- Any *other* provider a root requires still goes through `direct {}` and so fails offline.
- validate/plan/apply work even without `init` for a root that uses only overridden providers
  and no modules/backend (init is still needed for modules and the backend).
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

PROVIDERS = {
    "registry.terraform.io/hashicorp/aws": ("terraform-provider-aws", "standins.aws"),
    "registry.terraform.io/hashicorp/external": (
        "terraform-provider-external",
        "standins.external",
    ),
}


def providers_dir() -> Path:
    """`<venv>/providers`, found from the running interpreter (the venv's python)."""
    return Path(sys.prefix) / "providers"


def _launcher(module: str) -> str:
    return (
        f"#!{sys.executable}\n"
        "# Test stand-in provider launcher, written by `offline-stack install`.\n"
        f"from {module} import main\n"
        "main()\n"
    )


def install_launchers(target: Path | None = None) -> list[Path]:
    """Write one executable launcher per stand-in; returns their paths."""
    folder = target or providers_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, module in PROVIDERS.values():
        path = folder / file_name
        tmp = path.with_suffix(".tmp")
        tmp.write_text(_launcher(module))
        tmp.chmod(tmp.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        os.replace(tmp, path)  # atomic: a running terraform never sees half a launcher
        written.append(path)
    return written


def cli_config_text(folder: Path) -> str:
    lines = [
        "# Written by standins.install: selects the test stand-ins for hashicorp/aws and",
        "# hashicorp/external. Every other provider installs normally.",
        "provider_installation {",
        "  dev_overrides {",
    ]
    lines += [f'    "{source}" = "{folder}"' for source in PROVIDERS]
    lines += ["  }", "  direct {}", "}", ""]
    return "\n".join(lines)


def write_cli_config(path: Path) -> Path:
    """Write the CLI config selecting the stand-ins (installing launchers if missing)."""
    folder = providers_dir()
    if not all((folder / name).exists() for name, _ in PROVIDERS.values()):
        install_launchers(folder)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cli_config_text(folder))
    return path
