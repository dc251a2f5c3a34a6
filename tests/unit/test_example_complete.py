"""examples/complete sets every input of the three modules, and every field of a generation
and of an external-keys key.

A module input added without extending the example fails here, naming what is missing (the
e2e test then applies it: tests/e2e/test_examples.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]
COMPLETE = REPO / "examples" / "complete" / "main.tf"


def _unquote(name: str) -> str:
    return name.strip('"')


def _variables(module: str) -> dict[str, dict[str, Any]]:
    parsed = hcl2.load((REPO / "modules" / module / "variables.tf").open())
    return {_unquote(k): v for block in parsed["variable"] for k, v in block.items()}


def _module_calls() -> dict[str, dict[str, Any]]:
    parsed = hcl2.load(COMPLETE.open())
    calls = {}
    for block in parsed["module"]:
        for body in block.values():
            source = _unquote(body["source"]).rsplit("/", 1)[1]
            calls[source] = body
    return calls


@pytest.mark.parametrize("module", ["external-key", "rotating-key", "external-keys"])
def test_complete_sets_every_module_input(module: str):
    call = _module_calls()[module]
    missing = sorted(set(_variables(module)) - set(call))
    assert not missing, f"examples/complete does not set {module} inputs: {missing}"


def test_complete_sets_every_generation_field():
    declared = _variables("rotating-key")["generations"]["type"]
    fields = set(re.findall(r"(\w+)\s*=", declared))
    (generation,) = _module_calls()["rotating-key"]["generations"].values()
    missing = sorted(fields - set(generation))
    assert fields and not missing, f"examples/complete's generation lacks: {missing}"


def test_complete_sets_every_key_field():
    declared = _variables("external-keys")["keys"]["type"]
    fields = set(re.findall(r"(\w+)\s*=", declared))
    keys = _module_calls()["external-keys"]["keys"]
    missing = sorted(fields - set(keys["a"]))
    assert fields and not missing, f"examples/complete's key a lacks: {missing}"
