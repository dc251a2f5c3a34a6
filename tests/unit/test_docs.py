"""The docs hold together: every relative link resolves, and the README's quick-start root
names a module and inputs that exist.

Links are checked in README.md, docs/*.md and the examples' and modules' READMEs: the target
file (or folder) must exist, and a #fragment must be one of the target page's headings as
GitHub turns them into anchors. Links to web sites are not fetched.
"""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = sorted(
    {REPO / "README.md", *REPO.glob("docs/*.md")}
    | set(REPO.glob("examples/**/README.md"))
    | set(REPO.glob("modules/**/README.md"))
)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)


def _prose(text: str) -> str:
    """The page without its code blocks (a `[x](y)` in HCL or shell is not a link)."""
    return FENCE.sub("", text)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = text.lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {anchor(heading) for heading in HEADING.findall(_prose(page.read_text()))}


def relative_links(page: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(_prose(page.read_text()))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # https:, mailto:, ...
    ]


def test_the_book_has_its_pages() -> None:
    names = {page.relative_to(REPO).as_posix() for page in PAGES}
    for name in ("guide", "reference", "operations", "internals", "supported", "migrating"):
        assert f"docs/{name}.md" in names


def test_anchor_matches_github() -> None:
    assert anchor("Key specs: HMAC, RSA and ECC keys") == "key-specs-hmac-rsa-and-ecc-keys"
    assert anchor("`kms-import tfvars show`") == "kms-import-tfvars-show"
    assert anchor("Off key_material_base64") == "off-key_material_base64"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(REPO).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, fragment = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            broken.append(f"{target}: no heading with that anchor")
        elif fragment and resolved.is_dir():
            broken.append(f"{target}: an anchor into a folder")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


def test_readme_quick_start_root_names_real_inputs() -> None:
    """The README's minimal root: its module exists at the sourced path, with those inputs."""
    readme = (REPO / "README.md").read_text()
    block = next(
        b for b in re.findall(r"```hcl\n(.*?)```", readme, re.DOTALL) if 'module "key"' in b
    )
    (module,) = hcl2.loads(block)["module"][0].values()  # python-hcl2 keeps the label's quotes
    source = module["source"].strip('"')
    path = re.fullmatch(r"git::https://[^/]+/[^/]+/[^/]+\.git//(.+)\?ref=v.+", source)
    assert path is not None, source
    variables = hcl2.loads((REPO / path.group(1) / "variables.tf").read_text())["variable"]
    names = {name.strip('"') for block in variables for name in block}
    assert set(module) - {"source", "__is_block__"} <= names
