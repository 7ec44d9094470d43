"""Git history: every blob reachable from any ref, each read once, with the commit that added it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
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


def blobs(
    root: Path,
    stats: dict[str, int],
    want: Callable[[str], bool] = lambda _path: True,
    max_size: int | None = None,
) -> Iterator[tuple[str, str, int, bytes]]:
    """Yield ``(commit, path, size, data)`` for each distinct blob added or modified by any
    reachable commit (oldest first, so the commit is the one that introduced the blob).

    Streams: ``git log`` and ``git cat-file --batch-command`` run side by side and only the ids
    of blobs already seen are kept (20 bytes each), so memory does not grow with blob sizes or
    paths. ``want(path)`` and ``max_size`` skip blobs without reading their contents (skipped ones
    are counted in ``stats["skipped"]``). ``path`` is relative to the repository top level. Raises
    ``HistoryError`` when ``root`` is not inside a git repository.
    """
    top = git_toplevel(root)
    if top is None:
        raise HistoryError(f"{root}: not a git repository (--history needs one)")
    log_cmd = [
        "git", "-C", str(top), "-c", "core.quotePath=false", "log", "--all", "--reverse",
        "--raw", "--no-abbrev", "--no-renames", "-m", "--root", "--format=%x00%H",
    ]  # fmt: skip
    seen: set[bytes] = set()
    commits: set[str] = set()
    stats.update(commits=0, blobs=0, skipped=0)
    with (
        subprocess.Popen(log_cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as log,
        subprocess.Popen(
            ["git", "-C", str(top), "cat-file", "--batch-command"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        ) as cat,
    ):
        assert log.stdout is not None and cat.stdin is not None and cat.stdout is not None
        commit = ""
        for line in log.stdout:
            if line.startswith(b"\0"):
                commit = line[1:].strip().decode()
                commits.add(commit)  # a merge is listed once per parent with -m
                continue
            if not line.startswith(b":"):
                continue
            meta, _, raw_path = line.rstrip(b"\n").partition(b"\t")
            fields = meta.split()
            if len(fields) < 5 or fields[4][:1] not in (b"A", b"M", b"T") or fields[1] == b"160000":
                continue
            blob = bytes.fromhex(fields[3].decode())
            if blob in seen or not blob.strip(b"\0"):
                continue
            seen.add(blob)
            path = _unquote(raw_path)
            if not want(path):
                stats["skipped"] += 1
                continue
            cat.stdin.write(b"info " + fields[3] + b"\n")
            cat.stdin.flush()
            header = cat.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                continue
            size = int(header[2])
            if max_size is not None and size > max_size:
                stats["skipped"] += 1
                continue
            cat.stdin.write(b"contents " + fields[3] + b"\n")
            cat.stdin.flush()
            cat.stdout.readline()
            data = cat.stdout.read(size)
            cat.stdout.read(1)
            yield commit, path, size, data
        cat.stdin.close()
    stats["commits"] = len(commits)
    stats["blobs"] = len(seen)


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
