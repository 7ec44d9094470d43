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
from .detect import Candidate, LineIndex, Matcher, default_matcher, detect, find_in_k8s_secret
from .fingerprint import fingerprint
from .inventory import Consumer, Finding, Token, document, group_tokens, mask
from .kinds import TOOL_DIRS, VENDORED_DIRS, classify, is_binary_name, workload_of

DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024
HEAD_BYTES = 8192
MAX_ERRORS = 200
_SKIP_KEYS = ("binary", "oversized", "vendored", "ignored", "symlink", "special", "unreadable")
_CONSUMER_FILE_KINDS = frozenset(
    {
        "github-actions",
        "gitlab-ci",
        "compose",
        "yaml",
        "helm-values",
        "source",
        "shell",
        "notebook",
        "k8s-secret",
    }
)
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

    def to_document(self, key_file: str | os.PathLike[str]) -> dict[str, Any]:
        """The ``zsp.inventory/v1`` document (see ``inventory``) for this result."""
        return document(
            str(self.root), str(Path(key_file).absolute()), self.findings, self.tokens, self.stats
        )


# ---------------------------------------------------------------- walking


def _load_ignore(directory: str) -> pathspec.PathSpec | None:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _relative(path: str, root: str) -> str:
    if path.startswith(root + os.sep):
        rel = path[len(root) + 1 :]
    else:
        rel = os.path.relpath(path, root)
    return rel.replace(os.sep, "/") if os.sep != "/" else rel


def _walk(
    targets: list[Path],
    root: Path,
    no_ignore: bool,
    skipped: dict[str, int],
    errors: list[dict[str, str]],
) -> Iterator[tuple[str, str]]:
    """Yield ``(absolute, relative-to-root)`` paths of regular files to scan, lazily.

    Plain ``os.scandir`` strings (no pathlib) because this runs once per file of the corpus."""
    root_s = str(root)
    for target in targets:
        target_s = str(target)
        try:
            st = target.stat()  # a path named on the command line is followed if a symlink
        except OSError as err:
            errors.append(
                {"path": _relative(target_s, root_s), "error": err.strerror or "unreadable"}
            )
            skipped["unreadable"] += 1
            continue
        if stat.S_ISREG(st.st_mode):
            yield target_s, _relative(target_s, root_s)
            continue
        if not stat.S_ISDIR(st.st_mode):
            skipped["symlink" if stat.S_ISLNK(st.st_mode) else "special"] += 1
            continue
        stack: list[tuple[str, list[tuple[str, pathspec.PathSpec]]]] = [(target_s, [])]
        while stack:
            directory, specs = stack.pop()
            if not no_ignore:
                spec = _load_ignore(directory)
                if spec is not None:
                    specs = [*specs, (directory, spec)]
            try:
                with os.scandir(directory) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as err:
                errors.append(
                    {"path": _relative(directory, root_s), "error": err.strerror or "unreadable"}
                )
                skipped["unreadable"] += 1
                continue
            subdirs: list[str] = []
            for entry in entries:
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
                if specs and _ignored(entry.path, is_dir, specs):
                    skipped["ignored"] += 1
                    continue
                if is_dir:
                    subdirs.append(entry.path)
                elif is_file:
                    yield entry.path, _relative(entry.path, root_s)
                else:
                    skipped["special"] += 1
            stack.extend((d, specs) for d in reversed(subdirs))


def _ignored(path: str, is_dir: bool, specs: list[tuple[str, pathspec.PathSpec]]) -> bool:
    for base, spec in specs:
        rel = _relative(path, base) + ("/" if is_dir else "")
        if spec.match_file(rel):
            return True
    return False


# ---------------------------------------------------------------- per file (worker side)

_MATCHER: Matcher | None = None  # set per process by _init_worker
_KEY: bytes = b""
_MAX_SIZE = DEFAULT_MAX_FILE_SIZE


def _init_worker(key: bytes, max_size: int) -> None:
    global _MATCHER, _KEY, _MAX_SIZE
    _MATCHER = default_matcher()
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
    matcher = _MATCHER or default_matcher()
    candidates, valid = detect(data, kind, matcher)
    return [_to_finding(c, rel, kind, commit, key) for c in candidates], valid


@dataclass
class _Batch:
    """What a worker sends back for a batch of files (few, small messages between processes)."""

    files: int = 0
    nbytes: int = 0
    invalid: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    consumer_files: list[tuple[str, str]] = field(default_factory=list)


def _read(abs_path: str) -> tuple[str, bytes | int | str]:
    """``("ok", data)``, ``("oversized", size)``, ``("special", 0)`` or ``("unreadable", why)``."""
    try:
        fd = os.open(
            abs_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        )
    except OSError as err:
        return "unreadable", err.strerror or "unreadable"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "special", 0
        if st.st_size > _MAX_SIZE:
            return "oversized", st.st_size
        # One read of size+1 bytes: a regular file returns short only at end of file, and a
        # file that grew past the limit meanwhile shows up as longer than its stat size.
        data = os.read(fd, min(st.st_size, _MAX_SIZE) + 1)
        if len(data) > _MAX_SIZE:
            return "oversized", len(data)
        return "ok", data
    except OSError as err:
        return "unreadable", err.strerror or "unreadable"
    finally:
        os.close(fd)


def _scan_batch(tasks: list[tuple[str, str]]) -> _Batch:
    out = _Batch(skipped=dict.fromkeys(_SKIP_KEYS, 0))
    for abs_path, rel in tasks:
        if is_binary_name(rel):
            out.skipped["binary"] += 1
            continue
        status, payload = _read(abs_path)
        if status != "ok":
            out.skipped[status] += 1
            if status == "unreadable":
                out.errors.append({"path": rel, "error": str(payload)})
            continue
        assert isinstance(payload, bytes)
        data = payload
        if b"\0" in data[:HEAD_BYTES]:
            out.skipped["binary"] += 1
            continue
        kind = classify(rel, data[:65536])
        findings, valid = scan_bytes(data, rel, kind, _KEY)
        out.files += 1
        out.nbytes += len(data)
        out.invalid += not valid
        out.findings.extend(findings)
        if kind in _CONSUMER_FILE_KINDS:
            out.consumer_files.append((rel, kind))
    return out


def _batches(items: Iterable[Any], size: int = 64) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# ---------------------------------------------------------------- consumers (worker side)

_NAMES_RE: re.Pattern[str] | None = None
_NAMES_PREFILTER: Any = None


def _init_consumers(names: list[str], max_size: int) -> None:
    """Compile the names once per worker: a Hyperscan literal set as prefilter, then ``re``."""
    global _NAMES_RE, _NAMES_PREFILTER, _MAX_SIZE
    _MAX_SIZE = max_size
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    _NAMES_RE = re.compile(rf"(?<![A-Za-z0-9_])(?:{alternation})(?![A-Za-z0-9_])")
    try:
        import hyperscan

        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(
            expressions=[re.escape(n).encode() for n in names],
            ids=list(range(len(names))),
            elements=len(names),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(names),
        )
        _NAMES_PREFILTER = db
    except ImportError:  # pragma: no cover - hyperscan is a dependency; re alone is correct too
        _NAMES_PREFILTER = None


def hyperscan_terminated() -> type[BaseException]:
    import hyperscan

    terminated: type[BaseException] = hyperscan.ScanTerminated
    return terminated


def _mentions_a_name(data: bytes) -> bool:
    if _NAMES_PREFILTER is None:
        return True
    hit: list[int] = []

    def on_match(rule_id: int, _f: int, _t: int, _flags: int, _ctx: object) -> bool:
        hit.append(rule_id)
        return True  # stop at the first one

    try:
        _NAMES_PREFILTER.scan(data, match_event_handler=on_match)
    except hyperscan_terminated():
        pass
    return bool(hit)


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


def consumers_in_text(
    text: str, rel: str, kind: str, names_re: re.Pattern[str]
) -> list[tuple[str, Consumer]]:
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
        for idx, line in enumerate([*lines, "---"]):
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
            elif kind in ("source", "shell", "notebook") and _READ_MARKERS.search(line):
                consumer = Consumer("program", rel, rel)
            if consumer is not None:
                out.append((name, consumer))
    return out


def _consumer_task(tasks: list[tuple[str, str, str]]) -> list[tuple[str, Consumer]]:
    assert _NAMES_RE is not None
    out: list[tuple[str, Consumer]] = []
    for abs_path, rel, kind in tasks:
        status, data = _read(abs_path)
        if status != "ok" or not isinstance(data, bytes) or not _mentions_a_name(data):
            continue
        out.extend(consumers_in_text(data.decode("utf-8", "replace"), rel, kind, _NAMES_RE))
    return out


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


_SHARE: dict[str, Any] = {}


def _init_share(
    key: bytes,
    max_size: int,
    targets: list[Path],
    root: Path,
    no_ignore: bool,
    jobs: int,
    counter: Any,
) -> None:
    _init_worker(key, max_size)
    _SHARE.update(targets=targets, root=root, no_ignore=no_ignore, jobs=jobs, counter=counter)


def _scan_share(share: int) -> _Batch:
    """Worker ``share`` of ``jobs``: walk the whole tree (cheap: directory listings only) and scan
    every ``jobs``-th file. No file list crosses process boundaries, only one result per worker,
    so ``--jobs`` scales without the parent becoming the bottleneck."""
    walk_skipped = dict.fromkeys(_SKIP_KEYS, 0)
    walk_errors: list[dict[str, str]] = []
    jobs: int = _SHARE["jobs"]
    walker = _walk(
        _SHARE["targets"], _SHARE["root"], _SHARE["no_ignore"], walk_skipped, walk_errors
    )
    mine = (item for n, item in enumerate(walker) if n % jobs == share)
    out = _Batch(skipped=dict.fromkeys(_SKIP_KEYS, 0))
    counter = _SHARE["counter"]
    for tasks in _batches(mine):
        batch = _scan_batch(tasks)
        _merge(out, batch)
        with counter.get_lock():
            counter[0] += batch.files
            counter[1] += batch.nbytes
    if share == 0:  # walk-level skips are the same in every worker: count them once
        for name, count in walk_skipped.items():
            out.skipped[name] += count
        out.errors = walk_errors + out.errors
    return out


def _merge(into: _Batch, batch: _Batch) -> None:
    into.files += batch.files
    into.nbytes += batch.nbytes
    into.invalid += batch.invalid
    into.findings.extend(batch.findings)
    into.consumer_files.extend(batch.consumer_files)
    for name, count in batch.skipped.items():
        into.skipped[name] = into.skipped.get(name, 0) + count
    into.errors.extend(batch.errors[: max(0, MAX_ERRORS - len(into.errors))])


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def _scan_tree(
    targets: list[Path],
    root: Path,
    no_ignore: bool,
    jobs: int,
    key: bytes,
    max_size: int,
    progress: Callable[[int, int], None] | None,
) -> _Batch:
    """Phase 1: every file once, in this process or split over ``jobs`` workers."""
    total = _Batch(skipped=dict.fromkeys(_SKIP_KEYS, 0))
    if jobs <= 1:
        _init_worker(key, max_size)
        walker = _walk(targets, root, no_ignore, total.skipped, total.errors)
        for tasks in _batches(walker):
            _merge(total, _scan_batch(tasks))
            if progress is not None:
                progress(total.files, total.nbytes)
        return total
    ctx = _context()
    counter = ctx.Array("q", 2)
    initargs = (key, max_size, targets, root, no_ignore, jobs, counter)
    with ctx.Pool(jobs, initializer=_init_share, initargs=initargs) as pool:
        pending = pool.map_async(_scan_share, range(jobs))
        while not pending.ready():
            pending.wait(0.1)
            if progress is not None:
                progress(int(counter[0]), int(counter[1]))
        for batch in pending.get():
            _merge(total, batch)
    if progress is not None:
        progress(total.files, total.nbytes)
    return total


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
    with _context().Pool(jobs, initializer=initializer, initargs=initargs) as pool:
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
    skipped = dict.fromkeys(_SKIP_KEYS, 0)
    errors: list[dict[str, str]] = []
    findings: list[Finding] = []
    consumer_files: list[tuple[str, str, str]] = []
    engine = default_matcher().engine
    tree = _scan_tree(targets, root, no_ignore, jobs, key, max_file_size, progress)
    files, nbytes, invalid = tree.files, tree.nbytes, tree.invalid
    findings.extend(tree.findings)
    consumer_files.extend(("", rel, kind) for rel, kind in tree.consumer_files)
    for name, count in tree.skipped.items():
        skipped[name] += count
    errors.extend(tree.errors[:MAX_ERRORS])
    _init_worker(key, max_file_size)

    hist_stats: dict[str, Any] = {"enabled": history}
    if history:
        hist_stats.update(_scan_history(root, key, max_file_size, findings, skipped))

    # Overlapping PATH arguments must not count a file twice.
    findings = list(dict.fromkeys(findings))
    findings.sort(key=lambda f: (f.commit is not None, f.path, f.line, f.column, f.commit or ""))
    tokens = group_tokens(findings)
    tracked = git_history.tracked_files(root)
    _attach_consumers(root, findings, tokens, consumer_files, jobs, max_file_size)
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
    counts: dict[str, int] = {}
    scanned = 0
    current = {(f.fingerprint, f.path, f.line) for f in findings}

    def want(path: str) -> bool:
        if not path.startswith(prefix):
            return False
        parts = path[len(prefix) :].split("/")
        vendored = any(p in VENDORED_DIRS or p in TOOL_DIRS for p in parts[:-1])
        return not vendored and not is_binary_name(path)

    try:
        prefix = _history_prefix(root)
        for commit, path, _size, data in git_history.blobs(root, counts, want, max_size):
            if b"\0" in data[:HEAD_BYTES]:
                counts["skipped"] = counts.get("skipped", 0) + 1
                continue
            rel = path[len(prefix) :]
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
        names = list(by_name)
        for refs in _map(_consumer_task, _batches(tasks), jobs, _init_consumers, (names, max_size)):
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


def read_token(
    root: str | os.PathLike[str], finding: Finding | dict[str, Any], key: bytes | None = None
) -> str:
    """The raw token of a finding, re-read from its location (file, or git blob for history).

    ``finding`` is a ``Finding`` or a finding dict of a ``zsp.inventory/v1`` document; ``key`` is
    the fingerprint key (default: the inventory's key, found like ``zsp scan`` finds it). The
    value is returned in memory only; callers must never print, log or serialize it. Raises
    ``TokenReadError`` when the location no longer holds a token with the finding's fingerprint.
    """
    f = finding if isinstance(finding, dict) else finding.to_dict()
    base = Path(root)
    if key is None:
        from .fingerprint import KeyFileError, load_or_create_key

        try:
            key, _ = load_or_create_key(base)
        except KeyFileError as err:
            raise TokenReadError(str(err)) from None
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
        matcher = default_matcher()
        for cand in find_in_k8s_secret(text, matcher, matcher.rules):
            if cand.line == line and fingerprint(key, cand.value) == f["fingerprint"]:
                return cand.value
    elif fingerprint(key, span) == f["fingerprint"]:
        return span
    raise TokenReadError(f"{f['path']}:{line}: the token at this location has changed")
