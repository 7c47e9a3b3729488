"""The guard against replacement: every stateful resource keeps its URN and its Azure name.

Pulumi knows a resource by its URN (stack, project, parent types, type, logical name) and Azure
by its name. Change either and Pulumi creates a new resource and deletes the old one: for a
storage account, a key vault, a registry or a workspace, that loses data, secrets, images or
history. So for each shipped stack (Pulumi.<stack>.yaml) and each example, the URN and Azure name
of every resource whose type is in ``azureml_infra.facts.STATEFUL_TYPES`` are kept in
``tests/snapshots/<stack>.json`` and checked by the test suite:

    python -m tools.urn_snapshot --check      # what `make test` checks (tests/test_urn_snapshot.py)
    python -m tools.urn_snapshot --write      # `make snapshot`: regenerate on purpose, then review the diff

The URNs are the mock URNs of the offline harness (tools/harness.py), which differ from the
real engine's (the mock keeps the root stack type in a top-level URN, and only the last type of
the parent chain): they are compared with URNs from the same harness only, so a difference is
always a real change of stack, project, parent, type or logical name. A resource that moved
keeps its URN when it carries an alias naming the old one (``aliases=[pulumi.Alias(...)]``);
the guard resolves aliases the way the mock builds URNs and accepts them.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azureml_infra.facts import CREATE_ONLY, STATEFUL_TYPES
from tools.harness import ROOT, Registration, Run
from tools.plan import UNKNOWN_TEXT, display_value, plan_stack_file, shown_path

SNAPSHOT_DIR = ROOT / "tests" / "snapshots"
REGENERATE = "make snapshot"
NOTE = (
    "Mock URNs from tools/harness.py (not the real engine's), compared only with URNs from the same "
    "harness. Regenerate on purpose with `make snapshot` and review the diff: a changed URN or name of "
    "a deployed resource replaces it."
)


def stack_files() -> list[Path]:
    """Every shipped stack and every example."""
    return sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("Pulumi.*.yaml"))


def snapshot_path(stack_file: Path) -> Path:
    """tests/snapshots/dev.json for Pulumi.dev.yaml, examples.datastores.json for an example."""
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    where = "" if stack_file.parent.resolve() == ROOT else f"{stack_file.parent.name}."
    return SNAPSHOT_DIR / f"{where}{stack}.json"


def plan_of(stack_file: Path) -> Run:
    """The stack file planned the way ``make plan`` does (the URNs the snapshot records)."""
    run = plan_stack_file(stack_file)
    if run.error is not None:
        raise run.error
    return run


@dataclass(frozen=True)
class Entry:
    urn: str
    type: str
    azure_name: str | None
    # The values of the inputs Azure takes only at creation (facts.CREATE_ONLY); None: the type has none.
    create_only: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"urn": self.urn, "type": self.type, "azureName": self.azure_name}
        if self.create_only is not None:
            found["createOnly"] = self.create_only
        return found


def _create_only(reg: Registration) -> dict[str, Any] | None:
    paths = CREATE_ONLY.get(reg.type)
    if paths is None:
        return None
    inputs = display_value(reg.inputs)

    def at(path: str) -> Any:
        value: Any = inputs
        for part in path.split("."):
            if isinstance(value, list) and part.isdigit():  # agentPoolProfiles.0.osDiskType
                value = value[int(part)] if int(part) < len(value) else None
            else:
                value = value.get(part) if isinstance(value, dict) else None
        return value

    return {path: at(path) for path in sorted(paths)}


def entries(registrations: list[Registration]) -> list[Entry]:
    return sorted(
        (Entry(r.urn, r.type, r.azure_name, _create_only(r)) for r in registrations if r.type in STATEFUL_TYPES),
        key=lambda e: e.urn,
    )


def document(stack_file: Path, registrations: list[Registration]) -> dict[str, Any]:
    return {
        "stackFile": shown_path(stack_file),
        "note": NOTE,
        "resources": [e.as_json() for e in entries(registrations)],
    }


# --- aliases -----------------------------------------------------------------------------


def _urn_parts(urn: str) -> tuple[str, str, str]:
    """(prefix 'urn:pulumi:<stack>::<project>', qualified type, logical name) of a URN."""
    stack_part, project, qualified, name = urn.split("::", 3)
    return f"{stack_part}::{project}", qualified, name


def alias_urns(reg: Registration) -> set[str]:
    """The URNs a registration's aliases name, built as the mock monitor builds URNs: the
    parent's last type, then ``$`` and the type; the root stack's type for no parent."""
    prefix, qualified, name = _urn_parts(reg.urn)
    own_type = qualified.split("$")[-1]
    parent_type = qualified.rsplit("$", 1)[0] if "$" in qualified else ""
    found: set[str] = set()
    for alias in reg.alias_specs:
        if "urn" in alias:
            found.add(alias["urn"])
            continue
        spec = alias.get("spec", {})
        alias_type = spec.get("type") or own_type
        if spec.get("noParent"):
            parent = "pulumi:pulumi:Stack"
        elif spec.get("parentUrn"):
            parent = _urn_parts(spec["parentUrn"])[1].split("$")[-1]
        else:
            parent = parent_type
        alias_prefix = prefix
        if spec.get("stack") or spec.get("project"):
            stack = spec.get("stack") or prefix.split("::")[0].removeprefix("urn:pulumi:")
            project = spec.get("project") or prefix.split("::")[1]
            alias_prefix = f"urn:pulumi:{stack}::{project}"
        qualified_alias = f"{parent}${alias_type}" if parent else alias_type
        found.add(f"{alias_prefix}::{qualified_alias}::{spec.get('name') or name}")
    return found


# --- the check -----------------------------------------------------------------------------


def _logical(urn: str) -> str:
    return _urn_parts(urn)[2]


def _alias_hint(old: str, new: str) -> str:
    _, old_type, old_name = _urn_parts(old)
    _, new_type, new_name = _urn_parts(new)
    args = []
    if old_name != new_name:
        args.append(f'name="{old_name}"')
    old_parent = old_type.rsplit("$", 1)[0] if "$" in old_type else ""
    new_parent = new_type.rsplit("$", 1)[0] if "$" in new_type else ""
    if old_parent != new_parent:
        args.append(
            "parent=pulumi.ROOT_STACK_RESOURCE" if old_parent == "pulumi:pulumi:Stack"
            else f"parent=<the {old_parent} it was under>"
        )
    return f"aliases=[pulumi.Alias({', '.join(args) or '...'})]"


def _create_only_changes(stack: str, old: dict[str, Any], now: Entry) -> list[str]:
    """Inputs Azure takes only at creation that changed since the snapshot (a snapshot written
    before they were recorded has none to compare)."""
    recorded, current = old.get("createOnly"), now.create_only or {}
    if recorded is None:
        return []
    # A value only Azure knows (an id, in a preview) stands for whatever it will be.
    unknown = UNKNOWN_TEXT
    return [
        f"{stack}: {now.type} '{_logical(now.urn)}' ({now.azure_name}) would change {path} from "
        f"{json.dumps(recorded.get(path))} to {json.dumps(current.get(path))}, which Azure takes only when it "
        "creates the resource: Pulumi would replace it, or Azure refuse the update. Keep the stack file's setting; "
        f"if a new resource is meant, regenerate the snapshot: {REGENERATE}"
        for path in sorted(set(recorded) | set(current))
        if recorded.get(path) != current.get(path) and unknown not in (recorded.get(path), current.get(path))
    ]


def compare(stack: str, snapshot: list[dict[str, Any]], registrations: list[Registration], path: str) -> list[str]:
    """Every way the program's stateful resources differ from the snapshot, as messages."""
    current = {e.urn: e for e in entries(registrations)}
    aliases = {r.urn: alias_urns(r) for r in registrations if r.type in STATEFUL_TYPES}
    matched: set[str] = set()
    problems = []
    for old in snapshot:
        urn, type_, name = old["urn"], old["type"], old["azureName"]
        now = current.get(urn) or next((current[u] for u, named in aliases.items() if urn in named), None)
        if now is not None:
            matched.add(now.urn)
            problems += _create_only_changes(stack, old, now)
            if now.azure_name != name:
                problems.append(
                    f"{stack}: {type_} '{_logical(urn)}' would be renamed in Azure from {name} to {now.azure_name}: "
                    "Azure cannot rename it, so Pulumi would replace it and lose what it holds. Keep it: set its "
                    f"name back to {name} in the stack file (the resource's `name` key, or the prefix, environment "
                    f"and nameSuffix that generate it). If the rename is meant, regenerate the snapshot: {REGENERATE}"
                )
            continue
        moved = next(
            (e for u, e in current.items() if u not in matched and e.type == type_ and e.azure_name == name), None
        )
        if moved is not None:
            matched.add(moved.urn)
            problems.append(
                f"{stack}: {type_} '{_logical(urn)}' ({name}) moved from URN {urn} to {moved.urn}: Pulumi would "
                f"create it anew and delete the old one. Keep it: add {_alias_hint(urn, moved.urn)} to its "
                f"resource options, or restore its logical name and parent. If the move is meant, {REGENERATE}"
            )
            continue
        problems.append(
            f"{stack}: {type_} '{_logical(urn)}' ({name}, URN {urn}) is no longer in the program: Pulumi would "
            f"delete it (unless protect is on). If that is meant, regenerate the snapshot: {REGENERATE}"
        )
    for urn, entry in current.items():
        if urn not in matched:
            problems.append(
                f"{stack}: new stateful resource {entry.type} '{_logical(urn)}' ({entry.azure_name}) is not in "
                f"{path}: if it is meant, regenerate the snapshot: {REGENERATE}"
            )
    return problems


def check(stack_file: Path, run: Run | None = None) -> list[str]:
    """Problems of ``stack_file`` against its snapshot; ``run``: its plan, if already made."""
    path = snapshot_path(stack_file)
    shown = str(path.relative_to(ROOT))
    if not path.exists():
        return [f"{shown_path(stack_file)}: no snapshot {shown}; create it: {REGENERATE}"]
    snapshot = json.loads(path.read_text())
    run = run or plan_of(stack_file)
    return compare(shown_path(stack_file), snapshot["resources"], run.registrations, shown)


def write(stack_file: Path) -> Path:
    path = snapshot_path(stack_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document(stack_file, plan_of(stack_file).registrations), indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.urn_snapshot", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate the snapshots (make snapshot)")
    mode.add_argument("--check", action="store_true", help="compare the program with the snapshots")
    parser.add_argument("stack_files", nargs="*", type=Path, help="default: every shipped stack and example")
    args = parser.parse_args(argv)
    files = args.stack_files or stack_files()
    if args.write:
        for stack_file in files:
            print(f"wrote {write(stack_file).relative_to(ROOT)}")
        # Snapshots of stack files that no longer exist would never be checked again.
        keep = {snapshot_path(f) for f in stack_files()}
        for stale in sorted(SNAPSHOT_DIR.glob("*.json")):
            if not args.stack_files and stale not in keep:
                stale.unlink()
                print(f"removed {stale.relative_to(ROOT)} (no such stack file)")
        return 0
    problems = [p for stack_file in files for p in check(stack_file)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
