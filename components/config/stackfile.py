"""Read ``stacks/Pulumi.<env>.yaml`` without the Pulumi engine, for ``zsp synth`` and the CLI.

Secure values (``{secure: v1:...}``) are replaced by a marker *before* anything else sees them;
synth never decrypts, so the ciphertext and the plaintext both stay out of every artifact it writes.
Line numbers are kept so a config error points at the line to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from .base import REDACTED
from .errors import StackConfigError
from .loader import NAMESPACE, KeyPath, parse_stack_config
from .stack import StackConfig


@dataclass(frozen=True)
class StackFile:
    """The decoded ``config:`` map of one stack file."""

    path: Path
    display: str
    values: dict[str, Any]
    secret_keys: frozenset[str]
    _tree: Any = field(repr=False, compare=False)

    def line_of(self, path: KeyPath) -> int | None:
        """1-based line of the deepest key of ``path`` that exists in the file."""
        if not path:
            return None
        head, *rest = path
        key = str(head) if ":" in str(head) else f"{NAMESPACE}:{head}"
        node = self._tree
        line: int | None = None
        for part in (key, *rest):
            if isinstance(node, CommentedMap) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        return line

    def parse(self) -> StackConfig:
        return parse_stack_config(self.values, self.display, self.line_of, self.secret_keys)


def _redact(value: Any) -> tuple[Any, bool]:
    """Replace ``{secure: ...}`` leaves with the marker; report whether any were found."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return REDACTED, True
        found = False
        out: dict[str, Any] = {}
        for k, v in value.items():
            out[str(k)], hit = _redact(v)
            found = found or hit
        return out, found
    if isinstance(value, list):
        items = [_redact(v) for v in value]
        return [v for v, _ in items], any(hit for _, hit in items)
    return value, False


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def read_stack_file(project_dir: Path, stack: str) -> StackFile:
    """Load and redact one stack file; a missing or malformed file is a ``StackConfigError``."""
    path = project_dir / "stacks" / f"Pulumi.{stack}.yaml"
    display = f"stacks/Pulumi.{stack}.yaml"
    if not path.is_file():
        raise StackConfigError(display, None, f"no such stack file (stack {stack!r})")
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(path.read_text(encoding="utf-8"))
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or err.context or "invalid YAML"
        raise StackConfigError(display, None, f"malformed YAML: {problem}", line) from None
    except (YAMLError, UnicodeDecodeError) as err:
        raise StackConfigError(display, None, f"malformed YAML: {err}") from None
    if tree is None:
        tree = CommentedMap()
    if not isinstance(tree, dict):
        raise StackConfigError(display, None, "the file must be a mapping with a config: key")
    config = tree.get("config", CommentedMap())
    if not isinstance(config, dict):
        line = tree.lc.key("config")[0] + 1 if isinstance(tree, CommentedMap) else None
        raise StackConfigError(display, "config", "must be a mapping of key: value", line)
    values: dict[str, Any] = {}
    secret_keys: set[str] = set()
    for key, raw in config.items():
        value, secret = _redact(_plain(raw))
        values[str(key)] = value
        if secret:
            secret_keys.add(str(key))
    return StackFile(path, display, values, frozenset(secret_keys), config)


def loader_for(project_dir: Path, stack: str) -> Callable[[], StackConfig]:
    """A zero-argument loader, handy for tests and for the synth runner."""
    return lambda: read_stack_file(project_dir, stack).parse()
