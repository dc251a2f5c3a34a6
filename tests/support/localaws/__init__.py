"""A faithful local AWS for the project's tests and demo: moto plus an import add-on.

In-process use (unit tests)::

    import localaws, moto
    localaws.install()
    with moto.mock_aws():
        ...  # boto3 KMS now behaves as KMS does for imported key material

Move the add-on's clock with `localaws.clock.advance(seconds)` / `.set(dt)` / `.reset()`;
read the call record with `localaws.calls.calls()` / `.clear()`.
"""

from __future__ import annotations

from localaws import calls, clock


def install() -> None:
    """Install the add-on into moto (idempotent)."""
    from localaws import kms

    calls.install()
    kms.install()


__all__ = ["calls", "clock", "install"]
