"""The helper's layout rules (issue 24): no import cycle among kms_import's modules, counting
imports inside functions too (a lazy import is still a dependency a reader must follow)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "helpers" / "kms_import"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The kms_import modules `path` imports, anywhere in it (TYPE_CHECKING blocks too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rpartition(".")[0]
            target = f"{base}.{node.module}" if node.level and node.module else node.module or base
            if node.level == 0 and not (node.module or "").startswith("kms_import"):
                continue
            for alias in node.names:  # `from . import aws` names a module, not a symbol
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("kms_import")}
    return {m for m in found if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(paths)
    graph = {name: _imports(path, name, known) for name, path in paths.items()}
    # Importing a.b runs a/__init__.py first, but that is the package's own business: only
    # edges between modules count, so package-to-own-submodule edges are dropped.
    return {n: {m for m in deps if not n.startswith(m + ".")} for n, deps in graph.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_sees_lazy_imports() -> None:
    graph = _graph()
    assert "kms_import.keyspecs" in graph["kms_import.material"]
    assert graph["kms_import.keyspecs"] == {"kms_import.errors"}


def test_no_import_cycle_among_the_helpers_modules() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


MAX_LINES = 450  # issue 24: a module a newcomer can read in one sitting


def _too_long(package: Path, limit: int) -> dict[str, int]:
    sizes = {
        str(p.relative_to(package)): len(p.read_text().splitlines()) for p in package.rglob("*.py")
    }
    return {name: lines for name, lines in sorted(sizes.items()) if lines > limit}


def test_no_helper_module_is_over_450_lines() -> None:
    too_long = _too_long(PACKAGE, MAX_LINES)
    assert not too_long, f"over {MAX_LINES} lines (split by concern): {too_long}"


def test_the_size_check_finds_a_long_module(tmp_path: Path) -> None:
    (tmp_path / "short.py").write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "long.py").write_text("x = 1\n" * 4)
    assert _too_long(tmp_path, 3) == {"sub/long.py": 4}


# Issue 24: the Makefile's verbs call kms-import and terraform; they hold no AWS CLI call, no
# inline python and no HCL written by the shell (that logic lives, tested, in the helper).
THIN_MAKEFILE_RULES = {
    "an AWS CLI call": r"(^|[\s;&|({@`]|\$\()aws\s",
    "inline python": r"python[0-9.]*\s+(-c|-)\s|<<",
    "generated HCL": r"^\s*@?(printf|echo)\b.*(\bimport\s*\{|\bresource\s+\"|\bto\s*=|\bid\s*=)",
}


def _thick_lines(makefile: str) -> list[str]:
    recipes = [line for line in makefile.splitlines() if line.startswith(("\t", "  "))]
    return [
        f"{what}: {line.strip()}"
        for line in recipes
        for what, pattern in THIN_MAKEFILE_RULES.items()
        if re.search(pattern, line)
    ]


def test_the_makefile_is_thin() -> None:
    thick = _thick_lines((PACKAGE.parents[1] / "Makefile").read_text())
    assert not thick, "move this into a kms-import subcommand: " + "; ".join(thick)


def test_the_thin_makefile_check_finds_each_rule() -> None:
    thick = _thick_lines(
        "a:\n\t@aws kms describe-key --key-id x\n"
        "\t@$(BIN)/python -c 'print(1)'\n"
        "\t@printf 'import {\\n  to = x\\n}\\n' > adopt.tf\n"
        "\t@kms-import status --key-id alias/x\n"
    )
    assert [line.split(":")[0] for line in thick] == [
        "an AWS CLI call",
        "inline python",
        "generated HCL",
    ]
