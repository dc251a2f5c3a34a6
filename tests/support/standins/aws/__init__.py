"""Stand-in for registry.terraform.io/hashicorp/aws v6 (KMS slice, plus the CloudWatch
key-expiry alarm), test support only."""

from __future__ import annotations


def main() -> None:
    from ..plugin.server import serve
    from .provider import spec

    serve(spec())
