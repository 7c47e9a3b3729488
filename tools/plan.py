"""Offline plan: what a first ``pulumi up`` of a stack would create, without Azure or the CLI.

Runs ``__main__.py`` under the SDK's mocks in preview mode, with the stack's config read from
Pulumi.yaml and Pulumi.<stack>.yaml (``secure:`` values are never decrypted: they show as
[secret]), and prints the resource tree, each resource's Azure name, settings and
dependencies, the stack outputs, and a count. Values only Azure can know show as
``output<string>``, as ``pulumi preview`` shows them.

    python -m tools.plan --stack dev [--format text|json|mermaid|dot] [--no-cost]
    python -m tools.plan --stack-file examples/Pulumi.datastores.yaml

The text plan ends with the "Monthly cost at most" table, the JSON plan carries it as ``cost``
(``azureml_infra.cost``, priced from the snapshot in ``azureml_infra/prices.json``; docs/cost.md).

An invalid config prints the validation message and exits with status 2.

A stack file that imports Pulumi ESC environments (``environment:``) may keep its secrets there:
only the Pulumi CLI opens them. A secret config key that the stack's config names (an admin
password, a TLS certificate or key) but that is set in no file is then planned with a placeholder
secret, and the plan says which keys it could not resolve.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pulumi.output import Unknown

from azureml_infra import adoption
from tools.graph import Depth, deployment_depth, nodes_from_registrations, render_dot, render_mermaid
from tools.harness import (
    PROJECT,
    ROOT,
    SECRET_PLACEHOLDER,
    UNKNOWN,
    Registration,
    Run,
    is_secret_value,
    run_program,
    stack_config,
    stack_environments,
)

UNKNOWN_TEXT = "output<string>"
STACK_TYPE = "pulumi:pulumi:Stack"
# Shown once in the header rather than on every resource.
_COMMON_INPUTS = {"location", "tags"}


def display_value(value: Any) -> Any:
    """Inputs as a reviewer should see them: secrets masked, unknowns named."""
    if is_secret_value(value):
        return SECRET_PLACEHOLDER
    if isinstance(value, Unknown) or value == UNKNOWN:
        return UNKNOWN_TEXT
    if isinstance(value, dict):
        return {k: display_value(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [display_value(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        rows: list[tuple[str, Any]] = []
        for key, item in value.items():
            rows.extend(_flatten(item, f"{prefix}.{key}" if prefix else key))
        return rows
    return [(prefix, value)]


def creation_order(registrations: list[Registration]) -> list[Registration]:
    """Parents and dependencies first; ties by URN.

    The SDK registers resources concurrently, so their arrival order changes from run to
    run; this order does not, which keeps the plan diffable.
    """
    by_urn = {r.urn: r for r in registrations}
    waits_on = {
        r.urn: {u for u in (r.parent, *r.dependencies) if u in by_urn and u != r.urn} for r in registrations
    }
    done: set[str] = set()
    ordered: list[Registration] = []
    while len(ordered) < len(registrations):
        ready = sorted(u for u, deps in waits_on.items() if u not in done and deps <= done)
        if not ready:  # a cycle cannot happen in Pulumi; keep whatever is left, sorted
            ready = sorted(u for u in waits_on if u not in done)
        for urn in ready:
            done.add(urn)
            ordered.append(by_urn[urn])
    return ordered


def plan_document(run: Run, stack_file: str) -> dict[str, Any]:
    """The plan as data (the ``--format json`` output), built from the recorded run."""
    names = {r.urn: r.name for r in run.registrations}
    resources = []
    for reg in creation_order(run.registrations):
        resources.append(
            {
                "urn": reg.urn,
                "type": reg.type,
                "name": reg.name,
                "parent": reg.parent if reg.parent in names else None,
                "azureName": reg.azure_name,
                "custom": reg.custom,
                "inputs": display_value(reg.inputs),
                "dependsOn": sorted({names[d] for d in reg.dependencies if d in names}),
                # Per input, the URNs it was computed from (what the policy's stack rules read).
                "propertyDependencies": {k: sorted(v) for k, v in sorted(reg.property_dependencies.items()) if v},
                "protect": reg.protect,
                "retainOnDelete": reg.retain_on_delete,
                # adopt: true - the ARM id imported, and what the first `pulumi up` changes on it.
                "import": reg.import_id or None,
                "adoptionChanges": [c.as_json() for c in adoption.changes(reg.type, display_value(reg.inputs))]
                if reg.import_id
                else None,
            }
        )
    imported = sum(1 for r in resources if r["import"])
    outputs = {}
    for key, out in run.outputs.items():
        if out.secret:
            value: Any = SECRET_PLACEHOLDER
        elif not out.known:
            value = UNKNOWN_TEXT
        else:
            value = display_value(out.value)
        outputs[key] = value
    esc = {"esc": {"environments": list(run.environments), "unresolved": list(run.unresolved)}} if run.environments else {}
    return {
        "project": PROJECT,
        "stack": run.stack,
        "stackFile": stack_file,
        **esc,
        "resources": resources,
        "outputs": outputs,
        "summary": {"create": len(resources) + 1 - imported, **({"import": imported} if imported else {})},
        # Custom resources that must be created one after another (tools/graph.py).
        "depth": deployment_depth(nodes_from_registrations(run.registrations)).as_json(),
    }


def _tree_rows(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(tree-drawn type, logical name, + create or = import) rows, children under their parent, in registration order."""
    children: dict[str | None, list[dict]] = {}
    for res in doc["resources"]:
        children.setdefault(res["parent"], []).append(res)
    rows = [(STACK_TYPE, f"{PROJECT}-{doc['stack']}", "+")]

    def walk(parent: str | None, indent: str) -> None:
        kids = children.get(parent, [])
        for i, res in enumerate(kids):
            last = i == len(kids) - 1
            rows.append((f"{indent}{'└─' if last else '├─'} {res['type']}", res["name"], "=" if res.get("import") else "+"))
            walk(res["urn"], indent + ("   " if last else "│  "))

    walk(None, "")
    return rows


def _format_scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


def render_text(doc: dict[str, Any]) -> str:
    lines = [
        f"Offline plan of stack '{doc['stack']}' ({doc['stackFile']}): a first `pulumi up` would create:",
        "(run under the Pulumi SDK's mocks; values only Azure can know show as output<string>)",
    ]
    if doc.get("esc"):
        lines += esc_note(doc["esc"]["environments"], doc["esc"]["unresolved"], doc["stackFile"])
    lines.append("")
    rows = _tree_rows(doc)
    width = max(len(t) for t, _, _ in rows) + 2
    lines.append(f"     {'Type':<{width}}Name")
    lines.extend(f" {op}   {t:<{width}}{n}" for t, n, op in rows)

    custom = [r for r in doc["resources"] if r["custom"]]
    if custom:
        first = custom[0]["inputs"]
        lines += ["", "Common to every resource:"]
        for key in sorted(_COMMON_INPUTS):
            if key in first:
                lines.append(f"    {key}: {_format_scalar(first[key])}")
    lines += ["", "Resource details:"]
    for res in custom:
        flags = [f for f, on in (("protect", res["protect"]), ("retainOnDelete", res["retainOnDelete"])) if on]
        head = f"  {'=' if res.get('import') else '+'} {res['name']} ({res['type']})"
        if res["azureName"]:
            head += f"  name: {res['azureName']}"
        if flags:
            head += f"  [{', '.join(flags)}]"
        lines.append(head)
        settings = {k: v for k, v in res["inputs"].items() if k not in _COMMON_INPUTS}
        for path, value in _flatten(settings):
            lines.append(f"      {path}: {_format_scalar(value)}")
        deps = [d for d in res["dependsOn"]]
        if deps:
            lines.append(f"      depends on: {', '.join(deps)}")
        if res.get("import"):
            lines.append(f"      import: {res['import']}")
    lines += _adoption_lines(doc)
    lines += ["", "Outputs:"]
    for key, value in sorted(doc["outputs"].items()):
        lines.append(f"    {key}: {_format_scalar(value)}")
    lines += ["", Depth.from_json(doc["depth"]).text()]
    lines += ["", "Resources:", f"    + {doc['summary']['create']} to create"]
    if doc["summary"].get("import"):
        lines.append(f"    = {doc['summary']['import']} to import")
    if doc.get("cost") is not None:
        lines += ["", *doc["cost_text"]]
    return "\n".join(lines) + "\n"


def add_cost(doc: dict[str, Any], run: Run) -> dict[str, Any]:
    """The plan with its cost table (``cost`` for machines; the text lines for render_text). It reads
    the inputs with their secret objects opened (a cluster's settings are one secret when its admin
    password is): sizes and counts are not secret, and secret scalars stay masked. Imported here:
    a plan without the table (--no-cost, the graph formats) does not load it."""
    from azureml_infra.cost import PlannedResource, estimate
    from azureml_infra.cost import render_text as render_cost

    table = estimate(
        PlannedResource(r.type, r.name, display_value(open_secrets(r.inputs))) for r in run.registrations if r.custom
    )
    return {**doc, "cost": table.as_json(), "cost_text": render_cost(table)}


def _adoption_lines(doc: dict[str, Any]) -> list[str]:
    """adopt: true - per imported resource, every setting the first `pulumi up` changes on it."""
    adopted = [r for r in doc["resources"] if r.get("import")]
    if not adopted:
        return []
    lines = [
        "",
        f"Adoption (adopt: true): {len(adopted)} resources the legacy templates deployed are imported by ARM id;",
        "the first `pulumi up` then changes these settings on them (legacy -> ours):",
    ]
    for res in adopted:
        changes = res["adoptionChanges"]
        lines.append(f"  = {res['name']} ({res['azureName']}){'' if changes else ': no change'}")
        for change in changes:
            legacy = adoption.Legacy(change["legacy"], change["legacySource"])
            shown = adoption.Change(change["property"], legacy, change["ours"], change["immutable"], change["oneWay"])
            lines.append(f"      {shown.text()}")
    return lines


def stack_name_of(path: Path) -> str:
    match = re.fullmatch(r"Pulumi\.(.+)\.yaml", path.name)
    if not match:
        raise SystemExit(f"{path}: a stack file is named Pulumi.<stack>.yaml")
    return match.group(1)


def shown_path(stack_file: Path) -> str:
    """A stack file's path as the plan shows it: relative to the repository when inside it."""
    try:
        return str(stack_file.resolve().relative_to(ROOT))
    except ValueError:
        return str(stack_file)


def open_secrets(value: Any) -> Any:
    """Secret objects/lists opened to their structure; secret scalars masked.

    When one nested value is a secret (an admin password, a datastore key), the engine receives
    the whole top-level input as one secret and the plan shows it as ``[secret]``; the policy
    pack and the preflight need to see inside. Nothing real is revealed: offline, every secret is
    already the placeholder before the program runs, and invoke results come from the mocks.
    """
    if is_secret_value(value):
        inner = value.get("value")
        return open_secrets(inner) if isinstance(inner, dict | list) else SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: open_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [open_secrets(v) for v in value]
    return value


def opened(run: Run) -> Run:
    """A copy of ``run`` whose registrations have their secret objects opened (``open_secrets``)."""
    return dataclasses.replace(
        run, registrations=[dataclasses.replace(r, inputs=open_secrets(r.inputs)) for r in run.registrations]
    )


# How the config check names a secret key that is referenced but set nowhere
# (azureml_infra/config/base.py, _check_secret_ref).
_UNSET_SECRET = re.compile(r"names the config key '([^']+)', which is not set")
# ... and a required key that is set nowhere (azureml_infra/config/loader.py).
_UNSET_REQUIRED = "is required"


def plan_stack_file(stack_file: Path) -> Run:
    """The program run in preview on a stack file, as ``pulumi preview`` of a first deployment.

    A run depends on nothing but the stack file and Pulumi.yaml (two runs give identical inputs,
    tests/test_workspace.py), so one process plans the same files once: the tests plan every
    shipped file from several modules. What it returns is shared: never change it.

    With Pulumi ESC environments (``environment:``), the secret keys the config names but no file
    sets are taken to come from them: planned with a placeholder secret and listed in
    ``Run.unresolved``.
    """
    raw, secrets = stack_config(stack_file)
    stack = stack_name_of(stack_file)
    run = _plan(stack, json.dumps(raw, sort_keys=True), tuple(sorted(secrets)))
    environments = tuple(stack_environments(stack_file))
    if not environments:
        return run
    unresolved = tuple(sorted(_unset_secret_keys(run.error)))
    if unresolved:
        raw = {**raw, **dict.fromkeys(unresolved, SECRET_PLACEHOLDER)}
        run = _plan(stack, json.dumps(raw, sort_keys=True), tuple(sorted(secrets | set(unresolved))))
    return dataclasses.replace(run, environments=environments, unresolved=unresolved)


def _unset_secret_keys(error: BaseException | None) -> set[str]:
    from azureml_infra.config import ConfigError

    if not isinstance(error, ConfigError):
        return set()
    return {m.group(1) for p in error.problems if (m := _UNSET_SECRET.search(p.message))}


def esc_note(environments: Sequence[str], unresolved: Sequence[str], stack_file: str) -> list[str]:
    """What the plan says of a stack file's ESC environments: the keys it could not resolve."""
    if not environments:
        return []
    lines = [
        f"{stack_file} imports the Pulumi ESC environment(s) {', '.join(environments)}, which only the "
        "Pulumi CLI opens (with the Pulumi Cloud backend): keys set there alone are not read offline.",
    ]
    if unresolved:
        lines.append(f"Not resolved offline, planned with a placeholder secret: {', '.join(unresolved)}")
    return lines


@functools.lru_cache(maxsize=64)
def _plan(stack: str, raw_json: str, secrets: tuple[str, ...]) -> Run:
    return run_program(stack, json.loads(raw_json), set(secrets), preview=True, raise_errors=False).record()


def make_plan(stack_file: Path, run: Run | None = None) -> tuple[Run, dict[str, Any] | None]:
    """The run and its plan document (None when the program stopped); ``run`` if already made."""
    run = run or plan_stack_file(stack_file)
    if run.error is not None:
        return run, None
    return run, plan_document(run, shown_path(stack_file))


def stack_file_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The arguments every tool that reads a stack file takes: --stack NAME or --stack-file PATH."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="Pulumi.<stack>.yaml of the project (default: dev)")
    source.add_argument("--stack-file", type=Path, help="this Pulumi.<stack>.yaml file (examples/, elsewhere)")
    return parser


def stack_file_of(args: argparse.Namespace) -> Path | None:
    """The stack file the arguments name; None (after saying so) when there is no such file."""
    path = args.stack_file or ROOT / f"Pulumi.{args.stack}.yaml"
    if not path.exists():
        print(f"error: no stack file {path}", file=sys.stderr)
        return None
    return path


def main(argv: list[str] | None = None) -> int:
    parser = stack_file_parser("python -m tools.plan", __doc__.split("\n")[0])
    parser.add_argument("--format", choices=["text", "json", "mermaid", "dot"], default="text")
    parser.add_argument("--no-cost", action="store_true", help="leave out the monthly cost table")
    args = parser.parse_args(argv)
    path = stack_file_of(args)
    if path is None:
        return 2
    run, doc = make_plan(path)
    if doc is None:
        from azureml_infra.config import ConfigError

        if isinstance(run.error, ConfigError):
            print(str(run.error), file=sys.stderr)
            print(f"({len(run.registrations)} resources registered)", file=sys.stderr)
            for line in esc_note(run.environments, run.unresolved, shown_path(path)):
                print(line, file=sys.stderr)
            required = [p.path for p in run.error.problems if p.message.startswith(_UNSET_REQUIRED)]
            if run.environments and required:
                print(f"Not resolved offline, and needed to plan: {', '.join(required)}", file=sys.stderr)
            return 2
        raise run.error  # a bug, not bad config: show the traceback
    if args.format in ("mermaid", "dot"):
        nodes = nodes_from_registrations(run.registrations)
        sys.stdout.write(render_mermaid(nodes) if args.format == "mermaid" else render_dot(nodes, run.stack))
    elif args.format == "json":
        doc = add_cost(doc, run) if not args.no_cost else doc
        json.dump({k: v for k, v in doc.items() if k != "cost_text"}, sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(add_cost(doc, run) if not args.no_cost else doc))
    return 0


if __name__ == "__main__":
    # A one-shot process: the cycle collector would only scan objects that live until exit
    # (the harness pauses it during the run anyway; this also skips the pass after it).
    gc.disable()
    status = main()
    # Tearing down the interpreter (every azure-native class, the SDK's runtime) took 0.4-0.7 s,
    # a third of a dev plan, and frees nothing anyone needs (docs/benchmarks.md): flush what
    # was printed and leave. An exception above still exits the normal way, with its traceback.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
