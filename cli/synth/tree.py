"""The terminal view of a synthesis: components as a tree, leaf resources counted by type."""

from __future__ import annotations

from collections import Counter

from rich.markup import escape
from rich.tree import Tree

from .hoop import hoop_kind, hoop_label
from .model import RecordedResource, Synthesis


def _label(resource: RecordedResource, total: int) -> str:
    return f"[bold]{resource.name}[/] [dim]{resource.type}[/] ({total} resources)"


def _hoop_label(resource: RecordedResource) -> str:
    return hoop_label(resource.inputs)


def _count(synthesis: Synthesis, urn: str) -> int:
    children = synthesis.children(urn)
    return len(children) + sum(_count(synthesis, c.urn) for c in children if not c.custom)


def build_tree(synthesis: Synthesis, stack_urn: str | None = None, max_per_type: int = 12) -> Tree:
    """A rich tree: stack → components (recursively) → ``N × type`` lines for custom resources.

    Beyond ``max_per_type`` sibling components of one type, the rest are summarised in one line so
    a 500-endpoint stack still fits a review; ``resources.json`` has every one of them.
    """
    root = Tree(
        f"[bold]stack {synthesis.stack}[/] — desired state, not a diff against the cloud "
        f"({len(synthesis.resources)} resources)"
    )
    top_parent = stack_urn
    if top_parent is None:
        urns = {r.urn for r in synthesis.resources}
        parents = {r.parent for r in synthesis.resources if r.parent not in urns}
        top_parent = next(iter(parents)) if len(parents) == 1 else None

    def add(node: Tree, parent: str | None) -> None:
        children = [r for r in synthesis.resources if r.parent == parent]
        shown: Counter[str] = Counter()
        components = sorted((c for c in children if not c.custom), key=lambda c: c.urn)
        for component in components:
            shown[component.type] += 1
            if shown[component.type] <= max_per_type:
                add(node.add(_label(component, _count(synthesis, component.urn))), component.urn)
        for type_token, n in sorted(shown.items()):
            if n > max_per_type:
                node.add(f"[dim]… and {n - max_per_type} more {type_token}[/]")
        leaves = Counter(c.type for c in children if c.custom and not hoop_kind(c))
        for type_token, n in sorted(leaves.items()):
            node.add(f"{n} × {type_token}")
        # hoop objects are policy a reviewer reads one by one: kind and object name each
        for child in sorted(
            (c for c in children if hoop_kind(c)), key=lambda c: (str(hoop_kind(c)), _hoop_label(c))
        ):
            node.add(f"{hoop_kind(child)} [bold]{escape(_hoop_label(child))}[/]")

    add(root, top_parent)
    return root
