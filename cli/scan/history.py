"""Git history: every blob reachable from any ref, each read once, with the commit that added it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path


class HistoryError(RuntimeError):
    """History cannot be read (not a git repository, git missing); the scan goes on without it."""


def git_toplevel(path: Path) -> Path | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def tracked_files(root: Path) -> set[str]:
    """Paths (relative to ``root``, posix) that git tracks, or empty outside a repository."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--full-name", "."],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    if out.returncode != 0:
        return set()
    top = git_toplevel(root)
    prefix = ""
    if top is not None and top.resolve() != root.resolve():
        prefix = root.resolve().relative_to(top.resolve()).as_posix() + "/"
    names = out.stdout.decode("utf-8", "replace").split("\0")
    return {n[len(prefix) :] for n in names if n and n.startswith(prefix)}


def _unquote(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return text


def blobs(root: Path, stats: dict[str, int]) -> Iterator[tuple[str, str, int, bytes]]:
    """Yield ``(commit, path, size, data)`` for each distinct blob added or modified by any
    reachable commit (oldest first, so the commit is the one that introduced the blob).

    ``path`` is relative to the repository top level. Raises ``HistoryError`` when ``root`` is
    not inside a git repository.
    """
    top = git_toplevel(root)
    if top is None:
        raise HistoryError(f"{root}: not a git repository (--history needs one)")
    cmd = [
        "git", "-C", str(top), "-c", "core.quotePath=false", "log", "--all", "--reverse",
        "--raw", "--no-abbrev", "--no-renames", "-m", "--root", "--format=%x00%H",
    ]  # fmt: skip
    first_seen: dict[str, tuple[str, str]] = {}
    commits = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as log:
        assert log.stdout is not None
        commit = ""
        for line in log.stdout:
            if line.startswith(b"\0"):
                commit = line[1:].strip().decode()
                commits += 1
            elif line.startswith(b":"):
                meta, _, path = line.rstrip(b"\n").partition(b"\t")
                fields = meta.split()
                added = len(fields) >= 5 and fields[4][:1] in (b"A", b"M", b"T")
                if added and fields[1] != b"160000":
                    blob = fields[3].decode()
                    if blob not in first_seen and set(blob) != {"0"}:
                        first_seen[blob] = (commit, _unquote(path))
    stats["commits"] = commits
    stats["blobs"] = len(first_seen)
    if not first_seen:
        return
    with subprocess.Popen(
        ["git", "-C", str(top), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as cat:
        assert cat.stdin is not None and cat.stdout is not None
        for blob, (commit, path) in first_seen.items():
            cat.stdin.write(blob.encode() + b"\n")
            cat.stdin.flush()
            header = cat.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                continue
            size = int(header[2])
            data = cat.stdout.read(size)
            cat.stdout.read(1)
            yield commit, path, size, data
        cat.stdin.close()


def read_blob(root: Path, commit: str, path: str) -> bytes:
    """The bytes of ``path`` (relative to the repository top level) at ``commit``."""
    top = git_toplevel(root)
    if top is None:
        raise HistoryError(f"{root}: not a git repository")
    out = subprocess.run(
        ["git", "-C", str(top), "cat-file", "blob", f"{commit}:{path}"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if out.returncode != 0:
        raise HistoryError(f"{path} at {commit[:12]}: not in the repository")
    return out.stdout
