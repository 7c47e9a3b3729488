"""Post-deploy check: does what Azure ML reports match what the stack says it deployed?

    make verify STACK=dev
    # = pulumi stack output --stack dev --json > outputs.json
    #   .venv/bin/python policy/export_plan.py --stack dev > plan.json
    #   .venv-verify/bin/python -m tools.verify --outputs outputs.json --plan plan.json

Expected values come from the stack's offline plan (the settings the program sends for each
workspace, compute and datastore, derived from the stack file alone) and its real outputs
(names, the workspace's ARM id). Actual values come from the Azure ML SDK (azure-ai-ml, with
azure-identity's DefaultAzureCredential: az login in a pipeline, workload identity, or
AZURE_CLIENT_ID/TENANT_ID/...). Every resource must exist; every setting the plan knows must
match. Prints a pass/fail table; exits 1 on any mismatch, 2 on unusable input.

Pure except ``AzureMLClient``: the comparison runs over the small ``Client`` protocol, so the
tests use a fake and need no Azure package. azure-ai-ml lives in its own venv
(requirements-verify.txt), never in the program's: it pins other opentelemetry versions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

WORKSPACE = "azure-native:machinelearningservices:Workspace"
COMPUTE = "azure-native:machinelearningservices:Compute"
DATASTORE = "azure-native:machinelearningservices:Datastore"
NOT_KNOWN = ("output<string>", "[secret]")

_ARM_ID = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/", re.IGNORECASE)
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$", re.IGNORECASE)

# Facts: what one resource looks like, in the plan's vocabulary, as a flat mapping
# (setting -> value). The same keys on both sides; a setting the plan cannot know is left out.
Facts = dict[str, Any]


class VerifyError(Exception):
    """Azure could not be asked (no credential, no access): neither a pass nor a mismatch."""


class Client(Protocol):
    """What the check needs from Azure ML: one resource's facts, or None when it does not exist.

    Raises VerifyError when Azure cannot be asked at all."""

    def workspace(self, name: str) -> Facts | None: ...

    def compute(self, name: str) -> Facts | None: ...

    def datastore(self, name: str) -> Facts | None: ...


@dataclass(frozen=True)
class Expected:
    kind: str  # workspace, compute, datastore
    name: str
    settings: Facts = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    kind: str
    name: str
    setting: str
    expected: Any
    actual: Any
    ok: bool


# --- normalising -----------------------------------------------------------------------


def seconds(value: Any) -> float | None:
    """An ISO 8601 duration (PT15M) or a number of seconds, as seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match or value.upper() in ("P", "PT"):
        return None
    d, h, m, s = (float(g or 0) for g in match.groups())
    return ((d * 24 + h) * 60 + m) * 60 + s


def _get(props: Any, path: str) -> Any:
    for key in path.split("."):
        props = props.get(key) if isinstance(props, Mapping) else None
    return props


def _known(value: Any) -> bool:
    return value is not None and value not in NOT_KNOWN


def _ssh_public(value: Any) -> bool | None:
    # NotSpecified depends on the subnet: Azure decides, so the check does not.
    return {"Enabled": True, "Disabled": False}.get(value)


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and isinstance(actual, str):
        # Azure echoes some values in another case (Standard_D3_v2 for STANDARD_D3_V2).
        return expected.replace("_", "").lower() == actual.replace("_", "").lower()
    if isinstance(expected, int | float) and isinstance(actual, int | float) and not isinstance(actual, bool):
        return float(expected) == float(actual)
    return expected == actual


def _keep_known(settings: Facts) -> Facts:
    return {k: v for k, v in settings.items() if _known(v)}


# --- expected: from the plan and the outputs -------------------------------------------


def compute_settings(props: Mapping[str, Any]) -> Facts:
    inner = _get(props, "properties.properties") or {}
    kind = _get(props, "properties.computeType")
    if kind == "AmlCompute":
        return _keep_known({
            "type": kind,
            "vmSize": inner.get("vmSize"),
            "vmPriority": inner.get("vmPriority"),
            "minNodes": _get(inner, "scaleSettings.minNodeCount"),
            "maxNodes": _get(inner, "scaleSettings.maxNodeCount"),
            "idleSecondsBeforeScaleDown": seconds(_get(inner, "scaleSettings.nodeIdleTimeBeforeScaleDown")),
            "sshPublicAccess": _ssh_public(inner.get("remoteLoginPortPublicAccess")),
        })
    if kind == "ComputeInstance":
        return _keep_known({
            "type": kind,
            "vmSize": inner.get("vmSize"),
            "idleSecondsBeforeShutdown": seconds(inner.get("idleTimeBeforeShutdown")),
            "sshPublicAccess": _ssh_public(_get(inner, "sshSettings.sshPublicAccess")),
        })
    return _keep_known({"type": kind})


def datastore_settings(props: Mapping[str, Any], output: Mapping[str, Any] | None) -> Facts:
    inner = props.get("properties") or {}
    output = output or {}
    container = inner.get("containerName") or inner.get("filesystem") or inner.get("fileShareName")
    settings = {
        "type": inner.get("datastoreType"),
        # A datastore on an account this stack creates names it by an output: take the real one.
        "accountName": inner.get("accountName") if _known(inner.get("accountName")) else output.get("accountName"),
        "container": container if _known(container) else output.get("container"),
    }
    return _keep_known(settings)


def expectations(plan: Mapping[str, Any], outputs: Mapping[str, Any]) -> list[Expected]:
    """The workspace, every compute and every datastore the stack deployed, with their settings."""
    found: list[Expected] = []
    resources = [r for r in plan.get("resources", []) if r.get("custom", True)]
    for r in resources:
        if r["type"] == WORKSPACE:
            inputs = r.get("inputs") or {}
            name = outputs.get("workspaceName") or inputs.get("workspaceName")
            found.append(Expected("workspace", name, _keep_known({
                "location": inputs.get("location"),
                "publicNetworkAccess": inputs.get("publicNetworkAccess"),
            })))
    computes = {}
    datastores = {}
    for r in resources:
        inputs = r.get("inputs") or {}
        if r["type"] == COMPUTE:
            computes[inputs.get("computeName") or r["name"]] = compute_settings(inputs)
        elif r["type"] == DATASTORE:
            name = inputs.get("name") or r["name"]
            datastores[name] = datastore_settings(inputs, (outputs.get("datastores") or {}).get(name))
    # Anything the outputs list but the plan does not know must still exist.
    for name in outputs.get("computes") or {}:
        computes.setdefault(name, {})
    for name in outputs.get("datastores") or {}:
        datastores.setdefault(name, {})
    found += [Expected("compute", n, s) for n, s in sorted(computes.items())]
    found += [Expected("datastore", n, s) for n, s in sorted(datastores.items())]
    return found


# --- the comparison --------------------------------------------------------------------


def compare(expected: Iterable[Expected], client: Client) -> list[Row]:
    rows: list[Row] = []
    for item in expected:
        actual = getattr(client, item.kind)(item.name)
        rows.append(Row(item.kind, item.name, "exists", True, actual is not None, actual is not None))
        if actual is None:
            continue
        for setting, want in item.settings.items():
            got = actual.get(setting)
            rows.append(Row(item.kind, item.name, setting, want, got, _same(want, got)))
    return rows


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "-" if value is None else str(value)


def render(rows: list[Row]) -> str:
    table = [("RESULT", "RESOURCE", "SETTING", "EXPECTED", "ACTUAL")]
    table += [("pass" if r.ok else "FAIL", f"{r.kind} {r.name}", r.setting, _show(r.expected), _show(r.actual))
              for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in table]
    failed = sum(not r.ok for r in rows)
    lines.append(f"verify: {failed} of {len(rows)} checks FAILED" if failed else f"verify: all {len(rows)} checks passed")
    return "\n".join(lines) + "\n"


def workspace_scope(outputs: Mapping[str, Any]) -> tuple[str, str, str]:
    """(subscription id, resource group, workspace name) from the stack outputs."""
    match = _ARM_ID.match(str(outputs.get("workspaceId") or ""))
    if not match or not outputs.get("workspaceName"):
        raise ValueError("the stack outputs have no workspaceId/workspaceName: was `pulumi up` run?")
    return match["sub"], outputs.get("resourceGroupName") or match["rg"], outputs["workspaceName"]


# --- Azure ML SDK adapter (imported only when run against Azure) -----------------------


def _value(x: Any) -> Any:
    """Enum members as their value (DatastoreType.AZURE_BLOB -> AzureBlob)."""
    return getattr(x, "value", x)


def workspace_facts(ws: Any) -> Facts:
    return {"location": ws.location, "publicNetworkAccess": ws.public_network_access}


def compute_facts(c: Any) -> Facts:
    kind = {"amlcompute": "AmlCompute", "computeinstance": "ComputeInstance"}.get(str(_value(c.type)).lower(),
                                                                                 _value(c.type))
    facts: Facts = {"type": kind, "vmSize": c.size, "sshPublicAccess": c.ssh_public_access_enabled}
    if kind == "AmlCompute":
        # The SDK's tier is snake_case (low_priority); the plan's vmPriority is LowPriority.
        facts.update(vmPriority=c.tier, minNodes=c.min_instances, maxNodes=c.max_instances,
                     idleSecondsBeforeScaleDown=c.idle_time_before_scale_down)
    elif kind == "ComputeInstance":
        facts["idleSecondsBeforeShutdown"] = seconds(c.idle_time_before_shutdown)
    return facts


def datastore_facts(d: Any) -> Facts:
    container = (getattr(d, "container_name", None) or getattr(d, "filesystem", None)
                 or getattr(d, "file_share_name", None))
    return {"type": _value(d.type), "accountName": getattr(d, "account_name", None), "container": container}


class AzureMLClient:
    """The Client protocol over azure-ai-ml's MLClient (in .venv-verify only)."""

    def __init__(self, subscription_id: str, resource_group: str, workspace: str):
        from azure.ai.ml import MLClient
        from azure.core.exceptions import AzureError, ResourceNotFoundError
        from azure.identity import DefaultAzureCredential

        self._missing, self._failed = ResourceNotFoundError, AzureError
        self._ml = MLClient(DefaultAzureCredential(), subscription_id, resource_group, workspace)

    def _get(self, operations: Any, name: str, facts) -> Facts | None:
        try:
            return facts(operations.get(name))
        except self._missing:
            return None
        except self._failed as exc:  # credential or permission: say so, no traceback
            raise VerifyError(f"{name}: {str(exc).splitlines()[0]}") from exc

    def workspace(self, name: str) -> Facts | None:
        return self._get(self._ml.workspaces, name, workspace_facts)

    def compute(self, name: str) -> Facts | None:
        return self._get(self._ml.compute, name, compute_facts)

    def datastore(self, name: str) -> Facts | None:
        return self._get(self._ml.datastores, name, datastore_facts)


def main(argv: list[str] | None = None, client: Client | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.verify", description=__doc__.split("\n")[0])
    parser.add_argument("--outputs", type=Path, required=True, help="`pulumi stack output --json` of the stack")
    parser.add_argument("--plan", type=Path, required=True, help="the stack's offline plan JSON")
    args = parser.parse_args(argv)
    try:
        outputs = json.loads(args.outputs.read_text())
        plan = json.loads(args.plan.read_text())
        scope = workspace_scope(outputs)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        rows = compare(expectations(plan, outputs), client or AzureMLClient(*scope))
    except VerifyError as exc:
        print(f"error: cannot read Azure ML: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render(rows))
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
