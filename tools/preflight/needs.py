"""What a stack needs from Azure, derived from its offline plan (pure: no third-party import).

``derive_needs`` walks the resources the program registers (``tools.harness`` records them) rather
than the config sections, so a section added later is covered as soon as its resource types
are known in ``azureml_infra.facts.ARM_TYPES``:

- the ARM type of every resource created, hence its resource provider and the ``.../write``
  action the deploying identity needs (``Microsoft.Authorization/roleAssignments/write`` for
  role assignments, ``Microsoft.Authorization/locks/write`` for locks);
- the globally unique names (storage accounts, key vaults, container registries);
- the Azure ML computes and what they can scale to (VM size, most nodes, priority);
- the AKS clusters created and the Kubernetes version each asks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from azureml_infra import facts
from azureml_infra.facts import ARM_TYPES
from tools.preflight.encryption_needs import encryption_needs
from tools.preflight.foundry_needs import foundry_needs

# The subscription of the offline plan's mock ids (tools.harness.SUBSCRIPTION_ID); replaced by
# this placeholder, which the preflight fills with the real subscription.
MOCK_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
SUBSCRIPTION_PLACEHOLDER = "{subscriptionId}"

RESOURCE_GROUP_TYPE = ARM_TYPES[facts.RESOURCE_GROUP].type
# A resource group is created at the subscription: its action is under subscriptions/.
RESOURCE_GROUP_WRITE = "Microsoft.Resources/subscriptions/resourceGroups/write"

# Pulumi azure-native module -> resource provider namespace, for a type ARM_TYPES does not know:
# the modules of the types it knows, and three more.
MODULE_NAMESPACES: dict[str, str] = {
    **{pulumi_type.split(":")[1]: arm.namespace for pulumi_type, arm in ARM_TYPES.items()},
    "insights": "Microsoft.Insights",
    "documentdb": "Microsoft.DocumentDB",
    "search": "Microsoft.Search",
}

# Names unique across Azure, and how to ask whether one is free (the kind the preflight's
# name check dispatches on).
GLOBAL_NAME_KINDS: dict[str, str] = {
    "Microsoft.Storage/storageAccounts": "storageAccount",
    "Microsoft.KeyVault/vaults": "keyVault",
    "Microsoft.ContainerRegistry/registries": "containerRegistry",
}

# Using an existing resource from another one is an action of its own on the used resource,
# checked by ARM at deployment ("LinkedAuthorizationFailed"): joining a subnet (clusters,
# instances, private endpoints; MicrosoftDocs azure-docs, virtual-network-manage-subnet.md,
# "Permissions") and assigning a user-assigned identity (managed-identities-azure-resources/
# how-manage-user-assigned-managed-identities.md, Managed Identity Operator). ARM type -> action.
LINKED_ACTIONS: dict[str, str] = {
    "Microsoft.Network/virtualNetworks/subnets": "Microsoft.Network/virtualNetworks/subnets/join/action",
    "Microsoft.ManagedIdentity/userAssignedIdentities": "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
}
# An ARM id inside the inputs: its group and its type (namespace/type[/name/type...]/name).
_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/(?P<group>[^/]+)/providers/(?P<ns>[^/]+)/(?P<rest>.+)$",
                 re.IGNORECASE)
# Compute types that attach a Kubernetes cluster: AKS needs Microsoft.ContainerService (the
# resource-provider table of the Azure ML docs, cited below).
KUBERNETES_COMPUTE_TYPES = frozenset({"Kubernetes", "AKS"})

# Providers the Azure ML docs require for a workspace (MicrosoftDocs azure-ai-docs,
# articles/machine-learning/includes/machine-learning-resource-provider.md), beyond those of the
# resource types the stack creates. The same table adds Microsoft.ContainerService for AKS,
# Microsoft.DocumentDB and Microsoft.Search for customer-managed keys, and Microsoft.Network for
# a managed virtual network.
WORKSPACE_PROVIDERS = (
    "Microsoft.MachineLearningServices",
    "Microsoft.Storage",
    "Microsoft.ContainerRegistry",
    "Microsoft.KeyVault",
    "Microsoft.Notebooks",
)
ML_WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces"
# Registered in every subscription; never worth a call.
ALWAYS_REGISTERED = frozenset({"Microsoft.Resources", "Microsoft.Authorization"})


def arm_type_of(pulumi_type: str) -> str | None:
    """The ARM resource type of a Pulumi type, or None when facts.ARM_TYPES does not know it."""
    arm = ARM_TYPES.get(pulumi_type)
    return arm.type if arm else None


def namespace_of(pulumi_type: str, arm_type: str | None) -> str | None:
    if arm_type:
        return arm_type.split("/")[0]
    parts = pulumi_type.split(":")
    return MODULE_NAMESPACES.get(parts[1]) if len(parts) == 3 else None


def _number(value: Any, default: int = 0) -> int:
    return int(value) if isinstance(value, int | float) else default


def _compute(resource: Mapping[str, Any]) -> dict[str, Any] | None:
    """An AmlCompute cluster or compute instance: what Azure ML's vCPU quota counts."""
    properties = resource.get("inputs", {}).get("properties") or {}
    if not isinstance(properties, dict):
        return None
    kind = properties.get("computeType")
    inner = properties.get("properties") or {}
    if kind == "AmlCompute":
        scale = inner.get("scaleSettings") or {}
        return {
            "name": resource.get("azureName") or resource.get("name"),
            "kind": "cluster",
            "vmSize": inner.get("vmSize"),
            "maxNodes": _number(scale.get("maxNodeCount"), 1),
            "priority": inner.get("vmPriority") or "Dedicated",
        }
    if kind == "ComputeInstance":
        # A compute instance is one dedicated VM (assumed to draw on the same dedicated family
        # quota as clusters; see docs/preflight.md, "What it cannot tell").
        return {
            "name": resource.get("azureName") or resource.get("name"),
            "kind": "instance",
            "vmSize": inner.get("vmSize"),
            "maxNodes": 1,
            "priority": "Dedicated",
        }
    return None


def _scope(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith("/subscriptions/"):
        return None
    return value.replace(f"/subscriptions/{MOCK_SUBSCRIPTION}", f"/subscriptions/{SUBSCRIPTION_PLACEHOLDER}", 1)


def _group_of(scope: str) -> str | None:
    match = re.match(r"^/subscriptions/[^/]+/resourceGroups/([^/]+)", scope, re.IGNORECASE)
    return match.group(1) if match else None


def _ids_in(value: Any) -> Iterator[str]:
    """Every ARM resource id among the (nested) input values."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids_in(item)
    elif isinstance(value, str) and _ID.match(value):
        yield value


def _linked(resource_id: str) -> tuple[str, str] | None:
    """(group, action) when using ``resource_id`` needs an action on it (LINKED_ACTIONS)."""
    match = _ID.match(resource_id)
    if not match:
        return None
    parts = match["rest"].strip("/").split("/")
    arm_type = "/".join([match["ns"], *parts[0::2]])
    action = next((a for t, a in LINKED_ACTIONS.items() if t.lower() == arm_type.lower()), None)
    return (match["group"], action) if action else None


def _workspace_providers(resource: Mapping[str, Any]) -> set[str]:
    """Providers a workspace needs for what its inputs turn on (WORKSPACE_PROVIDERS' source)."""
    inputs = resource.get("inputs") or {}
    providers = set(WORKSPACE_PROVIDERS)
    network = inputs.get("managedNetwork") or {}
    if isinstance(network, dict) and network.get("isolationMode") not in (None, "Disabled"):
        providers.add("Microsoft.Network")  # a managed VNet
    if inputs.get("encryption"):
        providers |= {"Microsoft.DocumentDB", "Microsoft.Search"}  # customer-managed keys
    return providers


def _kubernetes_cluster(
    resource: Mapping[str, Any], location: str, version_keys: Mapping[str, str]
) -> dict[str, Any] | None:
    """An AKS cluster the stack creates and the Kubernetes version it asks for (the
    ManagedCluster input ``kubernetesVersion``: major.minor, or major.minor.patch)."""
    inputs = resource.get("inputs") or {}
    version = inputs.get("kubernetesVersion")
    if not isinstance(version, str) or not version:
        return None  # none set: AKS picks its default, which it offers by definition
    name = resource.get("azureName") or resource.get("name")
    where = inputs.get("location")
    pools = inputs.get("agentPoolProfiles")
    pool = pools[0] if isinstance(pools, list) and pools and isinstance(pools[0], dict) else {}
    return {
        "name": name,
        "kubernetesVersion": version,
        "location": where if isinstance(where, str) and where else location,
        "key": version_keys.get(name) if isinstance(name, str) else None,
        # The node pool's VM size and what it asks of that size and of the subscription: an
        # ephemeral OS disk, host encryption (checks.check_aks_nodes).
        "vmSize": pool.get("vmSize"),
        "osDiskType": pool.get("osDiskType"),
        "encryptionAtHost": pool.get("enableEncryptionAtHost") is True,
    }


def derive_needs(
    resources: Iterable[Mapping[str, Any]],
    *,
    stack: str,
    stack_file: str,
    location: str,
    resource_group: str,
    create_resource_group: bool,
    subscription_id: str | None = None,
    name_keys: Mapping[str, str] | None = None,
    version_keys: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The preflight's input: what the stack creates, as plain JSON-ready data.

    ``resources`` are plan entries (``tools.plan`` JSON: type, name, azureName, custom, inputs);
    ``name_keys`` maps an Azure name to the stack-file key that sets it, and ``version_keys`` an
    AKS cluster's Azure name to the key of its Kubernetes version, for the fix text.
    """
    resources = list(resources)  # walked twice: here and by foundry_needs
    providers: set[str] = set()
    actions: dict[str, set[str]] = {}
    created_types: set[str] = set()
    names: list[dict[str, Any]] = []
    computes: list[dict[str, Any]] = []
    clusters: list[dict[str, Any]] = []
    unknown: set[str] = set()
    scopes: dict[str, set[str]] = {}

    def need(action: str, why: str) -> None:
        actions.setdefault(action, set()).add(why)

    if create_resource_group:
        need(RESOURCE_GROUP_WRITE, f"resource group {resource_group}")
    for resource in resources:
        if not resource.get("custom", True):
            continue
        pulumi_type = resource["type"]
        arm_type = arm_type_of(pulumi_type)
        namespace = namespace_of(pulumi_type, arm_type)
        if namespace:
            providers.add(namespace)
        if arm_type is None:
            unknown.add(pulumi_type)
            continue
        if arm_type == RESOURCE_GROUP_TYPE:
            continue  # its action is added above, at the subscription
        created_types.add(arm_type)
        azure_name = resource.get("azureName") or resource.get("name")
        write = f"{arm_type}/write"
        scope = _scope((resource.get("inputs") or {}).get("scope"))
        group = _group_of(scope) if scope else None
        if scope and group and group.lower() != resource_group.lower():
            # An extension resource (a role assignment, a lock) on something outside the stack's
            # group, e.g. a datastore's existing storage account: checked at that scope.
            scopes.setdefault(scope, set()).add(write)
        else:
            # An extension resource is told by what it is on (a role assignment's name is a GUID).
            shown = f"on {scope.rstrip('/').split('/')[-1]}" if scope else azure_name
            need(write, f"{arm_type.split('/')[-1]} {shown}")
        if arm_type in GLOBAL_NAME_KINDS:
            names.append(
                {
                    "kind": GLOBAL_NAME_KINDS[arm_type],
                    "type": arm_type,
                    "name": azure_name,
                    "key": (name_keys or {}).get(azure_name),
                }
            )
        for used in _ids_in(resource.get("inputs") or {}):
            linked = _linked(used)
            if linked is None:
                continue
            used_group, action = linked
            if used_group.lower() == resource_group.lower():
                need(action, f"{used.rstrip('/').split('/')[-1]} (used by {azure_name})")
            else:
                scopes.setdefault(_scope(used) or used, set()).add(action)
        if arm_type == ML_WORKSPACE_TYPE:
            providers |= _workspace_providers(resource)
        if pulumi_type == "azure-native:machinelearningservices:Compute":
            properties = (resource.get("inputs") or {}).get("properties")
            if isinstance(properties, dict) and properties.get("computeType") in KUBERNETES_COMPUTE_TYPES:
                providers.add("Microsoft.ContainerService")
            compute = _compute(resource)
            if compute:
                computes.append(compute)
        if pulumi_type == facts.AKS_CLUSTER:
            cluster = _kubernetes_cluster(resource, location, version_keys or {})
            if cluster:
                clusters.append(cluster)
    return {
        "stack": stack,
        "stackFile": stack_file,
        "subscriptionId": subscription_id,
        "location": location,
        "resourceGroup": {"name": resource_group, "create": create_resource_group},
        "providers": sorted(providers - ALWAYS_REGISTERED),
        "createdTypes": sorted(created_types),
        "actions": [{"action": a, "for": sorted(w)} for a, w in sorted(actions.items())],
        "externalScopes": [{"scope": s, "actions": sorted(a)} for s, a in sorted(scopes.items())],
        "globalNames": sorted(names, key=lambda n: (n["kind"], n["name"])),
        "computes": computes,
        "kubernetesClusters": clusters,
        "unknownTypes": sorted(unknown),
        # The Foundry accounts and model deployments (tools/preflight/foundry_needs.py).
        **foundry_needs(resources),
        # The workspaces' customer-managed keys (tools/preflight/encryption.py).
        **encryption_needs(resources),
    }
