"""Errors a provider reports to Terraform as diagnostics."""

from __future__ import annotations

from typing import Any


class ProviderError(Exception):
    """One error diagnostic: `summary` is what the real provider would print."""

    def __init__(self, summary: str, detail: str = "", *, state: dict[str, Any] | None = None):
        super().__init__(summary)
        self.summary = summary
        self.detail = detail
        # A create that failed after the object existed: SDKv2 keeps it in state (tainted).
        self.state = state
