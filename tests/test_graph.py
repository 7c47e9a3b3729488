"""Deployment depth and the resource graph (tools/graph.py), and the README's graph blocks."""

from __future__ import annotations

import pytest

from tools.graph import (
    Node,
    critical_path,
    deployment_depth,
    effective_waits,
    levels,
    nodes_from_registrations,
    readme_block,
    replace_block,
    transitive_reduction,
    updated_readme,
)
from tools.harness import ROOT

# --- the critical path on hand-made graphs -----------------------------------------------


def test_critical_path_is_the_longest_chain_of_waits():
    #   a → b → d → f
    #   a → c ────→ f
    #   e (alone)
    waits = {"a": [], "b": ["a"], "c": ["a"], "d": ["b"], "e": [], "f": ["d", "c"]}
    assert critical_path(waits) == ["a", "b", "d", "f"]
    assert levels(waits) == {"a": 1, "b": 2, "c": 2, "d": 3, "e": 1, "f": 4}


def test_critical_path_breaks_ties_by_key_from_the_end():
    # Two chains of three: x1 → x2 → x3 and y1 → y2 → y3; the smaller key wins.
    waits = {"x1": [], "x2": ["x1"], "x3": ["x2"], "y1": [], "y2": ["y1"], "y3": ["y2"]}
    assert critical_path(waits) == ["x1", "x2", "x3"]
    assert critical_path(waits, key=lambda u: u.replace("y", "a")) == ["y1", "y2", "y3"]


def test_critical_path_of_nothing_and_of_independent_resources():
    assert critical_path({}) == []
    assert critical_path({"a": [], "b": []}) == ["a"]


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match=r"dependency cycle among \['a', 'b'\]"):
        critical_path({"a": ["b"], "b": ["a"], "c": []})


def test_transitive_reduction_keeps_only_edges_no_chain_implies():
    waits = {"rg": set(), "sa": {"rg"}, "ws": {"rg", "sa"}, "cc": {"rg", "ws"}}
    assert transitive_reduction(waits) == {"rg": set(), "sa": {"rg"}, "ws": {"sa"}, "cc": {"ws"}}


# --- what a resource waits for, through components ---------------------------------------


def _n(urn: str, custom: bool = True, parent: str = "", deps: tuple[str, ...] = ()) -> Node:
    return Node(urn, urn, "pkg:mod:Custom" if custom else "pkg:mod:Component", parent, custom, deps)


def test_a_dependency_on_a_component_is_one_on_its_custom_descendants():
    nodes = [
        _n("comp", custom=False),
        _n("c1", parent="comp"),
        _n("inner", custom=False, parent="comp"),
        _n("c2", parent="inner"),
        _n("c1-child", parent="c1"),  # child of a custom resource: not part of "comp" (as in the SDK)
        _n("user", deps=("comp",)),
    ]
    waits = effective_waits(nodes)
    assert waits["user"] == {"c1", "c2"}
    assert waits["c1-child"] == {"c1"}  # a custom parent must exist before its child
    assert set(waits) == {"c1", "c2", "c1-child", "user"}  # components take no time


def test_children_of_a_component_wait_for_what_the_component_waits_for():
    nodes = [
        _n("rg"),
        _n("comp", custom=False, deps=("rg",)),
        _n("inner", custom=False, parent="comp"),
        _n("leaf", parent="inner"),
        _n("root-stack-child", deps=("urn:pulumi:unknown",)),  # URNs outside the run are ignored
    ]
    waits = effective_waits(nodes)
    assert waits["leaf"] == {"rg"}
    assert waits["root-stack-child"] == set()


def test_components_add_no_waves():
    # rg → [component: a → b] → user (depends on the component): four waves; the component adds none.
    nodes = [
        _n("rg"),
        _n("comp", custom=False),
        _n("a", parent="comp", deps=("rg",)),
        _n("b", parent="comp", deps=("a",)),
        _n("user", deps=("comp",)),
    ]
    depth = deployment_depth(nodes)
    assert depth.waves == 4
    assert depth.critical_path == ["rg", "a", "b", "user"]
    assert depth.text() == "Deployment depth: 4 waves (rg → a → b → user)"


# --- the shipped stacks --------------------------------------------------------------------


def test_dev_needs_only_the_waves_its_dependencies_force(dev_run):
    # Written from the dependencies, not from running the code:
    # 1 resource group; 2 storage, key vault, registry, Log Analytics (all need the group);
    # 3 Application Insights (workspace-based: needs the Log Analytics workspace id);
    # 4 the ML workspace (links storage, vault, insights, registry by id);
    # 5 the compute cluster (created inside the workspace).
    # The seed deployed its six templates after the group one by one: seven in a row.
    depth = deployment_depth(nodes_from_registrations(dev_run.registrations))
    assert depth.waves == 5, depth.text()
    assert depth.critical_path[0] == "resource-group"
    assert depth.critical_path[1:4] == ["log-analytics", "application-insights", "workspace"]


def test_readme_graph_blocks_are_current():
    text = (ROOT / "README.md").read_text()
    assert updated_readme(text) == text, (
        "README.md's resource graphs differ from the stacks' current graphs: run `make graphs`"
    )


def test_readme_block_is_replaced_in_place_or_appended():
    nodes = [_n("rg"), _n("sa", deps=("rg",))]
    block = readme_block("dev", nodes)
    assert block.startswith("Deployment depth: 2 waves (rg → sa). Generated by `make graphs`")
    assert "```mermaid\nflowchart LR\n" in block

    text = "# T\n\nbefore\n<!-- graph:dev:start -->\nold\n<!-- graph:dev:end -->\nafter\n"
    replaced = replace_block(text, "dev", "new\n")
    assert replaced == "# T\n\nbefore\n<!-- graph:dev:start -->\nnew\n<!-- graph:dev:end -->\nafter\n"

    appended = replace_block("# T\n", "test", "new\n")
    assert appended == (
        "# T\n\n## Resource graphs\n\n### test\n\n<!-- graph:test:start -->\nnew\n<!-- graph:test:end -->\n"
    )
