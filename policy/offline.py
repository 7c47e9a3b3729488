"""Run the pack's rules over an offline plan, without the Pulumi CLI (``make policy``).

    .venv/bin/python policy/export_plan.py --stack prod | .venv-policy/bin/python policy/offline.py

Reads a plan JSON (``tools.plan``'s shape: resources with type, wire-format inputs and
protect; ``export_plan.py`` opens the secret objects first), applies every rule that applies
in the stack's environment, prints each violation with its level, and exits 1 when a
mandatory rule is broken (0 otherwise, 2 on unreadable input).

The environment is, in order: ``--environment``; the ``environment`` tag the program puts on
every resource (``azureml-infra:environment``, which defaults to the stack name); the plan's
stack name. In the CLI run it comes from ``config/<stack>.json``.

A top-level input that is still ``[secret]`` (plain ``tools.plan`` output) hides what is
inside it: such resources are listed as ``[unchecked]``, never as compliant by silence.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rules import ADVISORY, MANDATORY, RULES, STACK_RULES, StackResource, environment_of

from azureml_infra.facts import SECRET_PLACEHOLDER as SECRET


@dataclass(frozen=True)
class Violation:
    rule: str
    level: str
    resource_type: str
    name: str
    azure_name: str | None
    message: str

    def line(self) -> str:
        target = f"{self.resource_type} {self.name}" + (f" ({self.azure_name})" if self.azure_name else "")
        return f"[{self.level}] {self.rule}: {target}: {self.message}"


def plan_environment(plan: Mapping[str, Any]) -> str:
    """The environment the program tagged the stack's resources with, else the stack name."""
    for resource in plan.get("resources", []):
        tags = (resource.get("inputs") or {}).get("tags")
        if isinstance(tags, Mapping) and isinstance(tags.get("environment"), str):
            return tags["environment"]
    return environment_of(plan.get("stack"))


def hidden_inputs(resource: Mapping[str, Any]) -> list[str]:
    """Top-level inputs masked as a whole: the rules cannot look inside them."""
    return sorted(k for k, v in (resource.get("inputs") or {}).items() if v == SECRET and k != "tags")


def evaluate(resources: Iterable[Mapping[str, Any]], environment: str) -> list[Violation]:
    """Every violation of the rules that apply in ``environment``, in resource order."""
    found = []
    for resource in resources:
        if not resource.get("custom", True):
            continue  # component resources have no settings of their own
        for rule in RULES:
            if not rule.applies(environment):
                continue
            for message in rule.violations(
                resource["type"], resource.get("inputs") or {}, bool(resource.get("protect"))
            ):
                found.append(
                    Violation(rule.name, rule.level_in(environment), resource["type"], resource.get("name", ""),
                              resource.get("azureName"), message)
                )
    return found + evaluate_stack(resources, environment)


def evaluate_stack(resources: Iterable[Mapping[str, Any]], environment: str) -> list[Violation]:
    """Violations of the rules over the whole stack (e.g. a lock for every locked type)."""
    custom = [r for r in resources if r.get("custom", True)]
    view = [
        StackResource(r.get("urn", ""), r["type"], r.get("name", ""), r.get("inputs") or {},
                      r.get("propertyDependencies") or {})
        for r in custom
    ]
    by_urn = {r.get("urn"): r for r in custom}
    found = []
    for rule in STACK_RULES:
        if not rule.applies(environment):
            continue
        for resource, message in rule.violations(view):
            found.append(Violation(rule.name, rule.level_in(environment), resource.type, resource.name,
                                   by_urn.get(resource.urn, {}).get("azureName"), message))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="policy/offline.py", description=__doc__.split("\n")[0])
    parser.add_argument("--plan", type=Path, help="plan JSON file (default: standard input)")
    parser.add_argument("--environment", help="dev, test, prod...: default the plan's stack name")
    args = parser.parse_args(argv)

    text = args.plan.read_text() if args.plan else sys.stdin.read()
    try:
        plan = json.loads(text)
        resources = plan["resources"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        print(f"error: not an offline plan ({exc}); make it with `python -m tools.plan --format json`",
              file=sys.stderr)
        return 2
    environment = args.environment or plan_environment(plan)
    violations = evaluate(resources, environment)
    unchecked = [r for r in resources if r.get("custom", True) and hidden_inputs(r)]

    mandatory = [v for v in violations if v.level == MANDATORY]
    advisory = [v for v in violations if v.level == ADVISORY]
    for violation in violations:
        print(violation.line())
    for resource in unchecked:
        print(f"[unchecked] {resource['type']} {resource.get('name', '')}: "
              f"{', '.join(hidden_inputs(resource))} is a secret as a whole in this plan; "
              "use policy/export_plan.py (the CLI run sees through it)")
    applied = sum(rule.applies(environment) for rule in (*RULES, *STACK_RULES))
    print(
        f"policy: stack {plan.get('stack')} (environment {environment}): {len(resources)} resources, "
        f"{applied} rules, {len(mandatory)} mandatory and {len(advisory)} advisory violations"
        + (f", {len(unchecked)} unchecked" if unchecked else "")
    )
    return 1 if mandatory else 0


if __name__ == "__main__":
    sys.exit(main())
