"""The lifecycle verbs that act on keys directly rather than through an apply (`make
delete-material`): they read the root's outputs, ask before anything irreversible, and call KMS
for the generation's key and each of its replicas."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from . import aws
from .errors import KmsImportError, UsageError

log = logging.getLogger("kms-import")


class NotConfirmed(KmsImportError):
    """The user did not confirm an irreversible step."""


@dataclass(frozen=True)
class GenerationKeys:
    generation: str
    key_arn: str
    replica_arns: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return (self.key_arn, *self.replica_arns)


def generation_keys(outputs: dict[str, Any], generation: str) -> GenerationKeys:
    """GEN's key and replica ARNs from `terraform output -json` (outputs key_arns and
    replica_arns of the root or of modules/rotating-key)."""
    key_arns = _output(outputs, "key_arns")
    if generation not in key_arns:
        raise UsageError(
            f"no generation {generation} in state", "see `make status` for the generations"
        )
    replicas = _output(outputs, "replica_arns", required=False).get(generation) or {}
    return GenerationKeys(generation, key_arns[generation], tuple(sorted(replicas.values())))


def _output(outputs: dict[str, Any], name: str, required: bool = True) -> dict[str, Any]:
    entry = outputs.get(name)
    value = entry.get("value") if isinstance(entry, dict) else None
    if isinstance(value, dict):
        return value
    if required:
        raise UsageError(
            f"the root has no output {name}",
            "pass `terraform output -json` of a root built on modules/rotating-key",
        )
    return {}


def read_outputs(stream: TextIO) -> dict[str, Any]:
    try:
        outputs = json.load(stream)
    except ValueError:
        raise UsageError(
            "--outputs-json is not JSON", "pipe `terraform output -json` into it"
        ) from None
    if not isinstance(outputs, dict):
        raise UsageError("--outputs-json is not a JSON object", "pipe `terraform output -json`")
    return outputs


def delete_material(keys: GenerationKeys, confirm: Callable[[str], bool]) -> None:
    """DeleteImportedKeyMaterial on GEN's key and replicas, once `confirm` agrees. The keys go
    PendingImport: data they encrypted is unreadable until the same material is re-imported."""
    replicas = f" and replicas {' '.join(keys.replica_arns)}" if keys.replica_arns else ""
    question = (
        f"Delete the material of {keys.generation} ({keys.key_arn}{replicas})? Data it "
        f"encrypted is unreadable until `make reimport GEN={keys.generation}`. "
        "Type the generation name: "
    )
    if not confirm(question):
        raise NotConfirmed("not confirmed; nothing deleted")
    for arn in keys.all:
        kms = aws.kms_client(arn)
        aws.call("DeleteImportedKeyMaterial", kms.delete_imported_key_material, KeyId=arn)
        log.info("%s: material deleted; the key is PendingImport", arn)


def typed_answer(expected: str) -> Callable[[str], bool]:
    """A confirmation that asks on stderr and holds only when the user types `expected` on
    stdin; end of input (no terminal, stdin closed) confirms nothing."""

    def confirm(question: str) -> bool:
        sys.stderr.write(question)
        sys.stderr.flush()
        return sys.stdin.readline().strip() == expected

    return confirm
