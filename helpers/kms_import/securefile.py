"""Read and write material files with the permissions material deserves.

Material files are 0600 in 0700 folders; a file that group or others can reach is refused,
also through a symlink, because the material may already have been copied by someone else.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import SourceError

FILE_MODE = 0o600
DIR_MODE = 0o700
MAX_MATERIAL_FILE = 64 * 1024  # far above any KMS material; guards against a wrong path


def read_private_file(path: Path, what: str) -> bytearray:
    """The file's bytes, after refusing missing, odd or group/world-accessible files."""
    try:
        info = path.stat()  # follows symlinks: the target's mode is what matters
    except FileNotFoundError:
        raise SourceError(
            f"{what} {path} does not exist", "check the path in the source URI"
        ) from None
    except PermissionError:
        raise SourceError(
            f"{what} {path} cannot be read by this user", "run as the file's owner"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(f"{what} {path} is not a regular file", "point the source at a file")
    if info.st_mode & 0o077:
        raise SourceError(
            f"{what} {path} is accessible to group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o})",
            f"run `chmod 600 {path}` and check who may have copied it",
        )
    if info.st_size > MAX_MATERIAL_FILE:
        raise SourceError(
            f"{what} {path} is {info.st_size} bytes, too large for key material",
            "check the path in the source URI",
        )
    buf = bytearray(info.st_size)
    try:
        with path.open("rb", buffering=0) as handle:
            count = handle.readinto(buf)
    except PermissionError:
        raise SourceError(
            f"{what} {path} cannot be read by this user", "run as the file's owner"
        ) from None
    del buf[count or 0 :]
    return buf


def ensure_private_dir(path: Path) -> None:
    """Create the folder 0700 (with parents) or refuse one that others can enter."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise SourceError(
            f"escrow folder {path} is accessible to group or others (mode {mode:04o})",
            f"run `chmod 700 {path}`",
        )


def write_new_private_file(path: Path, data: bytes | bytearray) -> bool:
    """Write `data` to `path` 0600 unless it exists; never overwrites. True when written.

    The bytes go to a temporary name first and are hard-linked into place, so a reader never
    sees a half-written file and two writers racing cannot both win.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)
