"""securefile's writers: no named temporary file on the O_TMPFILE path, a temporary name that
is always removed on the fallback path, fsync of file and folder, never an overwrite by
create()."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from kms_import import securefile
from kms_import.errors import SourceError
from kms_import.securefile import PrivateDir

pytestmark = pytest.mark.skipif(
    not (hasattr(os, "O_TMPFILE") and Path("/proc/self/fd").is_dir()),
    reason="the O_TMPFILE path needs Linux with /proc",
)
SECRET = bytes(range(32))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "escrow"


class Spy:
    """Records each os.open that creates a name and each fsync, with what it was done on."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.created: list[str] = []
        self.fsynced: list[str] = []
        real_open, real_fsync = os.open, os.fsync

        def spy_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
            tmpfile = flags & os.O_TMPFILE == os.O_TMPFILE
            if flags & os.O_CREAT and not tmpfile:
                self.created.append(str(path))
            return real_open(path, flags, *args, **kwargs)

        def spy_fsync(fd: int) -> None:
            mode = os.fstat(fd).st_mode
            self.fsynced.append("folder" if stat.S_ISDIR(mode) else "file")
            real_fsync(fd)

        monkeypatch.setattr(os, "open", spy_open)
        monkeypatch.setattr(os, "fsync", spy_fsync)


def test_create_never_gives_the_bytes_a_temporary_name(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    with PrivateDir(folder, "escrow folder", create=True) as d:
        assert d.create("k.key", bytearray(SECRET))
    assert spy.created == []  # only the unnamed O_TMPFILE was ever opened for writing
    assert spy.fsynced == ["file", "folder"]
    assert [p.name for p in folder.iterdir()] == ["k.key"]
    assert (folder / "k.key").read_bytes() == SECRET
    assert stat.S_IMODE((folder / "k.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_create_never_overwrites(folder: Path) -> None:
    with PrivateDir(folder, "escrow folder", create=True) as d:
        assert d.create("k.key", SECRET)
        assert not d.create("k.key", b"\xff" * 32)  # a racing writer lost: theirs stays
        assert d.read("k.key", "escrow file") == bytearray(SECRET)
    assert [p.name for p in folder.iterdir()] == ["k.key"]


def test_replace_is_0600_whatever_the_umask(folder: Path) -> None:
    old = os.umask(0)
    try:
        with PrivateDir(folder, "work folder", create=True) as d:
            d.replace("f", b"one")
            d.replace("f", b"two")
    finally:
        os.umask(old)
    assert (folder / "f").read_bytes() == b"two"
    assert stat.S_IMODE((folder / "f").stat().st_mode) == 0o600
    assert [p.name for p in folder.iterdir()] == ["f"]


def test_write_atomic_keeps_the_mode_asked_and_refuses_to_clobber(tmp_path: Path) -> None:
    path = tmp_path / "terraform.tfvars"
    securefile.write_atomic(path, b"a = 1\n", 0o644, overwrite=False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    with pytest.raises(FileExistsError):
        securefile.write_atomic(path, b"a = 2\n", 0o644, overwrite=False)
    securefile.write_atomic(path, b"a = 3\n", 0o640, overwrite=True)
    assert path.read_bytes() == b"a = 3\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["terraform.tfvars"]


# ---- without O_TMPFILE (some filesystems, old kernels): a 0600 name removed in a finally ----


@pytest.fixture
def no_tmpfile(monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def refuse_tmpfile(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(errno.EOPNOTSUPP, os.strerror(errno.EOPNOTSUPP))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_tmpfile)


@pytest.mark.usefixtures("no_tmpfile")
def test_without_o_tmpfile_the_temporary_name_is_removed(folder: Path) -> None:
    with PrivateDir(folder, "escrow folder", create=True) as d:
        assert d.create("k.key", SECRET)
        assert not d.create("k.key", b"\xff" * 32)
        d.replace("other", b"x")
    assert sorted(p.name for p in folder.iterdir()) == ["k.key", "other"]
    assert (folder / "k.key").read_bytes() == SECRET


@pytest.mark.usefixtures("no_tmpfile")
def test_without_o_tmpfile_a_failed_link_leaves_nothing(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(os, "link", fail)
    with PrivateDir(folder, "escrow folder", create=True) as d, pytest.raises(OSError):
        d.create("k.key", SECRET)
    assert list(folder.iterdir()) == []


def test_a_failed_link_after_o_tmpfile_leaves_nothing(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "link", fail)
    with PrivateDir(folder, "escrow folder", create=True) as d, pytest.raises(OSError):
        d.create("k.key", SECRET)
    assert list(folder.iterdir()) == []


# ---- reading ------------------------------------------------------------------------------


def test_a_folder_that_vanishes_after_opening_is_still_the_one_used(folder: Path) -> None:
    """Files are opened relative to the folder's descriptor: moving the path changes nothing."""
    with PrivateDir(folder, "escrow folder", create=True) as d:
        d.create("k.key", SECRET)
        folder.rename(folder.with_name("moved"))
        folder.mkdir(mode=0o700)
        (folder / "k.key").write_bytes(b"\xff" * 32)
        (folder / "k.key").chmod(0o600)
        assert d.read("k.key", "escrow file") == bytearray(SECRET)


def test_a_missing_parent_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        securefile.read_private_file(tmp_path / "no" / "m", "material file")


def test_a_dead_writers_temporary_file_is_swept_and_a_live_ones_kept(folder: Path) -> None:
    dead = 2**22 + 1  # above Linux's largest pid_max: no such process
    with PrivateDir(folder, "escrow folder", create=True) as d:
        for pid in (dead, os.getpid()):
            (folder / f".k.key.{pid}.0123abcd.tmp").write_bytes(b"x")
        # generate name "k.key.5" writing k.key.5.key: not k.key's, whatever its pid says
        other = f".k.key.5.key.{dead}.0123abcd.tmp"
        (folder / other).write_bytes(b"x")
        assert d.create("k.key", SECRET)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f".k.key.{os.getpid()}.0123abcd.tmp", other, "k.key"]
    )
