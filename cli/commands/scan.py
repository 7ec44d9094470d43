"""``zsp scan``: inventory static inference tokens, their endpoints, consumers and exposure.

Imports only the scan engine (no Pulumi, no boto3) so it runs anywhere quickly.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

import click

from .. import exit_codes
from ..errors import ZspError


def _write_atomic(path: Path, text: str) -> None:
    """Write all or nothing: a crash never leaves a half report behind."""
    path = path.absolute()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as err:
        raise ZspError(f"{path}: cannot write output ({err.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise ZspError(f"{path}: cannot write output ({err.strerror})") from None


def _parse_overrides(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        provider, sep, url = value.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise ZspError(f"--verify-endpoint {value!r}: expected PROVIDER=http(s)://URL")
        out[provider.strip()] = url.strip()
    return out


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--history", is_flag=True, help="Also scan git history: every reachable blob once.")
@click.option("--no-ignore", is_flag=True, help="Do not honour .gitignore files.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Worker processes (0 = one per CPU).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "sarif", "markdown", "csv"]),
    default="table",
    show_default=True,
    help="table for people; json (inventory), sarif, markdown, csv.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to FILE instead of stdout.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A previous --format json inventory: its findings are accepted (suppressed).",
)
@click.option(
    "--fingerprint-key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Fingerprint key file (default $ZSP_FINGERPRINT_KEY_FILE or <root>/.zsp/fingerprint.key).",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1),
    default=10 * 1024 * 1024,
    show_default=True,
    help="Skip (and count) files larger than this many bytes.",
)
@click.option("--verify", is_flag=True, help="Check liveness with one read-only call per token.")
@click.option(
    "--verify-endpoint",
    multiple=True,
    metavar="PROVIDER=URL",
    help="Base URL to verify a provider's tokens against (proxy, test fake).",
)
def scan(
    paths: tuple[Path, ...],
    history: bool,
    no_ignore: bool,
    jobs: int,
    fmt: str,
    output: Path | None,
    baseline: Path | None,
    fingerprint_key: Path | None,
    max_file_size: int,
    verify: bool,
    verify_endpoint: tuple[str, ...],
) -> int:
    """Find static inference tokens under PATH... and who consumes them.

    Exit 0: nothing found (after --baseline); 1: findings; 2: bad input or fatal error.
    """
    from rich.console import Console

    from ..scan.engine import ScanError, scan_paths
    from ..scan.fingerprint import KeyFileError, load_or_create_key
    from ..scan.report import (
        BaselineError,
        load_baseline,
        render_table,
        to_csv,
        to_json,
        to_markdown,
        to_sarif,
    )

    for p in paths:
        if not p.exists():
            raise ZspError(f"{p}: no such file or directory")
    overrides = _parse_overrides(verify_endpoint)
    accepted = set()
    if baseline is not None:
        try:
            accepted = load_baseline(baseline)
        except BaselineError as err:
            raise ZspError(str(err)) from None
    first = paths[0].absolute()
    root = first if first.is_dir() else first.parent
    try:
        key, key_path = load_or_create_key(root, fingerprint_key)
    except KeyFileError as err:
        raise ZspError(str(err)) from None
    jobs = jobs or (os.cpu_count() or 1)

    err_console = Console(stderr=True)
    show_progress = fmt == "table" and output is None and sys.stderr.isatty()
    try:
        if show_progress:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(
                TextColumn("scanning"),
                BarColumn(),
                TextColumn("{task.fields[files]} files"),
                TextColumn("{task.fields[mb]:.1f} MB"),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as bar:
                task = bar.add_task("scan", total=None, files=0, mb=0.0)

                def progress(files: int, nbytes: int) -> None:
                    bar.update(task, files=files, mb=nbytes / 1e6)

                result = scan_paths(
                    paths,
                    history=history,
                    no_ignore=no_ignore,
                    jobs=jobs,
                    key=key,
                    max_file_size=max_file_size,
                    progress=progress,
                )
        else:
            result = scan_paths(
                paths,
                history=history,
                no_ignore=no_ignore,
                jobs=jobs,
                key=key,
                max_file_size=max_file_size,
            )
    except ScanError as err:
        raise ZspError(str(err)) from None

    findings = [f for f in result.findings if (f.fingerprint, f.path) not in accepted]
    suppressed = len(result.findings) - len(findings)
    kept = {(f.fingerprint, f.path, f.line, f.commit) for f in findings}
    tokens = []
    for token in result.tokens:
        token.locations = [
            loc
            for loc in token.locations
            if (token.fingerprint, loc["path"], loc["line"], loc["commit"]) in kept
        ]
        if token.locations:
            tokens.append(token)
    result.findings, result.tokens = findings, tokens
    result.stats.update(findings=len(findings), tokens=len(tokens), suppressed=suppressed)

    if verify and tokens:
        from ..scan.verify import verify_result

        verify_result(result, key, overrides)

    if fmt == "json":
        text = to_json(str(result.root), str(key_path), findings, tokens, result.stats)
    elif fmt == "sarif":
        text = to_sarif(findings, tokens, str(result.root))
    elif fmt == "markdown":
        text = to_markdown(findings, tokens, result.stats)
    elif fmt == "csv":
        text = to_csv(findings)
    else:
        if output is None:
            render_table(findings, tokens, result.stats, Console())
            text = ""
        else:
            console = Console(record=True, width=160, file=io.StringIO())
            render_table(findings, tokens, result.stats, console)
            text = console.export_text()
    if output is not None:
        _write_atomic(output, text)
    elif text:
        click.echo(text, nl=False)
    if fmt != "table" and result.stats["errors"]:
        err_console.print(
            f"zsp: {len(result.stats['errors'])} file(s) could not be read (see stats.errors)"
        )
    return exit_codes.FINDINGS if findings else exit_codes.OK
