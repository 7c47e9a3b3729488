"""Adopting what the legacy ARM templates deployed: import ids and the change list.

Pure Python (no Pulumi SDK, no pydantic), shared by the program (import ids) and the offline
plan (the change list). Config checks that refuse an adoption live in ``config/rules/adopt.py``.

- ``import_ids(deployment, subscription_id)``: the exact ARM id of each resource the legacy
  templates deployed, keyed by (Pulumi type, Azure name). The program passes each to Pulumi's
  ``import`` resource option, so the first ``pulumi up`` adopts instead of creating.
- ``changes(type, inputs)``: property by property, what the program's inputs would change on
  an adopted resource, from what the legacy template deployed (``LEGACY``) to ours.

What the legacy templates deployed comes from ``shared/seed/arm-templates/*/template.json``
(constants and the API version each used) and, for what a template left out, from Azure's
default for that API version (each noted). Values that come from the parameter files (names,
SKUs, kind, tier, compute sizes) are written into the stack file by ``make adopt`` and are
not compared here: the stack file is the record of what was deployed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from azureml_infra import facts
from azureml_infra.deployment import DependencyKind, Deployment


def arm_id(type_: str, subscription_id: str, resource_group: str, name: str, parent: str = "") -> str:
    """The ARM id of a resource the legacy templates deployed, as ``pulumi import`` takes it.

    ``parent``: the name of the resource it is under (a compute's workspace); the id's path is
    ``facts.ARM_TYPES``'.
    """
    arm = facts.ARM_TYPES[type_]
    inputs = {key: value for key, value in ((arm.name_input, name), (arm.parent_input, parent)) if key}
    return facts.resource_id(type_, subscription_id, resource_group, inputs)


def import_ids(deployment: Deployment, subscription_id: str) -> dict[tuple[str, str], str]:
    """(Pulumi type, Azure name) -> ARM id of every resource the legacy templates deployed.

    Resources the stack reuses by ``id`` or a group marked ``existing`` are not managed, so
    they are not imported; Log Analytics, role assignments and everything else the legacy
    templates never had are created as usual. AmlCompute clusters are adopted (the legacy
    mlcompute template); compute instances are not (the templates had none).
    """
    group = deployment.names.resource_group
    ids: dict[tuple[str, str], str] = {}

    def add(type_: str, name: str, parent: str = "") -> None:
        ids[(type_, name)] = arm_id(type_, subscription_id, group, name, parent)

    if deployment.workspace.create_resource_group:
        add(facts.RESOURCE_GROUP, group)
    adopted: tuple[tuple[DependencyKind, str], ...] = (
        ("storageAccount", facts.STORAGE_ACCOUNT),
        ("keyVault", facts.KEY_VAULT),
        ("applicationInsights", facts.APPLICATION_INSIGHTS),
        ("containerRegistry", facts.CONTAINER_REGISTRY),
    )
    for kind, type_ in adopted:
        dependency = deployment.dependency(kind)
        if dependency is not None and dependency.created:
            add(type_, dependency.name)
    add(facts.ML_WORKSPACE, deployment.names.ml_workspace)
    for cluster in deployment.clusters:
        add(facts.ML_COMPUTE, cluster.name, deployment.names.ml_workspace)
    return ids


# --- what the legacy templates deployed -----------------------------------------------------


@dataclass(frozen=True)
class Legacy:
    """A property as the legacy template left it: its value and where that value came from."""

    value: Any
    source: str = "template"

    def text(self) -> str:
        shown = "not set" if self.value is None else _show(self.value)
        return shown if self.source == "template" else f"{shown} ({self.source})"


# Compared by construction, never listed: the identity of the resource (its name, group and
# region, which the import id pins), and values `make adopt` copies from the parameter files.
FROM_STACK = "from the stack file"
_SAME = Legacy(None, FROM_STACK)
AZURE_DEFAULT = "Azure's default: not set by the template"
_AZURE_FALSE = Legacy(False, AZURE_DEFAULT)
_COMMON = {"location": _SAME, "resourceGroupName": _SAME, "tags": Legacy({}, "no tags in the template")}

# Wire (camelCase) input path -> the legacy value. A path the program sends that is not here
# was not set by the template: the change list shows it as "not set -> ours".
LEGACY: dict[str, dict[str, Legacy]] = {
    # The pipeline's AzureResourceGroupDeployment@2 task created the group without tags.
    facts.RESOURCE_GROUP: {**_COMMON},
    # storage/template.json, API 2018-07-01.
    facts.STORAGE_ACCOUNT: {
        **_COMMON,
        "accountName": _SAME,
        "sku.name": _SAME,
        "kind": _SAME,
        "accessTier": _SAME,
        "enableHttpsTrafficOnly": Legacy(True),  # supportsHttpsTrafficOnly: true
        # Not in API 2018-07-01; an account created then reports no minimum, which Azure
        # treats as TLS 1.0 (Microsoft Learn: storage "Enforce a minimum required version of TLS").
        "minimumTlsVersion": Legacy("TLS1_0", AZURE_DEFAULT),
        # Not in API 2018-07-01; unset means allowed for accounts of that time (Microsoft Learn:
        # storage "Remediate anonymous read access to blob data").
        "allowBlobPublicAccess": Legacy(True, AZURE_DEFAULT),
        "allowSharedKeyAccess": Legacy(True, AZURE_DEFAULT),
        "isHnsEnabled": _AZURE_FALSE,
    },
    # keyvault/template.json, API 2018-02-14.
    facts.KEY_VAULT: {
        **_COMMON,
        "vaultName": _SAME,
        "properties.tenantId": _SAME,  # [subscription().tenantId]: the same tenant
        "properties.sku.family": Legacy("A"),
        "properties.sku.name": _SAME,
        "properties.enableRbacAuthorization": Legacy(False, "Azure's default: access policies"),
        # Soft delete is on for every vault since Azure enforced it (Microsoft Learn: key-vault
        # "Soft-delete will be enabled on all key vaults"), with the default 90 days.
        "properties.enableSoftDelete": Legacy(True, "enforced by Azure on every vault"),
        "properties.softDeleteRetentionInDays": Legacy(90, "Azure's default"),
        "properties.enabledForTemplateDeployment": Legacy(True),
        "properties.enabledForDeployment": _AZURE_FALSE,
        "properties.enabledForDiskEncryption": _AZURE_FALSE,
        "properties.publicNetworkAccess": Legacy("enabled", AZURE_DEFAULT),
        # The workspace and people were given access policies after the deployment; the
        # program never rewrites them (ignore_changes), so they are not compared.
        "properties.accessPolicies": _SAME,
    },
    # appinsights/template.json, API 2015-05-01: a classic resource (no Log Analytics).
    facts.APPLICATION_INSIGHTS: {
        **_COMMON,
        "resourceName": _SAME,
        "kind": Legacy("web"),
        "applicationType": Legacy("web"),  # Application_Type: web
        # Values the SDK sends by default, which are also what Azure gave the classic resource.
        "flowType": Legacy("Bluefield", AZURE_DEFAULT),
        "requestSource": Legacy("rest", AZURE_DEFAULT),
        "publicNetworkAccessForIngestion": Legacy("Enabled", AZURE_DEFAULT),
        "publicNetworkAccessForQuery": Legacy("Enabled", AZURE_DEFAULT),
        "ingestionMode": Legacy("ApplicationInsights", "classic: no Log Analytics workspace"),
    },
    # containerregistry/template.json, API 2017-10-01.
    facts.CONTAINER_REGISTRY: {
        **_COMMON,
        "registryName": _SAME,
        "sku.name": Legacy("Basic"),
        "adminUserEnabled": Legacy(True),
        "anonymousPullEnabled": _AZURE_FALSE,
        "networkRuleBypassOptions": Legacy("AzureServices", AZURE_DEFAULT),
        "publicNetworkAccess": Legacy("Enabled", AZURE_DEFAULT),
        "zoneRedundancy": Legacy("Disabled", AZURE_DEFAULT),
    },
    # mlworkspace/template.json, API 2018-11-19.
    facts.ML_WORKSPACE: {
        **_COMMON,
        "workspaceName": _SAME,
        "identity.type": Legacy("SystemAssigned"),
        # The four links name the adopted resources by the same names (the import ids).
        "storageAccount": _SAME,
        "keyVault": _SAME,
        "applicationInsights": _SAME,
        "containerRegistry": _SAME,
        "sku.name": Legacy("Basic", AZURE_DEFAULT),
        "sku.tier": Legacy("Basic", AZURE_DEFAULT),
        "publicNetworkAccess": Legacy("Enabled", AZURE_DEFAULT),
    },
    # mlcompute/template.json and template-vnet.json, API 2018-11-19.
    facts.ML_COMPUTE: {
        **_COMMON,
        "computeName": _SAME,
        "workspaceName": _SAME,
        "properties.computeType": Legacy("AmlCompute"),
        "properties.properties.osType": Legacy("Linux", AZURE_DEFAULT),
        "properties.disableLocalAuth": _AZURE_FALSE,
        "properties.properties.vmSize": _SAME,
        "properties.properties.vmPriority": Legacy("Dedicated"),
        "properties.properties.scaleSettings.minNodeCount": _SAME,
        "properties.properties.scaleSettings.maxNodeCount": _SAME,
        "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown": _SAME,
        "properties.properties.subnet.id": _SAME,
        "properties.properties.userAccountCredentials.adminUserName": _SAME,
        "properties.properties.enableNodePublicIp": Legacy(True, AZURE_DEFAULT),
        "properties.properties.remoteLoginPortPublicAccess": Legacy(
            "NotSpecified", "Azure's default: SSH port open when there is an admin user and no subnet"
        ),
    },
}

# Paths Azure cannot change on an existing resource (facts.CREATE_ONLY): adoption must never
# make such a change; config checks keep the program off them.
IMMUTABLE = facts.CREATE_ONLY


# Paths where Azure accepts the change but never takes it back: the user must decide first.
ONE_WAY: dict[str, frozenset[str]] = {
    facts.KEY_VAULT: frozenset({"properties.enablePurgeProtection"}),
    # Classic -> workspace-based is an in-place migration with no way back (Microsoft Learn:
    # azure-monitor/app/convert-classic-resource).
    facts.APPLICATION_INSIGHTS: frozenset({"workspaceResourceId", "ingestionMode"}),
}


@dataclass(frozen=True)
class Change:
    """One setting the first ``pulumi up`` changes on an adopted resource."""

    path: str
    legacy: Legacy
    ours: Any
    immutable: bool = False
    one_way: bool = False

    def text(self) -> str:
        ours = "not set" if self.ours is None else _show(self.ours)
        flag = "  [Azure cannot change this in place]" if self.immutable else ""
        flag += "  [one-way: cannot be undone]" if self.one_way else ""
        return f"{self.path}: {self.legacy.text()} -> {ours}{flag}"

    def as_json(self) -> dict[str, Any]:
        return {
            "property": self.path,
            "legacy": self.legacy.value,
            "legacySource": self.legacy.source,
            "ours": self.ours,
            "immutable": self.immutable,
            "oneWay": self.one_way,
        }


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict) and value:
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, dict):
        return "{}"
    return str(value)


def _flatten(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    """Leaf paths of the inputs; tags stay one value (they change as a whole)."""
    if isinstance(value, dict) and value and prefix != "tags":
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, value


def changes(type_: str, inputs: Mapping[str, Any]) -> list[Change]:
    """What the program's ``inputs`` (wire names, as shown in the plan) change on an adopted
    resource of ``type_``, from what the legacy template deployed; sorted by path."""
    legacy = LEGACY.get(type_, {})
    immutable = IMMUTABLE.get(type_, frozenset())
    one_way = ONE_WAY.get(type_, frozenset())
    ours = dict(_flatten(dict(inputs)))
    found: list[Change] = []
    for path in sorted(set(ours) | set(legacy)):
        before = legacy.get(path, Legacy(None))
        if before.source == FROM_STACK:
            continue
        after = ours.get(path)
        if isinstance(after, float) and after.is_integer():
            after = int(after)
        if after != before.value:
            found.append(Change(path, before, after, path in immutable, path in one_way))
    return found
