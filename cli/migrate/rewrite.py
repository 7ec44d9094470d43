"""Consumer rewriters: replace a token literal by the gateway wiring, one file kind at a time.

Rewriters never see the token value: they work on spans (line, column) that the caller has already
verified against the fingerprint. Line-oriented kinds are edited as text so everything else in the
file stays byte-identical; CI workflows and Kubernetes Secrets need structural edits (a new step,
``permissions``, annotations) and go through ruamel.yaml's round-trip mode, which keeps comments,
key order and quoting.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .providers import Provider, env_var_for, provider_info


class Unsupported(Exception):
    """This location cannot be rewritten automatically; the plan lists it for a person."""


@dataclass(frozen=True)
class Edit:
    line: int
    column: int
    end_column: int
    kind: str
    variable: str | None
    encoding: str
    fingerprint: str
    provider: str
    connection: str
    secret_name: str
    upstream: str
    gateway_url: str

    @property
    def info(self) -> Provider:
        return provider_info(self.provider)

    @property
    def env_var(self) -> str:
        return env_var_for(self.variable, self.info)

    @property
    def gateway_base(self) -> str:
        return self.gateway_url.rstrip("/") + self.info.base_suffix

    @property
    def creds_command(self) -> str:
        return f'eval "$(zsp creds --connection {self.connection} --format env)"'

    def note(self, name: str | None = None) -> str:
        return (
            f"zsp: {name or self.env_var} moved to Secrets Manager ({self.secret_name}); calls go "
            f'through the gateway connection "{self.connection}" with a short-lived key: '
            f"{self.creds_command}"
        )


def split_lines(text: str) -> list[str]:
    """Lines with their endings; unlike ``str.splitlines`` only ``\\n`` ends a line (as in scan)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


def _eol(line: str) -> str:
    return "\r\n" if line.endswith("\r\n") else "\n"


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def switch_base_url(text: str, upstream: str, gateway: str) -> str:
    """Point every occurrence of the provider's base URL at the gateway, keeping the path."""
    upstream = upstream.rstrip("/")
    if not upstream:
        return text
    pattern = re.compile(re.escape(upstream) + r"(?=[/\"'\s,;)}\]`]|$)")
    return pattern.sub(lambda _m: gateway.rstrip("/"), text)


class Lines:
    """A file as mutable lines; edits go bottom-up so earlier line numbers stay valid."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)
        self.replaced: set[int] = set()
        self.text = text

    def span(self, edit: Edit) -> tuple[str, str, str]:
        line = self.lines[edit.line - 1]
        return (
            line[: edit.column - 1],
            line[edit.column - 1 : edit.end_column - 1],
            line[edit.end_column - 1 :],
        )

    def replace_span(self, edit: Edit, new: str) -> None:
        before, _span, after = self.span(edit)
        self.lines[edit.line - 1] = before + new + after

    def replace_line(self, edit: Edit, new_lines: list[str]) -> None:
        eol = _eol(self.lines[edit.line - 1])
        self.lines[edit.line - 1] = "".join(line + eol for line in new_lines)
        self.replaced.add(edit.line)

    def has_assignment(self, name: str, sep: str = "=") -> bool:
        return (
            re.search(rf"^\s*(export\s+)?{re.escape(name)}\s*{re.escape(sep)}", self.text, re.M)
            is not None
        )

    def result(self) -> str:
        return "".join(self.lines)


_ASSIGN = re.compile(r"^(\s*)(export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=")


def _dotenv(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    line = doc.lines[edit.line - 1]
    m = _ASSIGN.match(line)
    if not m or m.end() > edit.column - 1:
        doc.replace_span(edit, "${" + edit.env_var + "}")
        return
    indent, export, name = m.group(1), m.group(2) or "", m.group(3)
    new = [f"{indent}# {edit.note(name)}"]
    base = edit.info.base_var
    if not doc.has_assignment(base) and base not in state.setdefault("bases", set()):
        state["bases"].add(base)
        new.append(f"{indent}{export}{base}={edit.gateway_base}")
    doc.replace_line(edit, new)


def _shell(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    line = doc.lines[edit.line - 1]
    m = _ASSIGN.match(line)
    if not m or m.end() > edit.column - 1:
        doc.replace_span(edit, "${" + edit.env_var + "}")
        return
    new = [f"{m.group(1)}# {edit.note(m.group(3))}"]
    if edit.connection not in state.setdefault("evals", set()):
        state["evals"].add(edit.connection)
        new.append(f"{m.group(1)}{edit.creds_command}")
    doc.replace_line(edit, new)


_DOCKER = re.compile(r"^(\s*)(ENV|ARG)\s+([A-Za-z_][A-Za-z0-9_]*)(=|\s+)", re.I)


def _dockerfile(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    line = doc.lines[edit.line - 1]
    m = _DOCKER.match(line)
    if not m or line.rstrip().endswith("\\"):
        raise Unsupported("Dockerfile instruction spans several lines or is not ENV/ARG")
    indent, name = m.group(1), m.group(3)
    new = [
        f"{indent}# zsp: {name} is no longer baked into the image (moved to Secrets Manager "
        f"{edit.secret_name}); pass a short-lived one at run time: "
        f"docker run --env-file <(zsp creds --connection {edit.connection} --format env) ..."
    ]
    base = edit.info.base_var
    if not doc.has_assignment(base) and not re.search(rf"\b{base}\b", doc.text):
        new.append(f"{indent}ENV {base}={edit.gateway_base}")
    doc.replace_line(edit, new)


_COMPOSE_LIST = re.compile(r"^(\s*)-\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)=")
_COMPOSE_MAP = re.compile(r"^(\s*)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2\s*:\s")


def _compose(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    line = doc.lines[edit.line - 1]
    ref = (
        "${"
        + edit.env_var
        + ":?get a short-lived key with zsp creds --connection "
        + edit.connection
        + "}"
    )
    base = edit.info.base_var
    add_base = base not in doc.text and base not in state.setdefault("bases", set())
    if m := _COMPOSE_LIST.match(line):
        indent, name = m.group(1), m.group(3)
        new = [f"{indent}# {edit.note(name)}", f'{indent}- "{name}={ref}"']
        if add_base:
            new.append(f"{indent}- {base}={edit.gateway_base}")
    elif m := _COMPOSE_MAP.match(line):
        indent, name = m.group(1), m.group(3)
        new = [f"{indent}# {edit.note(name)}", f'{indent}{name}: "{ref}"']
        if add_base:
            new.append(f"{indent}{base}: {edit.gateway_base}")
    else:
        _yaml_value(doc, edit, state)
        return
    state["bases"].add(base)
    doc.replace_line(edit, new)


def _quoted(before: str, after: str) -> str | None:
    if before[-1:] in {'"', "'"} and after[:1] == before[-1:]:
        return before[-1:]
    return None


def _comment_above(doc: Lines, edit: Edit, marker: str) -> None:
    line = doc.lines[edit.line - 1]
    eol = _eol(line)
    doc.lines[edit.line - 1] = f"{_indent(line)}{marker} {edit.note()}{eol}" + line


def _yaml_value(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    before, _span, after = doc.span(edit)
    ref = "${" + edit.env_var + "}"
    del _span
    doc.replace_span(edit, ref if _quoted(before, after) else f'"{ref}"')
    if "|" not in before and ">" not in before:
        _comment_above(doc, edit, "#")


def _toml(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    before, _span, after = doc.span(edit)
    if not _quoted(before, after):
        raise Unsupported("TOML value is not a single-line string")
    doc.replace_span(edit, "${" + edit.env_var + "}")
    _comment_above(doc, edit, "#")


def _ini(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    doc.replace_span(edit, "${" + edit.env_var + "}")
    _comment_above(doc, edit, "#")


def _json(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    before = doc.span(edit)[0]
    if before[-1:] != '"':
        raise Unsupported("JSON token is not inside a string")
    doc.replace_span(edit, "${" + edit.env_var + "}")


_TFVARS = re.compile(r'^(\s*)([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*"')


def _tfvars(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    line = doc.lines[edit.line - 1]
    m = _TFVARS.match(line)
    if not m:
        raise Unsupported("tfvars token is not a top-level string assignment")
    indent, name = m.group(1), m.group(2)
    doc.replace_line(
        edit,
        [
            f"{indent}# zsp: {name} moved to Secrets Manager ({edit.secret_name}); set "
            f"TF_VAR_{name} at plan time, or read it with an aws_secretsmanager_secret_version "
            "data source",
        ],
    )


def _text(doc: Lines, edit: Edit, state: dict[str, Any]) -> None:
    doc.replace_span(edit, f"[zsp: moved to Secrets Manager {edit.secret_name}]")


# ---- source code ----------------------------------------------------------------------------

_PY = {".py", ".pyw"}
_JS = {".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"}
_RUBY = {".rb"}
_JVM = {".java", ".kt", ".kts", ".scala"}


def _literal_bounds(before: str, after: str) -> tuple[str, str] | None:
    """The quote that opens the string holding the span, and any prefix letters (f, r, b...)."""
    i = len(before) - 1
    while i >= 0:
        ch = before[i]
        if ch in "\"'`" and (i == 0 or before[i - 1] != "\\"):
            j = i
            while j > 0 and before[j - 1].isalpha():
                j -= 1
            return ch, before[j:i].lower()
        i -= 1
    return None


def _source_expr(ext: str, var: str, quote: str, notebook: bool, has_os: bool) -> str:
    if ext in _PY or notebook:
        q = "'" if quote == '"' or notebook else '"'
        module = "os" if has_os or not notebook else "__import__('os')"
        return f"{module}.environ[{q}{var}{q}]"
    if ext in _JS:
        return f"process.env.{var}"
    if ext in _RUBY:
        return f'ENV["{var}"]' if quote != '"' else f"ENV['{var}']"
    if ext in _JVM:
        return f'System.getenv("{var}")'
    raise Unsupported(f"no rewriter for {ext or 'this'} source files")


def _source(
    doc: Lines, edit: Edit, state: dict[str, Any], ext: str, notebook: bool = False
) -> None:
    before, _span, after = doc.span(edit)
    var = edit.env_var
    has_os = re.search(r"^\s*import os\b|^\s*import .*\bos\b", doc.text, re.M) is not None
    if notebook:
        has_os = has_os or "import os" in doc.text
        # Inside the notebook's JSON a Python double quote is written \" .
        if before.endswith('\\"') and after.startswith('\\"'):
            doc.lines[edit.line - 1] = (
                before[:-2] + _source_expr(ext, var, '"', True, has_os) + after[2:]
            )
            return
        if before.endswith("'") and after.startswith("'"):
            doc.lines[edit.line - 1] = (
                before[:-1] + _source_expr(ext, var, "'", True, has_os) + after[1:]
            )
            return
        doc.replace_span(edit, f"[zsp: moved to Secrets Manager {edit.secret_name}]")
        return
    bounds = _literal_bounds(before, after)
    if bounds is None:
        raise Unsupported("token is not inside a string literal")
    quote, prefix = bounds
    expr = _source_expr(ext, var, quote, False, has_os)
    if _quoted(before, after) == quote and not prefix:
        expr = _source_expr(ext, var, "", False, has_os)
        doc.lines[edit.line - 1] = before[:-1] + expr + after[1:]
    elif quote == "`" and ext in _JS:
        doc.replace_span(edit, "${" + expr + "}")
    elif "f" in prefix and ext in _PY:
        doc.replace_span(edit, "{" + expr + "}")
    elif prefix and ext in _PY:
        raise Unsupported(f"token inside a {prefix}-string")
    else:
        outside = _source_expr(ext, var, "", False, has_os)
        doc.replace_span(edit, f"{quote} + {outside} + {quote}")
    if ext in _PY and not has_os:
        state["needs_os"] = True


def _insert_import_os(text: str) -> str:
    """Add ``import os`` after the module docstring and ``__future__`` imports."""
    lines = split_lines(text)
    insert_at = 0
    try:
        tree = ast.parse(text)
        for node in tree.body:
            is_doc = (
                isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            )
            is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
            if is_doc or is_future:
                insert_at = node.end_lineno or node.lineno
                continue
            break
    except SyntaxError:
        while insert_at < len(lines) and lines[insert_at].startswith("#!"):
            insert_at += 1
    eol = _eol(lines[0]) if lines else "\n"
    if insert_at and insert_at <= len(lines) and not lines[insert_at - 1].endswith("\n"):
        lines[insert_at - 1] += eol
    lines.insert(insert_at, "import os" + eol)
    return "".join(lines)


# ---- structural YAML ------------------------------------------------------------------------


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    return yaml


def _guess_indent(text: str, yaml: Any) -> None:
    """Keep the file's own indentation style (mapping step, dash offset) when dumping it back."""
    mapping: list[int] = []
    offsets: list[int] = []
    prev: str | None = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        if prev is not None and prev.rstrip().endswith(":"):
            step = indent - (len(prev) - len(prev.lstrip(" ")))
            if stripped.startswith("- "):
                if step >= 0:
                    offsets.append(step)
            elif step > 0:
                mapping.append(step)
        prev = raw.split(" #", 1)[0]
    indent_m = min(mapping) if mapping else 2
    offset = max(set(offsets), key=offsets.count) if offsets else 0
    yaml.indent(mapping=indent_m, sequence=offset + 2, offset=offset)


def _find_path(
    node: Any, line0: int, col0: int, path: tuple[Any, ...] = ()
) -> tuple[Any, ...] | None:
    """Key path of the scalar holding 0-based (line, col) in a ruamel round-trip tree."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        items = [(k, node.lc.value(k)) for k in node]
    elif isinstance(node, CommentedSeq):
        items = [(i, node.lc.item(i)) for i in range(len(node))]
    else:
        return None
    for key, _pos in items:
        child = node[key]
        if isinstance(child, CommentedMap | CommentedSeq):
            deeper = _find_path(child, line0, col0, (*path, key))
            if deeper is not None:
                return deeper
    best: tuple[Any, ...] | None = None
    for key, (vline, vcol) in items:
        child = node[key]
        if not isinstance(child, str):
            continue
        if vline == line0 and vcol <= col0:
            best = (*path, key)
        elif vline < line0 <= vline + str(child).count("\n"):
            best = (*path, key)
    return best


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def _locate(tree: Any, edits: list[Edit]) -> list[tuple[Edit, tuple[Any, ...]]]:
    located = []
    for edit in edits:
        path = _find_path(tree, edit.line - 1, edit.column - 1)
        if path is None:
            raise Unsupported(f"line {edit.line}: token is not a YAML scalar value")
        located.append((edit, path))
    return located


def _text_edits(text: str, edits: list[tuple[Edit, str]]) -> str:
    doc = Lines(text)
    for edit, new in sorted(edits, key=lambda e: (e[0].line, e[0].column), reverse=True):
        before, _span, after = doc.span(edit)
        q = _quoted(before, after)
        doc.replace_span(edit, new if q or not new.startswith("$") else f'"{new}"')
    return doc.result()


def _dump(yaml: Any, docs: list[Any], original: str) -> str:
    out = io.StringIO()
    if len(docs) == 1 and not original.lstrip().startswith("---"):
        yaml.dump(docs[0], out)
    else:
        yaml.explicit_start = original.lstrip().startswith("---")
        yaml.dump_all(docs, out)
    text = out.getvalue()
    if "\r\n" in original:
        text = text.replace("\n", "\r\n")
    return text


def _creds_step(edit: Edit, variables: list[str]) -> Any:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import LiteralScalarString

    lines = [edit.creds_command]
    names = sorted({*variables, edit.info.base_var})
    lines += [f'echo "::add-mask::${{{edit.env_var}}}"'] if edit.env_var in variables else []
    lines += [f'echo "{name}=${{{name}}}" >> "$GITHUB_ENV"' for name in names]
    step = CommentedMap()
    step["name"] = f"Short-lived inference credential ({edit.connection}, zsp)"
    step["run"] = LiteralScalarString("\n".join(lines) + "\n")
    return step


def _github_actions(text: str, edits: list[Edit]) -> str:
    from ruamel.yaml.comments import CommentedMap

    yaml = _yaml()
    _guess_indent(text, yaml)
    tree = yaml.load(text)
    located = _locate(tree, edits)
    textual: list[tuple[Edit, str]] = []
    removals: list[tuple[Any, ...]] = []
    for edit, path in located:
        if len(path) >= 2 and path[-2] == "env":
            removals.append(path)
        elif path[-1] == "run":
            textual.append((edit, "${" + edit.env_var + "}"))
        else:
            textual.append((edit, "${{ env." + edit.env_var + " }}"))
    if textual:
        text = _text_edits(text, textual)
        tree = yaml.load(text)
    for path in sorted(removals, key=len, reverse=True):
        parent = _get(tree, path[:-1])
        del parent[path[-1]]
        if not parent:
            del _get(tree, path[:-2])[path[-2]]
    jobs = tree.get("jobs") or {}
    wanted: dict[str, dict[str, list[Edit]]] = {}
    for edit, path in located:
        targets = (
            [path[1]]
            if path[0] == "jobs" and len(path) > 1
            else [j for j in jobs if "steps" in jobs[j]]
        )
        for job in targets:
            wanted.setdefault(job, {}).setdefault(edit.connection, []).append(edit)
    for job_id, by_connection in wanted.items():
        job = jobs[job_id]
        steps = job.get("steps")
        if steps is None:
            raise Unsupported(f"job {job_id} has no steps (reusable workflow call)")
        index = 0
        while index < len(steps) and str(steps[index].get("uses", "")).startswith(
            ("actions/checkout", "actions/setup-")
        ):
            index += 1
        for connection, conn_edits in sorted(by_connection.items()):
            name = f"Short-lived inference credential ({connection}, zsp)"
            if any(s.get("name") == name for s in steps):
                continue
            step = _creds_step(conn_edits[0], sorted({e.env_var for e in conn_edits}))
            steps.insert(index, step)
            index += 1
        # The OIDC token of the job is what zsp creds exchanges: it needs id-token: write. A job
        # without its own permissions inherits the workflow's; a mapping gets the one key added.
        perms = job.get("permissions", tree.get("permissions"))
        if isinstance(perms, dict):
            perms["id-token"] = "write"
        elif perms in (None, "read-all", "write-all"):
            fresh = CommentedMap()
            fresh["contents"] = "write" if perms == "write-all" else "read"
            fresh["id-token"] = "write"
            keys = list(job.keys())
            position = keys.index("runs-on") + 1 if "runs-on" in keys else 0
            job.insert(position, "permissions", fresh)
        else:
            raise Unsupported(f"job {job_id}: unrecognised permissions {perms!r}")
    return _dump(yaml, [tree], text)


def _gitlab_ci(text: str, edits: list[Edit]) -> str:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = _yaml()
    _guess_indent(text, yaml)
    tree = yaml.load(text)
    located = _locate(tree, edits)
    textual: list[tuple[Edit, str]] = []
    removals: list[tuple[Any, ...]] = []
    owners: dict[str | None, list[Edit]] = {}
    for edit, path in located:
        if "variables" in path:
            cut = path.index("variables")
            removals.append(path[: cut + 2])
            owner = None if cut == 0 else str(path[0])
        else:
            textual.append((edit, "${" + edit.env_var + "}"))
            owner = str(path[0])
        owners.setdefault(None if owner in (None, "default") else owner, []).append(edit)
    if textual:
        text = _text_edits(text, textual)
        tree = yaml.load(text)
    for path in sorted(set(removals), key=len, reverse=True):
        parent = _get(tree, path[:-1])
        if path[-1] in parent:
            del parent[path[-1]]
        if not parent:
            del _get(tree, path[:-2])[path[-2]]

    def wire(job: Any, conn_edits: list[Edit]) -> None:
        ids = job.get("id_tokens")
        if ids is None:
            ids = CommentedMap()
            job.insert(0, "id_tokens", ids)
        if "ZSP_ID_TOKEN" not in ids:
            aud = CommentedMap()
            aud["aud"] = conn_edits[0].gateway_url.rstrip("/")
            ids["ZSP_ID_TOKEN"] = aud
        script = job.get("before_script")
        if script is None:
            script = CommentedSeq()
            job.insert(1, "before_script", script)
        elif isinstance(script, str):
            script = CommentedSeq([script])
            job["before_script"] = script
        for conn in sorted({e.connection for e in conn_edits}, reverse=True):
            command = next(e for e in conn_edits if e.connection == conn).creds_command
            if command not in script:
                script.insert(0, command)

    reserved = {
        "variables",
        "stages",
        "default",
        "include",
        "workflow",
        "image",
        "services",
        "cache",
    }
    for owner, conn_edits in owners.items():
        if owner is None:
            default = tree.get("default")
            if default is None:
                default = CommentedMap()
                keys = list(tree.keys())
                tree.insert(keys.index("stages") + 1 if "stages" in keys else 0, "default", default)
            wire(default, conn_edits)
            for name, job in tree.items():
                if (
                    name not in reserved
                    and not str(name).startswith(".")
                    and isinstance(job, dict)
                    and "before_script" in job
                ):
                    wire(job, conn_edits)
        else:
            wire(tree[owner], conn_edits)
    return _dump(yaml, [tree], text)


def _k8s_secret(text: str, edits: list[Edit]) -> str:
    from ruamel.yaml.comments import CommentedMap

    yaml = _yaml()
    _guess_indent(text, yaml)
    docs = list(yaml.load_all(text))
    for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
        hit = None
        for doc in docs:
            path = _find_path(doc, edit.line - 1, edit.column - 1) if doc is not None else None
            if path is not None:
                hit = (doc, path)
        if hit is None or len(hit[1]) != 2 or hit[1][0] not in ("data", "stringData"):
            raise Unsupported(f"line {edit.line}: token is not a data/stringData entry of a Secret")
        doc, (section, key) = hit
        if doc.get("kind") != "Secret":
            raise Unsupported(f"line {edit.line}: not in a kind: Secret document")
        del doc[section][key]
        if not doc[section]:
            del doc[section]
        string_data = doc.get("stringData")
        if string_data is None:
            string_data = CommentedMap()
            doc["stringData"] = string_data
        string_data.setdefault(edit.info.base_var, edit.gateway_base)
        meta = doc.setdefault("metadata", CommentedMap())
        notes = meta.get("annotations")
        if notes is None:
            notes = CommentedMap()
            meta["annotations"] = notes
        notes[f"zsp.dev/migrated.{key}"[:253]] = (
            f"moved to Secrets Manager {edit.secret_name}; the workload gets a short-lived key "
            f"from the gateway: zsp creds --connection {edit.connection}"
        )
    return _dump(yaml, docs, text)


_LINE_KINDS: dict[str, Callable[[Lines, Edit, dict[str, Any]], None]] = {
    "dotenv": _dotenv,
    "shell": _shell,
    "dockerfile": _dockerfile,
    "compose": _compose,
    "yaml": _yaml_value,
    "helm-values": _yaml_value,
    "toml": _toml,
    "ini": _ini,
    "json": _json,
    "tfvars": _tfvars,
    "text": _text,
}
_STRUCTURAL: dict[str, Callable[[str, list[Edit]], str]] = {
    "github-actions": _github_actions,
    "gitlab-ci": _gitlab_ci,
    "k8s-secret": _k8s_secret,
}


def check_supported(path: str, edit: Edit) -> None:
    """Raise ``Unsupported`` early for kinds/extensions no rewriter handles."""
    if edit.kind == "source":
        _source_expr(_ext(path), "X", '"', False, True)


def _ext(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def rewrite_text(path: str, text: str, edits: list[Edit]) -> str:
    """The new content of a consumer file with every edit applied and base URLs switched."""
    if not edits:
        return text
    kinds = {e.kind for e in edits}
    structural = kinds & set(_STRUCTURAL)
    if structural:
        if len(kinds) > 1:
            raise Unsupported(f"mixed kinds {sorted(kinds)} in one file")
        try:
            new = _STRUCTURAL[structural.pop()](text, edits)
        except Unsupported:
            raise
        except Exception as err:  # noqa: BLE001 - YAML errors carry file excerpts, not values
            raise Unsupported(f"cannot parse as YAML ({err.__class__.__name__})") from None
    else:
        doc = Lines(text)
        state: dict[str, Any] = {}
        for edit in sorted(edits, key=lambda e: (e.line, e.column), reverse=True):
            if edit.line in doc.replaced:
                continue
            if edit.line > len(doc.lines):
                raise Unsupported(f"line {edit.line} is past the end of the file")
            if edit.kind == "source":
                _source(doc, edit, state, _ext(path))
            elif edit.kind == "notebook":
                _source(doc, edit, state, ".py", notebook=True)
            else:
                _LINE_KINDS[edit.kind](doc, edit, state)
        new = doc.result()
        if state.get("needs_os"):
            new = _insert_import_os(new)
    for upstream in sorted({e.upstream for e in edits}):
        gateway = next(e.gateway_url for e in edits if e.upstream == upstream)
        new = switch_base_url(new, upstream, gateway)
    return new
