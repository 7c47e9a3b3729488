"""The resource graph of a stack: deployment depth, and pictures of it (Mermaid, Graphviz dot).

Built from the registrations the offline plan records (``tools.harness``), so it works on
whatever resource types the program registers.

What a resource waits for before Azure can start creating it (``effective_waits``), following
how the Python SDK sends a resource to the engine (pulumi/runtime/resource.py
``prepare_resource`` and rpc.py ``_add_dependency``):
- each dependency that is a custom resource: its creation;
- a dependency on a component resource: the creation of the component's children (custom
  children directly, child components recursively; the children of a *custom* child are not
  included, as in the SDK);
- a custom parent: its creation (the child needs the parent's URN, which the engine returns
  only once the parent exists);
- a component parent: whatever the component waits for (the component is registered, and its
  URN handed to its children, only once its own dependencies are resolved).
Component resources themselves take no time, so the depth counts custom resources only.

    python -m tools.graph --update-readme   # regenerate the README's graph blocks (make graphs)
    python -m tools.graph --check-readme    # exit 1 when they are stale
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Stacks whose graphs the README shows, between <!-- graph:<stack>:start/end --> markers.
README_STACKS = ("dev", "test")


@dataclass(frozen=True)
class Node:
    """One registered resource, as much of it as the graph needs."""

    urn: str
    name: str
    type: str
    parent: str = ""
    custom: bool = True
    dependencies: tuple[str, ...] = field(default_factory=tuple)

    @property
    def short_type(self) -> str:
        """``azure-native:storage:StorageAccount`` -> ``storage:StorageAccount``."""
        return self.type.split(":", 1)[1] if self.type.count(":") >= 2 else self.type


def nodes_from_registrations(registrations: Iterable) -> list[Node]:
    """Nodes from ``tools.harness.Registration`` records (or anything with the same fields)."""
    return [
        Node(r.urn, r.name, r.type, r.parent or "", bool(r.custom), tuple(r.dependencies)) for r in registrations
    ]


def effective_waits(nodes: Iterable[Node]) -> dict[str, set[str]]:
    """Custom resource URN -> the custom resources whose creation it waits for (see module doc)."""
    by_urn = {n.urn: n for n in nodes}
    children: dict[str, list[Node]] = {}
    for n in by_urn.values():
        children.setdefault(n.parent, []).append(n)

    def expand(urn: str) -> set[str]:
        """A dependency on ``urn``, as custom resources (a component means its children)."""
        found: set[str] = set()
        todo, seen = [urn], set()
        while todo:
            current = todo.pop()
            if current in seen or current not in by_urn:
                continue  # unknown URNs: the root stack, or resources outside the run
            seen.add(current)
            if by_urn[current].custom:
                found.add(current)
            else:
                todo.extend(c.urn for c in children.get(current, []))
        return found

    cache: dict[str, set[str]] = {}

    def waits(urn: str) -> set[str]:
        if urn in cache:
            return cache[urn]
        cache[urn] = set()  # guards against a (impossible in Pulumi) parent cycle
        node = by_urn[urn]
        result: set[str] = set()
        for dep in node.dependencies:
            result |= expand(dep)
        parent = by_urn.get(node.parent)
        if parent is not None:
            result |= {parent.urn} if parent.custom else waits(parent.urn)
        result.discard(urn)
        cache[urn] = result
        return result

    return {urn: waits(urn) for urn, n in by_urn.items() if n.custom}


def levels(waits: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """Node -> its wave (1 for nodes that wait for nothing): 1 + the deepest wave it waits for.

    Raises ValueError on a cycle (which Pulumi itself refuses).
    """
    known = set(waits)
    graph = {u: set(ws) & known for u, ws in waits.items()}
    level: dict[str, int] = {}
    remaining = dict(graph)
    while remaining:
        ready = [u for u, ws in remaining.items() if ws <= level.keys()]
        if not ready:
            raise ValueError(f"dependency cycle among {sorted(remaining)}")
        for u in ready:
            level[u] = 1 + max((level[w] for w in graph[u]), default=0)
            del remaining[u]
    return level


def critical_path(waits: Mapping[str, Iterable[str]], key=None) -> list[str]:
    """The longest chain of nodes that must be created one after another, first to last.

    ``waits`` maps each node to the nodes it waits for. Of several equally long chains the
    one choosing the smallest ``key`` (default: the node itself) at each step, from the end,
    is returned, so the answer is stable from run to run.
    """
    key = key or (lambda u: u)
    level = levels(waits)
    if not level:
        return []
    deepest = max(level.values())
    node = min((u for u, lv in level.items() if lv == deepest), key=key)
    path = [node]
    while level[node] > 1:
        node = min((w for w in waits[node] if w in level and level[w] == level[node] - 1), key=key)
        path.append(node)
    return path[::-1]


@dataclass(frozen=True)
class Depth:
    waves: int
    critical_path: list[str]  # logical names, first created first

    def as_json(self) -> dict:
        return {"waves": self.waves, "criticalPath": self.critical_path}

    @classmethod
    def from_json(cls, value: Mapping) -> Depth:
        return cls(value["waves"], list(value["criticalPath"]))

    def text(self) -> str:
        return f"Deployment depth: {self.waves} waves ({' → '.join(self.critical_path)})"


def deployment_depth(nodes: list[Node]) -> Depth:
    """How many custom resources must be created one after another, and which ones."""
    by_urn = {n.urn: n for n in nodes}
    path = critical_path(effective_waits(nodes), key=lambda u: (by_urn[u].name, u))
    return Depth(len(path), [by_urn[u].name for u in path])


def transitive_reduction(waits: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Only the edges no longer chain already implies (for a readable picture)."""
    level = levels(waits)
    reach: dict[str, set[str]] = {}  # node -> everything it waits for, directly or not
    for urn in sorted(waits, key=level.__getitem__):  # what it waits for comes first
        reach[urn] = set(waits[urn]).union(*(reach[w] for w in waits[urn]))
    return {
        u: {w for w in ws if not any(w in reach[v] for v in ws if v != w)} for u, ws in waits.items()
    }


# --- pictures --------------------------------------------------------------------------


@dataclass
class _Picture:
    """What both renderers draw: ordered custom nodes, grouped by component, and edges."""

    nodes: dict[str, Node]
    ids: dict[str, str]  # urn -> stable short id (components too)
    groups: dict[str, list[str]]  # component urn ("" = top level) -> member urns, nodes and groups
    edges: list[tuple[str, str]]  # (dependency, dependent): the arrow points the way creation goes


def _picture(nodes: list[Node]) -> _Picture:
    by_urn = {n.urn: n for n in nodes}
    waits = effective_waits(nodes)
    level = levels(waits)
    reduced = transitive_reduction(waits)

    children: dict[str, list[Node]] = {}
    for n in nodes:
        children.setdefault(n.parent, []).append(n)
    counts: dict[str, int] = {}

    def custom_count(urn: str) -> int:
        if urn not in counts:
            counts[urn] = sum(1 if k.custom else custom_count(k.urn) for k in children.get(urn, []))
        return counts[urn]

    # A component becomes a subgraph when it groups two or more resources; one holding a
    # single resource (a compute cluster component around its Compute) adds only a frame.
    def group_of(urn: str) -> str:
        parent = by_urn[urn].parent
        while parent in by_urn and (by_urn[parent].custom or custom_count(parent) < 2):
            parent = by_urn[parent].parent
        return parent if parent in by_urn else ""

    order = sorted(waits, key=lambda u: (level[u], by_urn[u].name, u))
    position = {u: i for i, u in enumerate(order)}
    groups: dict[str, dict[str, None]] = {}  # dicts as ordered sets: members in order of first use
    for urn in order:
        member, group = urn, group_of(urn)
        while True:
            groups.setdefault(group, {})[member] = None
            if group == "":
                break
            member, group = group, group_of(group)
    ids: dict[str, str] = {}
    for urn in order:
        ids[urn] = f"r{len(ids) + 1}"
    for i, urn in enumerate(g for g in groups if g):
        ids[urn] = f"c{i + 1}"
    edges = [(ids[w], ids[u]) for u in order for w in sorted(reduced[u], key=position.__getitem__)]
    return _Picture(by_urn, ids, {g: list(m) for g, m in groups.items()}, edges)


def _label(node: Node) -> tuple[str, str]:
    return node.name, node.short_type


def render_mermaid(nodes: list[Node]) -> str:
    """A Mermaid flowchart: boxes are resources (name, type), arrows point from what is created first."""
    pic = _picture(nodes)
    lines = ["flowchart LR"]

    def esc(text: str) -> str:
        return text.replace('"', "#quot;")

    def emit(group: str, indent: str) -> None:
        for member in pic.groups.get(group, []):
            node = pic.nodes[member]
            if member in pic.groups:
                lines.append(f'{indent}subgraph {pic.ids[member]}["{esc(node.name)} ({esc(node.type.rsplit(":", 1)[-1])})"]')
                emit(member, indent + "  ")
                lines.append(f"{indent}end")
            else:
                name, kind = _label(node)
                lines.append(f'{indent}{pic.ids[member]}["{esc(name)}<br/><small>{esc(kind)}</small>"]')

    emit("", "  ")
    lines.extend(f"  {a} --> {b}" for a, b in pic.edges)
    return "\n".join(lines) + "\n"


def render_dot(nodes: list[Node], title: str = "resources") -> str:
    """A Graphviz digraph with the same boxes, clusters and arrows as the Mermaid one."""
    pic = _picture(nodes)

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    lines = [f"digraph {q(title)} {{", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']

    def emit(group: str, indent: str) -> None:
        for member in pic.groups.get(group, []):
            node = pic.nodes[member]
            if member in pic.groups:
                lines.append(f"{indent}subgraph {q('cluster_' + pic.ids[member])} {{")
                lines.append(f"{indent}  label={q(node.name + ' (' + node.type.rsplit(':', 1)[-1] + ')')};")
                emit(member, indent + "  ")
                lines.append(f"{indent}}}")
            else:
                label = "\n".join(_label(node))
                lines.append(f"{indent}{pic.ids[member]} [label={q(label)}];")

    emit("", "  ")
    lines.extend(f"  {a} -> {b};" for a, b in pic.edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- README blocks ---------------------------------------------------------------------


def readme_block(stack: str, nodes: list[Node]) -> str:
    """What goes between a stack's README markers: its depth line and its Mermaid graph."""
    return (
        f"{deployment_depth(nodes).text()}. Generated by `make graphs` from `Pulumi.{stack}.yaml`.\n\n"
        f"```mermaid\n{render_mermaid(nodes)}```\n"
    )


def _markers(stack: str) -> tuple[str, str]:
    return f"<!-- graph:{stack}:start -->", f"<!-- graph:{stack}:end -->"


def replace_block(text: str, stack: str, block: str) -> str:
    """``text`` with the content between the stack's markers replaced (appended if missing)."""
    start, end = _markers(stack)
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    fresh = f"{start}\n{block}{end}"
    if pattern.search(text):
        return pattern.sub(lambda _: fresh, text, count=1)
    heading = "## Resource graphs"
    if heading not in text:
        text = text.rstrip("\n") + f"\n\n{heading}\n"
    return text.rstrip("\n") + f"\n\n### {stack}\n\n{fresh}\n"


def stack_nodes(stack: str) -> list[Node]:
    """The stack's graph, from an offline preview of its stack file."""
    from tools.harness import run_program

    return nodes_from_registrations(run_program(stack, preview=True).registrations)


def updated_readme(text: str, stacks: Iterable[str] = README_STACKS) -> str:
    for stack in stacks:
        text = replace_block(text, stack, readme_block(stack, stack_nodes(stack)))
    return text


def main(argv: list[str] | None = None) -> int:
    from tools.harness import ROOT

    parser = argparse.ArgumentParser(prog="python -m tools.graph", description=__doc__.split("\n")[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--update-readme", action="store_true", help="regenerate the graph blocks in README.md")
    action.add_argument("--check-readme", action="store_true", help="exit 1 if the README's graph blocks are stale")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args(argv)

    current = args.readme.read_text()
    fresh = updated_readme(current)
    if args.check_readme:
        if fresh != current:
            print(f"{args.readme.name}: the resource graphs are stale; run `make graphs`", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        args.readme.write_text(fresh)
        print(f"updated the resource graphs in {args.readme.name}")
    else:
        print(f"{args.readme.name}: the resource graphs are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
