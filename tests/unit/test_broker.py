"""The broker (helpers/kms_import/broker): one warm server per user and environment.

Every test gets its own XDG_RUNTIME_DIR, so its servers are its own; they are found through
/proc by the socket folder on their command line, and stopped at the end of the test.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kms_import.broker import wire
from kms_import.launch import brokered

KMS_IMPORT = Path(sys.executable).parent / "kms-import"
MATERIAL = bytes(range(32))


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    # Short: a socket address holds 107 bytes, and pytest's tmp_path can be longer.
    runtime = tempfile.mkdtemp(prefix="kb-", dir="/tmp")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KMS_IMPORT_"))}
    base["XDG_RUNTIME_DIR"] = runtime
    yield base
    for pid in servers(base):
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def material(tmp_path: Path) -> str:
    path = tmp_path / "material.bin"
    path.touch(mode=0o600)
    path.write_bytes(MATERIAL)
    return f"file://{path}"


def _brokers(env: dict[str, str]) -> dict[int, int]:
    """pid -> parent pid of the live processes (servers and their forked workers) running
    `kms_import.broker.server` with a socket in this environment's folder."""
    folder = wire.folder(env).encode()
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if b"kms_import.broker.server" in cmdline and folder in cmdline and fields[0] != "Z":
            found[int(proc.name)] = int(fields[1])
    return found


def servers(env: dict[str, str]) -> list[int]:
    """The servers as /proc shows them (`kms-import broker` reads pid files instead)."""
    brokers = _brokers(env)
    return [pid for pid, parent in brokers.items() if parent not in brokers]


def workers(env: dict[str, str], server_pid: int) -> list[int]:
    return [pid for pid, parent in _brokers(env).items() if parent == server_pid]


def helper(*args: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KMS_IMPORT), *args], env=env, capture_output=True, text=True, timeout=60, **kwargs
    )


def wait_for(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_which_commands_go_to_the_broker() -> None:
    assert brokered(["import", "--key-id", "k"], {})
    assert brokered(["--debug", "fingerprint"], {})
    assert brokered(["rotate-material", "--key-id", "k"], {})
    assert not brokered(["status"], {})
    assert not brokered(["tfvars", "show"], {})
    assert not brokered([], {})
    assert not brokered(["import"], {"KMS_IMPORT_BROKER": "0"})
    assert not brokered(["import"], {"KMS_IMPORT_BROKER": "off"})


def test_the_broker_answers_as_the_helper_does(env: dict[str, str], material: str) -> None:
    query = f'{{"source": "{material}", "key_spec": "SYMMETRIC_DEFAULT"}}'
    direct = helper("fingerprint", env={**env, "KMS_IMPORT_BROKER": "0"}, input=query)
    assert direct.returncode == 0, direct.stderr
    assert servers(env) == []  # switched off: no server

    brokered_run = helper("fingerprint", env=env, input=query)  # stdin reaches the worker
    assert (brokered_run.returncode, brokered_run.stdout) == (0, direct.stdout)
    assert len(servers(env)) == 1
    socket_file = Path(wire.socket_path(env))
    assert socket_file.exists()
    assert (socket_file.parent.stat().st_mode & 0o777, socket_file.stat().st_mode & 0o777) == (
        0o700,
        0o600,
    )

    # Errors too: the same one line on stderr, the same exit code, no traceback.
    missing = material + ".missing"
    want = helper("fingerprint", "--source", missing, env={**env, "KMS_IMPORT_BROKER": "0"})
    got = helper("fingerprint", "--source", missing, env=env)
    assert want.returncode == got.returncode == 1
    assert got.stderr == want.stderr
    assert got.stderr.count("\n") == 1 and "Traceback" not in got.stderr
    usage = helper("fingerprint", "--no-such-flag", env=env)
    assert usage.returncode == 2 and usage.stderr.startswith("kms-import: error:")
    assert len(servers(env)) == 1  # all served by the one server


def test_concurrent_first_clients_start_one_server(env: dict[str, str], material: str) -> None:
    procs = [
        subprocess.Popen(
            [str(KMS_IMPORT), "fingerprint", "--source", material],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = {proc.communicate(timeout=60)[0] for proc in procs}
    assert [proc.returncode for proc in procs] == [0] * 8
    assert len(outputs) == 1 and next(iter(outputs)).startswith("hmac-sha256:")
    assert len(servers(env)) == 1


def test_an_idle_server_retires_and_a_new_one_starts(env: dict[str, str], material: str) -> None:
    env["KMS_IMPORT_BROKER_IDLE_S"] = "0.5"
    assert helper("fingerprint", "--source", material, env=env).returncode == 0
    [first] = servers(env)
    socket_file = Path(wire.socket_path(env))
    assert wait_for(lambda: not servers(env)), "the server outlived its idle time"
    assert list(socket_file.parent.iterdir()) == []  # socket, pid file and lock file gone
    assert helper("fingerprint", "--source", material, env=env).returncode == 0
    assert servers(env) not in ([], [first])


def test_kms_import_broker_lists_and_stops_the_servers(env: dict[str, str], material: str) -> None:
    assert "no broker server" in helper("broker", env=env).stdout
    assert helper("fingerprint", "--source", material, env=env).returncode == 0
    [pid] = servers(env)
    assert wire.running(env) == [(pid, wire.socket_path(env))]
    listed = helper("broker", env=env)
    assert listed.stdout == f"running: pid {pid}, socket {wire.socket_path(env)}\n"
    assert helper("broker", "--stop", env=env).stdout.startswith(f"stopped: pid {pid},")
    assert wait_for(lambda: not _brokers(env))


def test_a_stale_socket_is_replaced(env: dict[str, str], material: str) -> None:
    path = wire.socket_path(env)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)  # bound, never listening: what a killed server leaves behind
    stale.close()
    assert helper("fingerprint", "--source", material, env=env).returncode == 0
    assert len(servers(env)) == 1


def test_a_folder_others_can_read_is_refused_and_the_helper_runs_alone(
    env: dict[str, str], material: str
) -> None:
    folder = Path(wire.folder(env))
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    with pytest.raises(wire.BrokerUnavailable):
        wire.socket_path(env)
    run = helper("fingerprint", "--source", material, env=env)
    assert run.returncode == 0 and run.stdout.startswith("hmac-sha256:")
    assert servers(env) == [] and list(folder.iterdir()) == []


def _blocked_worker(env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    """A client whose worker waits on stdin (the data source protocol reads it to the end)."""
    proc = subprocess.Popen(
        [str(KMS_IMPORT), "fingerprint"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert wait_for(lambda: len(servers(env)) == 1 and len(workers(env, servers(env)[0])) == 1)
    [worker] = workers(env, servers(env)[0])
    return proc, worker


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def test_a_killed_client_takes_its_worker_down(env: dict[str, str]) -> None:
    proc, worker = _blocked_worker(env)
    proc.kill()
    proc.communicate(timeout=10)
    assert wait_for(lambda: _gone(worker)), "the worker outlived its client"


@pytest.mark.parametrize(
    ("signum", "returncode", "said"),
    [(signal.SIGTERM, -signal.SIGTERM, ""), (signal.SIGINT, 130, "interrupted")],
)
def test_signals_reach_the_worker_and_its_end_is_the_clients(
    env: dict[str, str], signum: int, returncode: int, said: str
) -> None:
    proc, worker = _blocked_worker(env)
    proc.send_signal(signum)
    proc.wait(timeout=20)  # stdin stays open: the worker can only end by the signal
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == returncode
    assert said in err and "Traceback" not in err
    assert wait_for(lambda: _gone(worker))


def test_a_worker_becomes_its_client(tmp_path: Path) -> None:
    """server.adopt: the client's stdio, environment, folder, umask and argv, in a child."""
    out_path = tmp_path / "out.txt"
    code = (
        "import os, sys\n"
        "from kms_import.broker import server\n"
        f"fd = os.open({str(out_path)!r}, os.O_WRONLY | os.O_CREAT, 0o600)\n"
        "null = os.open(os.devnull, os.O_RDONLY)\n"
        f"server.adopt({{'argv': ['kms-import', 'x'], 'env': {{'ONLY': 'this'}},"
        f" 'cwd': {str(tmp_path)!r}, 'umask': 0o027}}, [null, fd, os.dup(2)])\n"
        "print(sorted(os.environ.items()), os.getcwd(), oct(os.umask(0)), sys.argv)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)
    assert out_path.read_text().strip() == (
        f"[('ONLY', 'this')] {tmp_path} 0o27 ['kms-import', 'x']"
    )


def test_messages_round_trip_with_their_descriptors() -> None:
    left, right = socket.socketpair()
    read_end, write_end = os.pipe()
    try:
        wire.send(left, {"argv": ["a", "b"], "umask": 18, "env": {"K": "V" * 70_000}}, [write_end])
        message, fds = wire.receive(right, want_fds=True)
        assert message == {"argv": ["a", "b"], "umask": 18, "env": {"K": "V" * 70_000}}
        assert len(fds) == 1
        os.write(fds[0], b"through")
        assert os.read(read_end, 7) == b"through"
        os.close(fds[0])
        left.close()
        with pytest.raises(EOFError):
            wire.receive(right)
    finally:
        right.close()
        os.close(read_end)
        os.close(write_end)


def test_the_server_key_ignores_plugin_handshakes_but_not_credentials() -> None:
    env = {"PATH": "/bin", "AWS_PROFILE": "a"}
    key = wire.server_key(env)
    assert wire.server_key({**env, "PLUGIN_CLIENT_CERT": "x", "TF_PLUGIN_MAGIC_COOKIE": "y"}) == key
    assert wire.server_key({**env, "AWS_PROFILE": "b"}) != key
    assert wire.server_key({**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}) != key


def test_a_runtime_folder_too_long_for_a_socket_address_is_passed_over() -> None:
    assert wire.folder({"XDG_RUNTIME_DIR": "/run/user/1000"}) == "/run/user/1000/kms-import"
    deep = "/run/" + "d" * 80
    assert wire.folder({"XDG_RUNTIME_DIR": deep}) == f"/tmp/kms-import-{os.getuid()}"
    assert wire.folder({"XDG_RUNTIME_DIR": "relative"}) == f"/tmp/kms-import-{os.getuid()}"


def test_the_lock_file_sits_beside_the_socket(tmp_path: Path) -> None:
    assert wire.lock_path(str(tmp_path / "abc.sock")) == str(tmp_path / "abc.lock")


def test_a_worker_runs_nothing_until_its_client_says_go(env: dict[str, str], material: str) -> None:
    """A client that got no pid may ask again only if no worker read its stdin: the external
    data source's query can be read once. So a worker whose client leaves before GO exits
    without touching the client's stdin or writing to its stdout."""
    assert helper("fingerprint", "--source", material, env=env).returncode == 0  # a server
    query = f'{{"source": "{material}"}}'.encode()
    stdin_r, stdin_w = os.pipe()
    out_r, out_w = os.pipe()
    os.write(stdin_w, query)
    os.close(stdin_w)
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(wire.socket_path(env))
    request = {"argv": ["kms-import", "fingerprint"], "env": env, "cwd": "/", "umask": 0o077}
    wire.send(conn, request, [stdin_r, out_w, out_w])
    started, _ = wire.receive(conn)
    conn.close()  # leave without GO
    assert wait_for(lambda: _gone(int(started["pid"])))
    os.close(out_w)
    assert os.read(out_r, 65536) == b""  # nothing written
    assert os.read(stdin_r, 65536) == query  # nothing read (a pipe this small reads whole)
    for fd in (stdin_r, out_r):
        os.close(fd)


def test_a_run_from_a_removed_folder_is_served_in_process(
    env: dict[str, str], material: str, tmp_path: Path
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (
        f'cd "{gone}" && rmdir "{gone}" && exec "{KMS_IMPORT}" fingerprint --source "{material}"'
    )
    run = subprocess.run(
        ["/bin/sh", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0 and run.stdout.startswith("hmac-sha256:"), run.stderr
    assert servers(env) == []  # no broker: its worker could not have taken that folder
