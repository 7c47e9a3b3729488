"""A stack's offline plan as an ARM template, for scanners that read ARM (``make scan``: checkov).

    python -m tools.arm_export --stack prod --out build/scan/prod/template.json
    python -m tools.arm_export --stack-file examples/Pulumi.aks-inference.yaml --out ...
    python -m tools.arm_export --gate build/scan/prod/results_json.json --stack prod

Runs in the program's venv and imports no scanner. The template has one resource per custom
resource of the plan, in the plan's order: ``type`` (the ARM type, ``facts.ARM_TYPES``),
``apiVersion`` (the one the installed azure-native SDK sends for that Pulumi type, read from its
source: "Uses Azure REST API version ..."), ``name`` (``parent/child`` for child resources),
``scope`` for extension resources (role assignments, locks, diagnostic settings, cluster
extensions), ``location``, ``tags``, the envelope (``sku``, ``kind``, ``identity``) and
``properties`` as the ARM schema of that type lays them out (``SHAPES``: the azure-native inputs
are the ARM body flattened one level, with a few renamed properties and sub-resources such as
subnets flattened too).

Values only Azure knows (``output<string>`` in the plan) become deterministic ARM expressions:
the plan is made twice, as a preview (the plan itself) and as an applied run under the same
mocks, whose ids are the ARM ids a real deployment would have (tools/harness.py); an unknown id
in the deployment's resource group becomes ``[resourceId(...)]``, a principal id
``[reference(...).identity.principalId]`` of the resource it came from, anything else a string
parameter without a value. Secrets stay masked: each becomes a ``securestring`` parameter without
a default value, so the template never holds one.

It is a template for scanners and schema checks, not for deploying (Pulumi deploys): it is scoped
to the resource group, and the resource group itself is listed as its first resource so that
every resource of the plan has its ARM counterpart.

``--gate`` reads checkov's JSON results and the accepted findings of ``scan-allowlist.yaml`` and
exits 1 when a failed check is not accepted for that stack; it needs only the standard library
and PyYAML.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azureml_infra.arm import parse_resource_id
from azureml_infra.facts import ARM_TYPES, SECRET_PLACEHOLDER

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN_TEXT = "output<string>"  # tools.plan.UNKNOWN_TEXT (not imported: the gate runs without Pulumi)
ALLOWLIST = ROOT / "scan-allowlist.yaml"
SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"

# --- API versions -----------------------------------------------------------------------------

_API_VERSION_RE = re.compile(r"Uses Azure REST API version (\d{4}-\d{2}-\d{2}(?:-preview)?)")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@functools.cache
def api_version(pulumi_type: str) -> str:
    """The REST API version the installed azure-native SDK uses for ``pulumi_type``.

    Read from the SDK's source, where each resource class says "Uses Azure REST API version
    <v>." (the docstring of its constructor overloads, which Python does not keep at run time):
    the file of the class, found by name and checked to register that type token.
    """
    _, module, cls = pulumi_type.split(":")
    spec = importlib.util.find_spec("pulumi_azure_native")
    if spec is None or not spec.submodule_search_locations:
        raise LookupError("pulumi_azure_native is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / module
    token = f"'{pulumi_type}'"
    candidates = [folder / f"{_snake(cls)}.py", *sorted(folder.glob("*.py"))]
    for path in candidates:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if token in text:
            match = _API_VERSION_RE.search(text)
            if match:
                return match.group(1)
    raise LookupError(f"no API version for {pulumi_type} in the installed SDK ({folder})")


# --- ARM values -------------------------------------------------------------------------------


class Expr(str):
    """An ARM template expression, written as is (``[...]``); any other string that starts with
    ``[`` is a literal and gets ARM's escape (``[[``)."""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def resource_id_expr(arm_type: str, names: list[str]) -> str:
    return f"resourceId({', '.join(_quote(p) for p in [arm_type, *names])})"


def _escape(value: Any) -> Any:
    """Plain strings that start with ``[`` escaped as ARM literals; expressions kept."""
    if isinstance(value, Expr):
        return str(value)
    if isinstance(value, str):
        return "[" + value if value.startswith("[") else value
    if isinstance(value, dict):
        return {_escape(k): _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value


# --- how each type is laid out ---------------------------------------------------------------

# ARM envelope properties an input may be (everything else is under ``properties``).
_ENVELOPE = ("location", "tags", "kind", "sku", "identity", "extendedLocation", "zones", "etag", "plan")


@dataclass(frozen=True)
class Shape:
    """How the azure-native inputs of one Pulumi type map onto its ARM resource.

    - ``locators``: inputs that only place the resource (resource group, parent names, its own
      name): in the ARM ``name``/``scope``, never in the body.
    - ``flattened``: the SDK takes ARM's ``properties`` one level up (most types); otherwise the
      ``properties`` input is the ARM ``properties`` as it is.
    - ``renames``: SDK input -> ARM property, where the SDK renamed one (``x-ms-client-name``).
    - ``sub_resources``: properties whose list items are ARM sub-resources (``{name, properties}``),
      flattened by the SDK too.
    - ``scope``: extension resources: a function of the inputs giving the id (or short form) of
      the resource it is set on.
    - ``secret_maps``: properties (ARM paths under ``properties``) whose every value is a secret.
    - ``no_properties``: the ARM type has no ``properties`` (user-assigned identity).
    - ``in_properties``: inputs named like envelope properties that ARM keeps under
      ``properties`` (a Log Analytics workspace's ``sku``).
    """

    locators: tuple[str, ...]
    flattened: bool = True
    renames: Mapping[str, str] = field(default_factory=dict)
    sub_resources: tuple[str, ...] = ()
    scope: Callable[[Mapping[str, Any]], Any] | None = None
    name_input: str | None = None
    secret_maps: tuple[str, ...] = ()
    no_properties: bool = False
    in_properties: tuple[str, ...] = ()


_RG = "resourceGroupName"

# One entry per Pulumi type the program registers. Shapes checked against the ARM schemas of the
# SDK's API versions (Azure/azure-resource-manager-schemas, schemas/<api-version>/<namespace>.json:
# Microsoft.Storage 2024-01-01, Microsoft.KeyVault 2024-11-01, Microsoft.OperationalInsights
# 2023-09-01, Microsoft.Insights.Application 2020-02-02, Microsoft.ContainerRegistry
# 2023-01-01-preview, Microsoft.MachineLearningServices 2025-12-01, Microsoft.ContainerService.Aks
# 2025-09-01, Microsoft.Authorization 2022-04-01 and 2020-05-01, Microsoft.Consumption 2024-08-01, Microsoft.Insights
# 2021-05-01-preview and 2022-06-01, Microsoft.Insights.PrivateLinkScopes 2023-06-01-preview, Microsoft.Network.NRP
# 2024-05-01, Microsoft.Network.privateDns 2024-06-01,
# Microsoft.ManagedIdentity 2023-01-31, Microsoft.Resources 2024-03-01, Microsoft.CognitiveServices 2025-06-01).
SHAPES: dict[str, Shape] = {
    "azure-native:resources:ResourceGroup": Shape((_RG,)),
    "azure-native:storage:StorageAccount": Shape(
        (_RG, "accountName"),
        renames={
            "enableHttpsTrafficOnly": "supportsHttpsTrafficOnly",
            "networkRuleSet": "networkAcls",
            "enableNfsV3": "isNfsV3Enabled",
        },
    ),
    "azure-native:storage:BlobContainer": Shape((_RG, "accountName", "containerName")),
    "azure-native:keyvault:Vault": Shape((_RG, "vaultName"), flattened=False),
    "azure-native:operationalinsights:Workspace": Shape((_RG, "workspaceName"), in_properties=("sku",)),
    # ARM keeps this API's PascalCase and snake names (Application_Type, Flow_Type, ...).
    "azure-native:applicationinsights:Component": Shape(
        (_RG, "resourceName"),
        renames={
            "applicationType": "Application_Type",
            "flowType": "Flow_Type",
            "requestSource": "Request_Source",
            "ingestionMode": "IngestionMode",
            "workspaceResourceId": "WorkspaceResourceId",
            "retentionInDays": "RetentionInDays",
            "samplingPercentage": "SamplingPercentage",
            "disableIpMasking": "DisableIpMasking",
            "disableLocalAuth": "DisableLocalAuth",
            "hockeyAppId": "HockeyAppId",
            "immediatePurgeDataOn30Days": "ImmediatePurgeDataOn30Days",
            "forceCustomerStorageForProfiler": "ForceCustomerStorageForProfiler",
        },
    ),
    "azure-native:containerregistry:Registry": Shape((_RG, "registryName")),
    "azure-native:machinelearningservices:Workspace": Shape((_RG, "workspaceName")),
    "azure-native:machinelearningservices:Compute": Shape((_RG, "workspaceName", "computeName"), flattened=False),
    "azure-native:machinelearningservices:Datastore": Shape((_RG, "workspaceName", "name"), flattened=False),
    "azure-native:machinelearningservices:ManagedNetworkSettingsRule": Shape(
        (_RG, "workspaceName", "ruleName"), flattened=False
    ),
    "azure-native:machinelearningservices:Registry": Shape((_RG, "registryName")),
    "azure-native:machinelearningservices:WorkspaceConnection": Shape(
        (_RG, "workspaceName", "connectionName"), flattened=False
    ),
    "azure-native:cognitiveservices:Account": Shape((_RG, "accountName"), flattened=False),
    "azure-native:cognitiveservices:Deployment": Shape((_RG, "accountName", "deploymentName"), flattened=False),
    "azure-native:cognitiveservices:Project": Shape((_RG, "accountName", "projectName"), flattened=False),
    "azure-native:containerservice:ManagedCluster": Shape((_RG, "resourceName")),
    "azure-native:kubernetesconfiguration:Extension": Shape(
        (_RG, "clusterRp", "clusterResourceName", "clusterName", "extensionName"),
        scope=lambda i: f"{i['clusterRp']}/{i['clusterResourceName']}/{i['clusterName']}",
        name_input="extensionName",
        # "Configuration settings that are sensitive, as name-value pairs" (the API's own words).
        secret_maps=("configurationProtectedSettings",),
    ),
    "azure-native:authorization:RoleAssignment": Shape(
        ("scope", "roleAssignmentName"), scope=lambda i: i["scope"], name_input="roleAssignmentName"
    ),
    "azure-native:authorization:ManagementLockByScope": Shape(
        ("scope", "lockName"), scope=lambda i: i["scope"], name_input="lockName"
    ),
    "azure-native:consumption:Budget": Shape(
        ("scope", "budgetName"), scope=lambda i: i["scope"], name_input="budgetName"
    ),
    "azure-native:managedidentity:UserAssignedIdentity": Shape((_RG, "resourceName"), no_properties=True),
    "azure-native:monitor:DataCollectionRule": Shape((_RG, "dataCollectionRuleName")),
    "azure-native:monitor:DataCollectionRuleAssociation": Shape(
        ("resourceUri", "associationName"), scope=lambda i: i["resourceUri"], name_input="associationName"
    ),
    "azure-native:monitor:DiagnosticSetting": Shape(
        ("resourceUri", "name"), scope=lambda i: i["resourceUri"], name_input="name"
    ),
    # Microsoft.Insights.PrivateLinkScopes 2023-06-01-preview: accessModeSettings and linkedResourceId are
    # properties.
    "azure-native:monitor:PrivateLinkScope": Shape((_RG, "scopeName")),
    "azure-native:monitor:PrivateLinkScopedResource": Shape((_RG, "scopeName", "name")),
    "azure-native:network:VirtualNetwork": Shape(
        (_RG, "virtualNetworkName"), sub_resources=("subnets", "virtualNetworkPeerings")
    ),
    "azure-native:network:NetworkSecurityGroup": Shape(
        (_RG, "networkSecurityGroupName"), sub_resources=("securityRules",)
    ),
    "azure-native:network:PrivateEndpoint": Shape(
        (_RG, "privateEndpointName"),
        sub_resources=("privateLinkServiceConnections", "manualPrivateLinkServiceConnections", "ipConfigurations"),
    ),
    "azure-native:network:PrivateDnsZoneGroup": Shape(
        (_RG, "privateEndpointName", "privateDnsZoneGroupName"), sub_resources=("privateDnsZoneConfigs",)
    ),
    "azure-native:privatedns:PrivateZone": Shape((_RG, "privateZoneName")),
    "azure-native:privatedns:VirtualNetworkLink": Shape((_RG, "privateZoneName", "virtualNetworkLinkName")),
}

# Keys of an ARM sub-resource that stay beside its ``properties``.
_SUB_RESOURCE_KEYS = ("id", "name", "type", "etag")


def _sub_resource(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    out = {k: item[k] for k in _SUB_RESOURCE_KEYS if k in item}
    rest = {k: v for k, v in item.items() if k not in _SUB_RESOURCE_KEYS}
    if rest:
        out["properties"] = rest
    return out


def _identity(identity: Any) -> Any:
    """The SDK takes user-assigned identities as a list of ids; ARM as a map id -> {}."""
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
        return {**identity, "userAssignedIdentities": {i: {} for i in identity["userAssignedIdentities"]}}
    return identity


def _name_segments(pulumi_type: str, inputs: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(type segments below the namespace, name segments) from facts.ARM_TYPES' id path."""
    arm = ARM_TYPES[pulumi_type]
    if arm.path is None:
        raise KeyError(pulumi_type)
    if arm.path == "":  # the resource group
        return ["resourceGroups"], [str(inputs[_RG])]
    parts = arm.path.format(**inputs).split("/")[1:]
    return parts[0::2], parts[1::2]


# --- the resolver: unknowns, secrets, ids ----------------------------------------------------


@dataclass
class _Context:
    subscription_id: str
    resource_group: str | None
    parameters: dict[str, Any] = field(default_factory=dict)
    by_urn: dict[str, dict[str, Any]] = field(default_factory=dict)

    def parameter(self, base: str, spec: dict[str, Any]) -> Expr:
        name = re.sub(r"\W+", "_", base).strip("_")
        candidate, n = name, 2
        while candidate in self.parameters and self.parameters[candidate] != spec:
            candidate, n = f"{name}_{n}", n + 1
        self.parameters[candidate] = spec
        return Expr(f"[parameters({_quote(candidate)})]")

    def secret(self, resource: str, path: str) -> Expr:
        return self.parameter(
            f"secret_{resource}_{path}",
            {"type": "securestring", "metadata": {"description": f"secret: {resource} {path}"}},
        )

    def in_deployment(self, value: str) -> Any:
        """An ARM id in the deployment's resource group, parsed; None otherwise."""
        parsed = parse_resource_id(value)
        if parsed and parsed.subscription_id == self.subscription_id and self.resource_group and (
            parsed.resource_group.lower() == self.resource_group.lower()
        ):
            return parsed
        return None

    def id_expr(self, value: str) -> Expr | None:
        parsed = self.in_deployment(value)
        if parsed is None:
            return None
        return Expr(f"[{resource_id_expr(parsed.type, list(parsed.names))}]")

    def scope(self, value: Any) -> Any:
        """An extension resource's ``scope``: ``<namespace>/<type>/<name>[/...]`` for a resource of
        the deployment's group (the form ARM templates use), None for the group itself, the full id
        (or expression) otherwise."""
        if not isinstance(value, str) or isinstance(value, Expr):
            return value
        if self.resource_group and value.rstrip("/").lower() == (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}".lower()
        ):
            return None
        parsed = self.in_deployment(value)
        if parsed is None:
            return value
        segments = [parsed.namespace]
        for type_, name in zip(parsed.types, parsed.names, strict=True):
            segments += [type_, name]
        return "/".join(segments)


def _reference_expr(ctx: _Context, dep: dict[str, Any]) -> Expr | None:
    """The principal id of the identity of ``dep`` (a plan resource), as ARM reads it."""
    try:
        types, names = _name_segments(dep["type"], dep["inputs"])
    except (KeyError, IndexError, ValueError):
        return None
    arm_type = "/".join([ARM_TYPES[dep["type"]].namespace, *types])
    ref = f"reference({resource_id_expr(arm_type, names)}, {_quote(api_version(dep['type']))}"
    if dep["type"] == "azure-native:managedidentity:UserAssignedIdentity":
        return Expr(f"[{ref}).principalId]")
    return Expr(f"[{ref}, 'Full').identity.principalId]")


def _resolve(
    ctx: _Context, res: dict[str, Any], applied: dict[str, Any] | None, value: Any, applied_value: Any, path: str
) -> Any:
    """``value`` (the preview's) with unknowns made ARM expressions and secrets parameters."""
    if isinstance(value, dict):
        other = applied_value if isinstance(applied_value, dict) else {}
        return {
            k: _resolve(ctx, res, applied, v, other.get(k), f"{path}.{k}" if path else k) for k, v in value.items()
        }
    if isinstance(value, list):
        other = applied_value if isinstance(applied_value, list) and len(applied_value) == len(value) else []
        return [
            _resolve(ctx, res, applied, v, other[i] if other else None, f"{path}[{i}]") for i, v in enumerate(value)
        ]
    if value == SECRET_PLACEHOLDER:
        return ctx.secret(res["name"], path)
    if value != UNKNOWN_TEXT:
        return value
    top = path.split(".")[0].split("[")[0]
    deps = [ctx.by_urn[u] for u in res.get("propertyDependencies", {}).get(top, []) if u in ctx.by_urn]
    if path.endswith("principalId"):
        holders = [d for d in deps if d["type"] != "azure-native:resources:ResourceGroup"]
        if len(holders) == 1:
            ref = _reference_expr(ctx, holders[0])
            if ref is not None:
                return ref
    if isinstance(applied_value, str) and applied_value not in (UNKNOWN_TEXT, SECRET_PLACEHOLDER):
        if applied_value.startswith("/subscriptions/"):
            expr = ctx.id_expr(applied_value)
            # An id elsewhere is still the value a deployment would have: the mocks' ids are ARM's.
            return expr if expr is not None else applied_value
        if any(applied_value == d.get("azureName") for d in deps):
            return applied_value
    return ctx.parameter(
        f"unknown_{res['name']}_{path}",
        {"type": "string", "metadata": {"description": f"known after deployment: {res['name']} {path}"}},
    )


# --- the template ----------------------------------------------------------------------------


def _properties(shape: Shape, inputs: dict[str, Any]) -> dict[str, Any]:
    if not shape.flattened:
        props = inputs.get("properties")
        return dict(props) if isinstance(props, dict) else {}
    props = {}
    for key, value in inputs.items():
        if key in shape.locators or (key in _ENVELOPE and key not in shape.in_properties):
            continue
        props[shape.renames.get(key, key)] = value
    for key in shape.sub_resources:
        if isinstance(props.get(key), list):
            props[key] = [_sub_resource(item) for item in props[key]]
    return props


def _mask_maps(ctx: _Context, res_name: str, props: dict[str, Any], shape: Shape) -> None:
    for key in shape.secret_maps:
        value = props.get(key)
        if isinstance(value, dict):
            props[key] = {k: v if isinstance(v, Expr) else ctx.secret(res_name, f"{key}.{k}") for k, v in value.items()}
        elif value is not None and not isinstance(value, Expr):
            props[key] = ctx.secret(res_name, key)


def _arm_resource(ctx: _Context, res: dict[str, Any], applied: dict[str, Any] | None) -> dict[str, Any]:
    type_ = res["type"]
    shape = SHAPES.get(type_)
    if shape is None or type_ not in ARM_TYPES:
        raise KeyError(f"no ARM mapping for {type_} (tools/arm_export.py SHAPES, azureml_infra/facts.py ARM_TYPES)")
    inputs = _resolve(ctx, res, applied, res["inputs"], (applied or {}).get("inputs"), "")
    arm: dict[str, Any] = {"type": ARM_TYPES[type_].type, "apiVersion": api_version(type_)}
    if shape.scope is not None:
        arm["name"] = inputs[shape.name_input] if shape.name_input else res["name"]
        raw_scope = shape.scope(res["inputs"])
        if raw_scope == UNKNOWN_TEXT:
            raw_scope = _applied_scope(shape, applied)
            if raw_scope in (None, UNKNOWN_TEXT):
                raw_scope = ctx.parameter(
                    f"unknown_{res['name']}_scope",
                    {"type": "string", "metadata": {"description": f"known after deployment: {res['name']} scope"}},
                )
        scope = ctx.scope(raw_scope)
        if scope is not None:
            arm["scope"] = scope
    else:
        _, names = _name_segments(type_, res["inputs"])
        arm["name"] = "/".join(names)
    for key in _ENVELOPE:
        if key in inputs and key not in shape.locators and key not in shape.in_properties:
            arm[key] = _identity(inputs[key]) if key == "identity" else inputs[key]
    if not shape.no_properties:
        props = _properties(shape, inputs)
        _mask_maps(ctx, res["name"], props, shape)
        arm["properties"] = props  # even empty: some definitions require it (a resource group, a DNS zone)
    return arm


def _applied_scope(shape: Shape, applied: dict[str, Any] | None) -> Any:
    if applied is None or shape.scope is None:
        return None
    try:
        return shape.scope(applied["inputs"])
    except KeyError:
        return None


def _depends_on(ctx: _Context, res: dict[str, Any], by_name: Mapping[str, dict[str, Any]]) -> list[str]:
    deps = []
    for name in res.get("dependsOn", []):
        dep = by_name.get(name)
        if dep is None or not dep["custom"] or SHAPES.get(dep["type"], Shape(())).scope is not None:
            continue
        if dep["type"] == "azure-native:resources:ResourceGroup":
            continue  # the deployment's own group
        types, names = _name_segments(dep["type"], dep["inputs"])
        deps.append(Expr(f"[{resource_id_expr('/'.join([ARM_TYPES[dep['type']].namespace, *types]), names)}]"))
    return deps


def export_template(plan: dict[str, Any], applied: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ARM template of ``plan`` (a plan document with secret objects opened: policy/export_plan.py).

    ``applied``: the plan document of the same stack file run as applied under the mocks (not
    a preview), which knows the ids and names the preview shows as ``output<string>``; without
    it, unknowns that are not principal ids become parameters.
    """
    custom = [r for r in plan["resources"] if r["custom"]]
    groups = {r["inputs"].get(_RG) for r in custom if isinstance(r["inputs"].get(_RG), str)}
    group = sorted(groups)[0] if len(groups) == 1 else None
    from tools.harness import SUBSCRIPTION_ID  # the mocks' subscription: every id of the plan is in it

    ctx = _Context(SUBSCRIPTION_ID, group, by_urn={r["urn"]: r for r in plan["resources"]})
    applied_by_urn = {r["urn"]: r for r in (applied or {}).get("resources", [])}
    by_name = {r["name"]: r for r in plan["resources"]}
    resources = []
    for res in custom:
        arm = _arm_resource(ctx, res, applied_by_urn.get(res["urn"]) if applied else None)
        deps = _depends_on(ctx, res, by_name)
        if deps:
            arm["dependsOn"] = deps
        resources.append(arm)
    template: dict[str, Any] = {
        "$schema": SCHEMA,
        "contentVersion": "1.0.0.0",
        "metadata": {
            "generator": "azureml-infra tools/arm_export.py",
            "stack": plan.get("stack"),
            "stackFile": plan.get("stackFile"),
            "note": "For scanners and schema checks, not for deploying: Pulumi deploys. The resource "
            "group is listed as a resource so that every resource of the plan has its ARM counterpart.",
        },
        "parameters": dict(sorted(ctx.parameters.items())),
        "resources": resources,
    }
    return _escape(template)


# --- command line ----------------------------------------------------------------------------


def plan_documents(stack_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan (a preview) and the applied run's document of a stack file, secret objects opened.

    Raises the program's error (a ConfigError for bad config)."""
    from tools.harness import run_program, stack_config
    from tools.plan import make_plan, opened, plan_document, plan_stack_file, shown_path, stack_name_of

    run, _ = make_plan(stack_file, plan_stack_file(stack_file))
    if run.error is not None:
        raise run.error
    raw, secrets = stack_config(stack_file)
    applied = run_program(stack_name_of(stack_file), raw, secrets, preview=False, raise_errors=True)
    shown = shown_path(stack_file)
    return plan_document(opened(run), shown), plan_document(opened(applied), shown)


def stack_template(stack_file: Path) -> dict[str, Any]:
    plan, applied = plan_documents(stack_file)
    return export_template(plan, applied)


# --- the gate over checkov's results -----------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    check: str
    resource: str
    name: str

    def text(self) -> str:
        return f"{self.check} {self.resource}: {self.name}"


def failed_checks(results: Any) -> list[Finding]:
    """The failed checks of checkov's JSON output (one report, or a list of reports)."""
    reports = results if isinstance(results, list) else [results]
    found = set()
    for report in reports:
        for item in (report.get("results") or {}).get("failed_checks", []):
            found.add(Finding(item["check_id"], item["resource"], item.get("check_name", "")))
    return sorted(found, key=lambda f: (f.check, f.resource))


def accepted_findings(allowlist: Any, stack: str) -> set[tuple[str, str]]:
    """(check, resource) pairs accepted for ``stack``; each entry must say why and where from."""
    entries = (allowlist or {}).get(stack) or []
    accepted = set()
    for i, entry in enumerate(entries):
        missing = [k for k in ("check", "resource", "why", "source") if not entry.get(k)]
        if missing:
            raise ValueError(f"scan-allowlist.yaml: {stack}[{i}] lacks {', '.join(missing)}")
        accepted.add((entry["check"], entry["resource"]))
    return accepted


def gate(results: Any, allowlist: Any, stack: str) -> tuple[list[Finding], list[Finding], list[tuple[str, str]]]:
    """(new findings, accepted findings, accepted entries that no longer match any finding)."""
    findings = failed_checks(results)
    accepted = accepted_findings(allowlist, stack)
    new = [f for f in findings if (f.check, f.resource) not in accepted]
    kept = [f for f in findings if (f.check, f.resource) in accepted]
    stale = sorted(accepted - {(f.check, f.resource) for f in findings})
    return new, kept, stale


def _run_gate(results_path: Path, stack: str, allowlist_path: Path) -> int:
    import yaml

    results = json.loads(results_path.read_text())
    allowlist = yaml.safe_load(allowlist_path.read_text()) if allowlist_path.exists() else {}
    try:
        new, kept, stale = gate(results, allowlist, stack)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"make scan: stack {stack}: {len(new) + len(kept)} failed checks, {len(kept)} accepted "
          f"({allowlist_path.name}), {len(new)} not accepted")
    for finding in kept:
        print(f"  accepted: {finding.text()}")
    for check, resource in stale:
        print(f"  accepted but no longer found (remove it from {allowlist_path.name}): {check} {resource}")
    for finding in new:
        print(f"  NOT ACCEPTED: {finding.text()}")
    return 1 if new else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.arm_export", description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="Pulumi.<stack>.yaml of the project (default: dev)")
    source.add_argument("--stack-file", type=Path, help="this Pulumi.<stack>.yaml file (examples/, elsewhere)")
    parser.add_argument("--out", type=Path, help="write the template here (default: standard output)")
    parser.add_argument("--gate", type=Path, metavar="RESULTS_JSON",
                        help="instead: checkov's JSON results; exit 1 on a failed check not accepted for the stack")
    parser.add_argument("--allowlist", type=Path, default=ALLOWLIST, help="accepted findings (default: %(default)s)")
    args = parser.parse_args(argv)
    stack = args.stack
    if args.stack_file:
        match = re.fullmatch(r"Pulumi\.(.+)\.yaml", args.stack_file.name)
        if not match:
            print(f"error: {args.stack_file}: a stack file is named Pulumi.<stack>.yaml", file=sys.stderr)
            return 2
        stack = match.group(1)
    if args.gate:
        return _run_gate(args.gate, stack, args.allowlist)
    path = args.stack_file or ROOT / f"Pulumi.{stack}.yaml"
    if not path.exists():
        print(f"error: no stack file {path}", file=sys.stderr)
        return 2
    from azureml_infra.config import ConfigError

    try:
        template = stack_template(path)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    text = json.dumps(template, indent=2) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        print(f"{args.out}: {len(template['resources'])} resources, {len(template['parameters'])} parameters")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
