"""The one reader and writer of private files: material, PINs, escrow, air-gap work folders.

Every other module goes through here, so the rules live once:
- A file is opened with O_NOFOLLOW (a symlink is refused, never followed) and O_CLOEXEC, and
  checked on the open descriptor (fstat), so nothing can swap it between check and read: a
  regular file, owned by this user (root included: another user's file is refused), mode 0600
  or stricter for material, PINs and escrow.
- The folder holding a material or PIN file is opened first and checked on its descriptor:
  owned by this user (or root) and not writable by group or others unless the sticky bit is
  set, because whoever can write the folder can replace the file. The file is then opened
  relative to that folder.
- Private folders (escrow, air-gap work) are 0700 and owned by this user.
- Writes are atomic: the bytes go to an unnamed O_TMPFILE, are fsynced and linked into place
  (linkat through /proc/self/fd), then the folder is fsynced. A killed process leaves no named
  temporary file. Where the filesystem or kernel has no O_TMPFILE, a 0600 temporary name is
  used instead and removed in a `finally` (only a SIGKILL in that window can leave it; the
  next create() of that name removes it). write_atomic() gives non-private files (tfvars) the
  same atomic write with the mode they ask for.
- Buffers of secrets are bytearrays the caller zeroes; nothing here copies them into
  immutable bytes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from pathlib import Path
from types import TracebackType
from typing import Self

from .errors import KmsImportError, SourceError

FILE_MODE = 0o600
DIR_MODE = 0o700
MAX_MATERIAL_FILE = 64 * 1024  # far above any KMS material; guards against a wrong path
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # a FIFO must not hang
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_PROC_FD = Path("/proc/self/fd")


def zero(buf: bytearray) -> None:
    """Overwrite a buffer that held a secret."""
    buf[:] = bytes(len(buf))


def read_private_file(path: Path, what: str, limit: int = MAX_MATERIAL_FILE) -> bytearray:
    """The bytes of a material or PIN file, after every check in the module docstring."""
    try:
        folder = os.open(path.parent, _DIR_FLAGS)
    except OSError as exc:
        raise _open_error(exc, path, what, SourceError) from None
    try:
        _check_parent(folder, path, what)
        data = _read_in(folder, path.name, path, what, SourceError, private=True, limit=limit)
    finally:
        os.close(folder)
    if data is None:
        raise SourceError(f"{what} {path} does not exist", "check the path in the source URI")
    return data


class Closing:
    """`with x:` closes x at the end: the holders of secrets and descriptors (Material,
    PrivateDir, the pkcs11 source's HsmKey) share this instead of each spelling it out."""

    __slots__ = ()

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class PrivateDir(Closing):
    """A folder only this user can enter (0700, owned by this user), held open while in use.

    Its files are opened relative to the folder's descriptor, so renaming or replacing the
    path meanwhile changes nothing about what is read or written.
    """

    def __init__(
        self,
        path: Path,
        what: str,
        *,
        create: bool = False,
        error: type[KmsImportError] = SourceError,
        missing_hint: str = "check the path",
    ) -> None:
        self.path = path
        self.what = what
        self.error = error
        if create:
            self._mkdir()
        try:
            self.fd = os.open(path, _DIR_FLAGS)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise error(f"{what} {path} does not exist", missing_hint) from None
            if exc.errno == errno.ENOTDIR:
                raise error(f"{what} {path} is not a folder", f"point it at a {what}") from None
            raise _open_error(exc, path, what, error) from None
        try:
            self._check()
        except BaseException:
            os.close(self.fd)
            raise

    def _mkdir(self) -> None:
        try:
            self.path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        except FileExistsError:
            raise self.error(
                f"{self.what} {self.path} is not a folder", f"point it at a {self.what}"
            ) from None
        except OSError as exc:
            raise self.error(
                f"{self.what} {self.path} cannot be created ({exc.strerror})",
                "check the path and its parent folder's permissions",
            ) from None

    def _check(self) -> None:
        info = os.fstat(self.fd)
        if info.st_uid != os.geteuid():
            raise self.error(
                f"{self.what} {self.path} is owned by uid {info.st_uid}, not by this user "
                f"(uid {os.geteuid()})",
                "use a folder this user created; check who made this one and what is in it",
            )
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise self.error(
                f"{self.what} {self.path} is accessible to group or others (mode {mode:04o})",
                f"run `chmod 700 {self.path}`",
            )

    def close(self) -> None:
        os.close(self.fd)

    def read(
        self, name: str, what: str, *, private: bool = True, limit: int = MAX_MATERIAL_FILE
    ) -> bytearray | None:
        """The file's bytes, or None when it does not exist. `private`: also require 0600 or
        stricter (material, escrow); without it (files the AWS CLI or openssl wrote into the
        folder) the folder's 0700 is what keeps others out."""
        path = self.path / name
        return _read_in(self.fd, name, path, what, self.error, private=private, limit=limit)

    def exists(self, name: str) -> bool:
        try:
            os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def create(self, name: str, data: bytes | bytearray) -> bool:
        """Write a new 0600 file unless `name` exists (never overwrites). True when written.

        O_EXCL's promise for the final name comes from linkat, which never replaces a name
        (O_TMPFILE|O_EXCL would instead forbid the link); the fallback's temporary name is
        opened O_EXCL itself. Leftover temporary names of dead writers (fallback only, after
        a SIGKILL) are removed first."""
        _sweep_dead_writers(self.fd, name)
        try:
            _write_in(self.fd, name, data, FILE_MODE, overwrite=False)
        except FileExistsError:
            return False
        return True

    def replace(self, name: str, data: bytes | bytearray) -> None:
        """Write `name` 0600 in one step, replacing what was there."""
        _write_in(self.fd, name, data, FILE_MODE, overwrite=True)

    def remove(self, name: str) -> None:
        _unlink_quietly(self.fd, name)


def write_atomic(path: Path, data: bytes | bytearray, mode: int, *, overwrite: bool) -> None:
    """Put `data` at `path` with `mode` in one step: a crash leaves the old file or the new
    one, never a mix. overwrite=False raises FileExistsError when `path` exists. OSError is
    the caller's to explain (this is for files that are not private, such as tfvars)."""
    folder = os.open(path.parent, _DIR_FLAGS)
    try:
        _write_in(folder, path.name, data, mode, overwrite=overwrite)
    finally:
        os.close(folder)


# --- reading -------------------------------------------------------------------------------


def _check_parent(folder: int, path: Path, what: str) -> None:
    info = os.fstat(folder)
    parent = path.parent
    if info.st_uid not in (os.geteuid(), 0):
        raise SourceError(
            f"{what} {path} is in {parent}, which uid {info.st_uid} owns and can change",
            "keep it in a folder owned by this user (or root)",
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022 and not mode & stat.S_ISVTX:
        raise SourceError(
            f"{what} {path} is in {parent}, which group or others can write "
            f"(mode {mode:04o}, no sticky bit), so they can replace it",
            f"move it into a folder only this user can write, or run `chmod go-w {parent}`",
        )


def _read_in(
    folder: int,
    name: str,
    path: Path,
    what: str,
    error: type[KmsImportError],
    *,
    private: bool,
    limit: int,
) -> bytearray | None:
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=folder)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _open_error(exc, path, what, error) from None
    try:
        info = os.fstat(fd)
        _check_file(info, path, what, error, private=private, limit=limit)
        return _read_all(fd, info.st_size, path, what, error)
    finally:
        os.close(fd)


def _check_file(
    info: os.stat_result,
    path: Path,
    what: str,
    error: type[KmsImportError],
    *,
    private: bool,
    limit: int,
) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{what} {path} is not a regular file", "point the source at a file")
    if info.st_uid != os.geteuid():
        raise error(
            f"{what} {path} is owned by uid {info.st_uid}, not by this user (uid {os.geteuid()})",
            "use only files this user wrote; find out who wrote this one before trusting it",
        )
    mode = stat.S_IMODE(info.st_mode)
    if private and mode & 0o077:
        raise error(
            f"{what} {path} is accessible to group or others (mode {mode:04o})",
            f"run `chmod 600 {path}` and check who may have copied it",
        )
    if private and mode & ~FILE_MODE:
        raise error(f"{what} {path} has mode {mode:04o}, not 0600", f"run `chmod 600 {path}`")
    if info.st_size > limit:
        raise error(
            f"{what} {path} is {info.st_size} bytes, too large for key material",
            "check the path in the source URI",
        )


def _read_all(fd: int, size: int, path: Path, what: str, error: type[KmsImportError]) -> bytearray:
    buf = bytearray(size)
    view = memoryview(buf)
    done = 0
    try:
        while done < size:
            count = os.readv(fd, [view[done:]])
            if count == 0:
                break
            done += count
    except OSError as exc:
        view.release()
        zero(buf)
        raise _open_error(exc, path, what, error) from None
    view.release()
    del buf[done:]
    return buf


def _open_error(exc: OSError, path: Path, what: str, error: type[KmsImportError]) -> KmsImportError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return error(f"{what} {path} does not exist", "check the path in the source URI")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return error(f"{what} {path} cannot be read by this user", "run as the file's owner")
    if exc.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW met a symlink
        return error(
            f"{what} {path} is a symbolic link, which is never followed",
            "point the source at the file itself",
        )
    if exc.errno == errno.ENXIO:  # a socket
        return error(f"{what} {path} is not a regular file", "point the source at a file")
    return error(f"{what} {path} cannot be opened ({exc.strerror})", "check the path")


# --- writing -------------------------------------------------------------------------------


def _write_in(
    folder: int, name: str, data: bytes | bytearray, mode: int, *, overwrite: bool
) -> None:
    if not _write_unnamed(folder, name, data, mode, overwrite=overwrite):
        _write_named(folder, name, data, mode, overwrite=overwrite)
    try:
        os.fsync(folder)  # the new name itself survives a crash
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise  # some filesystems cannot fsync a folder; the link is still atomic


def _write_unnamed(
    folder: int, name: str, data: bytes | bytearray, mode: int, *, overwrite: bool
) -> bool:
    """O_TMPFILE + linkat: the bytes have no name until they are complete and on disk.
    False when this system cannot do that (then nothing was written)."""
    if not hasattr(os, "O_TMPFILE") or not _PROC_FD.is_dir():
        return False
    try:
        fd = os.open(".", os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, FILE_MODE, dir_fd=folder)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return False  # filesystem or kernel without O_TMPFILE
        raise
    try:
        os.fchmod(fd, mode)
        _write_all(fd, data)
        os.fsync(fd)
        if not overwrite:
            _link(fd, folder, name)  # FileExistsError when a racing writer won
            return True
        # linkat cannot replace: give the complete file a temporary name, then rename it over.
        temp = _temp_name(name)
        _link(fd, folder, temp)
        try:
            os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
        finally:
            _unlink_quietly(folder, temp)
        return True
    finally:
        os.close(fd)


def _link(fd: int, folder: int, name: str) -> None:
    os.link(_PROC_FD / str(fd), name, dst_dir_fd=folder, follow_symlinks=True)


def _write_named(
    folder: int, name: str, data: bytes | bytearray, mode: int, *, overwrite: bool
) -> None:
    """Fallback without O_TMPFILE: a 0600 temporary name beside the target, removed in the
    `finally` on every exit path Python sees (a SIGKILL in between can still leave it)."""
    temp = _temp_name(name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temp, flags, FILE_MODE, dir_fd=folder)
    try:
        try:
            os.fchmod(fd, mode)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
        else:
            os.link(temp, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
    finally:
        _unlink_quietly(folder, temp)


def _write_all(fd: int, data: bytes | bytearray) -> None:
    with memoryview(data) as view:
        done = 0
        while done < len(view):
            done += os.write(fd, view[done:])


def _temp_name(name: str) -> str:
    return f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def _sweep_dead_writers(folder: int, name: str) -> None:
    """Remove `_temp_name(name)` files whose writer process is gone (in a folder only this
    user can write, so they are this user's own leftovers)."""
    pattern = re.compile(rf"\.{re.escape(name)}\.([0-9]{{1,10}})\.[0-9a-f]{{8}}\.tmp")
    for entry in os.listdir(folder):
        match = pattern.fullmatch(entry)
        if match and not _alive(int(match[1])):
            _unlink_quietly(folder, entry)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: leave its file alone
    return True


def _unlink_quietly(folder: int, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=folder)
