"""Files and names an attacker could bend, refused by `kms-import` run as a user runs it.

Issue 23: material, PIN and escrow files are opened with O_NOFOLLOW and checked on the open
descriptor (regular, owned by this user, 0600); their folder must not be writable by others
without the sticky bit; escrow is written with no named temporary file; wildcard secret and
parameter names are refused; a process that read material cannot be dumped or ptraced.

Each refusal: one line on stderr with what to do, a non-zero exit, no traceback, nothing on
stdout, and the files exactly as they were. `fingerprint --source` reads a source without
any AWS call, so these cases need no local AWS. The other-user cases chown to `nobody`,
which needs root (they are skipped, and reported as skipped, otherwise).
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from softhsm import SoftHsm

from kms_import.material import secret_fingerprint

from .support import assert_not_in, assert_one_clear_error, helper_env, run_helper

AS_ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody").pw_uid
needs_root = pytest.mark.skipif(not AS_ROOT, reason="chown to another user needs root")


@dataclass
class World:
    """A tmp folder with one good 0600 material file and an empty place for an escrow."""

    dir: Path
    material: bytes
    good: Path
    escrow: Path

    def file(self, name: str, mode: int = 0o600, folder: Path | None = None) -> Path:
        folder = folder or self.dir / "keys"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / name
        path.write_bytes(self.material)
        path.chmod(mode)
        return path

    def snapshot(self) -> dict[str, tuple[int, int, bytes]]:
        """Every path under the world: (uid, mode, bytes), so a refusal provably changed nothing."""
        found: dict[str, tuple[int, int, bytes]] = {}
        for path in sorted(self.dir.rglob("*")):
            info = path.lstat()
            data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
            found[str(path.relative_to(self.dir))] = (info.st_uid, info.st_mode, data)
        return found


@pytest.fixture
def world(tmp_path: Path) -> World:
    material = os.urandom(32)
    w = World(tmp_path, material, Path(), tmp_path / "escrow")
    w.good = w.file("good.bin")
    return w


def _fingerprint(source: str, world: World) -> subprocess.CompletedProcess[str]:
    return run_helper("fingerprint", "--source", source, env=helper_env(None, HOME=str(world.dir)))


# ---- each case: a setup that returns the source URI, and the words the error must hold ----


def _symlink(w: World) -> str:
    link = w.dir / "keys" / "link.bin"
    link.symlink_to(w.good)  # to a good 0600 file: the link itself is what is refused
    return f"file://{link}"


def _mode(mode: int) -> Callable[[World], str]:
    return lambda w: f"file://{w.file(f'm{mode:o}.bin', mode)}"


def _other_owner(w: World) -> str:
    path = w.file("theirs.bin")
    os.chown(path, NOBODY, -1)
    return f"file://{path}"


def _parent(mode: int, owner: int | None = None) -> Callable[[World], str]:
    def setup(w: World) -> str:
        folder = w.dir / f"shared{mode:o}"
        folder.mkdir()
        path = w.file("m.bin", folder=folder)
        folder.chmod(mode)
        if owner is not None:
            os.chown(folder, owner, -1)
        return f"file://{path}"

    return setup


def _fifo(w: World) -> str:
    path = w.dir / "keys" / "fifo"
    os.mkfifo(path, 0o600)  # opening it for reading must not hang until a writer comes
    return f"file://{path}"


def _planted_escrow(owner: int | None = None, symlink: bool = False) -> Callable[[World], str]:
    def setup(w: World) -> str:
        w.escrow.mkdir(mode=0o700)
        planted = w.escrow / "k1.key"
        if symlink:
            planted.symlink_to(w.good)
        else:
            planted.write_bytes(os.urandom(32))
            planted.chmod(0o600)
            if owner is not None:
                os.chown(planted, owner, -1)
        return f"generate:k1?escrow=file://{w.escrow}"

    return setup


def _escrow_folder(mode: int, owner: int | None = None) -> Callable[[World], str]:
    def setup(w: World) -> str:
        w.escrow.mkdir()
        w.escrow.chmod(mode)
        if owner is not None:
            os.chown(w.escrow, owner, -1)
        return f"generate:k1?escrow=file://{w.escrow}"

    return setup


def _uri(text: str) -> Callable[[World], str]:
    return lambda w: text


@dataclass(frozen=True)
class Case:
    id: str
    setup: Callable[[World], str]
    fragments: tuple[str, ...]
    marks: tuple[pytest.MarkDecorator, ...] = ()


CASES = [
    Case("material-symlink", _symlink, ("is a symbolic link", "the file itself")),
    Case("material-0640", _mode(0o640), ("group or others", "mode 0640", "chmod 600")),
    Case("material-0604", _mode(0o604), ("group or others", "chmod 600")),
    Case("material-0700", _mode(0o700), ("mode 0700, not 0600", "chmod 600")),
    Case("material-fifo", _fifo, ("not a regular file",)),
    Case(
        "material-other-user",
        _other_owner,
        (f"owned by uid {NOBODY}, not by this user", "who wrote"),
        (needs_root,),
    ),
    Case("parent-group-writable", _parent(0o770), ("which group or others can write", "0770")),
    Case("parent-world-writable", _parent(0o777), ("no sticky bit", "chmod go-w")),
    Case(
        "parent-other-user",
        _parent(0o755, NOBODY),
        (f"which uid {NOBODY} owns", "owned by this user"),
        (needs_root,),
    ),
    Case(
        "escrow-planted-by-other-user",
        _planted_escrow(NOBODY),
        ("escrow file", f"owned by uid {NOBODY}"),
        (needs_root,),
    ),
    Case("escrow-planted-symlink", _planted_escrow(symlink=True), ("is a symbolic link",)),
    Case("escrow-folder-0755", _escrow_folder(0o755), ("escrow folder", "chmod 700")),
    Case(
        "escrow-folder-other-user",
        _escrow_folder(0o700, NOBODY),
        ("escrow folder", f"owned by uid {NOBODY}"),
        (needs_root,),
    ),
    Case("secret-star", _uri("secretsmanager:prod/*"), ("wildcard '*'", "exactly one secret")),
    Case("secret-question", _uri("secretsmanager:prod/k%3Fy"), ("wildcard '?'",)),
    Case(
        "secret-arn-star",
        _uri("secretsmanager:arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/*"),
        ("wildcard '*'",),
    ),
    Case("parameter-star", _uri("ssm:/prod/*?format=base64"), ("wildcard '*'", "parameter")),
    Case("parameter-question", _uri("ssm:/prod/k%3F?format=hex"), ("wildcard '?'",)),
    Case(
        "escrow-prefix-star",
        _uri("generate:k1?escrow=secretsmanager:team/*"),
        ("wildcard '*'", "escrow secret"),
    ),
    Case(
        "escrow-prefix-question",
        _uri("generate:k1?escrow=secretsmanager:team%253F"),
        ("wildcard '?'", "escrow secret"),
    ),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in CASES])
def test_a_hostile_file_or_name_is_refused_clearly(world: World, case: Case) -> None:
    source = case.setup(world)
    before = world.snapshot()
    result = _fingerprint(source, world)
    assert result.returncode != 0, result.stderr
    assert result.stdout == ""
    assert_one_clear_error(result.stderr, *case.fragments)
    assert world.snapshot() == before
    assert_not_in(world.material, result.stdout, result.stderr)


@pytest.mark.parametrize(
    "mode", [0o1770, 0o1777, 0o755, 0o700], ids=["group-sticky", "tmp-like", "0755", "0700"]
)
def test_a_folder_others_cannot_bend_is_accepted(world: World, mode: int) -> None:
    """The control: a sticky shared folder (like /tmp) or one only we write is fine."""
    source = _parent(mode)(world)
    result = _fingerprint(source, world)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == secret_fingerprint(world.material)


# ---- PIN files (pkcs11): the same rules, through the HSM source ------------------------------


@pytest.mark.parametrize(
    ("case", "fragments"),
    [
        pytest.param("symlink", ("PIN file", "is a symbolic link"), id="symlink"),
        pytest.param("0640", ("PIN file", "group or others", "chmod 600"), id="0640"),
        pytest.param(
            "other-user", ("PIN file", f"owned by uid {NOBODY}"), marks=needs_root, id="other-user"
        ),
    ],
)
def test_a_hostile_pin_file_is_refused_clearly(
    softhsm: SoftHsm, world: World, case: str, fragments: tuple[str, ...]
) -> None:
    pin = world.dir / "keys" / "user.pin"
    if case == "symlink":
        pin.symlink_to(softhsm.pin_file)
    else:
        pin.write_bytes(softhsm.pin_file.read_bytes())
        pin.chmod(0o640 if case == "0640" else 0o600)
        if case == "other-user":
            os.chown(pin, NOBODY, -1)
    before = world.snapshot()
    source = softhsm.uri("aes-1", pin_source=f"file:{pin}")
    result = run_helper(
        "fingerprint",
        "--source",
        source,
        env=helper_env(None, HOME=str(world.dir), SOFTHSM2_CONF=str(softhsm.conf)),
    )
    assert result.returncode != 0 and result.stdout == "", result.stderr
    assert_one_clear_error(result.stderr, *fragments)
    assert world.snapshot() == before


# ---- escrow: a killed helper leaves nothing named behind ------------------------------------

# Runs kms-import's own main() in a child that SIGKILLs itself right after the new escrow
# file's bytes are fsynced, i.e. before they are linked into the escrow folder: the moment a
# named temporary file would have been left holding the plaintext.
KILL_AFTER_FSYNC = """
import os, signal, stat, sys
if os.environ.get("WITHOUT_O_TMPFILE"):  # as on a filesystem without O_TMPFILE
    from kms_import import securefile
    securefile._write_unnamed = lambda *args, **kwargs: False
real_fsync = os.fsync
def fsync_then_die(fd):
    real_fsync(fd)
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.kill(os.getpid(), signal.SIGKILL)
os.fsync = fsync_then_die
from kms_import.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _kill_mid_escrow(world: World, source: str, **env: str) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_FSYNC, "fingerprint", "--source", source],
        env=helper_env(None, HOME=str(world.dir), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -9, killed.stderr


def test_a_helper_killed_mid_escrow_leaves_no_named_temporary_file(world: World) -> None:
    source = f"generate:k1?escrow=file://{world.escrow}"
    _kill_mid_escrow(world, source)
    assert list(world.escrow.iterdir()) == []  # no .k1.key.*.tmp, and no half-made k1.key
    again = _fingerprint(source, world)
    assert again.returncode == 0, again.stderr
    assert [p.name for p in world.escrow.iterdir()] == ["k1.key"]
    assert secret_fingerprint((world.escrow / "k1.key").read_bytes()) == again.stdout.strip()


# ---- the process that read material cannot be dumped ----------------------------------------

# kms-import's main() in a child, then the child's own view of itself: PR_GET_DUMPABLE and
# RLIMIT_CORE, printed after the command's output.
RUN_THEN_REPORT = """
import ctypes, resource, sys
from kms_import.cli import main
code = main(sys.argv[1:])
libc = ctypes.CDLL(None, use_errno=True)
print("dumpable", libc.prctl(3, 0, 0, 0, 0), "core", *resource.getrlimit(resource.RLIMIT_CORE))
sys.exit(code)
"""


def _run_then_report(world: World, *argv: str) -> tuple[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", RUN_THEN_REPORT, *argv],
        env=helper_env(None, HOME=str(world.dir)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    output, _, report = result.stdout.rstrip("\n").rpartition("\n")
    return output, report


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")
def test_after_reading_a_source_the_process_cannot_be_dumped(world: World) -> None:
    output, report = _run_then_report(world, "fingerprint", "--source", f"file://{world.good}")
    assert output == secret_fingerprint(world.material)
    assert report == "dumpable 0 core 0 0"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")
def test_a_command_that_reads_no_material_leaves_the_process_alone(world: World) -> None:
    _, report = _run_then_report(world, "sources")
    assert report.startswith("dumpable 1 "), report


def test_without_o_tmpfile_a_killed_helpers_temporary_file_is_removed_next_time(
    world: World,
) -> None:
    """The fallback's limit, stated: SIGKILL between write and link leaves the 0600 temporary
    name (nothing in the process can run then); the next escrow write removes it."""
    source = f"generate:k1?escrow=file://{world.escrow}"
    _kill_mid_escrow(world, source, WITHOUT_O_TMPFILE="1")
    left = [p.name for p in world.escrow.iterdir()]
    assert len(left) == 1 and left[0].startswith(".k1.key.") and left[0].endswith(".tmp"), left
    again = _fingerprint(source, world)
    assert again.returncode == 0, again.stderr
    assert [p.name for p in world.escrow.iterdir()] == ["k1.key"]
