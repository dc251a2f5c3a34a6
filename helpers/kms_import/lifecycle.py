"""The lifecycle verbs that act on keys directly rather than through an apply: `make
delete-material` reads the root's outputs, asks before anything irreversible, and calls KMS for
the generation's key and each of its replicas; `make cancel-deletion` cancels a key's deletion
and adopts the key back as a generation (adopt_key, `adopt --key-id`)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TextIO

from . import aws
from .errors import KmsImportError, UsageError

if TYPE_CHECKING:
    from .adopt_key import KeyAdoption, KeyAdoptRequest

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


def cancel_deletion(request: KeyAdoptRequest) -> KeyAdoption:
    """CancelKeyDeletion (the key comes back Disabled), then `adopt --key-id`: prove and tag
    the material, write the generation (enabled, so the apply that imports the key enables it
    again) and adopt_GEN.tf. What adopt would refuse is refused before the deletion is
    cancelled; a key no longer pending deletion (a re-run) is adopted as it is."""
    from . import adopt_key, keys

    name, _ = adopt_key.precheck(request)
    request = replace(request, generation=name, enabled=True)
    kms = aws.kms_client(request.key_id, request.region)
    key = keys.describe(kms, request.key_id)
    if key.state == "PendingDeletion":
        adopt_key.check_key(replace(key, state="Disabled"), request)  # as it will be
        aws.call("CancelKeyDeletion", kms.cancel_key_deletion, KeyId=key.arn)
        log.info("key %s is Disabled again; adopting it as generation %s", request.key_id, name)
    else:
        log.info("key %s is %s, not pending deletion; adopting it as generation %s",
                 request.key_id, key.state, name)  # fmt: skip
    return adopt_key.run(request)
