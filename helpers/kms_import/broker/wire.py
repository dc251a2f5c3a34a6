"""Where the broker's socket lives, and the messages on it.

Kept to the lightest standard modules (no pathlib, json or re): the client imports this on
every run. A message is a 4-byte big-endian length and a `marshal`led dict of str, int and
lists (both ends are the same interpreter, and the same user: the server checks the peer's
uid, the client only connects inside its own 0700 folder). The request carries the client's
stdin, stdout and stderr as SCM_RIGHTS file descriptors.

The exchange: request (client) -> {"pid"} (worker) -> GO (client) -> {"status"} (server).
The worker runs nothing before GO, so a client that never got the pid may safely ask again:
no worker has touched its stdin (the external data source's query is read only once).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import marshal
import os
import socket
import stat
import sys
from collections.abc import Iterator

# Environment variables that differ between Terraform's callers of one apply without
# changing what the helper does: go-plugin's per-plugin handshake (the external data source
# runs the helper under a provider process) and the shell's own bookkeeping. They do not pick
# the server; the worker still runs with the client's exact environment.
VOLATILE_PREFIXES = ("PLUGIN_", "TF_PLUGIN_MAGIC_COOKIE")
VOLATILE_NAMES = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})

GO = b"\x01"
MAX_ADDRESS = 108  # sun_path, with its NUL
MAX_MESSAGE = 4 << 20  # a request is an argv and an environment: far below this
_FDS = 3


class BrokerUnavailable(Exception):
    """The broker cannot be used here; the caller runs the command in-process."""


def folder(env: dict[str, str]) -> str:
    """The user's own socket folder: $XDG_RUNTIME_DIR/kms-import, else /tmp/kms-import-UID
    (also when the runtime folder's path is too long for a socket address)."""
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        path = os.path.join(runtime, "kms-import")
        if (
            len(os.fsencode(path)) + len("/.0123456789abcdef0123456789abcdef.sock.4194304")
            < MAX_ADDRESS
        ):
            return path
    return f"/tmp/kms-import-{os.getuid()}"  # noqa: S108 - checked below: ours, 0700


def private_folder(path: str) -> str:
    """Create `path` 0700, or accept it only if it is ours, a real folder and private."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise BrokerUnavailable(f"{path}: {exc.strerror}") from None
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise BrokerUnavailable(f"{path}: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise BrokerUnavailable(f"{path} is not a private folder of this user")
    return path


def server_key(env: dict[str, str]) -> str:
    """Digest of what a server must share with its clients: code, interpreter, environment."""
    from .. import __version__

    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    stable = sorted(
        (name, value)
        for name, value in env.items()
        if name not in VOLATILE_NAMES and not name.startswith(VOLATILE_PREFIXES)
    )
    code = [sys.executable, package, __version__, str(_newest_mtime(package))]
    lines = code + [f"{name}={value}" for name, value in stable]
    blob = "\0".join(lines).encode("utf-8", "surrogateescape")
    return hashlib.sha256(blob).hexdigest()[:32]


def _newest_mtime(package: str) -> int:
    """The newest module file's mtime: an upgraded or edited helper gets a new server."""
    newest = 0
    for folder_, _dirs, files in os.walk(package):
        for name in files:
            if name.endswith(".py"):
                newest = max(newest, os.stat(os.path.join(folder_, name)).st_mtime_ns)
    return newest


def socket_path(env: dict[str, str]) -> str:
    if not hasattr(socket, "SO_PEERCRED"):  # the server's check of who connects: Linux's
        raise BrokerUnavailable("no SO_PEERCRED on this system")
    return os.path.join(private_folder(folder(env)), f"{server_key(env)}.sock")


def pid_path(socket_file: str) -> str:
    """The server's pid file, beside its socket."""
    return os.path.splitext(socket_file)[0] + ".pid"


def lock_path(socket_file: str) -> str:
    """The lock taken to start (clients) or retire (the server) the server of this socket."""
    return os.path.splitext(socket_file)[0] + ".lock"


@contextlib.contextmanager
def locked(socket_file: str) -> Iterator[None]:
    fd = os.open(lock_path(socket_file), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def running(env: dict[str, str]) -> list[tuple[int, str]]:
    """(pid, socket) of this user's live servers in this environment's folder."""
    base = folder(env)
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    found = []
    for name in names:
        if not name.endswith(".pid"):
            continue
        try:
            with open(os.path.join(base, name)) as handle:
                pid = int(handle.read().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            continue  # a server killed before it could retire
        found.append((pid, os.path.join(base, name[: -len(".pid")] + ".sock")))
    return found


def send(sock: socket.socket, message: dict[str, object], fds: list[int] | None = None) -> None:
    body = marshal.dumps(message)
    data = len(body).to_bytes(4, "big") + body
    if fds:
        sent = socket.send_fds(sock, [data], fds)
        data = data[sent:]
    if data:
        sock.sendall(data)


def receive(sock: socket.socket, want_fds: bool = False) -> tuple[dict, list[int]]:
    """One message (and the fds sent with it); EOFError if the peer closed first."""
    fds: list[int] = []
    if want_fds:
        head, fds, _flags, _addr = socket.recv_fds(sock, 4, _FDS)
    else:
        head = sock.recv(4)
    head += _exactly(sock, 4 - len(head)) if head else b""
    if len(head) < 4:
        _close(fds)
        raise EOFError("the broker connection closed")
    size = int.from_bytes(head, "big")
    if size > MAX_MESSAGE:
        _close(fds)
        raise EOFError("oversized broker message")
    message = marshal.loads(_exactly(sock, size))  # noqa: S302 - same user, same interpreter
    if not isinstance(message, dict):
        _close(fds)
        raise EOFError("malformed broker message")
    return message, fds


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 16))
        if not chunk:
            raise EOFError("the broker connection closed mid-message")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)
