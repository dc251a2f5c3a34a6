"""Inputs/outputs tables for module READMEs, generated from the .tf files (terraform-docs style).

    python -m tfdocs modules/external-key ...          rewrite each README.md's table
    python -m tfdocs --check modules/external-key ...  exit 1 when a table is stale

The table sits between the BEGIN/END markers in README.md; everything else is left alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def _text(value: Any) -> str:
    """python-hcl2 keeps string quotes and ${} around expressions; undo both for display."""
    if isinstance(value, str):
        if value.startswith('"') and value.endswith('"'):
            return str(json.loads(value))
        if value.startswith("${") and value.endswith("}"):
            return value[2:-1]
        return value
    return json.dumps(value)


def _blocks(path: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    if not path.exists():
        return []
    with path.open() as handle:
        parsed = hcl2.load(handle)
    return [(_text(name), body) for block in parsed.get(kind, []) for name, body in block.items()]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(module: Path) -> str:
    lines = [
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for name, body in sorted(_blocks(module / "variables.tf", "variable")):
        required = "default" not in body
        default = "n/a" if required else f"`{_text(body['default'])}`"
        lines.append(
            f"| {name} | {_cell(_text(body.get('description', '')))} | "
            f"`{_cell(_text(body.get('type', 'any')))}` | {_cell(default)} | "
            f"{'yes' if required else 'no'} |"
        )
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name, body in sorted(_blocks(module / "outputs.tf", "output")):
        lines.append(f"| {name} | {_cell(_text(body.get('description', '')))} |")
    return "\n".join(lines)


def updated_readme(module: Path) -> tuple[str, str]:
    """(current README text, README text with a fresh table)."""
    readme = module / "README.md"
    current = readme.read_text() if readme.exists() else f"# {module.name}\n\n{BEGIN}\n{END}\n"
    if BEGIN not in current or END not in current:
        current = current.rstrip("\n") + f"\n\n{BEGIN}\n{END}\n"
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return current, f"{head}{BEGIN}\n{render(module)}\n{END}{tail}"
