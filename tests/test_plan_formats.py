"""The offline plan's depth line and JSON field, and its Mermaid and dot pictures.

Planned from stack files written here, so the expected waves follow from the config in the
test and not from whatever the shipped stacks hold today.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import stack
from tools.graph import effective_waits, nodes_from_registrations
from tools.harness import run_program, stack_config
from tools.plan import main

CLUSTER = {"name": "cpu", "vmSize": "STANDARD_D3_V2", "minNodes": 0, "maxNodes": 2}
LOGS_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared"
    "/providers/Microsoft.OperationalInsights/workspaces/log-shared"
)


def stack_file(tmp_path: Path, extra: dict | None = None, name: str = "perf") -> Path:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": stack(extra)}))
    return path


def run_plan(capsys, *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


# Waves, written from the dependencies:
# - minimal: 1 resource group; 2 storage, key vault, registry, Log Analytics; 3 Application
#   Insights (workspace-based: it needs the Log Analytics id); 4 the ML workspace (links all).
# - with a cluster: 5 the compute, created inside the workspace.
# - reusing Log Analytics: Application Insights moves to wave 2, so 3 waves.
# - in an existing resource group: everything moves up one wave, so 3 waves.
# - diagnostics (on by default) add the workspace's diagnostic setting after the workspace: one
#   wave more without a cluster; with one, it shares the cluster's wave.
DEPTHS = [
    ({}, ["resource-group", "log-analytics", "application-insights", "workspace", "workspace-diagnostics"]),
    ({"azureml-infra:computes": [CLUSTER]},
     ["resource-group", "log-analytics", "application-insights", "workspace", "cpu"]),
    # Several resources share wave 2; the plan names the first by logical name.
    ({"azureml-infra:workspace": {"logAnalytics": {"id": LOGS_ID}}},
     ["resource-group", "application-insights", "workspace", "workspace-diagnostics"]),
    ({"azureml-infra:resourceGroup": {"existing": True, "name": "rg-shared"}},
     ["log-analytics", "application-insights", "workspace", "workspace-diagnostics"]),
    ({"azureml-infra:diagnostics": {"enabled": False}},
     ["resource-group", "log-analytics", "application-insights", "workspace"]),
]


@pytest.mark.parametrize("extra, path", DEPTHS)
def test_text_and_json_plans_give_the_deployment_depth(capsys, tmp_path, extra, path):
    file = str(stack_file(tmp_path, extra))
    out = run_plan(capsys, "--stack-file", file)
    assert f"\n\nDeployment depth: {len(path)} waves ({' → '.join(path)})\n\nResources:\n" in out
    doc = json.loads(run_plan(capsys, "--stack-file", file, "--format", "json"))
    assert doc["depth"] == {"waves": len(path), "criticalPath": path}


@pytest.fixture(scope="module")
def cluster_stack(tmp_path_factory) -> tuple[Path, object]:
    """A stack with one cluster, and its run (to compare the pictures with)."""
    path = stack_file(tmp_path_factory.mktemp("graph"), {"azureml-infra:computes": [CLUSTER]})
    raw, secrets = stack_config(path)
    return path, run_program("perf", raw, secrets, preview=True)


def _mermaid_graph(out: str) -> tuple[dict[str, str], set[tuple[str, str]], list[str]]:
    """(node id -> logical name, edges by name, subgraph titles) of a Mermaid flowchart."""
    names = dict(re.findall(r'^\s*(r\d+)\["([^"<]+)<br/>', out, re.M))
    edges = {(names[a], names[b]) for a, b in re.findall(r"^\s*(r\d+) --> (r\d+)$", out, re.M)}
    subgraphs = re.findall(r'^\s*subgraph c\d+\["([^"]+)"\]$', out, re.M)
    return names, edges, subgraphs


def _dot_graph(out: str) -> tuple[dict[str, str], set[tuple[str, str]], list[str]]:
    names = dict(re.findall(r'^\s*(r\d+) \[label="([^"\\]+)\\n', out, re.M))
    edges = {(names[a], names[b]) for a, b in re.findall(r"^\s*(r\d+) -> (r\d+);$", out, re.M)}
    clusters = re.findall(r'^\s*label="([^"]+)";$', out, re.M)
    return names, edges, clusters


@pytest.mark.parametrize("fmt, parse", [("mermaid", _mermaid_graph), ("dot", _dot_graph)])
def test_pictures_show_every_custom_resource_and_only_real_dependencies(capsys, cluster_stack, fmt, parse):
    path, run = cluster_stack
    out = run_plan(capsys, "--stack-file", str(path), "--format", fmt)
    assert out.startswith("flowchart LR\n" if fmt == "mermaid" else 'digraph "perf" {\n')
    names, edges, groups = parse(out)

    custom = [r for r in run.registrations if r.custom]
    assert sorted(names.values()) == sorted(r.name for r in custom)
    assert len(names) == len(custom)
    # The components group their resources.
    assert groups == ["workspace (MachineLearningWorkspace)", "diagnostics (Diagnostics)"]

    # Every arrow is a wait the engine would see; none is implied by a longer chain.
    by_urn = {r.urn: r.name for r in run.registrations}
    waits = {by_urn[u]: {by_urn[w] for w in ws} for u, ws in effective_waits(
        nodes_from_registrations(run.registrations)).items()}
    for before, after in edges:
        assert before in waits[after], f"{before} -> {after} is not a dependency"
    assert ("resource-group", "storage-account") in edges
    assert ("log-analytics", "application-insights") in edges
    assert ("workspace", "cpu") in edges
    assert ("resource-group", "workspace") not in edges  # implied by resource-group -> storage-account -> workspace
    # Hand-checked against the workspace component: what the ML workspace links.
    assert {b for b, a in edges if a == "workspace"} == {
        "storage-account", "key-vault", "application-insights", "container-registry"}


def test_mermaid_and_dot_draw_the_same_graph(capsys, cluster_stack):
    path = str(cluster_stack[0])
    mermaid = _mermaid_graph(run_plan(capsys, "--stack-file", path, "--format", "mermaid"))
    dot = _dot_graph(run_plan(capsys, "--stack-file", path, "--format", "dot"))
    assert mermaid == dot


def test_pictures_quote_what_would_break_their_syntax():
    from tools.graph import Node, render_dot, render_mermaid

    nodes = [Node("u1", 'odd "name"', "pkg:mod:Thing"), Node("u2", "b\\c", "pkg:mod:Thing", "", True, ("u1",))]
    assert 'r1["odd #quot;name#quot;<br/><small>mod:Thing</small>"]' in render_mermaid(nodes)
    dot = render_dot(nodes, 'a "title"')
    assert 'digraph "a \\"title\\"" {' in dot
    assert 'r1 [label="odd \\"name\\"\\nmod:Thing"];' in dot
    assert 'r2 [label="b\\\\c\\nmod:Thing"];' in dot
    assert "r1 -> r2;" in dot


# --- the plan CLI's process handling (tools/plan.py, tools/harness.py; docs/benchmarks.md) ---


def test_the_harness_pauses_the_cycle_collector_only_during_a_run(tmp_path):
    import gc

    program = tmp_path / "program.py"
    program.write_text("import gc\ncollecting_inside = gc.isenabled()\n")
    assert gc.isenabled()
    run = run_program("perf", {}, set(), program=program)
    assert run.program["collecting_inside"] is False
    assert gc.isenabled()

    program.write_text("raise ValueError('boom')\n")
    run = run_program("perf", {}, set(), program=program, raise_errors=False)
    assert isinstance(run.error, ValueError) and gc.isenabled()

    gc.disable()  # a caller that turned it off keeps it off
    try:
        run_program("perf", {}, set(), program=tmp_path / "program.py", raise_errors=False)
        assert not gc.isenabled()
    finally:
        gc.enable()
