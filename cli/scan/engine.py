"""The scan engine, usable without click: ``scan_paths`` and ``read_token``.

Files are streamed (walked lazily, read one at a time, at most ``max_file_size`` bytes each) so
memory does not grow with the corpus; only findings and the list of consumer-candidate paths are
kept. With ``jobs > 1`` files are scanned in worker processes, each compiling the rule database
once. A second, much cheaper pass looks for the variable names of the found tokens in workflow,
CI, compose, Kubernetes, dotenv and source files to find their consumers.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec

from . import history as git_history
from .detect import Candidate, LineIndex, Matcher, detect, find_in_k8s_secret
from .fingerprint import fingerprint
from .inventory import Consumer, Finding, Token, group_tokens, mask
from .kinds import TOOL_DIRS, VENDORED_DIRS, classify, is_binary_name, workload_of

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
HEAD_BYTES = 8192
MAX_ERRORS = 200
_CONSUMER_FILE_KINDS = frozenset(
    {"github-actions", "gitlab-ci", "compose", "yaml", "helm-values", "dotenv", "source", "shell",
     "notebook", "k8s-secret"}
)  # fmt: skip
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*_[A-Z0-9_]+$")
_READ_MARKERS = re.compile(
    r"environ|getenv|process\.env|ENV\[|env::var|Getenv|GetEnvironmentVariable|\$\{?[A-Z]|"
    r"config\(|settings\.|os\.Getenv|System\.getenv|import\.meta\.env"
)


class ScanError(RuntimeError):
    """A fatal scan problem (bad path); the message names the path and carries no secret."""


class TokenReadError(RuntimeError):
    """A finding's location no longer holds the fingerprinted token."""


@dataclass
class ScanResult:
    """What ``scan_paths`` found. ``tokens`` are grouped findings with consumers and flags."""

    root: Path
    findings: list[Finding]
    tokens: list[Token]
    stats: dict[str, Any]
    engine: str = "hyperscan"


@dataclass
class _FileOutcome:
    rel: str
    kind: str
    status: str
    size: int = 0
    findings: list[Finding] = field(default_factory=list)
    invalid_utf8: bool = False
    error: str | None = None


# ---------------------------------------------------------------- walking


def _load_ignore(directory: Path) -> pathspec.PathSpec | None:
    path = directory / ".gitignore"
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def _walk(
    targets: list[Path], root: Path, no_ignore: bool, skipped: dict[str, int], errors: list[dict[str, str]]
) -> Iterator[tuple[str, str]]:
    """Yield ``(absolute, relative-to-root)`` paths of regular files to scan, lazily."""
    for target in targets:
        try:
            st = target.lstat()
        except OSError as err:
            errors.append({"path": _relative(target, root), "error": err.strerror or "unreadable"})
            skipped["unreadable"] += 1
            continue
        if stat.S_ISREG(st.st_mode):
            yield str(target), _relative(target, root)
            continue
        if not stat.S_ISDIR(st.st_mode):
            skipped["symlink" if stat.S_ISLNK(st.st_mode) else "special"] += 1
            continue
        stack: list[tuple[Path, list[tuple[Path, pathspec.PathSpec]]]] = [(target, [])]
        while stack:
            directory, specs = stack.pop()
            if not no_ignore:
                spec = _load_ignore(directory)
                if spec is not None:
                    specs = [*specs, (directory, spec)]
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as err:
                errors.append(
                    {"path": _relative(directory, root), "error": err.strerror or "unreadable"}
                )
                skipped["unreadable"] += 1
                continue
            subdirs: list[Path] = []
            for entry in entries:
                path = Path(entry.path)
                try:
                    is_link = entry.is_symlink()
                    is_dir = not is_link and entry.is_dir(follow_symlinks=False)
                    is_file = not is_link and entry.is_file(follow_symlinks=False)
                except OSError:
                    skipped["unreadable"] += 1
                    continue
                if is_link:
                    skipped["symlink"] += 1
                    continue
                if is_dir and entry.name in TOOL_DIRS:
                    continue
                if is_dir and entry.name in VENDORED_DIRS:
                    skipped["vendored"] += 1
                    continue
                if specs and _ignored(path, is_dir, specs):
                    skipped["ignored"] += 1
                    continue
                if is_dir:
                    subdirs.append(path)
                elif is_file:
                    yield entry.path, _relative(path, root)
                else:
                    skipped["special"] += 1
            stack.extend((d, specs) for d in reversed(subdirs))


def _ignored(path: Path, is_dir: bool, specs: list[tuple[Path, pathspec.PathSpec]]) -> bool:
    for base, spec in specs:
        rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        if spec.match_file(rel):
            return True
    return False


# ---------------------------------------------------------------- per file (worker side)

_MATCHER: Matcher | None = None
_KEY: bytes = b""
_MAX_SIZE = DEFAULT_MAX_FILE_SIZE


def _init_worker(key: bytes, max_size: int) -> None:
    global _MATCHER, _KEY, _MAX_SIZE
    _MATCHER = _MATCHER or Matcher()
    _KEY = key
    _MAX_SIZE = max_size


def _to_finding(c: Candidate, rel: str, kind: str, commit: str | None, key: bytes) -> Finding:
    return Finding(
        path=rel,
        line=c.line,
        column=c.column,
        end_column=c.end_column,
        provider=c.rule.provider.name,
        rule=c.rule.id,
        fingerprint=fingerprint(key, c.value),
        preview=mask(c.value),
        kind=kind,
        variable=c.variable,
        encoding=c.encoding,
        commit=commit,
        endpoint=c.endpoint,
    )


def scan_bytes(
    data: bytes, rel: str, kind: str, key: bytes, commit: str | None = None
) -> tuple[list[Finding], bool]:
    """Findings of one buffer (already classified); the raw values stay inside this call."""
    assert _MATCHER is not None
    candidates, valid = detect(data, kind, _MATCHER)
    return [_to_finding(c, rel, kind, commit, key) for c in candidates], valid


def _scan_file(task: tuple[str, str]) -> _FileOutcome:
    abs_path, rel = task
    if is_binary_name(rel):
        return _FileOutcome(rel, "binary", "binary")
    try:
        fd = os.open(abs_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return _FileOutcome(rel, "special", "special")
            if st.st_size > _MAX_SIZE:
                return _FileOutcome(rel, "oversized", "oversized", st.st_size)
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(_MAX_SIZE + 1)
        finally:
            os.close(fd)
    except OSError as err:
        return _FileOutcome(rel, "unreadable", "unreadable", error=err.strerror or "unreadable")
    if len(data) > _MAX_SIZE:
        return _FileOutcome(rel, "oversized", "oversized", len(data))
    if b"\0" in data[:HEAD_BYTES]:
        return _FileOutcome(rel, "binary", "binary", len(data))
    kind = classify(rel, data[:65536])
    findings, valid = scan_bytes(data, rel, kind, _KEY)
    return _FileOutcome(rel, kind, "scanned", len(data), findings, not valid)


# ---------------------------------------------------------------- consumers (worker side)

_NAMES_RE: re.Pattern[str] | None = None


def _init_consumers(names: list[str]) -> None:
    global _NAMES_RE
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    _NAMES_RE = re.compile(rf"(?<![A-Za-z0-9_])(?:{alternation})(?![A-Za-z0-9_])")


def _yaml_block_owner(lines: list[str], line_no: int, indent: int, after: str | None) -> str | None:
    """Nearest key at ``indent`` above ``line_no`` (inside the ``after:`` section if given)."""
    key_re = re.compile(r"^" + " " * indent + r"([A-Za-z0-9_.\-/][^:#]*?):\s*(?:#.*)?$")
    for idx in range(line_no - 1, -1, -1):
        text = lines[idx]
        if after is not None and re.match(rf"^{re.escape(after)}:\s*$", text):
            return None
        match = key_re.match(text)
        if match:
            if after is None:
                return match.group(1).strip()
            for up in range(idx - 1, -1, -1):
                if re.match(r"^\S", lines[up]):
                    if re.match(rf"^{re.escape(after)}:\s*$", lines[up]):
                        return match.group(1).strip()
                    return None
            return None
    return None


def consumers_in_text(text: str, rel: str, kind: str, names_re: re.Pattern[str]) -> list[tuple[str, Consumer]]:
    """``(name, consumer)`` for each reference to one of the names in a file of a given kind."""
    out: list[tuple[str, Consumer]] = []
    if names_re.search(text) is None:
        return out
    lines = text.split("\n")
    workflow_name = None
    if kind == "github-actions":
        m = re.search(r"^name:\s*[\"']?(.+?)[\"']?\s*$", text, re.M)
        workflow_name = m.group(1) if m else Path(rel).stem
    docs: list[tuple[int, str]] = []
    if kind in ("yaml", "k8s-secret", "helm-values"):
        start = 0
        for idx, line in enumerate(lines + ["---"]):
            if line.startswith("---"):
                docs.append((start, "\n".join(lines[start:idx])))
                start = idx + 1
    for idx, line in enumerate(lines):
        for match in names_re.finditer(line):
            name = match.group(0)
            consumer: Consumer | None = None
            if kind == "github-actions":
                job = _yaml_block_owner(lines, idx, 2, "jobs")
                label = f"{workflow_name}/{job}" if job else str(workflow_name)
                consumer = Consumer("github-workflow", label, rel)
            elif kind == "gitlab-ci":
                job = _yaml_block_owner(lines, idx, 0, None)
                if job and job not in ("variables", "default", "stages", "include", "workflow"):
                    consumer = Consumer("gitlab-job", job, rel)
            elif kind == "compose":
                service = _yaml_block_owner(lines, idx, 2, "services")
                if service:
                    consumer = Consumer("compose-service", service, rel)
            elif kind in ("yaml", "k8s-secret", "helm-values"):
                for start, doc in docs:
                    if start <= idx <= start + doc.count("\n"):
                        workload = workload_of(doc)
                        if workload:
                            consumer = Consumer("k8s-workload", workload, rel)
                        break
            elif kind == "dotenv":
                if re.match(rf"^\s*(?:export\s+)?{re.escape(name)}\s*=", line):
                    consumer = Consumer("dotenv", rel, rel)
            elif kind in ("source", "shell", "notebook") and _READ_MARKERS.search(line):
                consumer = Consumer("program", rel, rel)
            if consumer is not None:
                out.append((name, consumer))
    return out


def _consumer_task(task: tuple[str, str, str]) -> tuple[str, list[tuple[str, Consumer]]]:
    abs_path, rel, kind = task
    assert _NAMES_RE is not None
    try:
        with open(abs_path, "rb") as fh:
            data = fh.read(_MAX_SIZE + 1)
    except OSError:
        return rel, []
    return rel, consumers_in_text(data.decode("utf-8", "replace"), rel, kind, _NAMES_RE)


def _own_consumer(f: Finding, text_docs: dict[str, str]) -> Consumer | None:
    """The consumer implied by where a literal token sits (a program with a hard-coded key...)."""
    if f.commit is not None:
        return None
    if f.kind in ("source", "shell", "notebook"):
        return Consumer("program", f.path, f.path)
    if f.kind == "dotenv":
        return Consumer("dotenv", f.path, f.path)
    return None


# ---------------------------------------------------------------- orchestration


def _map(
    func: Callable[[Any], Any],
    tasks: Iterable[Any],
    jobs: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> Iterator[Any]:
    if jobs <= 1:
        initializer(*initargs)
        yield from map(func, tasks)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ctx.Pool(jobs, initializer=initializer, initargs=initargs) as pool:
        yield from pool.imap_unordered(func, tasks, chunksize=8)


def scan_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    history: bool = False,
    no_ignore: bool = False,
    jobs: int = 1,
    key: bytes,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> ScanResult:
    """Scan files and directories; the first path is the root findings are relative to.

    ``key`` is the fingerprint key (see ``fingerprint.load_or_create_key``). ``progress`` is called
    after each file with (files done, bytes done). Never raises for a bad file: unreadable, binary,
    oversized, vendored, ignored and special files are counted in ``stats``.
    """
    targets = [Path(p).absolute() for p in paths]
    if not targets:
        raise ScanError("no path to scan")
    for t in targets:
        if not t.exists() and not t.is_symlink():
            raise ScanError(f"{t}: no such file or directory")
    root = targets[0] if targets[0].is_dir() else targets[0].parent
    started = time.monotonic()
    skipped = dict.fromkeys(
        ("binary", "oversized", "vendored", "ignored", "symlink", "special", "unreadable"), 0
    )
    errors: list[dict[str, str]] = []
    findings: list[Finding] = []
    consumer_files: list[tuple[str, str, str]] = []
    files = nbytes = invalid = 0
    engine = Matcher().engine
    walker = _walk(targets, root, no_ignore, skipped, errors)
    abs_of: dict[str, str] = {}
    for outcome in _map(_scan_file, walker, jobs, _init_worker, (key, max_file_size)):
        if outcome.status == "scanned":
            files += 1
            nbytes += outcome.size
            invalid += outcome.invalid_utf8
            findings.extend(outcome.findings)
            if outcome.kind in _CONSUMER_FILE_KINDS:
                consumer_files.append(("", outcome.rel, outcome.kind))
        else:
            skipped[outcome.status] += 1
            if outcome.error and len(errors) < MAX_ERRORS:
                errors.append({"path": outcome.rel, "error": outcome.error})
        if progress is not None:
            progress(files, nbytes)
    _init_worker(key, max_file_size)

    hist_stats: dict[str, Any] = {"enabled": history}
    if history:
        hist_stats.update(_scan_history(root, key, max_file_size, findings, skipped))

    findings.sort(key=lambda f: (f.commit is not None, f.path, f.line, f.column, f.commit or ""))
    tokens = group_tokens(findings)
    tracked = git_history.tracked_files(root)
    _attach_consumers(root, findings, tokens, consumer_files, jobs, max_file_size, abs_of)
    _set_flags(findings, tokens, tracked)
    stats: dict[str, Any] = {
        "engine": engine,
        "files_scanned": files,
        "bytes_scanned": nbytes,
        "invalid_utf8": invalid,
        "skipped": skipped,
        "errors": errors[:MAX_ERRORS],
        "history": hist_stats,
        "findings": len(findings),
        "tokens": len(tokens),
        "duration_seconds": round(time.monotonic() - started, 3),
    }
    return ScanResult(root=root, findings=findings, tokens=tokens, stats=stats, engine=engine)


def _history_prefix(root: Path) -> str:
    top = git_history.git_toplevel(root)
    if top is None or top.resolve() == root.resolve():
        return ""
    return root.resolve().relative_to(top.resolve()).as_posix() + "/"


def _scan_history(
    root: Path, key: bytes, max_size: int, findings: list[Finding], skipped: dict[str, int]
) -> dict[str, Any]:
    counts: dict[str, int] = {"commits": 0, "blobs": 0}
    scanned = 0
    current = {(f.fingerprint, f.path, f.line) for f in findings}
    try:
        prefix = _history_prefix(root)
        for commit, path, size, data in git_history.blobs(root, counts):
            if not path.startswith(prefix):
                continue
            rel = path[len(prefix) :]
            parts = rel.split("/")
            if any(p in VENDORED_DIRS or p in TOOL_DIRS for p in parts[:-1]) or is_binary_name(rel):
                continue
            if size > max_size or b"\0" in data[:HEAD_BYTES]:
                continue
            scanned += 1
            found, _valid = scan_bytes(data, rel, classify(rel, data[:65536]), key, commit)
            # A blob still checked out at the same place adds nothing: the working-tree finding
            # stands for it (and the file being tracked sets the git-history flag).
            findings.extend(f for f in found if (f.fingerprint, f.path, f.line) not in current)
    except git_history.HistoryError as err:
        return {"error": str(err), "commits": 0, "blobs": 0, "blobs_scanned": 0}
    return {**counts, "blobs_scanned": scanned}


def _attach_consumers(
    root: Path,
    findings: list[Finding],
    tokens: list[Token],
    consumer_files: list[tuple[str, str, str]],
    jobs: int,
    max_size: int,
    _abs: dict[str, str],
) -> None:
    by_name: dict[str, list[Token]] = {}
    by_fp = {t.fingerprint: t for t in tokens}
    for token in tokens:
        for name in token.variables:
            if _ENV_NAME.match(name):
                by_name.setdefault(name, []).append(token)
    # Kubernetes Secrets are referenced by their metadata.name from workloads.
    for f in findings:
        if f.kind == "k8s-secret" and f.commit is None:
            secret = _secret_name(root / f.path, f.line)
            if secret:
                by_name.setdefault(secret, []).append(by_fp[f.fingerprint])
    for f in findings:
        own = _own_consumer(f, {})
        if own is not None and own not in by_fp[f.fingerprint].consumers:
            by_fp[f.fingerprint].consumers.append(own)
    if by_name:
        tasks = ((str(root / rel), rel, kind) for _a, rel, kind in consumer_files)
        for _rel, refs in _map(_consumer_task, tasks, jobs, _init_consumers, (list(by_name),)):
            for name, consumer in refs:
                for token in by_name.get(name, []):
                    if consumer not in token.consumers:
                        token.consumers.append(consumer)
    for token in tokens:
        token.consumers.sort()


def _secret_name(path: Path, line: int) -> str | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = text.split("\n")
    start = line - 1
    while start > 0 and not lines[start].startswith("---"):
        start -= 1
    end = line
    while end < len(lines) and not lines[end].startswith("---"):
        end += 1
    doc = "\n".join(lines[start:end])
    m = re.search(r"^metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+name:\s*[\"']?([\w.-]+)", doc, re.M)
    return m.group(1) if m else None


def _set_flags(findings: list[Finding], tokens: list[Token], tracked: set[str]) -> None:
    by_fp: dict[str, list[Finding]] = {}
    for f in findings:
        by_fp.setdefault(f.fingerprint, []).append(f)
    for token in tokens:
        occurrences = by_fp[token.fingerprint]
        flags: list[str] = []
        if len(token.consumers) > 1:
            flags.append("shared")
        ci_kinds = {"github-actions", "gitlab-ci"}
        if any(f.kind in ci_kinds for f in occurrences) or any(
            c.kind in ("github-workflow", "gitlab-job") for c in token.consumers
        ):
            flags.append("ci")
        if any(f.commit is not None or f.path in tracked for f in occurrences):
            flags.append("git-history")
        if any(f.kind == "dockerfile" for f in occurrences):
            flags.append("container-build")
        token.flags = flags


# ---------------------------------------------------------------- re-reading a value


def read_token(root: str | os.PathLike[str], finding: Finding | dict[str, Any], key: bytes) -> str:
    """The raw token of a finding, re-read from its location (file, or git blob for history).

    The value is returned in memory only; callers must never print, log or serialize it. Raises
    ``TokenReadError`` when the location no longer holds a token with the finding's fingerprint.
    """
    f = finding if isinstance(finding, dict) else finding.to_dict()
    base = Path(root)
    try:
        if f.get("commit"):
            data = git_history.read_blob(base, f["commit"], _history_prefix(base) + f["path"])
        else:
            data = (base / f["path"]).read_bytes()
    except (OSError, git_history.HistoryError) as err:
        raise TokenReadError(f"{f['path']}: cannot read ({type(err).__name__})") from None
    text = data.decode("utf-8", "replace")
    index = LineIndex(text)
    line = int(f["line"])
    if not 1 <= line <= len(index.starts):
        raise TokenReadError(f"{f['path']}:{line}: line no longer exists")
    span = index.line_text(line)[int(f["column"]) - 1 : int(f["end_column"]) - 1]
    if f.get("encoding") == "base64":
        matcher = Matcher()
        for cand in find_in_k8s_secret(text, matcher, matcher.rules):
            if cand.line == line and fingerprint(key, cand.value) == f["fingerprint"]:
                return cand.value
    elif fingerprint(key, span) == f["fingerprint"]:
        return span
    raise TokenReadError(f"{f['path']}:{line}: the token at this location has changed")
