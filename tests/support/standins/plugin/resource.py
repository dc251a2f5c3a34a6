"""The shape of a resource and a data source, as terraform-plugin-sdk v2 gives them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import Block

State = dict[str, Any]


@dataclass
class Plan:
    """What PlanResourceChange is deciding; CustomizeDiff functions edit `planned`."""

    prior: State | None
    config: State
    planned: State
    replace: set[str] = field(default_factory=set)

    @property
    def creating(self) -> bool:
        return self.prior is None or bool(self.replace)

    def changed(self, name: str) -> bool:
        return self.prior is None or self.prior.get(name) != self.planned.get(name)


class Resource:
    """Override create/read/update/delete; the server supplies SDKv2's plan semantics."""

    type_name: str = ""
    schema: Block

    def customize_diff(self, meta: Any, plan: Plan) -> None:
        """Adjust `plan.planned` (tags_all, suppressing equivalent diffs, ...)."""

    def create(self, meta: Any, planned: State) -> State:
        raise NotImplementedError

    def read(self, meta: Any, state: State) -> State | None:
        """Fresh state, or None when the object is gone (Terraform drops it from state)."""
        raise NotImplementedError

    def update(self, meta: Any, prior: State, planned: State) -> State:
        raise NotImplementedError

    def delete(self, meta: Any, state: State) -> None:
        raise NotImplementedError

    def import_state(self, meta: Any, import_id: str) -> State:
        """schema.ImportStatePassthroughContext: the id is the import id, Read does the rest."""
        return {"id": import_id}


class DataSource:
    type_name: str = ""
    schema: Block

    def read(self, meta: Any, config: State) -> State:
        raise NotImplementedError
