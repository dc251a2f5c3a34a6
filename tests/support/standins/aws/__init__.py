"""Stand-in for registry.terraform.io/hashicorp/aws v6 (KMS slice), test support only."""

from __future__ import annotations


def main() -> None:
    from ..plugin.server import serve
    from .provider import spec

    serve(spec())
