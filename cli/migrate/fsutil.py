"""Durable file primitives: atomic replace, fsync'd appends, content hashes.

A consumer file is either its old bytes or its new bytes on disk, never a mix: we write a sibling
temporary file, fsync it, rename it over the original and fsync the directory. That is what makes
``kill -9`` at any instant recoverable by re-running ``apply``.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fsync_dir(directory: Path) -> None:
    """Persist a rename: without this a crash can resurrect the old directory entry."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically, keeping the original permission bits."""
    for stale in path.parent.glob(f".{path.name}.*.zsp-tmp"):
        # Left by a process killed mid-write; it holds new content, never a token.
        stale.unlink(missing_ok=True)
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".zsp-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def private_dir(path: Path) -> Path:
    """Create a 0700 directory (journals and backups are nobody else's business)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def is_read_only(path: Path) -> bool:
    """True when the owner-write bit is off or we lack write access.

    Checked explicitly because root ignores permission bits: a file someone marked read-only is a
    decision we respect, not an obstacle we may step over.
    """
    st = path.stat()
    return not (st.st_mode & stat.S_IWUSR) or not os.access(path, os.W_OK)
