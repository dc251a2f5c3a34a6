"""The client side: hand this `kms-import` run to a warm server, starting one if needed.

`run_brokered(argv)` returns the exit code the command had in the worker, or None when no
worker could be started (the caller then runs the command in-process, as it always could).
Once a worker has started, the outcome is the worker's: the client never runs the command a
second time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time

from . import wire

# A cold server imports boto3, botocore and cryptography: ~1 s, up to several on a busy
# machine. Past this the client gives up on the broker and runs the command itself.
START_TIMEOUT_S = 20.0
ATTEMPTS = 3  # a server retiring just as we connect is met by starting a new one
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def run_brokered(argv: list[str]) -> int | None:
    env = dict(os.environ)
    try:
        path = wire.socket_path(env)
        cwd = os.getcwd()  # gone if the folder was removed: then run here, as before
    except (wire.BrokerUnavailable, OSError):
        return None
    request = {"argv": [sys.argv[0], *argv], "env": env, "cwd": cwd, "umask": _umask()}
    signals = Forwarder()  # from here on: a signal is the worker's, once there is one
    for _ in range(ATTEMPTS):
        try:
            conn = _connect_or_start(path, env)
        except wire.BrokerUnavailable:
            break
        try:
            wire.send(conn, request, [0, 1, 2])
            started, _ = wire.receive(conn)
            conn.sendall(wire.GO)  # the worker starts only now: before this, asking again is safe
        except (OSError, EOFError):
            conn.close()
            continue
        signals.to(int(started["pid"]))
        return _follow(conn, int(started["pid"]))
    signals.restore()  # no worker: this process runs the command, and takes its signals
    return None


class Forwarder:
    """Signals for the worker: held until its pid is known, then passed on; if no worker
    starts, handed back to this process."""

    def __init__(self) -> None:
        self.worker: int | None = None
        self.pending: list[int] = []
        for signum in FORWARDED:
            signal.signal(signum, self.handle)

    def handle(self, signum: int, _frame: object) -> None:
        if self.worker is None:
            self.pending.append(signum)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.worker, signum)

    def to(self, worker: int) -> None:
        self.worker = worker
        for signum in self.pending:
            self.handle(signum, None)
        self.pending.clear()

    def restore(self) -> None:
        for forwarded in FORWARDED:
            default = signal.default_int_handler if forwarded == signal.SIGINT else signal.SIG_DFL
            signal.signal(forwarded, default)
        for signum in self.pending:
            os.kill(os.getpid(), signum)


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _connect(path: str) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    return conn


def _connect_or_start(path: str, env: dict[str, str]) -> socket.socket:
    conn = _connect(path)
    if conn is not None:
        return conn
    with wire.locked(path):
        conn = _connect(path)
        if conn is not None:
            return conn
        with contextlib.suppress(OSError):
            os.unlink(path)  # a server that died without retiring
        server = _start_server(path, env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.02)
            conn = _connect(path)
            if conn is not None:
                return conn
    raise wire.BrokerUnavailable("the broker server did not start")


def _start_server(path: str, env: dict[str, str]):
    import subprocess

    # Its own session, no inherited pipes: Terraform waits for the step's pipes to close,
    # and must not wait for a server that outlives the step.
    return subprocess.Popen(
        [sys.executable, "-P", "-m", "kms_import.broker.server", path],
        env=env,
        cwd="/",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _follow(conn: socket.socket, worker: int) -> int:
    """Wait for the server to report the worker's wait status; mirror it."""
    try:
        done, _ = wire.receive(conn)
    except (OSError, EOFError):
        print(
            f"kms-import: error: the broker lost worker {worker} before it finished; run the "
            "step again (KMS_IMPORT_BROKER=0 runs the helper without the broker)",
            file=sys.stderr,
        )
        return 1
    finally:
        conn.close()
    status = int(done["status"])
    if os.WIFSIGNALED(status):
        died_of = os.WTERMSIG(status)
        signal.signal(died_of, signal.SIG_DFL)
        os.kill(os.getpid(), died_of)  # die as the worker did, so sh and Terraform see it
        return 128 + died_of
    return os.waitstatus_to_exitcode(status)
