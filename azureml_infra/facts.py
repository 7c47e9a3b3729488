"""Facts the program, the offline tools and the policy pack share, each written down once.

Pure Python with no third-party import (no Pulumi SDK, no pydantic): the policy pack runs in
its own venv (``.venv-policy``) and imports this module from the repository root.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

# The Pulumi project: the `name:` in Pulumi.yaml and the namespace of every config key
# (a test holds Pulumi.yaml to it).
PROJECT = "azureml-infra"

# What a secret value looks like wherever it is shown without being decrypted: the offline
# plan, the policy run's input, the harness's stand-in for `secure:` config values.
SECRET_PLACEHOLDER = "[secret]"

# --- resource types --------------------------------------------------------------------

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
KEY_VAULT = "azure-native:keyvault:Vault"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
APPLICATION_INSIGHTS = "azure-native:applicationinsights:Component"
CONTAINER_REGISTRY = "azure-native:containerregistry:Registry"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
ML_COMPUTE = "azure-native:machinelearningservices:Compute"
ML_DATASTORE = "azure-native:machinelearningservices:Datastore"
MANAGEMENT_LOCK = "azure-native:authorization:ManagementLockByScope"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
MONITOR_SCOPE = "azure-native:monitor:PrivateLinkScope"
MONITOR_SCOPED_RESOURCE = "azure-native:monitor:PrivateLinkScopedResource"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ML_REGISTRY = "azure-native:machinelearningservices:Registry"
AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"
K8S_EXTENSION = "azure-native:kubernetesconfiguration:Extension"
DATA_COLLECTION_RULE = "azure-native:monitor:DataCollectionRule"
DATA_COLLECTION_RULE_ASSOCIATION = "azure-native:monitor:DataCollectionRuleAssociation"
# The Foundry resource (a Cognitive Services account of kind AIServices), its model deployments
# and projects, and the ML workspace's connections (docs/foundry.md).
FOUNDRY_ACCOUNT = "azure-native:cognitiveservices:Account"
FOUNDRY_DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
FOUNDRY_PROJECT = "azure-native:cognitiveservices:Project"
ML_CONNECTION = "azure-native:machinelearningservices:WorkspaceConnection"
BUDGET = "azure-native:consumption:Budget"

# --- how Azure Resource Manager knows each type ---------------------------------------------


@dataclass(frozen=True)
class ArmType:
    """How Azure Resource Manager knows a Pulumi resource type.

    - ``type``: the ARM resource type. Its namespace is the resource provider to register, and
      ``<type>/write`` the action that creates one (the preflight).
    - ``name_input``: the Pulumi input (wire name) that holds the resource's Azure name.
    - ``path``: its ARM id below ``/subscriptions/<s>/resourceGroups/<g>/providers/``, with the
      inputs in braces; ``""`` for the resource group itself; from the root when it starts with
      ``{resourceUri}`` (an extension resource, under the resource it is set on).
    - ``parent_input``: the input naming the resource the path puts this one under.

    Name input and path are written for the types the mock harness gives ARM ids (and the
    adoption imports by id); without them a type gets a mock id and its logical name as Azure
    name in the offline plan, as the lock does.
    """

    type: str
    name_input: str | None = None
    path: str | None = None
    parent_input: str | None = None

    @property
    def namespace(self) -> str:
        return self.type.split("/", 1)[0]


def _arm(type_: str, name_input: str, path: str, parent_input: str | None = None) -> ArmType:
    return ArmType(type_, name_input, path, parent_input)


# Pulumi type -> ARM type, name input and id path: one table for the mock harness (Azure names
# and ids), the adoption (import ids) and the preflight (providers and write actions). ARM types
# as the azure-native registry's resource pages name them; id paths in the REST API's form, with
# the inputs' wire names in braces.
ARM_TYPES: dict[str, ArmType] = {
    RESOURCE_GROUP: _arm("Microsoft.Resources/resourceGroups", "resourceGroupName", ""),
    STORAGE_ACCOUNT: _arm("Microsoft.Storage/storageAccounts", "accountName",
                          "Microsoft.Storage/storageAccounts/{accountName}"),
    BLOB_CONTAINER: _arm("Microsoft.Storage/storageAccounts/blobServices/containers", "containerName",
                         "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/"
                         "containers/{containerName}",
                         "accountName"),
    KEY_VAULT: _arm("Microsoft.KeyVault/vaults", "vaultName", "Microsoft.KeyVault/vaults/{vaultName}"),
    LOG_ANALYTICS: _arm("Microsoft.OperationalInsights/workspaces", "workspaceName",
                        "Microsoft.OperationalInsights/workspaces/{workspaceName}"),
    APPLICATION_INSIGHTS: _arm("Microsoft.Insights/components", "resourceName",
                               "Microsoft.Insights/components/{resourceName}"),
    CONTAINER_REGISTRY: _arm("Microsoft.ContainerRegistry/registries", "registryName",
                             "Microsoft.ContainerRegistry/registries/{registryName}"),
    ML_WORKSPACE: _arm("Microsoft.MachineLearningServices/workspaces", "workspaceName",
                       "Microsoft.MachineLearningServices/workspaces/{workspaceName}"),
    ML_COMPUTE: _arm("Microsoft.MachineLearningServices/workspaces/computes", "computeName",
                     "Microsoft.MachineLearningServices/workspaces/{workspaceName}/computes/{computeName}",
                     "workspaceName"),
    ML_DATASTORE: _arm("Microsoft.MachineLearningServices/workspaces/datastores", "name",
                       "Microsoft.MachineLearningServices/workspaces/{workspaceName}/datastores/{name}",
                       "workspaceName"),
    "azure-native:machinelearningservices:ManagedNetworkSettingsRule": _arm(
        "Microsoft.MachineLearningServices/workspaces/outboundRules", "ruleName",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/outboundRules/{ruleName}", "workspaceName"),
    ML_REGISTRY: _arm("Microsoft.MachineLearningServices/registries", "registryName",
                      "Microsoft.MachineLearningServices/registries/{registryName}"),
    AKS_CLUSTER: _arm("Microsoft.ContainerService/managedClusters", "resourceName",
                      "Microsoft.ContainerService/managedClusters/{resourceName}"),
    # An extension is a child of its cluster: {cluster id}/providers/Microsoft.KubernetesConfiguration/...
    K8S_EXTENSION: _arm("Microsoft.KubernetesConfiguration/extensions", "extensionName",
                        "Microsoft.ContainerService/managedClusters/{clusterName}/providers/"
                        "Microsoft.KubernetesConfiguration/extensions/{extensionName}", "clusterName"),
    # Really {scope}/providers/...; an id under the group is close enough for the mocks.
    ROLE_ASSIGNMENT: _arm("Microsoft.Authorization/roleAssignments", "roleAssignmentName",
                          "Microsoft.Authorization/roleAssignments/{roleAssignmentName}"),
    USER_ASSIGNED_IDENTITY: _arm("Microsoft.ManagedIdentity/userAssignedIdentities", "resourceName",
                                 "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}"),
    FOUNDRY_ACCOUNT: _arm("Microsoft.CognitiveServices/accounts", "accountName",
                          "Microsoft.CognitiveServices/accounts/{accountName}"),
    FOUNDRY_DEPLOYMENT: _arm("Microsoft.CognitiveServices/accounts/deployments", "deploymentName",
                             "Microsoft.CognitiveServices/accounts/{accountName}/deployments/{deploymentName}",
                             "accountName"),
    FOUNDRY_PROJECT: _arm("Microsoft.CognitiveServices/accounts/projects", "projectName",
                          "Microsoft.CognitiveServices/accounts/{accountName}/projects/{projectName}", "accountName"),
    ML_CONNECTION: _arm("Microsoft.MachineLearningServices/workspaces/connections", "connectionName",
                        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/connections/{connectionName}",
                        "workspaceName"),
    # An extension resource: its id is under the resource it is set on (a path from the root).
    # Container insights of a created AKS cluster: the rule, and its association, an extension
    # resource of the cluster (Microsoft.Insights 2022-06-01, the SDK's API version).
    DATA_COLLECTION_RULE: _arm("Microsoft.Insights/dataCollectionRules", "dataCollectionRuleName",
                               "Microsoft.Insights/dataCollectionRules/{dataCollectionRuleName}"),
    DATA_COLLECTION_RULE_ASSOCIATION: _arm(
        "Microsoft.Insights/dataCollectionRuleAssociations", "associationName",
        "{resourceUri}/providers/Microsoft.Insights/dataCollectionRuleAssociations/{associationName}", "resourceUri"),
    DIAGNOSTIC_SETTING: _arm("Microsoft.Insights/diagnosticSettings", "name",
                             "{resourceUri}/providers/Microsoft.Insights/diagnosticSettings/{name}", "resourceUri"),
    # The Azure Monitor private link scope and its scoped resources (network.privateEndpoints.monitor).
    MONITOR_SCOPE: _arm("Microsoft.Insights/privateLinkScopes", "scopeName",
                        "Microsoft.Insights/privateLinkScopes/{scopeName}"),
    MONITOR_SCOPED_RESOURCE: _arm("Microsoft.Insights/privateLinkScopes/scopedResources", "name",
                                  "Microsoft.Insights/privateLinkScopes/{scopeName}/scopedResources/{name}",
                                  "scopeName"),
    "azure-native:network:VirtualNetwork": _arm("Microsoft.Network/virtualNetworks", "virtualNetworkName",
                                                "Microsoft.Network/virtualNetworks/{virtualNetworkName}"),
    "azure-native:network:NetworkSecurityGroup": _arm(
        "Microsoft.Network/networkSecurityGroups", "networkSecurityGroupName",
        "Microsoft.Network/networkSecurityGroups/{networkSecurityGroupName}"),
    "azure-native:network:PrivateEndpoint": _arm("Microsoft.Network/privateEndpoints", "privateEndpointName",
                                                 "Microsoft.Network/privateEndpoints/{privateEndpointName}"),
    "azure-native:network:PrivateDnsZoneGroup": _arm(
        "Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "privateDnsZoneGroupName",
        "Microsoft.Network/privateEndpoints/{privateEndpointName}/privateDnsZoneGroups/{privateDnsZoneGroupName}",
        "privateEndpointName"),
    "azure-native:privatedns:PrivateZone": _arm("Microsoft.Network/privateDnsZones", "privateZoneName",
                                                "Microsoft.Network/privateDnsZones/{privateZoneName}"),
    "azure-native:privatedns:VirtualNetworkLink": _arm(
        "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "virtualNetworkLinkName",
        "Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}",
        "privateZoneName"),
    # ARM types only (see ArmType).
    MANAGEMENT_LOCK: ArmType("Microsoft.Authorization/locks"),
    "azure-native:managedidentity:FederatedIdentityCredential": ArmType(
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials"),
    "azure-native:network:Subnet": ArmType("Microsoft.Network/virtualNetworks/subnets"),
    "azure-native:containerservice:TrustedAccessRoleBinding": ArmType(
        "Microsoft.ContainerService/managedClusters/trustedAccessRoleBindings"),
    # An extension resource at its scope (the stack's resource group): {scope}/providers/...
    BUDGET: ArmType("Microsoft.Consumption/budgets", "budgetName"),
}


def resource_id(type_: str, subscription_id: str, resource_group: str, inputs: Mapping[str, object]) -> str:
    """The ARM id of a resource of Pulumi type ``type_`` from its inputs (``ARM_TYPES``' path).

    KeyError when the table has no path for the type or an input the path names is missing.
    """
    path = ARM_TYPES[type_].path
    if path is None:
        raise KeyError(type_)
    if path.startswith("{resourceUri}"):
        return path.format(**inputs)
    group = f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
    return f"{group}/providers/{path.format(**inputs)}" if path else group


# Resources that hold data, secrets or history: losing one loses more than a redeploy gives
# back. With `protect: true` the program protects (and retains on delete) exactly these, and
# the policy pack requires that in prod; a test holds the program to this set.
STATEFUL_TYPES = frozenset(
    {
        RESOURCE_GROUP,
        STORAGE_ACCOUNT,  # the workspace's storage and the data lake
        BLOB_CONTAINER,  # the data lake's containers
        KEY_VAULT,
        LOG_ANALYTICS,
        APPLICATION_INSIGHTS,
        CONTAINER_REGISTRY,
        ML_WORKSPACE,
        # The workspace's user-assigned identity holds no data, but replacing it makes a new
        # principal: every grant to the old one (on shared data, in other subscriptions) is lost.
        USER_ASSIGNED_IDENTITY,
        ML_REGISTRY,  # the shared Azure ML registry: every promoted model and environment
        # The Foundry account and its projects: the projects' files, threads and agents live there,
        # and a deleted account keeps its globally unique subdomain for 48 hours (docs/foundry.md).
        FOUNDRY_ACCOUNT,
        FOUNDRY_PROJECT,
    }
)

# Of those, the ones that also get an Azure CanNotDelete lock with `protect: true`: `protect`
# stops Pulumi, a lock stops a person in the portal or a script. Not the workspace, nor its
# resource group: a lock is inherited by child resources, so one on the workspace would make
# deleting a compute or an endpoint fail, and one on the group stops cluster autoscale from
# removing nodes ("Lock your resources", azure-resource-manager/management/lock-resources);
# Azure ML's managed network asks for no scope locks on them (how-to-managed-network,
# Limitations). The workspace's history lives in its storage, which is locked.
# The Foundry account is locked too (README, Locks, says what the lock stops): its projects' data
# has no copy elsewhere; the lock is inherited by its deployments and projects, which then cannot
# be deleted without lifting it, a price the registry's model versions would pay daily but a
# stack's few deployments rarely do.
LOCKED_TYPES = frozenset({STORAGE_ACCOUNT, KEY_VAULT, CONTAINER_REGISTRY, FOUNDRY_ACCOUNT})

# Input paths Azure takes only when it creates a resource: a change there replaces the resource
# (or Azure refuses it), so nothing that holds data may see one by accident. Adoption's change
# list flags them, and the URN snapshot (tools/urn_snapshot.py) records them for every stateful
# resource, so a change fails the suite until it is regenerated on purpose.
# - storage: the kind and the hierarchical namespace ("can't be changed after the account is
#   created", azure-docs storage/blobs/create-data-lake-storage-account.md);
# - key vault: its soft-delete retention (Azure refuses any change once set);
# - workspace: its storage and key vault, high business impact, and data isolation ("can only be
#   configured when creating a workspace", azure-ai-docs how-to-identity-based-service-authentication.md);
#   its customer-managed key and service-side encryption ("the key is provided when you create your
#   workspace", azure-ai-docs concept-customer-managed-keys.md);
# - container registry: zone redundancy ("Region conversions to availability zones aren't
#   currently supported", azure-docs container-registry/zone-redundancy.md);
# - compute: its VM size and subnet.
CREATE_ONLY: dict[str, frozenset[str]] = {
    STORAGE_ACCOUNT: frozenset({"isHnsEnabled", "kind"}),
    KEY_VAULT: frozenset({"properties.softDeleteRetentionInDays"}),
    ML_WORKSPACE: frozenset({"storageAccount", "keyVault", "hbiWorkspace", "enableDataIsolation", "encryption",
                             "enableServiceSideCMKEncryption"}),
    CONTAINER_REGISTRY: frozenset({"zoneRedundancy"}),
    ML_COMPUTE: frozenset({"properties.properties.vmSize", "properties.properties.subnet.id"}),
    # Foundry account: its kind, and its custom subdomain ("After you create a custom subdomain
    # name, it can't be changed": azure-ai-docs articles/ai-services/cognitive-services-custom-subdomains.md).
    FOUNDRY_ACCOUNT: frozenset({"kind", "properties.customSubDomainName"}),
    # AKS cluster (not stateful, so the URN snapshot does not record it; docs/kubernetes.md,
    # "Hardening", says how to change one): a private API server (AKS makes an existing public
    # cluster private only through API Server VNet Integration, which is not used here:
    # azure-aks-docs articles/aks/private-clusters.md, api-server-vnet-integration.md), and
    # the node pool's OS disk type ("May not be changed after creation", ARM schema 2025-09-01
    # ManagedClusterAgentPoolProfileProperties.osDiskType), host encryption and pods per node,
    # which AKS takes only for a new node pool (enable-host-encryption.md, azure-cni-overlay.md),
    # and the SDK does not update in agentPoolProfiles at all (ManagedCluster's docstring).
    AKS_CLUSTER: frozenset({
        "apiServerAccessProfile.enablePrivateCluster",
        "agentPoolProfiles.0.osDiskType",
        "agentPoolProfiles.0.enableEncryptionAtHost",
        "agentPoolProfiles.0.maxPods",
    }),
}

# --- ISO 8601 durations ------------------------------------------------------------------

# Days, hours, minutes and whole seconds, as Azure ML writes them (PT15M, P1DT12H). Years and
# months have no fixed length, so they are not accepted; a T must be followed by a part.
DURATION_RE = re.compile(
    r"P(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


def parse_duration(value: object) -> timedelta | None:
    """The length of an ISO 8601 duration such as PT15M or P1DT12H; None when it is not one."""
    match = DURATION_RE.fullmatch(value) if isinstance(value, str) else None
    if not match or value == "P":
        return None
    return timedelta(**{unit: int(n) for unit, n in match.groupdict().items() if n})
