"""The broker server: `python -P -m kms_import.broker.server SOCKET`, started by a client.

It imports everything the brokered commands need once, then for each connection from the
same user forks a worker. The worker takes the client's stdio, environment, working folder
and umask and runs the command through `cli.main`, as `kms-import` itself would. The server
keeps its end of each connection to send the worker's wait status when it reaps it, and
exits once IDLE_S seconds pass with no worker running and no new connection.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import NoReturn

from . import wire

# How long a server waits for more work; KMS_IMPORT_BROKER_IDLE_S overrides it. Long enough
# to carry an apply from its plan walk to its apply walk, short enough not to linger.
IDLE_S = 10.0
# Connections waiting while the server forks: one apply's parallel import steps, with room.
BACKLOG = 64
# A client sends its request right after connecting; one that does not is not a client.
REQUEST_TIMEOUT_S = 10.0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -P -m kms_import.broker.server SOCKET", file=sys.stderr)
        return 2
    path = Path(args[0])
    idle = float(os.environ.get("KMS_IMPORT_BROKER_IDLE_S") or IDLE_S)
    preload()
    # Workers share the preloaded heap copy-on-write; a collection in a worker would walk it
    # all and copy every page it touches. Frozen objects are never collected or walked.
    gc.freeze()
    listener = listen(path)
    Server(listener, path, idle).serve()
    return 0


def preload() -> None:
    """Import what the brokered commands use (the helper imports most of it lazily, inside
    the functions that need it), and warm botocore's model cache."""
    import cryptography.exceptions
    import cryptography.hazmat.primitives.asymmetric.ec
    import cryptography.hazmat.primitives.asymmetric.padding
    import cryptography.hazmat.primitives.asymmetric.rsa
    import cryptography.hazmat.primitives.hashes
    import cryptography.hazmat.primitives.keywrap
    import cryptography.hazmat.primitives.serialization  # noqa: F401

    from .. import aws, cli, fingerprint, importer, rotation, verify, wrapping  # noqa: F401
    from ..sources import registry

    registry()
    aws.warm_up()


def listen(path: Path) -> socket.socket:
    """Bind under a temporary name and rename: clients only ever see a listening socket.
    The pid file (for `kms-import broker`) is written first."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    staging.unlink(missing_ok=True)
    listener.bind(str(staging))
    os.chmod(staging, 0o600)
    listener.listen(BACKLOG)
    pid_file = Path(wire.pid_path(str(path)))
    pid_file.touch(mode=0o600)
    pid_file.write_text(f"{os.getpid()}\n")
    os.replace(staging, path)
    return listener


class Server:
    def __init__(self, listener: socket.socket, path: Path, idle: float = IDLE_S) -> None:
        self.listener = listener
        self.idle = idle
        self.path = path
        self.inode = path.stat().st_ino
        self.workers: dict[int, socket.socket] = {}
        self.wake_r, self.wake_w = os.pipe()
        for fd in (self.wake_r, self.wake_w):
            os.set_blocking(fd, False)

    def serve(self) -> None:
        signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake select() via the pipe
        signal.set_wakeup_fd(self.wake_w)
        idle_since = time.monotonic()
        while True:
            timeout = None  # with workers running, wait for them or for clients
            if not self.workers:
                timeout = max(0.0, idle_since + self.idle - time.monotonic())
                if timeout == 0 and self.retire():
                    return
            watched: list[socket.socket | int] = [self.listener, self.wake_r]
            ready, _, _ = select.select(watched, [], [], timeout)
            if self.wake_r in ready:
                self.reap()
            if self.listener in ready:
                self.accept()
            if ready:
                idle_since = time.monotonic()

    def accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        if _peer_uid(conn) != os.getuid():
            conn.close()
            return
        pid = os.fork()
        if pid == 0:
            self.become_worker(conn)
        self.workers[pid] = conn

    def reap(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self.wake_r, 512):
                pass
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = self.workers.pop(pid, None)
            if conn is not None:
                with contextlib.suppress(OSError):
                    wire.send(conn, {"status": status})
                conn.close()

    def retire(self) -> bool:
        """Stop listening unless a client connected meanwhile; True when the server may exit."""
        with wire.locked(str(self.path)):
            ready, _, _ = select.select([self.listener], [], [], 0)
            if ready:
                return False
            with contextlib.suppress(OSError):
                if self.path.stat().st_ino == self.inode:
                    self.path.unlink()
                    os.unlink(wire.pid_path(str(self.path)))
                    # A client already waiting on this lock then starts a server beside one
                    # a later client starts under a new lock file: two servers for a while,
                    # each answering whoever reaches it, the older one soon retiring.
                    os.unlink(wire.lock_path(str(self.path)))
            self.listener.close()
        return True

    def become_worker(self, conn: socket.socket) -> NoReturn:
        """In the forked child: drop the server's state, run one command, exit with its code."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            self.listener.close()
            os.close(self.wake_r)
            os.close(self.wake_w)
            for other in self.workers.values():
                other.close()
            conn.settimeout(REQUEST_TIMEOUT_S)
            request, fds = wire.receive(conn, want_fds=True)
            wire.send(conn, {"pid": os.getpid()})
            if conn.recv(1) != wire.GO:  # the client went away (or will ask another worker)
                os._exit(0)
            conn.settimeout(None)
            adopt(request, fds)
            exit_when_client_goes(conn)
            code = run(request["argv"])
        except KeyboardInterrupt:  # Ctrl-C forwarded before cli.main took over
            from ..cli import interrupted

            code = interrupted()
        except BaseException:  # a worker must always reach os._exit
            with contextlib.suppress(Exception):
                traceback.print_exc()
        finally:
            os._exit(code)


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def adopt(request: dict, fds: list[int]) -> None:
    """Become the client: its stdin/stdout/stderr, environment, folder, umask and argv."""
    if len(fds) != 3:
        raise ValueError("a request carries stdin, stdout and stderr")
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        if fd > 2:
            os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    os.umask(int(request["umask"]))
    sys.argv = list(request["argv"])


def exit_when_client_goes(conn: socket.socket) -> None:
    """A client killed mid-command takes its worker with it, as a killed helper process
    would stop: the client never writes after GO, so readable means closed."""

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            select.select([conn], [], [])
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="client-watch", daemon=True).start()


def run(argv: list[str]) -> int:
    """`cli.main` on the client's arguments; the exit code a `kms-import` process would have."""
    from ..cli import main as cli_main

    try:
        code: object = cli_main(argv[1:])
    except SystemExit as exc:  # argparse: usage errors, --help, --version
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()  # what interpreter exit would run (logging's flush, ...)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
