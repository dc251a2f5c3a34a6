"""Keeps the local AWS's state in a folder across restarts (issue 6 item 5, issue 23 item 5).

What is saved: each moto backend's attributes for every service the stack serves (SERVICES),
and the import add-on's own state: its clock offset, the import-token secret and the wrapping
keys (so parameters fetched before a restart still import after it). A key's material
versions (current, non-current, pending rotation, with their ids, descriptions, expiry and
rotation dates) are attributes of moto's key objects and travel with them. Private keys are
pickled as PKCS#8 DER; a defaultdict whose factory pickle cannot name (moto's SSM backend
builds one from a lambda) is saved with a factory that copies what the original one made.

Each service is pickled on its own, so a save that fails names the service. The file is then
still written, with that service's last good snapshot, and the failure is raised as SaveError
for the caller to log and retry: one service that cannot be saved never costs the others.

The file holds key material in the clear: it is written 0600 inside a 0700 folder and is
meant for the local stand-in only.
"""

from __future__ import annotations

import contextlib
import copy
import copyreg
import functools
import io
import logging
import os
import pickle
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from localaws import calls, clock
from localaws.kms import tokens, wrapping

log = logging.getLogger("localaws")

SERVICES = ("kms", "secretsmanager", "ssm", "s3", "sts", "iam", "cloudwatch")
# The add-on's own state, saved beside the moto backends under this name.
ADDON = "kms-import-addon"
FILE_NAME = "state.pickle"
# Bumped when the saved shape changes (2: keys hold a list of material versions; 3: one
# pickle per service); a file of an unknown format is not loaded, so no half-understood key
# survives an upgrade.
FORMAT = 3
FORMAT_2 = 2  # still loaded, so an upgrade keeps a running demo's state
# Autosave: how often it looks for answered calls, and the longest wait between retries
# after a failed save (the wait doubles from the interval up to this).
AUTOSAVE_INTERVAL_S = 1.0
MAX_RETRY_WAIT_S = 30.0

_save_lock = threading.Lock()


class _Gate:
    """Requests share it, a save holds it alone: a snapshot never sees a request half-done
    (and never fails with "dictionary changed size during iteration"). A waiting save goes
    before requests that arrive after it, so a busy server still saves."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._serving = 0
        self._saving = False
        self._waiting = 0

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        with self._cond:
            while self._saving or self._waiting:
                self._cond.wait()
            self._serving += 1
        try:
            yield
        finally:
            with self._cond:
                self._serving -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def save(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._saving or self._serving:
                self._cond.wait()
            self._waiting -= 1
            self._saving = True
        try:
            yield
        finally:
            with self._cond:
                self._saving = False
                self._cond.notify_all()


gate = _Gate()
# Per part (service or ADDON), the last pickle that succeeded: reused when it next fails.
_last_good: dict[str, bytes] = {}
# Set by `configure` when the server keeps state: what POST /_localaws/save writes to.
_state_dir: Path | None = None


class SaveError(Exception):
    """Some parts could not be saved; the file holds their last good snapshot."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        super().__init__("; ".join(f"{part}: {error}" for part, error in sorted(failures.items())))


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


def _named_by_pickle(factory: Callable[[], Any] | None) -> bool:
    qualname = getattr(factory, "__qualname__", "")
    return "<lambda>" not in qualname and "<locals>" not in qualname


def _new_defaultdict(
    cls: type[defaultdict[Any, Any]], factory: Any, template: Any, copies: bool
) -> defaultdict[Any, Any]:
    """An empty `cls` whose missing entries come from `factory`, or, when `copies` (the
    original factory could not be pickled), start as copies of `template` (what it made)."""
    made = cls.__new__(cls)
    if copies:
        factory = functools.partial(copy.deepcopy, template)
    defaultdict.__init__(made, factory)
    return made


def _reduce_defaultdict(value: defaultdict[Any, Any]) -> tuple[Any, ...]:
    """defaultdict's own reduction calls `cls(factory)`, which a subclass with another
    __init__ (moto's SSM ParameterDict) cannot take, and drops the instance's attributes;
    and a lambda factory (moto's SSM tags) does not pickle. Rebuild without __init__, keep
    the attributes, and keep what a lambda factory makes (moto's are pure), not its code."""
    factory = value.default_factory
    args: tuple[Any, ...] = (type(value), factory, None, False)
    if factory is not None and not _named_by_pickle(factory):
        args = (type(value), None, factory(), True)
    attributes = dict(vars(value)) if hasattr(value, "__dict__") else None
    return _new_defaultdict, args, attributes or None, None, iter(value.items())


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, defaultdict):
            return _reduce_defaultdict(obj)
        return NotImplemented


def _pickle(value: Any) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return out.getvalue()


def _backend_dicts(services: tuple[str, ...] | list[str]) -> dict[str, Any]:
    from moto.backends import get_backend

    return {service: get_backend(service) for service in services}  # type: ignore[call-overload]


def _loaded_services() -> list[str]:
    """The services a request has touched: moto imports a service's module on its first
    request, and one never imported holds no state. Importing them all up front would cost
    seconds (moto.ssm imports moto.ec2, ~2 s), on every save and every start."""
    return [name for name in SERVICES if f"moto.{name}" in sys.modules]


def _service_state(backend_dict: Any) -> dict[tuple[str, str], dict[str, Any]]:
    regions: dict[tuple[str, str], dict[str, Any]] = {}
    for account_id, per_account in dict.items(backend_dict):
        for region, backend in dict.items(per_account):
            regions[(account_id, region)] = dict(backend.__dict__)
    return regions


def _addon_state() -> dict[str, Any]:
    return {
        "clock_offset": clock.now() - clock.real_now(),
        "token_secret": tokens.secret(),
        "wrapping": wrapping.export(),
    }


def _parts() -> dict[str, Callable[[], Any]]:
    """What to save, by part name: a function returning that part's state."""
    backend_dicts = _backend_dicts(_loaded_services())
    parts: dict[str, Callable[[], Any]] = {
        name: functools.partial(_service_state, backend_dict)
        for name, backend_dict in backend_dicts.items()
    }
    parts[ADDON] = _addon_state
    return parts


def snapshot() -> tuple[dict[str, bytes], dict[str, str]]:
    """Each part pickled on its own: (pickles by part, errors by part that failed).
    A part that failed keeps its last good pickle, if it ever had one."""
    pickles: dict[str, bytes] = {}
    failures: dict[str, str] = {}
    for part, state_of in _parts().items():
        try:
            pickles[part] = _last_good[part] = _pickle(state_of())
        except Exception as exc:  # any failure of one part must not stop the others
            failures[part] = f"{type(exc).__name__}: {exc}"
            if part in _last_good:
                pickles[part] = _last_good[part]
    return pickles, failures


def _restore_service(service: str, regions: dict[tuple[str, str], dict[str, Any]]) -> None:
    backend_dict = _backend_dicts([service])[service]
    for (account_id, region), attributes in regions.items():
        backend_dict[account_id][region].__dict__.update(attributes)


def _restore_addon(state: dict[str, Any]) -> None:
    clock.set(clock.real_now() + state["clock_offset"])
    tokens.use_secret(state["token_secret"])
    wrapping.restore(state["wrapping"])


def restore(pickles: dict[str, bytes]) -> list[str]:
    """Load each saved part; a part that cannot be loaded is named in the log and skipped.
    Returns the parts loaded."""
    loaded = []
    for part, data in pickles.items():
        try:
            state = pickle.loads(data)  # noqa: S301 - our own file, 0600
            if part == ADDON:
                _restore_addon(state)
            else:
                _restore_service(part, state)
        except Exception as exc:  # a moto upgrade can change classes: start that part empty
            log.error("could not load the saved %s state (%s); it starts empty", part, exc)
            continue
        _last_good[part] = data
        loaded.append(part)
    return loaded


def save(state_dir: Path) -> None:
    """Write the state atomically; a half-written file never replaces a good one.
    Raises SaveError, after writing the parts that did save, when some part did not."""
    with _save_lock:
        with gate.save():
            pickles, failures = snapshot()
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = state_dir / FILE_NAME
        partial = target.with_suffix(".partial")
        data = pickle.dumps({"format": FORMAT, "parts": pickles}, protocol=pickle.HIGHEST_PROTOCOL)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(target)
    if failures:
        raise SaveError(failures)


def load(state_dir: Path) -> bool:
    """Restore saved state if there is any; True when something was loaded."""
    target = state_dir / FILE_NAME
    if not target.exists():
        return False
    try:
        state = pickle.loads(target.read_bytes())  # noqa: S301 - our own file, 0600
        if isinstance(state, dict) and state.get("format") == FORMAT_2:
            return _load_format_2(state)
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            found = state.get("format") if isinstance(state, dict) else None
            raise ValueError(f"saved format {found}, this server reads {FORMAT}")
    except Exception as exc:
        log.error(
            "could not load saved state from %s (%s); starting empty, the file is kept as %s",
            target,
            exc,
            _keep_unloaded(target),
        )
        return False
    loaded = restore(state["parts"])
    if set(loaded) != set(state["parts"]):
        log.error("the file with the parts not loaded is kept as %s", _keep_unloaded(target))
    return bool(loaded)


def _keep_unloaded(target: Path) -> Path:
    """Copy a state file that did not (fully) load aside, before a save overwrites it."""
    kept = target.with_name(f"{target.name}.unloaded")
    fd = os.open(kept, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(target.read_bytes())
    return kept


def _load_format_2(state: dict[str, Any]) -> bool:
    """A file from before one pickle per service: its backends and the add-on's state are
    plain values in the one pickle (an SSM backend in it would never have saved)."""
    for service, regions in state["backends"].items():
        _restore_service(service, regions)
    _restore_addon(state)
    log.info("loaded a format %d state file; the next save writes format %d", FORMAT_2, FORMAT)
    return True


def configure(state_dir: Path) -> None:
    """Remember where this server keeps state (for save_now and POST /_localaws/save)."""
    global _state_dir
    _state_dir = state_dir


def save_now() -> dict[str, Any]:
    """Save at once, for `offline-stack down`: {"saved": bool, "failures": {part: error}}."""
    if _state_dir is None:
        return {"saved": False, "failures": {}, "reason": "this server keeps no state"}
    try:
        save(_state_dir)
    except SaveError as exc:
        _log_failure(exc, retry_in_s=None)
        return {"saved": False, "failures": exc.failures}
    except OSError as exc:  # the folder or the disk: nothing was written
        _log_failure(exc, retry_in_s=None)
        return {"saved": False, "failures": {"state file": f"{type(exc).__name__}: {exc}"}}
    return {"saved": True, "failures": {}}


def _log_failure(exc: Exception, retry_in_s: float | None) -> None:
    then = f"retrying in {retry_in_s:.1f} s" if retry_in_s is not None else "not retried"
    log.error("SAVE FAILED: changes since the last good save are at risk (%s); %s", exc, then)


def start_autosave(
    state_dir: Path,
    interval_s: float = AUTOSAVE_INTERVAL_S,
    stop: threading.Event | None = None,
    max_retry_wait_s: float = MAX_RETRY_WAIT_S,
) -> threading.Thread:
    """Save in the background whenever calls were answered since the last save, so a
    killed server loses at most about a second of changes. A failed save is logged (naming
    the part and the error) and retried, waiting longer each time up to max_retry_wait_s;
    nothing a save raises ends the thread, only `stop` does."""
    stopped = stop or threading.Event()

    def loop() -> None:
        seen = calls.count()
        wait = interval_s
        while not stopped.wait(wait):
            now_seen = calls.count()
            if now_seen == seen and wait == interval_s:
                continue
            try:
                save(state_dir)
            except Exception as exc:  # logged, and retried
                wait = min(max(wait * 2, interval_s), max_retry_wait_s)
                _log_failure(exc, retry_in_s=wait)
                continue
            if wait != interval_s:
                log.info("saved again after failures")
            seen, wait = now_seen, interval_s

    thread = threading.Thread(target=loop, name="localaws-autosave", daemon=True)
    thread.start()
    return thread


_register_key_pickling()
