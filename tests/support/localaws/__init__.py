"""A faithful local AWS for the project's tests and demo: moto plus an import add-on.

In-process use (unit tests)::

    import localaws, moto
    localaws.install()
    with moto.mock_aws():
        ...  # boto3 KMS now behaves as KMS does for imported key material

Move the add-on's clock with `localaws.clock.advance(seconds)` / `.set(dt)` / `.reset()`;
read the call record with `localaws.calls.calls()` / `.clear()`; switch faults on with
`localaws.faults.configure(throttle_rate=..., latency_ms=..., not_found_after_create_s=...)`;
make AssumeRole honour IAM roles and trust policies with `localaws.sts.configure(check_roles=True)`.
"""

from __future__ import annotations

from localaws import calls, clock, faults


def install() -> None:
    """Install the add-on into moto (idempotent)."""
    from localaws import kms, sts

    calls.install()
    kms.install()
    faults.install()
    sts.install()


__all__ = ["calls", "clock", "faults", "install"]
