"""Keeps the local AWS's state in a folder across restarts (issue 6, item 5).

What is saved: each moto backend's attributes for the services the project uses, the
add-on's clock offset, the import-token secret and the wrapping keys (so parameters fetched
before a restart still import after it). A key's material versions (current, non-current,
pending rotation, with their ids, descriptions, expiry and rotation dates) are attributes of
moto's key objects and travel with them. Private keys are pickled as PKCS#8 DER.
The file holds key material in the clear: it is written 0600 inside a 0700 folder and is
meant for the local stand-in only.
"""

from __future__ import annotations

import copyreg
import logging
import os
import pickle
import sys
import threading
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from localaws import calls, clock
from localaws.kms import tokens, wrapping

log = logging.getLogger("localaws")

SERVICES = ("kms", "secretsmanager", "ssm", "s3", "sts", "iam")
FILE_NAME = "state.pickle"
# Bumped when the saved classes change shape (2: keys hold a list of material versions);
# a file of another format is not loaded, so no half-understood key survives an upgrade.
FORMAT = 2
_save_lock = threading.Lock()


def _load_private_key(der: bytes) -> Any:
    # Our own file: skipping RSA's consistency check (~60 ms a key) keeps start-up short.
    return serialization.load_der_private_key(
        der, password=None, unsafe_skip_rsa_key_validation=True
    )


def _reduce_private_key(key: Any) -> tuple[Any, tuple[bytes]]:
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _load_private_key, (der,)


def _register_key_pickling() -> None:
    """cryptography's key objects do not pickle; teach pickle to go through PKCS#8.
    The concrete classes live in cryptography's Rust bindings (checked on 50.x)."""
    from cryptography.hazmat.bindings._rust import openssl

    for key_type in (openssl.rsa.RSAPrivateKey, openssl.ec.ECPrivateKey):
        copyreg.pickle(key_type, _reduce_private_key)


def _backend_dicts(services: tuple[str, ...] | list[str]) -> dict[str, Any]:
    from moto.backends import get_backend

    return {service: get_backend(service) for service in services}  # type: ignore[call-overload]


def _loaded_services() -> list[str]:
    """The services a request has touched: moto imports a service's module on its first
    request, and one never imported holds no state. Importing them all up front would cost
    seconds (moto.ssm imports moto.ec2, ~2 s), on every save and every start."""
    return [name for name in SERVICES if f"moto.{name}" in sys.modules]


def snapshot() -> dict[str, Any]:
    backends: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for service, backend_dict in _backend_dicts(_loaded_services()).items():
        regions: dict[tuple[str, str], dict[str, Any]] = {}
        for account_id, per_account in dict.items(backend_dict):
            for region, backend in dict.items(per_account):
                regions[(account_id, region)] = dict(backend.__dict__)
        backends[service] = regions
    return {
        "format": FORMAT,
        "backends": backends,
        "clock_offset": clock.now() - clock.real_now(),
        "token_secret": tokens.secret(),
        "wrapping": wrapping.export(),
    }


def restore(state: dict[str, Any]) -> None:
    backend_dicts = _backend_dicts(list(state["backends"]))
    for service, regions in state["backends"].items():
        for (account_id, region), attributes in regions.items():
            backend_dicts[service][account_id][region].__dict__.update(attributes)
    clock.set(clock.real_now() + state["clock_offset"])
    tokens.use_secret(state["token_secret"])
    wrapping.restore(state["wrapping"])


def save(state_dir: Path) -> None:
    """Write the state atomically; a half-written file never replaces a good one."""
    with _save_lock:
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = state_dir / FILE_NAME
        partial = target.with_suffix(".partial")
        data = pickle.dumps(snapshot(), protocol=pickle.HIGHEST_PROTOCOL)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        partial.replace(target)


def load(state_dir: Path) -> bool:
    """Restore saved state if there is any; True when something was loaded."""
    target = state_dir / FILE_NAME
    if not target.exists():
        return False
    try:
        state = pickle.loads(target.read_bytes())  # noqa: S301 - our own file, 0600
        if state.get("format") != FORMAT:
            raise ValueError(f"saved format {state.get('format')}, this server reads {FORMAT}")
        restore(state)
    except Exception as exc:  # a moto upgrade can change classes: start empty, say so
        log.warning("could not load saved state from %s (%s); starting empty", target, exc)
        return False
    return True


def start_autosave(state_dir: Path, interval_s: float = 1.0) -> None:
    """Save in the background whenever calls were answered since the last save, so a
    killed server loses at most about a second of changes."""

    def loop() -> None:
        seen = calls.count()
        while True:
            time.sleep(interval_s)
            now_seen = calls.count()
            if now_seen == seen:
                continue
            try:
                save(state_dir)
                seen = now_seen
            except RuntimeError:  # a request changed a dict mid-pickle: try next tick
                continue

    threading.Thread(target=loop, name="localaws-autosave", daemon=True).start()


_register_key_pickling()
