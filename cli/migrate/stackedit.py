"""Add migrated endpoints to ``stacks/Pulumi.<env>.yaml`` with ruamel round-trip (comments kept).

The result is validated with the same ``read_stack_file(...).parse()`` the stack program uses, so a
migration can never leave a stack that ``pulumi up`` or ``zsp synth`` rejects.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ZspError


@dataclass(frozen=True)
class EndpointChange:
    name: str
    api: str
    url: str
    secret_name: str
    consumers: tuple[str, ...]
    fingerprint: str
    source: str
    new: bool


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def load_endpoints(stack_path: Path) -> list[dict[str, Any]]:
    """The raw ``zsp:endpoints`` entries (plain dicts) for planning."""
    yaml = _yaml()
    tree = yaml.load(stack_path.read_text(encoding="utf-8"))
    items = (tree or {}).get("config", {}).get("zsp:endpoints") or []
    return [dict(item) for item in items]


def apply_changes(text: str, changes: list[EndpointChange], run: str) -> str:
    """New stack file text: endpoints added, consumers merged, upstreamSecret set."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = _yaml()
    tree = yaml.load(text)
    config = tree["config"]
    endpoints = config.get("zsp:endpoints")
    if endpoints is None:
        endpoints = CommentedSeq()
        config["zsp:endpoints"] = endpoints
    by_name = {str(e.get("name")): e for e in endpoints}
    for change in changes:
        entry = by_name.get(change.name)
        if entry is None:
            entry = CommentedMap()
            entry["name"] = change.name
            entry["kind"] = "hosted"
            entry["api"] = change.api
            entry["url"] = change.url
            entry["risk"] = "medium"
            entry["pii"] = True
            entry["consumers"] = CommentedSeq(change.consumers)
            entry["consumers"].fa.set_flow_style()
            entry["upstreamSecret"] = change.secret_name
            endpoints.append(entry)
            endpoints.yaml_set_comment_before_after_key(
                len(endpoints) - 1,
                before=f"Added by zsp migrate (run {run}): token {change.fingerprint[:12]} "
                f"from {change.source}",
                indent=4,
            )
            by_name[change.name] = entry
            continue
        if entry.get("upstreamSecret") != change.secret_name:
            entry["upstreamSecret"] = change.secret_name
        consumers = entry.get("consumers")
        if consumers is None:
            consumers = CommentedSeq()
            consumers.fa.set_flow_style()
            entry["consumers"] = consumers
        for consumer in change.consumers:
            if consumer not in consumers:
                consumers.append(consumer)
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def validate(project_dir: Path, stack: str, text: str) -> None:
    """Parse ``text`` as the stack file exactly like ``zsp synth`` would; raise on any problem."""
    from zsp.components.config import StackConfigError, read_stack_file

    with tempfile.TemporaryDirectory(prefix="zsp-stack-") as tmp:
        stacks = Path(tmp) / "stacks"
        stacks.mkdir()
        (stacks / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
        pulumi_yaml = project_dir / "Pulumi.yaml"
        if pulumi_yaml.exists():
            shutil.copy(pulumi_yaml, Path(tmp) / "Pulumi.yaml")
        try:
            read_stack_file(Path(tmp), stack).parse()
        except StackConfigError as err:
            raise ZspError(f"the migrated stack config would be invalid: {err}") from None
