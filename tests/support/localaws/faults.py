"""Fault switches, so tests can show that clients retry and wait as they must on AWS.

  throttle_rate             0..1: share of KMS calls answered with ThrottlingException
  latency_ms                added to every KMS call
  not_found_after_create_s  a new KMS key answers NotFoundException for this long
                            (KMS is eventually consistent right after CreateKey)

Set in-process with `configure(...)`, over HTTP with POST /_localaws/faults.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any

from .switches import Switchboard


@dataclass(frozen=True)
class Faults:
    throttle_rate: float = 0.0
    latency_ms: int = 0
    not_found_after_create_s: float = 0.0


def _check(faults: Faults) -> None:
    if not 0.0 <= faults.throttle_rate <= 1.0 or faults.latency_ms < 0:
        raise ValueError("throttle_rate must be 0..1 and latency_ms >= 0")


_switches = Switchboard(Faults, _check)
configure = _switches.configure
current = _switches.current
reset = _switches.reset


def _error(code: str, message: str) -> tuple[int, dict[str, str], str]:
    body = json.dumps({"__type": code, "message": message})
    return 400, {"status": "400", "x-amzn-ErrorType": code}, body


def _fault_for(response: Any) -> tuple[int, dict[str, str], str] | None:
    faults = _switches.now
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    if faults.throttle_rate and random.random() < faults.throttle_rate:
        return _error("ThrottlingException", "Rate exceeded")
    if faults.not_found_after_create_s and _names_young_key(response, faults):
        return _error("NotFoundException", "Key does not exist (yet)")
    return None


def _names_young_key(response: Any, faults: Faults) -> bool:
    try:
        key_id = json.loads(response.body or "{}").get("KeyId")
        backend = response.kms_backend
        key = backend.keys.get(backend.any_id_to_key_id(key_id)) if key_id else None
    except (ValueError, AttributeError, TypeError, KeyError):
        return False
    return key is not None and time.time() - key.creation_date < faults.not_found_after_create_s


def install() -> None:
    """Wrap KmsResponse.call_action once: faults apply to KMS only, so the S3 state
    backend and STS stay dependable while KMS misbehaves."""
    from moto.kms.responses import KmsResponse

    original = KmsResponse.call_action
    if getattr(original, "_localaws_faults", False):
        return

    def call_action(self: Any) -> Any:
        if self._get_action() != "CreateKey":
            fault = _fault_for(self)
            if fault is not None:
                return fault
        return original(self)

    call_action._localaws_faults = True  # type: ignore[attr-defined]
    KmsResponse.call_action = call_action  # type: ignore[method-assign]
