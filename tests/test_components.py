"""Each component on its own: built under the program's mocks from hand-made specs and ids
(tools.harness.run_component), without ``__main__`` and without a stack file.

What each test asserts is what the component decides from its spec: exactly which resources it
registers, under itself; the inputs the engine receives (names, security flags, role
assignments, locks, protect, secrets); that the ids handed in arrive where they belong; and its
outputs. The ids another component would provide are plain strings here, in a subscription of
their own (GIVEN_SUB), so an id that arrives is told apart from one the mocks made
(SUBSCRIPTION_ID). One run per component and case, shared by its tests (module fixtures).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from azureml_infra.datastore_kinds import AUTHS, KINDS
from azureml_infra.deployment import (
    AccessGrant,
    AksClusterSpec,
    ApplicationInsightsSpec,
    ClusterSpec,
    ContainerRegistrySpec,
    DataStorageSpec,
    DatastoreSpec,
    DiagnosticsSpec,
    DiagnosticTarget,
    EndpointSpec,
    Existing,
    Grant,
    InstanceSpec,
    KeyVaultSpec,
    KubernetesSpec,
    LogAnalyticsSpec,
    ManagedNetworkSpec,
    NetworkSpec,
    OutboundRuleSpec,
    OutboundRulesSpec,
    ReaderGrant,
    RegistrySpec,
    ScopedGrant,
    SshSpec,
    StorageAccountSpec,
    Subnet,
    TlsSpec,
    VnetSpec,
    WorkspaceIdentitySpec,
    WorkspaceSpec,
)
from azureml_infra.naming import network_names
from azureml_infra.roles import Role
from components.access import Access, AccessArgs
from components.compute import ComputesArgs, computes_output, create_computes
from components.datastores import (
    DataStorage,
    DataStorageArgs,
    DatastoresArgs,
    create_datastores,
    datastores_output,
)
from components.diagnostics import Diagnostics, DiagnosticsArgs
from components.kubernetes import KubernetesComputesArgs, create_kubernetes_computes
from components.ml_registry import MachineLearningRegistry, MachineLearningRegistryArgs
from components.network import (
    Network,
    NetworkArgs,
    OutboundRules,
    OutboundRulesArgs,
    PrivateEndpoints,
    PrivateEndpointsArgs,
)
from components.placement import Placement
from components.workspace import MachineLearningWorkspace, WorkspaceArgs
from tests.conftest import mock_principal
from tools.harness import SUBSCRIPTION_ID, Run, is_secret_value, run_component

# Pulumi types.
RG = "azure-native:resources:ResourceGroup"
SA = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
KV = "azure-native:keyvault:Vault"
LOG = "azure-native:operationalinsights:Workspace"
APPI = "azure-native:applicationinsights:Component"
CR = "azure-native:containerregistry:Registry"
MLW = "azure-native:machinelearningservices:Workspace"
UAI = "azure-native:managedidentity:UserAssignedIdentity"
RA = "azure-native:authorization:RoleAssignment"
LOCK = "azure-native:authorization:ManagementLockByScope"
COMPUTE = "azure-native:machinelearningservices:Compute"
AKS = "azure-native:containerservice:ManagedCluster"
EXTENSION = "azure-native:kubernetesconfiguration:Extension"
DS = "azure-native:machinelearningservices:Datastore"
VNET = "azure-native:network:VirtualNetwork"
NSG = "azure-native:network:NetworkSecurityGroup"
PE = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
RULE = "azure-native:machinelearningservices:ManagedNetworkSettingsRule"
ML_REGISTRY = "azure-native:machinelearningservices:Registry"
SETTING = "azure-native:monitor:DiagnosticSetting"
HOLDER = "tests:components:Holder"

# What a deployment would hand the components: its subscription and tenant (not the mocks').
GIVEN_SUB = "44444444-4444-4444-4444-444444444444"
GIVEN_TENANT = "55555555-5555-5555-5555-555555555555"
WORKSPACE_PRINCIPAL = "66666666-6666-6666-6666-666666666666"
CPU_PRINCIPAL = "77777777-7777-7777-7777-777777777777"
GROUP = "6f1c1c43-2b1e-4a52-9e2a-0c2a3f1c7d11"
APP = "0b5e2a1d-9c1f-4a8e-b0c4-2e7d5c9a1f22"
TAGS = {"environment": "test", "managed-by": "pulumi"}
LOCATION = "westeurope"


def given_id(path: str, group: str = "rg-shared", subscription: str = GIVEN_SUB) -> str:
    """The ARM id of a resource some other component (or someone else) made."""
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{path}"


def mock_id(path: str, group: str) -> str:
    """The ARM id the mocks give a resource created in ``group``."""
    return f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/{path}"


def role_definition(role: Role, subscription: str = GIVEN_SUB) -> str:
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role.id}"


def grant(logical_name: str, role: Role = Role.READER, principal_type: str = "ServicePrincipal") -> Grant:
    """A grant as resolve makes one: its Azure name a GUID from config-only keys (here, its logical name)."""
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, logical_name))
    return Grant(logical_name, name, role.id, f"azureml-infra: {logical_name}", principal_type)


def secret(value: Any) -> Any:
    """The plain value of a secret input, failing if it did not arrive as a secret."""
    assert is_secret_value(value), f"not a secret: {value!r}"
    return value["value"]


class Holder(pulumi.ComponentResource):
    """Stands in for the workspace component the program parents computes and datastores to."""

    def __init__(self) -> None:
        super().__init__(HOLDER, "holder")


def tree(run: Run) -> set[tuple[str, str, str | None]]:
    """(type, logical name, its parent's logical name) of every registration; None: the stack."""
    names = {r.urn: r.name for r in run.registrations}
    assert len(names) == len(run.registrations)
    return {(r.type, r.name, names.get(r.parent)) for r in run.registrations}


def stateful_flags(run: Run) -> dict[str, tuple[bool, bool]]:
    """(protect, retainOnDelete) by logical name, where either is set."""
    flagged = [r for r in run.registrations if r.protect or r.retain_on_delete]
    assert len({r.name for r in flagged}) == len(flagged), "two flagged resources share a logical name"
    return {r.name: (r.protect, r.retain_on_delete) for r in flagged}


def built(build: Callable[[], Mapping[str, Any]]) -> Run:
    """The run of ``build``, as a record (no live objects kept for the module's lifetime)."""
    return run_component(build).record()


# --- the workspace and its identity -----------------------------------------------------------

WS_GROUP = "rg-ml-test"
WS_NAME = "mlw-ml-test"


def workspace_spec(**overrides: Any) -> WorkspaceSpec:
    """Everything created, nothing locked or protected, a system-assigned identity, public."""
    spec = WorkspaceSpec(
        name=WS_NAME,
        location=LOCATION,
        tags=TAGS,
        resource_group=WS_GROUP,
        create_resource_group=True,
        storage_account=StorageAccountSpec(
            name="stmltest", sku="Standard_ZRS", kind="StorageV2", access_tier="Hot", https_only=True,
            min_tls_version="TLS1_2", allow_blob_public_access=False, allow_shared_key_access=False,
        ),
        key_vault=KeyVaultSpec(
            name="kv-ml-test", sku="standard", rbac=True, enabled_for_template_deployment=True,
            soft_delete_retention_in_days=7, purge_protection=False,
        ),
        application_insights=ApplicationInsightsSpec("appi-ml-test", LogAnalyticsSpec("log-ml-test", 30)),
        container_registry=ContainerRegistrySpec("crmltest", "Basic", admin_user_enabled=False),
        identity=None,
        public_network_access="Enabled",
    )
    return replace(spec, **overrides)


IDENTITY_GRANTS = (
    ScopedGrant("storageAccount", grant("identity-storage", Role.STORAGE_BLOB_DATA_CONTRIBUTOR)),
    ScopedGrant("keyVault", grant("identity-key-vault", Role.KEY_VAULT_ADMINISTRATOR)),
    ScopedGrant("resourceGroup", grant("identity-resource-group", Role.READER)),
    ScopedGrant("workspace", grant("identity-workspace", Role.AZURE_AI_ADMINISTRATOR)),
)
UAI_NAME = "id-ml-test"
UAI_ID = mock_id(f"Microsoft.ManagedIdentity/userAssignedIdentities/{UAI_NAME}", WS_GROUP)


def workspace_run(spec: WorkspaceSpec) -> Run:
    def build() -> dict[str, Any]:
        ws = MachineLearningWorkspace("workspace", WorkspaceArgs(spec, GIVEN_TENANT, GIVEN_SUB))
        return {
            "ids": ws.ids, "principal_id": ws.principal_id, "client_id": ws.identity_client_id(),
            "workspace_name": ws.workspace_name, "resource_group_name": ws.resource_group_name,
            "storage_account_name": ws.storage_account_name, "key_vault_uri": ws.key_vault_uri,
            "login_server": ws.container_registry_login_server,
            "identity_id": ws.user_assigned_identity.id if ws.user_assigned_identity else None,
        }

    return built(build)


@pytest.fixture(scope="module")
def hardened() -> Run:
    """Everything created, private, protected, with a user-assigned identity and a managed network;
    the storage account and the registry locked, the key vault not (no lock reason)."""
    spec = workspace_spec(
        storage_account=replace(workspace_spec().storage_account, lock="the workspace's storage"),
        key_vault=replace(workspace_spec().key_vault, rbac=False, enabled_for_template_deployment=False,
                          soft_delete_retention_in_days=90, purge_protection=True),
        container_registry=ContainerRegistrySpec("crmltest", "Premium", False, lock="the workspace's images"),
        identity=WorkspaceIdentitySpec(UAI_NAME, None, IDENTITY_GRANTS),
        public_network_access="Disabled",
        private=True,
        image_build_compute="cpu-compute",
        system_datastores_auth_mode="identity",
        managed_network=ManagedNetworkSpec(isolation="AllowOnlyApprovedOutbound", firewall_sku="Standard"),
        protect=True,
    )
    return workspace_run(spec)


def ws_id(path: str) -> str:
    """The mock id of a resource the workspace component creates in its group."""
    return mock_id(path, WS_GROUP)


SA_ID = ws_id("Microsoft.Storage/storageAccounts/stmltest")
KV_ID = ws_id("Microsoft.KeyVault/vaults/kv-ml-test")
LOG_ID = ws_id("Microsoft.OperationalInsights/workspaces/log-ml-test")
APPI_ID = ws_id("Microsoft.Insights/components/appi-ml-test")
CR_ID = ws_id("Microsoft.ContainerRegistry/registries/crmltest")
MLW_ID = ws_id(f"Microsoft.MachineLearningServices/workspaces/{WS_NAME}")
WS_COMPONENT = "azureml-infra:workspace:MachineLearningWorkspace"
IDENTITY_COMPONENT = "azureml-infra:identity:WorkspaceIdentity"


def test_hardened_workspace_registers_its_dependencies_identity_grants_and_locks_under_itself(hardened):
    assert tree(hardened) == {
        (WS_COMPONENT, "workspace", None),
        (RG, "resource-group", "workspace"),
        (SA, "storage-account", "workspace"),
        (KV, "key-vault", "workspace"),
        (LOG, "log-analytics", "workspace"),
        (APPI, "application-insights", "workspace"),
        (CR, "container-registry", "workspace"),
        (MLW, "workspace", "workspace"),
        # A lock for each dependency with a lock reason: the key vault has none.
        (LOCK, "storage-account-lock", "workspace"),
        (LOCK, "container-registry-lock", "workspace"),
        (IDENTITY_COMPONENT, "workspace-identity", "workspace"),
        (UAI, "workspace-identity", "workspace-identity"),
        (RA, "identity-storage", "workspace-identity"),
        (RA, "identity-key-vault", "workspace-identity"),
        (RA, "identity-resource-group", "workspace-identity"),
        (RA, "identity-workspace", "workspace-identity"),
    }


def test_protect_keeps_every_stateful_resource_and_only_those(hardened):
    stateful = {"resource-group", "storage-account", "key-vault", "log-analytics", "application-insights",
                "container-registry", "workspace", "workspace-identity"}
    assert stateful_flags(hardened) == dict.fromkeys(stateful, (True, True))
    # Role assignments are replaced by deleting first (their names are fixed); nothing else is.
    assert {r.name for r in hardened.registrations if r.delete_before_replace} == {
        "identity-storage", "identity-key-vault", "identity-resource-group", "identity-workspace"}
    # Only the custom resources of those names: the components themselves are not protected.
    assert {r.type for r in hardened.registrations if r.protect} == {RG, SA, KV, LOG, APPI, CR, MLW, UAI}


def test_a_lock_is_on_the_resource_its_reason_names(hardened):
    locks = {r.name: r.inputs for r in hardened.of_type(LOCK)}
    assert {name: (i["scope"], i["level"], i["lockName"]) for name, i in locks.items()} == {
        "storage-account-lock": (SA_ID, "CanNotDelete", "azureml-infra-do-not-delete"),
        "container-registry-lock": (CR_ID, "CanNotDelete", "azureml-infra-do-not-delete"),
    }
    assert locks["storage-account-lock"]["notes"] == (
        "azureml-infra: protects the workspace's storage from deletion. Remove this lock on purpose only "
        "(README, Locks).")
    assert hardened.one(LOCK, "storage-account-lock").dependencies == [hardened.one(SA).urn]


def test_private_storage_is_closed_and_keeps_its_spec(hardened):
    inputs = hardened.one(SA).inputs
    assert {k: inputs[k] for k in ("accountName", "resourceGroupName", "sku", "kind", "accessTier", "location",
                                   "tags")} == {
        "accountName": "stmltest", "resourceGroupName": WS_GROUP, "sku": {"name": "Standard_ZRS"},
        "kind": "StorageV2", "accessTier": "Hot", "location": LOCATION, "tags": TAGS,
    }
    assert (inputs["enableHttpsTrafficOnly"], inputs["minimumTlsVersion"], inputs["allowBlobPublicAccess"],
            inputs["allowSharedKeyAccess"], inputs["isHnsEnabled"]) == (True, "TLS1_2", False, False, False)
    assert inputs["publicNetworkAccess"] == "Disabled"
    assert inputs["networkRuleSet"] == {"bypass": "AzureServices", "defaultAction": "Deny"}


def test_private_key_vault_with_access_policies_and_purge_protection(hardened):
    vault = hardened.one(KV)
    props = vault.inputs["properties"]
    assert vault.inputs["vaultName"] == "kv-ml-test"
    assert props["tenantId"] == GIVEN_TENANT
    assert props["sku"] == {"family": "A", "name": "standard"}
    assert (props["enableRbacAuthorization"], props["enableSoftDelete"], props["softDeleteRetentionInDays"],
            props["enablePurgeProtection"]) == (False, True, 90, True)
    assert props["enabledForTemplateDeployment"] is False  # the SDK's default: the component leaves it out
    assert props["publicNetworkAccess"] == "disabled"
    assert props["networkAcls"] == {"bypass": "AzureServices", "defaultAction": "Deny"}
    # Access policies are someone else's (Azure ML adds the workspace's): never rewritten.
    assert vault.ignore_changes == ["properties.accessPolicies"]


def test_private_registry_is_closed(hardened):
    inputs = hardened.one(CR).inputs
    assert (inputs["registryName"], inputs["sku"], inputs["adminUserEnabled"]) == ("crmltest", {"name": "Premium"}, False)
    assert (inputs["publicNetworkAccess"], inputs["networkRuleBypassOptions"], inputs["networkRuleSet"]) == (
        "Disabled", "AzureServices", {"defaultAction": "Deny"})


def test_application_insights_is_backed_by_the_log_analytics_workspace_it_creates(hardened):
    assert hardened.one(LOG).inputs["workspaceName"] == "log-ml-test"
    assert hardened.one(LOG).inputs["retentionInDays"] == 30
    inputs = hardened.one(APPI).inputs
    assert (inputs["resourceName"], inputs["workspaceResourceId"], inputs["ingestionMode"]) == (
        "appi-ml-test", LOG_ID, "LogAnalytics")


def test_hardened_workspace_links_its_dependencies_and_runs_as_its_identity(hardened):
    inputs = hardened.one(MLW).inputs
    assert (inputs["workspaceName"], inputs["friendlyName"], inputs["resourceGroupName"]) == (WS_NAME, WS_NAME, WS_GROUP)
    assert (inputs["storageAccount"], inputs["keyVault"], inputs["applicationInsights"], inputs["containerRegistry"]) == (
        SA_ID, KV_ID, APPI_ID, CR_ID)
    assert inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [UAI_ID]}
    assert inputs["primaryUserAssignedIdentity"] == UAI_ID
    assert (inputs["publicNetworkAccess"], inputs["imageBuildCompute"], inputs["systemDatastoresAuthMode"]) == (
        "Disabled", "cpu-compute", "identity")


def test_the_managed_network_is_on_the_workspace_without_its_rules(hardened):
    inputs = hardened.one(MLW).inputs
    assert inputs["provisionNetworkNow"] is True
    # Its rules are resources of their own (OutboundRules), never inline.
    assert inputs["managedNetwork"] == {"isolationMode": "AllowOnlyApprovedOutbound", "firewallSku": "Standard",
                                        "enableNetworkMonitor": False}  # the SDK's default


def test_the_created_identity_holds_its_roles_before_the_workspace_and_on_it_after(hardened):
    principal = mock_principal(UAI_ID)
    assert hardened.one(UAI).inputs["resourceName"] == UAI_NAME
    scopes = {"identity-storage": SA_ID, "identity-key-vault": KV_ID,
              "identity-resource-group": f"/subscriptions/{GIVEN_SUB}/resourceGroups/{WS_GROUP}",
              "identity-workspace": MLW_ID}
    for target, spec in zip(scopes, IDENTITY_GRANTS, strict=True):
        assignment = hardened.one(RA, target)
        assert assignment.inputs == {
            "roleAssignmentName": spec.grant.name,
            "roleDefinitionId": f"/subscriptions/{GIVEN_SUB}/providers/Microsoft.Authorization/roleDefinitions/"
                                f"{spec.grant.role_id}",
            "principalId": principal,
            "principalType": "ServicePrincipal",
            "scope": scopes[target],
            "description": spec.grant.description,
        }, target
        assert assignment.delete_before_replace, target
    workspace = hardened.one(MLW)
    before = {"identity-storage", "identity-key-vault", "identity-resource-group"}
    assert {hardened.by_urn(u).name for u in workspace.dependencies if hardened.by_urn(u).type == RA} == before
    assert workspace.urn in hardened.one(RA, "identity-workspace").dependencies


def test_hardened_workspace_outputs(hardened):
    outputs = {k: o.value for k, o in hardened.outputs.items()}
    assert outputs["ids"] == {
        "resourceGroup": f"/subscriptions/{GIVEN_SUB}/resourceGroups/{WS_GROUP}",
        "storageAccount": SA_ID, "keyVault": KV_ID, "logAnalytics": LOG_ID, "applicationInsights": APPI_ID,
        "containerRegistry": CR_ID, "workspace": MLW_ID,
    }
    assert outputs["principal_id"] == mock_principal(UAI_ID)
    assert outputs["client_id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, f"client/{UAI_ID}"))
    assert outputs["identity_id"] == UAI_ID
    assert (outputs["workspace_name"], outputs["resource_group_name"], outputs["storage_account_name"]) == (
        WS_NAME, WS_GROUP, "stmltest")
    assert (outputs["key_vault_uri"], outputs["login_server"]) == ("https://kv-ml-test.vault.azure.net/",
                                                                   "crmltest.azurecr.io")
    assert all(o.known and not o.secret for o in hardened.outputs.values())


# Someone else's resources, reused by id (in another group and with names in capitals, as ids may come).
SHARED_SA = given_id("Microsoft.Storage/storageAccounts/stshared")
SHARED_KV = given_id("Microsoft.KeyVault/vaults/KV-Shared")
SHARED_APPI = given_id("Microsoft.Insights/components/appi-shared")
SHARED_CR = given_id("Microsoft.ContainerRegistry/registries/CRShared")
SHARED_UAI = given_id("Microsoft.ManagedIdentity/userAssignedIdentities/id-shared")


@pytest.fixture(scope="module")
def reusing() -> Run:
    """An existing resource group, every dependency and the user-assigned identity reused by id."""
    return workspace_run(workspace_spec(
        resource_group="rg-team",
        create_resource_group=False,
        storage_account=Existing(SHARED_SA, "stshared"),
        key_vault=Existing(SHARED_KV, "KV-Shared"),
        application_insights=Existing(SHARED_APPI, "appi-shared"),
        container_registry=Existing(SHARED_CR, "CRShared"),
        # Grants in the spec too: a reused identity is its owner's, and gets none of them.
        identity=WorkspaceIdentitySpec("id-shared", SHARED_UAI, IDENTITY_GRANTS),
        protect=True,
    ))


def test_reused_dependencies_and_identity_register_nothing(reusing):
    assert tree(reusing) == {
        (WS_COMPONENT, "workspace", None),
        (MLW, "workspace", "workspace"),
        (IDENTITY_COMPONENT, "workspace-identity", "workspace"),
    }


def test_reused_dependencies_pass_their_ids_to_the_workspace(reusing):
    workspace = reusing.one(MLW)
    inputs = workspace.inputs
    assert inputs["resourceGroupName"] == "rg-team"
    assert (inputs["storageAccount"], inputs["keyVault"], inputs["applicationInsights"], inputs["containerRegistry"]) == (
        SHARED_SA, SHARED_KV, SHARED_APPI, SHARED_CR)
    assert inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [SHARED_UAI]}
    assert inputs["primaryUserAssignedIdentity"] == SHARED_UAI
    # Nothing to wait for: no grant, no dependency of its own.
    assert workspace.dependencies == []
    assert (workspace.protect, workspace.retain_on_delete) == (True, True)


def test_reused_dependencies_outputs_are_the_ids_and_names_given(reusing):
    outputs = {k: o.value for k, o in reusing.outputs.items()}
    assert outputs["ids"] == {
        "resourceGroup": f"/subscriptions/{GIVEN_SUB}/resourceGroups/rg-team",
        "storageAccount": SHARED_SA, "keyVault": SHARED_KV, "applicationInsights": SHARED_APPI,
        "containerRegistry": SHARED_CR, "workspace": mock_id(f"Microsoft.MachineLearningServices/workspaces/{WS_NAME}",
                                                             "rg-team"),
    }  # no logAnalytics: nothing here backs a reused Application Insights
    assert (outputs["resource_group_name"], outputs["storage_account_name"]) == ("rg-team", "stshared")
    assert (outputs["key_vault_uri"], outputs["login_server"]) == ("https://kv-shared.vault.azure.net/",
                                                                   "crshared.azurecr.io")


def test_a_reused_identity_is_the_one_the_workspace_reports(reusing):
    outputs = {k: o.value for k, o in reusing.outputs.items()}
    assert outputs["identity_id"] == SHARED_UAI
    # Read from the workspace's identity (the mocks report each user-assigned id's principal and client).
    assert outputs["principal_id"] == mock_principal(SHARED_UAI)
    assert outputs["client_id"] == str(uuid.uuid5(uuid.NAMESPACE_URL, f"client/{SHARED_UAI}"))


@pytest.fixture(scope="module")
def plain() -> Run:
    """Everything created but Log Analytics (given by id), public, unprotected, unlocked, system-assigned."""
    return workspace_run(workspace_spec(
        application_insights=ApplicationInsightsSpec("appi-ml-test", Existing(given_id(
            "Microsoft.OperationalInsights/workspaces/log-shared"), "log-shared")),
    ))


def test_plain_workspace_registers_no_lock_no_identity_and_no_log_analytics(plain):
    assert tree(plain) == {
        (WS_COMPONENT, "workspace", None),
        (RG, "resource-group", "workspace"),
        (SA, "storage-account", "workspace"),
        (KV, "key-vault", "workspace"),
        (APPI, "application-insights", "workspace"),
        (CR, "container-registry", "workspace"),
        (MLW, "workspace", "workspace"),
    }
    assert stateful_flags(plain) == {}


def test_plain_workspace_is_system_assigned_and_public_as_its_spec_says(plain):
    inputs = plain.one(MLW).inputs
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert inputs["publicNetworkAccess"] == "Enabled"
    # Nothing of a network or an image build compute: not even keys.
    assert not {"primaryUserAssignedIdentity", "managedNetwork", "provisionNetworkNow", "imageBuildCompute",
                "systemDatastoresAuthMode"} & set(inputs)
    storage, registry = plain.one(SA).inputs, plain.one(CR).inputs
    assert not {"publicNetworkAccess", "networkRuleSet"} & set(storage)
    assert "networkRuleSet" not in registry
    # The SDK's defaults, not the component's.
    assert (registry["publicNetworkAccess"], registry["networkRuleBypassOptions"]) == ("Enabled", "AzureServices")
    props = plain.one(KV).inputs["properties"]
    assert not {"networkAcls", "enablePurgeProtection"} & set(props)
    assert props["publicNetworkAccess"] == "enabled"  # the SDK's default
    assert (props["enableRbacAuthorization"], props["enabledForTemplateDeployment"],
            props["softDeleteRetentionInDays"]) == (True, True, 7)
    assert plain.one(KV).ignore_changes == []


def test_plain_workspace_application_insights_uses_the_log_analytics_given(plain):
    log_analytics = given_id("Microsoft.OperationalInsights/workspaces/log-shared")
    assert plain.one(APPI).inputs["workspaceResourceId"] == log_analytics
    assert plain.outputs["ids"].value["logAnalytics"] == log_analytics


def test_a_system_assigned_workspace_acts_as_its_own_principal(plain):
    assert plain.outputs["principal_id"].value == mock_principal(WS_NAME)
    assert (plain.outputs["client_id"].value, plain.outputs["identity_id"].value) == (None, None)


# --- the network ------------------------------------------------------------------------------

NET_GROUP = "rg-net"
NAMES = network_names("ml", "test")
BLOB_ZONE, API_ZONE, VAULT_ZONE = "privatelink.blob.core.windows.net", "privatelink.api.azureml.ms", \
    "privatelink.vaultcore.azure.net"
HUB_VAULT_ZONE = given_id(f"Microsoft.Network/privateDnsZones/{VAULT_ZONE}", "rg-hub")
NETWORK_COMPONENT = "azureml-infra:network:Network"
VNET_ID = mock_id(f"Microsoft.Network/virtualNetworks/{NAMES.vnet}", NET_GROUP)


def network_spec(**overrides: Any) -> NetworkSpec:
    """A VNet created here with both subnets; two zones created, the key vault's given."""
    spec = NetworkSpec(
        names=NAMES, location=LOCATION, tags=TAGS,
        vnet=VnetSpec("10.30.0.0/16", "10.30.1.0/24", "10.30.2.0/24"),
        zones_to_create=(BLOB_ZONE, API_ZONE),
        given_zones={VAULT_ZONE: HUB_VAULT_ZONE},
    )
    return replace(spec, **overrides)


def network_run(spec: NetworkSpec) -> Run:
    def build() -> dict[str, Any]:
        net = Network("network", NetworkArgs(spec, NET_GROUP))
        return {"vnet_id": net.vnet_id, "private_endpoint_subnet_id": net.private_endpoint_subnet_id,
                "training_subnet_id": net.training_subnet_id, "zone_ids": net.zone_ids}

    return built(build)


@pytest.fixture(scope="module")
def vnet() -> Run:
    return network_run(network_spec())


def test_a_created_vnet_has_its_subnets_inline_each_with_an_nsg(vnet):
    assert tree(vnet) == {
        (NETWORK_COMPONENT, "network", None),
        (NSG, "nsg-private-endpoints", "network"),
        (NSG, "nsg-training", "network"),
        (VNET, "vnet", "network"),
        (ZONE, f"dns-zone-{BLOB_ZONE}", "network"),
        (LINK, f"dns-link-{BLOB_ZONE}", "network"),
        (ZONE, f"dns-zone-{API_ZONE}", "network"),
        (LINK, f"dns-link-{API_ZONE}", "network"),
    }
    inputs = vnet.one(VNET).inputs
    assert (inputs["virtualNetworkName"], inputs["resourceGroupName"], inputs["addressSpace"]) == (
        "vnet-ml-test", NET_GROUP, {"addressPrefixes": ["10.30.0.0/16"]})
    nsg = "Microsoft.Network/networkSecurityGroups/"
    assert inputs["subnets"] == [
        {"name": "snet-private-endpoints", "addressPrefix": "10.30.1.0/24",
         "networkSecurityGroup": {"id": mock_id(f"{nsg}nsg-ml-test-private-endpoints", NET_GROUP)},
         "privateEndpointNetworkPolicies": "NetworkSecurityGroupEnabled",
         "privateLinkServiceNetworkPolicies": "Enabled"},  # the SDK's default
        {"name": "snet-training", "addressPrefix": "10.30.2.0/24",
         "networkSecurityGroup": {"id": mock_id(f"{nsg}nsg-ml-test-training", NET_GROUP)},
         "privateEndpointNetworkPolicies": "Disabled", "privateLinkServiceNetworkPolicies": "Enabled"},
    ]


def test_the_training_nsg_lets_azure_ml_manage_its_nodes(vnet):
    assert vnet.one(NSG, "nsg-private-endpoints").inputs["securityRules"] == []
    training = vnet.one(NSG, "nsg-training").inputs
    assert training["networkSecurityGroupName"] == "nsg-ml-test-training"
    assert training["securityRules"] == [{
        "name": "AllowAzureMachineLearningInbound", "priority": 100, "direction": "Inbound", "access": "Allow",
        "protocol": "Tcp", "sourceAddressPrefix": "AzureMachineLearning", "sourcePortRange": "*",
        "destinationAddressPrefix": "VirtualNetwork", "destinationPortRange": "44224",
    }]


def test_created_zones_are_global_and_linked_to_the_created_vnet(vnet):
    for zone in (BLOB_ZONE, API_ZONE):
        assert vnet.one(ZONE, f"dns-zone-{zone}").inputs["privateZoneName"] == zone
        assert vnet.one(ZONE, f"dns-zone-{zone}").inputs["location"] == "global"
        link = vnet.one(LINK, f"dns-link-{zone}").inputs
        assert (link["virtualNetworkLinkName"], link["privateZoneName"], link["virtualNetwork"],
                link["registrationEnabled"], link["location"]) == (
            "vnet-ml-test-link", zone, {"id": VNET_ID}, False, "global"), zone


def test_a_created_vnet_outputs_its_subnets_and_every_zone(vnet):
    outputs = {k: o.value for k, o in vnet.outputs.items()}
    assert outputs == {
        "vnet_id": VNET_ID,
        "private_endpoint_subnet_id": f"{VNET_ID}/subnets/snet-private-endpoints",
        "training_subnet_id": f"{VNET_ID}/subnets/snet-training",
        "zone_ids": {
            VAULT_ZONE: HUB_VAULT_ZONE,
            BLOB_ZONE: mock_id(f"Microsoft.Network/privateDnsZones/{BLOB_ZONE}", NET_GROUP),
            API_ZONE: mock_id(f"Microsoft.Network/privateDnsZones/{API_ZONE}", NET_GROUP),
        },
    }


HUB_VNET = given_id("Microsoft.Network/virtualNetworks/vnet-hub", "rg-hub")
HUB_SUBNET = f"{HUB_VNET}/subnets/snet-endpoints"


@pytest.fixture(scope="module")
def hub_subnet() -> Run:
    return network_run(network_spec(vnet=None, subnet_id=HUB_SUBNET, subnet_vnet_id=HUB_VNET,
                                    zones_to_create=(BLOB_ZONE,)))


def test_an_existing_subnet_gets_only_the_zones_not_given(hub_subnet):
    assert tree(hub_subnet) == {
        (NETWORK_COMPONENT, "network", None),
        (ZONE, f"dns-zone-{BLOB_ZONE}", "network"),
        (LINK, f"dns-link-{BLOB_ZONE}", "network"),
    }
    link = hub_subnet.one(LINK).inputs
    # Linked to the subnet's VNet, and named after it.
    assert (link["virtualNetwork"], link["virtualNetworkLinkName"]) == ({"id": HUB_VNET}, "vnet-hub-link")
    outputs = {k: o.value for k, o in hub_subnet.outputs.items()}
    assert outputs == {
        "vnet_id": HUB_VNET, "private_endpoint_subnet_id": HUB_SUBNET, "training_subnet_id": None,
        "zone_ids": {VAULT_ZONE: HUB_VAULT_ZONE,
                     BLOB_ZONE: mock_id(f"Microsoft.Network/privateDnsZones/{BLOB_ZONE}", NET_GROUP)},
    }


# --- private endpoints ------------------------------------------------------------------------

PE_COMPONENT = "azureml-infra:network:PrivateEndpoints"
TARGET_IDS = {"workspace": given_id(f"Microsoft.MachineLearningServices/workspaces/{WS_NAME}"),
              "storageAccount": given_id("Microsoft.Storage/storageAccounts/stmltest")}
GIVEN_ZONES = {z: given_id(f"Microsoft.Network/privateDnsZones/{z}", "rg-hub")
               for z in (API_ZONE, "privatelink.notebooks.azure.net", BLOB_ZONE)}


@pytest.fixture(scope="module")
def endpoints() -> Run:
    specs = (
        EndpointSpec("workspace", f"pe-{WS_NAME}-amlworkspace", "workspace", "amlworkspace",
                     (API_ZONE, "privatelink.notebooks.azure.net")),
        EndpointSpec("storage-account-blob", "pe-stmltest-blob", "storageAccount", "blob", (BLOB_ZONE,)),
    )

    def build() -> dict[str, Any]:
        pes = PrivateEndpoints("private-endpoints", PrivateEndpointsArgs(
            specs, TARGET_IDS, NET_GROUP, LOCATION, HUB_SUBNET, GIVEN_ZONES, TAGS))
        return {"endpoint_ids": {key: pe.id for key, pe in pes.endpoints.items()}}

    return built(build)


def test_each_endpoint_with_its_dns_zone_group(endpoints):
    assert tree(endpoints) == {
        (PE_COMPONENT, "private-endpoints", None),
        (PE, "pe-workspace", "private-endpoints"),
        (ZONE_GROUP, "pe-workspace-dns", "private-endpoints"),
        (PE, "pe-storage-account-blob", "private-endpoints"),
        (ZONE_GROUP, "pe-storage-account-blob-dns", "private-endpoints"),
    }


def test_an_endpoint_points_at_the_target_id_given_from_the_subnet_given(endpoints):
    inputs = endpoints.one(PE, "pe-storage-account-blob").inputs
    assert inputs == {
        "privateEndpointName": "pe-stmltest-blob",
        "resourceGroupName": NET_GROUP,
        "location": LOCATION,
        "subnet": {"id": HUB_SUBNET},
        "customNetworkInterfaceName": "pe-stmltest-blob-nic",
        "privateLinkServiceConnections": [{"name": "pe-stmltest-blob", "groupIds": ["blob"],
                                           "privateLinkServiceId": TARGET_IDS["storageAccount"]}],
        "tags": TAGS,
    }
    [connection] = endpoints.one(PE, "pe-workspace").inputs["privateLinkServiceConnections"]
    assert (connection["privateLinkServiceId"], connection["groupIds"]) == (TARGET_IDS["workspace"], ["amlworkspace"])


def test_a_zone_group_holds_every_zone_of_its_endpoint_by_the_ids_given(endpoints):
    group = endpoints.one(ZONE_GROUP, "pe-workspace-dns").inputs
    assert (group["privateDnsZoneGroupName"], group["privateEndpointName"], group["resourceGroupName"]) == (
        "default", f"pe-{WS_NAME}-amlworkspace", NET_GROUP)
    assert group["privateDnsZoneConfigs"] == [
        {"name": "privatelink-api-azureml-ms", "privateDnsZoneId": GIVEN_ZONES[API_ZONE]},
        {"name": "privatelink-notebooks-azure-net",
         "privateDnsZoneId": GIVEN_ZONES["privatelink.notebooks.azure.net"]},
    ]
    assert endpoints.one(PE, "pe-workspace").urn in endpoints.one(ZONE_GROUP, "pe-workspace-dns").dependencies


def test_private_endpoints_output_their_ids(endpoints):
    assert endpoints.outputs["endpoint_ids"].value == {
        "workspace": mock_id(f"Microsoft.Network/privateEndpoints/pe-{WS_NAME}-amlworkspace", NET_GROUP),
        "storage-account-blob": mock_id("Microsoft.Network/privateEndpoints/pe-stmltest-blob", NET_GROUP),
    }


# --- the managed network's outbound rules -------------------------------------------------------

LAKE_ID = given_id("Microsoft.Storage/storageAccounts/stmltestdata")
OTHER_ID = given_id("Microsoft.Storage/storageAccounts/stshared")
RULES_COMPONENT = "azureml-infra:network:OutboundRules"
APPROVER = grant("data-storage-network-approver", Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER)
RULE_SPECS = (
    OutboundRuleSpec("pypi", "FQDN", "pypi.org"),
    OutboundRuleSpec("shared", "PrivateEndpoint", OTHER_ID, subresource="blob"),
    OutboundRuleSpec("monitor", "ServiceTag", "AzureMonitor", protocol="TCP", ports="443"),
    OutboundRuleSpec("data-storage-blob", "PrivateEndpoint", target="dataStorage", subresource="blob"),
    OutboundRuleSpec("data-storage-dfs", "PrivateEndpoint", target="dataStorage", subresource="dfs"),
)


@pytest.fixture(scope="module")
def outbound_rules() -> Run:
    spec = OutboundRulesSpec(RULE_SPECS, (ScopedGrant("dataStorage", APPROVER),))

    def build() -> dict[str, Any]:
        rules = OutboundRules("outbound-rules", OutboundRulesArgs(
            spec, WS_GROUP, WS_NAME, {"dataStorage": LAKE_ID}, WORKSPACE_PRINCIPAL, GIVEN_SUB))
        return {"rules": [r.name for r in rules.rules]}

    return built(build)


def test_outbound_rules_are_resources_of_their_own_under_the_old_components_alias(outbound_rules):
    assert tree(outbound_rules) == {
        (RULES_COMPONENT, "outbound-rules", None),
        (RA, "data-storage-network-approver", "outbound-rules"),
        *((RULE, f"outbound-rule-{r.name}", "outbound-rules") for r in RULE_SPECS),
    }
    (component,) = [r for r in outbound_rules.registrations if r.type == RULES_COMPONENT]
    assert [a["spec"]["name"] for a in component.alias_specs] == ["data-storage-outbound"]
    assert outbound_rules.outputs["rules"].value == [r.name for r in RULE_SPECS]


def test_each_rule_arrives_in_its_api_shape(outbound_rules):
    properties = {r.inputs["ruleName"]: r.inputs["properties"] for r in outbound_rules.of_type(RULE)}
    assert properties == {
        "pypi": {"type": "FQDN", "category": "UserDefined", "destination": "pypi.org"},
        "shared": {"type": "PrivateEndpoint", "category": "UserDefined",
                   "destination": {"serviceResourceId": OTHER_ID, "subresourceTarget": "blob"}},
        "monitor": {"type": "ServiceTag", "category": "UserDefined", "destination": {
            "serviceTag": "AzureMonitor", "protocol": "TCP", "portRanges": "443", "action": "Allow"}},
        "data-storage-blob": {"type": "PrivateEndpoint", "category": "UserDefined",
                              "destination": {"serviceResourceId": LAKE_ID, "subresourceTarget": "blob"}},
        "data-storage-dfs": {"type": "PrivateEndpoint", "category": "UserDefined",
                             "destination": {"serviceResourceId": LAKE_ID, "subresourceTarget": "dfs"}},
    }
    for rule in outbound_rules.of_type(RULE):
        assert (rule.inputs["resourceGroupName"], rule.inputs["workspaceName"]) == (WS_GROUP, WS_NAME)


def test_rules_are_made_one_after_another_and_the_lakes_wait_for_the_approver(outbound_rules):
    approver = outbound_rules.one(RA)
    assert approver.inputs == {
        "roleAssignmentName": APPROVER.name,
        "roleDefinitionId": role_definition(Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER),
        "principalId": WORKSPACE_PRINCIPAL,
        "principalType": "ServicePrincipal",
        "scope": LAKE_ID,
        "description": APPROVER.description,
    }
    assert approver.delete_before_replace
    urn = {r.inputs["ruleName"]: r.urn for r in outbound_rules.of_type(RULE)}
    waits = {r.inputs["ruleName"]: sorted(r.dependencies) for r in outbound_rules.of_type(RULE)}
    assert waits == {
        "pypi": [],
        "shared": [urn["pypi"]],
        "monitor": [urn["shared"]],
        "data-storage-blob": sorted([approver.urn, urn["monitor"]]),
        "data-storage-dfs": sorted([approver.urn, urn["data-storage-blob"]]),
    }


# --- compute clusters and instances -----------------------------------------------------------

PLACEMENT = Placement(WS_GROUP, WS_NAME, LOCATION, TAGS)
TRAINING_SUBNET = given_id("Microsoft.Network/virtualNetworks/vnet-ml-test/subnets/snet-training", WS_GROUP)
OTHER_SUBNET = given_id("Microsoft.Network/virtualNetworks/vnet-team/subnets/snet-gpu", "rg-team")
CLUSTER_UAI = given_id("Microsoft.ManagedIdentity/userAssignedIdentities/id-jobs")
CPU_IMPORT = ws_id(f"Microsoft.MachineLearningServices/workspaces/{WS_NAME}/computes/cpu")
SSH_KEY = "ssh-rsa AAAAB3Nza... admin@example"
CLUSTER_COMPONENT = "azureml-infra:compute:ComputeCluster"
INSTANCE_COMPONENT = "azureml-infra:compute:ComputeInstance"


def cluster_spec(**overrides: Any) -> ClusterSpec:
    """A system-assigned cluster outside any network, no SSH."""
    spec = ClusterSpec(
        name="cpu", vm_size="Standard_DS3_v2", min_nodes=0, max_nodes=4, idle_time_before_scale_down="PT120S",
        priority="Dedicated", identity_type="SystemAssigned", user_assigned_identities=(), system_assigned=True,
        subnet=None, node_public_ip=True, ssh=None, disable_local_auth=True,
    )
    return replace(spec, **overrides)


def compute_id(name: str) -> str:
    return ws_id(f"Microsoft.MachineLearningServices/workspaces/{WS_NAME}/computes/{name}")


@pytest.fixture(scope="module")
def computes() -> Run:
    clusters = (
        # In the training subnet, with an SSH user (key and password) reachable from outside, imported.
        cluster_spec(subnet=Subnet(training=True), node_public_ip=False, priority="LowPriority",
                     ssh=SshSpec("azureuser", SSH_KEY, "cpuPassword", public_access=True)),
        # No identity at all, in a subnet given by id.
        cluster_spec(name="gpu", vm_size="Standard_NC6s_v3", identity_type=None, system_assigned=False,
                     subnet=Subnet(id=OTHER_SUBNET), disable_local_auth=False),
        # A user-assigned identity only (no principal of its own); an SSH user by key, not from outside.
        cluster_spec(name="jobs", identity_type="UserAssigned", user_assigned_identities=(CLUSTER_UAI,),
                     system_assigned=False, ssh=SshSpec("azureuser", SSH_KEY, None, public_access=False)),
    )
    instances = (InstanceSpec("ci-alice", "Standard_DS11_v2", GROUP, "PT60M", Subnet(training=True), True),)

    def build() -> dict[str, Any]:
        made = create_computes(ComputesArgs(
            clusters, instances, PLACEMENT, GIVEN_TENANT, TRAINING_SUBNET,
            secrets={"cpuPassword": pulumi.Output.secret("s3cret-Passw0rd")},
            import_ids={("azure-native:machinelearningservices:Compute", "cpu"): CPU_IMPORT},
        ), parent=Holder())
        return {"computes": computes_output(made)}

    return built(build)


def test_one_component_per_compute_under_the_parent_given(computes):
    assert tree(computes) == {
        (HOLDER, "holder", None),
        (CLUSTER_COMPONENT, "cpu", "holder"), (COMPUTE, "cpu", "cpu"),
        (CLUSTER_COMPONENT, "gpu", "holder"), (COMPUTE, "gpu", "gpu"),
        (CLUSTER_COMPONENT, "jobs", "holder"), (COMPUTE, "jobs", "jobs"),
        (INSTANCE_COMPONENT, "ci-alice", "holder"), (COMPUTE, "ci-alice", "ci-alice"),
    }
    # A compute's name is fixed: a replacement deletes the old one first. Only the one asked for is imported.
    assert {r.name: (r.delete_before_replace, r.import_id) for r in computes.of_type(COMPUTE)} == {
        "cpu": (True, CPU_IMPORT), "gpu": (True, ""), "jobs": (True, ""), "ci-alice": (True, "")}
    assert stateful_flags(computes) == {}


def test_a_cluster_in_the_training_subnet_with_an_ssh_user(computes):
    cpu = computes.one(COMPUTE, "cpu").inputs
    assert {k: cpu[k] for k in ("computeName", "workspaceName", "resourceGroupName", "location", "tags")} == {
        "computeName": "cpu", "workspaceName": WS_NAME, "resourceGroupName": WS_GROUP, "location": LOCATION,
        "tags": TAGS}
    assert cpu["identity"] == {"type": "SystemAssigned"}
    # The password is a secret, and so the whole properties block arrives as one (the SDK lifts it).
    properties = secret(cpu["properties"])
    assert (properties["computeType"], properties["disableLocalAuth"]) == ("AmlCompute", True)
    props = properties["properties"]
    assert props["vmSize"] == "Standard_DS3_v2" and props["vmPriority"] == "LowPriority"
    assert props["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": 4, "nodeIdleTimeBeforeScaleDown": "PT120S"}
    assert (props["subnet"], props["enableNodePublicIp"], props["remoteLoginPortPublicAccess"]) == (
        {"id": TRAINING_SUBNET}, False, "Enabled")
    assert props["userAccountCredentials"] == {
        "adminUserName": "azureuser", "adminUserSshPublicKey": SSH_KEY, "adminUserPassword": "s3cret-Passw0rd"}


def test_a_cluster_keeps_its_ssh_port_closed_unless_its_spec_opens_it(computes):
    gpu = computes.one(COMPUTE, "gpu").inputs
    assert "identity" not in gpu
    assert gpu["properties"]["disableLocalAuth"] is False
    props = gpu["properties"]["properties"]
    assert (props["subnet"], props["enableNodePublicIp"], props["remoteLoginPortPublicAccess"]) == (
        {"id": OTHER_SUBNET}, True, "Disabled")
    assert "userAccountCredentials" not in props
    jobs = computes.one(COMPUTE, "jobs").inputs
    assert jobs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [CLUSTER_UAI]}
    props = jobs["properties"]["properties"]  # no password: nothing secret
    assert "subnet" not in props
    assert props["remoteLoginPortPublicAccess"] == "Disabled"
    assert props["userAccountCredentials"] == {"adminUserName": "azureuser", "adminUserSshPublicKey": SSH_KEY}


def test_an_instance_is_personal_with_ssh_closed(computes):
    instance = computes.one(COMPUTE, "ci-alice").inputs
    assert "identity" not in instance
    assert (instance["properties"]["computeType"], instance["properties"]["disableLocalAuth"]) == (
        "ComputeInstance", True)
    props = instance["properties"]["properties"]
    assert props == {
        "vmSize": "Standard_DS11_v2",
        "subnet": {"id": TRAINING_SUBNET},
        "idleTimeBeforeShutdown": "PT60M",
        "computeInstanceAuthorizationType": "personal",
        "personalComputeInstanceSettings": {"assignedUser": {"objectId": GROUP, "tenantId": GIVEN_TENANT}},
        "applicationSharingPolicy": "Personal",
        "sshSettings": {"sshPublicAccess": "Disabled"},
        "enableSSO": True,  # the SDK's default
    }


def test_only_a_system_assigned_cluster_has_a_principal(computes):
    assert computes.outputs["computes"].value == {
        "cpu": {"id": compute_id("cpu"), "identityPrincipalId": mock_principal("cpu")},
        "gpu": {"id": compute_id("gpu")},
        "jobs": {"id": compute_id("jobs")},
        "ci-alice": {"id": compute_id("ci-alice")},
    }
    assert computes.outputs["computes"].known


# --- Kubernetes computes ----------------------------------------------------------------------

K8S_COMPONENT = "azureml-infra:kubernetes:KubernetesCompute"
SUBNET_GRANT = grant("aks-new-network-contributor", Role.NETWORK_CONTRIBUTOR)
EXTENSION_SETTINGS = {"enableTraining": "True", "enableInference": "True", "inferenceRouterServiceType": "LoadBalancer"}
ATTACHED_CLUSTER = given_id("Microsoft.ContainerService/managedClusters/aks-team", "rg-aks")
PEM_CERT, PEM_KEY = "-----BEGIN CERTIFICATE-----\nMIIB\n", "-----BEGIN PRIVATE KEY-----\nMIIE\n"
AKS_NEW = "aks-ml-test-new"
K8S_LOGS = given_id("Microsoft.OperationalInsights/workspaces/log-central", "rg-monitor")
DCR = "azure-native:monitor:DataCollectionRule"
DCRA = "azure-native:monitor:DataCollectionRuleAssociation"


def kubernetes_spec(**overrides: Any) -> KubernetesSpec:
    """A created AKS cluster with the extension, no TLS."""
    spec = KubernetesSpec(
        name="k8s-new", cluster_name=AKS_NEW, description="Azure ML on AKS", namespace="azureml-jobs",
        training=True, inference=True,
        cluster=AksClusterSpec(
            name=AKS_NEW, vm_size="Standard_D4s_v5", node_count=2, max_node_count=5, kubernetes_version="1.30",
            tier="Standard", disable_local_accounts=True, admin_group_object_ids=(GROUP,),
            pod_cidr="10.244.0.0/16", service_cidr="10.0.0.0/16", dns_service_ip="10.0.0.10",
            subnet_grant=SUBNET_GRANT,
            # Hardening, every setting away from its default: a private API server, fewer pods,
            # the stable channel, an ephemeral OS disk, host encryption, no secrets provider, the
            # logs to a given Log Analytics workspace with kube-audit too.
            max_pods=110, private=True, upgrade_channel="stable", node_os_upgrade_channel="SecurityPatch",
            os_disk_type="Ephemeral", encryption_at_host=True, key_vault_secrets_provider=False,
            log_analytics_id=K8S_LOGS, audit_log_categories=("kube-audit", "kube-audit-admin", "guard"),
        ),
        extension_settings=EXTENSION_SETTINGS,
    )
    return replace(spec, **overrides)


@pytest.fixture(scope="module")
def kubernetes() -> Run:
    specs = (
        # Created here, in the training subnet, with HTTPS scoring.
        kubernetes_spec(tls=TlsSpec("k8sCert", "k8sKey")),
        # An existing cluster: this stack installs the extension on it.
        kubernetes_spec(name="k8s-attached", cluster_name="aks-team", cluster=None,
                        existing_cluster_id=ATTACHED_CLUSTER, existing_cluster_group="rg-aks"),
        # An existing cluster with the extension already installed: attached only.
        kubernetes_spec(name="k8s-ready", cluster_name="aks-team", cluster=None,
                        existing_cluster_id=ATTACHED_CLUSTER, existing_cluster_group="rg-aks",
                        extension_settings=None),
    )

    def build() -> dict[str, Any]:
        made = create_kubernetes_computes(KubernetesComputesArgs(
            specs, PLACEMENT, TRAINING_SUBNET, GIVEN_SUB,
            secrets={"k8sCert": pulumi.Output.secret(PEM_CERT), "k8sKey": pulumi.Output.secret(PEM_KEY)},
        ), parent=Holder())
        return {"computes": computes_output(made), "cluster_ids": {n: c.cluster_id for n, c in made.items()}}

    return built(build)


AKS_NEW_ID = ws_id(f"Microsoft.ContainerService/managedClusters/{AKS_NEW}")


def test_a_created_cluster_gets_its_subnet_role_and_the_extension_attached_ones_only_what_they_lack(kubernetes):
    assert tree(kubernetes) == {
        (HOLDER, "holder", None),
        (K8S_COMPONENT, "k8s-new", "holder"),
        (AKS, "k8s-new-cluster", "k8s-new"),
        (DCR, "k8s-new-container-insights", "k8s-new"),
        (DCRA, "k8s-new-container-insights-association", "k8s-new"),
        (SETTING, "k8s-new-cluster-diagnostics", "k8s-new"),
        (RA, "aks-new-network-contributor", "k8s-new"),
        (EXTENSION, "k8s-new-extension", "k8s-new"),
        (COMPUTE, "k8s-new", "k8s-new"),
        (K8S_COMPONENT, "k8s-attached", "holder"),
        (EXTENSION, "k8s-attached-extension", "k8s-attached"),
        (COMPUTE, "k8s-attached", "k8s-attached"),
        (K8S_COMPONENT, "k8s-ready", "holder"),
        (COMPUTE, "k8s-ready", "k8s-ready"),
    }
    assert {r.name for r in kubernetes.registrations if r.delete_before_replace} == {
        "k8s-new-cluster", "aks-new-network-contributor", "k8s-new", "k8s-attached", "k8s-ready"}
    assert stateful_flags(kubernetes) == {}


def test_a_created_cluster_uses_entra_id_no_local_accounts_and_the_subnet_given(kubernetes):
    inputs = kubernetes.one(AKS).inputs
    assert (inputs["resourceName"], inputs["dnsPrefix"], inputs["resourceGroupName"], inputs["location"]) == (
        AKS_NEW, AKS_NEW, WS_GROUP, LOCATION)
    assert (inputs["kubernetesVersion"], inputs["sku"], inputs["identity"]) == (
        "1.30", {"name": "Base", "tier": "Standard"}, {"type": "SystemAssigned"})
    assert (inputs["enableRBAC"], inputs["disableLocalAccounts"]) == (True, True)
    assert inputs["aadProfile"] == {"managed": True, "enableAzureRBAC": True, "adminGroupObjectIDs": [GROUP]}
    [pool] = inputs["agentPoolProfiles"]
    assert {k: pool[k] for k in ("name", "mode", "vmSize", "count", "enableAutoScaling", "minCount", "maxCount",
                                 "vnetSubnetID")} == {
        "name": "system", "mode": "System", "vmSize": "Standard_D4s_v5", "count": 2, "enableAutoScaling": True,
        "minCount": 2, "maxCount": 5, "vnetSubnetID": TRAINING_SUBNET}
    network = inputs["networkProfile"]
    assert (network["podCidr"], network["serviceCidr"], network["dnsServiceIP"]) == (
        "10.244.0.0/16", "10.0.0.0/16", "10.0.0.10")


def test_a_created_clusters_hardening_follows_its_spec(kubernetes):
    """Each hardening setting of the spec in the inputs the engine receives (the defaults: the
    AKS example's plan, tests/test_kubernetes.py)."""
    inputs = kubernetes.one(AKS).inputs
    [pool] = inputs["agentPoolProfiles"]
    assert (pool["maxPods"], pool["osDiskType"], pool["enableEncryptionAtHost"]) == (110, "Ephemeral", True)
    assert inputs["apiServerAccessProfile"] == {"enablePrivateCluster": True}
    assert inputs["autoUpgradeProfile"] == {"upgradeChannel": "stable", "nodeOSUpgradeChannel": "SecurityPatch"}
    assert inputs["addonProfiles"] == {
        "kubeDashboard": {"enabled": False},
        "omsagent": {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": K8S_LOGS, "useAADAuth": "true"}},
    }
    assert (inputs["oidcIssuerProfile"], inputs["securityProfile"]) == (
        {"enabled": True}, {"workloadIdentity": {"enabled": True}})
    rule = kubernetes.one(DCR)
    assert rule.inputs["destinations"] == {"logAnalytics": [{"name": "ciworkspace", "workspaceResourceId": K8S_LOGS}]}
    assert rule.inputs["dataCollectionRuleName"] == f"MSCI-{LOCATION}-{AKS_NEW}"
    assert kubernetes.one(DCRA).inputs["resourceUri"] == AKS_NEW_ID
    audit = kubernetes.one(SETTING).inputs
    assert (audit["resourceUri"], audit["workspaceId"]) == (AKS_NEW_ID, K8S_LOGS)
    assert [log["category"] for log in audit["logs"]] == ["kube-audit", "kube-audit-admin", "guard"]


def test_a_cluster_with_no_log_analytics_to_send_to_gets_no_monitoring():
    spec = kubernetes_spec(cluster=replace(kubernetes_spec().cluster, monitored=False, audit_log_categories=()))

    def build() -> dict[str, Any]:
        create_kubernetes_computes(KubernetesComputesArgs((spec,), PLACEMENT, TRAINING_SUBNET, GIVEN_SUB), Holder())
        return {}

    run = built(build)
    assert run.of_type(DCR) == [] and run.of_type(DCRA) == [] and run.of_type(SETTING) == []
    assert "omsagent" not in run.one(AKS).inputs["addonProfiles"]


def test_a_created_cluster_gets_network_contributor_on_the_subnet_given(kubernetes):
    assert kubernetes.one(RA).inputs == {
        "roleAssignmentName": SUBNET_GRANT.name,
        "roleDefinitionId": role_definition(Role.NETWORK_CONTRIBUTOR),
        "principalId": mock_principal(AKS_NEW),
        "principalType": "ServicePrincipal",
        "scope": TRAINING_SUBNET,
        "description": SUBNET_GRANT.description,
    }


def extension_settings(cluster_id: str) -> dict[str, str]:
    return {**EXTENSION_SETTINGS, "cluster_name": cluster_id, "clusterId": cluster_id,
            "prometheus.prometheusSpec.externalLabels.cluster_name": cluster_id}


def test_the_extension_on_a_created_cluster_has_its_id_and_the_tls_pair_as_secrets(kubernetes):
    extension = kubernetes.one(EXTENSION, "k8s-new-extension")
    inputs = extension.inputs
    assert (inputs["extensionName"], inputs["clusterName"], inputs["resourceGroupName"], inputs["extensionType"]) == (
        "azureml-extension", AKS_NEW, WS_GROUP, "Microsoft.AzureML.Kubernetes")
    assert (inputs["clusterResourceName"], inputs["clusterRp"]) == ("managedClusters", "Microsoft.ContainerService")
    assert (inputs["autoUpgradeMinorVersion"], inputs["releaseTrain"], inputs["scope"], inputs["identity"]) == (
        True, "stable", {"cluster": {"releaseNamespace": "azureml"}}, {"type": "SystemAssigned"})
    assert inputs["configurationSettings"] == extension_settings(AKS_NEW_ID)
    assert secret(inputs["configurationProtectedSettings"]) == {
        "scoringFe.sslCert": base64.b64encode(PEM_CERT.encode()).decode(),
        "scoringFe.sslKey": base64.b64encode(PEM_KEY.encode()).decode(),
    }
    assert extension.additional_secret_outputs == ["configurationProtectedSettings"]
    # The router's load balancer needs the cluster's role in the subnet first.
    assert kubernetes.one(RA).urn in extension.dependencies


def test_the_extension_on_an_existing_cluster_goes_in_its_group_by_the_id_given(kubernetes):
    extension = kubernetes.one(EXTENSION, "k8s-attached-extension")
    inputs = extension.inputs
    assert (inputs["clusterName"], inputs["resourceGroupName"]) == ("aks-team", "rg-aks")
    assert inputs["configurationSettings"] == extension_settings(ATTACHED_CLUSTER)
    assert "configurationProtectedSettings" not in inputs
    assert extension.dependencies == []


def test_each_compute_is_attached_to_its_cluster_after_the_extension(kubernetes):
    for name, cluster, extension in (("k8s-new", AKS_NEW_ID, "k8s-new-extension"),
                                     ("k8s-attached", ATTACHED_CLUSTER, "k8s-attached-extension"),
                                     ("k8s-ready", ATTACHED_CLUSTER, None)):
        compute = kubernetes.one(COMPUTE, name)
        inputs = compute.inputs
        assert (inputs["computeName"], inputs["workspaceName"], inputs["resourceGroupName"]) == (
            name, WS_NAME, WS_GROUP), name
        assert inputs["identity"] == {"type": "SystemAssigned"}, name
        assert inputs["properties"] == {"computeType": "Kubernetes", "resourceId": cluster,
                                        "description": "Azure ML on AKS",
                                        "properties": {"namespace": "azureml-jobs"}}, name
        extensions = [kubernetes.by_urn(u).name for u in compute.dependencies if kubernetes.by_urn(u).type == EXTENSION]
        assert extensions == ([extension] if extension else []), name


def test_every_kubernetes_compute_has_a_principal_and_its_cluster_id(kubernetes):
    assert kubernetes.outputs["computes"].value == {
        name: {"id": compute_id(name), "identityPrincipalId": mock_principal(name)}
        for name in ("k8s-new", "k8s-attached", "k8s-ready")
    }
    assert kubernetes.outputs["cluster_ids"].value == {
        "k8s-new": AKS_NEW_ID, "k8s-attached": ATTACHED_CLUSTER, "k8s-ready": ATTACHED_CLUSTER}


# --- the data lake and the datastores ---------------------------------------------------------

LAKE = "stmltestdata"
LAKE_COMPONENT = "azureml-infra:datastores:DataStorage"
DATASTORE_COMPONENT = "azureml-infra:datastores:AttachedDatastore"
LAKE_SPEC = DataStorageSpec(
    name=LAKE, hierarchical_namespace=True, containers=("raw", "curated"), allow_shared_key_access=True,
    private=True, protect=True, lock="the data lake", location=LOCATION, tags=TAGS,
)
EXTERNAL_SUB = "88888888-8888-8888-8888-888888888888"
SP_CLIENT, SP_TENANT = "99999999-0000-0000-0000-000000000001", "99999999-0000-0000-0000-000000000002"


def reader_grants(datastore: str, role: Role = Role.STORAGE_BLOB_DATA_READER) -> tuple[ReaderGrant, ...]:
    """The workspace's and the cpu cluster's grants on the container of ``datastore``."""
    return (ReaderGrant(None, grant(f"{datastore}-reader-workspace", role)),
            ReaderGrant("cpu", grant(f"{datastore}-reader-compute-cpu", role)))


def datastore_spec(**overrides: Any) -> DatastoreSpec:
    """A blob datastore on the lake's raw container, by identity, read by the workspace and cpu."""
    spec = DatastoreSpec(
        name="raw", kind_name="blob", kind=KINDS["blob"], auth=AUTHS["identity"], account_name=LAKE,
        on_data_storage=True, container="raw", resource_group=None, subscription_id=None, secret=None,
        key_from_data_storage=False, client_id=None, tenant_id=None,
        service_identity="WorkspaceSystemAssignedIdentity", default=False, grants=reader_grants("raw"),
    )
    return replace(spec, **overrides)


DATASTORES = (
    datastore_spec(),
    # The same container again (as ADLS Gen2): the same grants, which Azure would refuse twice.
    datastore_spec(name="raw_lake", kind_name="adlsGen2", kind=KINDS["adlsGen2"]),
    # The lake's own account key: read from Azure, never from config.
    datastore_spec(name="curated", container="curated", auth=AUTHS["accountKey"], key_from_data_storage=True,
                   service_identity="None", grants=()),
    # Someone else's account in another subscription, by identity: granted there.
    datastore_spec(name="shared", account_name="stshared", on_data_storage=False, container="shared",
                   resource_group="rg-partner", subscription_id=EXTERNAL_SUB, grants=reader_grants("shared")),
    # Someone else's account in another subscription, with a SAS token from config.
    datastore_spec(name="partner", account_name="stpartner", on_data_storage=False, container="landing",
                   resource_group="rg-partner", subscription_id=EXTERNAL_SUB, auth=AUTHS["sas"],
                   secret="partnerSas", service_identity="None", grants=()),
    # A service principal on an external lake.
    datastore_spec(name="archive", kind_name="adlsGen2", kind=KINDS["adlsGen2"], account_name="starchive",
                   on_data_storage=False, container="archive", auth=AUTHS["servicePrincipal"],
                   secret="archiveSecret", client_id=SP_CLIENT, tenant_id=SP_TENANT, service_identity="None",
                   grants=()),
)


@pytest.fixture(scope="module")
def data() -> Run:
    def build() -> dict[str, Any]:
        holder = Holder()
        lake = DataStorage("data-storage", DataStorageArgs(LAKE_SPEC, WS_GROUP), opts=pulumi.ResourceOptions(
            parent=holder))
        made = create_datastores(DatastoresArgs(
            DATASTORES, WS_NAME, WS_GROUP, GIVEN_SUB,
            principal_ids={None: WORKSPACE_PRINCIPAL, "cpu": CPU_PRINCIPAL},
            secrets={"partnerSas": pulumi.Output.secret("sv=2024&sig=abc"),
                     "archiveSecret": pulumi.Output.secret("sp-s3cret")},
            data_storage=lake,
        ), parent=holder)
        return {"account_id": lake.account_id, "account_name": lake.account_name,
                "datastores": datastores_output(made)}

    return built(build)


LAKE_ID_CREATED = ws_id(f"Microsoft.Storage/storageAccounts/{LAKE}")


def test_the_lake_and_each_datastore_register_under_their_components(data):
    assert tree(data) == {
        (HOLDER, "holder", None),
        (LAKE_COMPONENT, "data-storage", "holder"),
        (SA, "data-storage", "data-storage"),
        (LOCK, "data-storage-lock", "data-storage"),
        (CONTAINER, "data-container-raw", "data-storage"),
        (CONTAINER, "data-container-curated", "data-storage"),
        (DATASTORE_COMPONENT, "datastore-raw", "holder"),
        (RA, "raw-reader-workspace", "datastore-raw"),
        (RA, "raw-reader-compute-cpu", "datastore-raw"),
        (DS, "raw", "datastore-raw"),
        # Its grants are raw's: no assignment of its own.
        (DATASTORE_COMPONENT, "datastore-raw_lake", "holder"),
        (DS, "raw_lake", "datastore-raw_lake"),
        (DATASTORE_COMPONENT, "datastore-curated", "holder"),
        (DS, "curated", "datastore-curated"),
        (DATASTORE_COMPONENT, "datastore-shared", "holder"),
        (RA, "shared-reader-workspace", "datastore-shared"),
        (RA, "shared-reader-compute-cpu", "datastore-shared"),
        (DS, "shared", "datastore-shared"),
        (DATASTORE_COMPONENT, "datastore-partner", "holder"),
        (DS, "partner", "datastore-partner"),
        (DATASTORE_COMPONENT, "datastore-archive", "holder"),
        (DS, "archive", "datastore-archive"),
    }


def test_the_lake_is_private_protected_locked_and_shares_keys_only_as_its_spec_says(data):
    inputs = data.one(SA).inputs
    assert (inputs["accountName"], inputs["resourceGroupName"], inputs["location"], inputs["tags"]) == (
        LAKE, WS_GROUP, LOCATION, TAGS)
    assert (inputs["isHnsEnabled"], inputs["allowSharedKeyAccess"], inputs["allowBlobPublicAccess"],
            inputs["enableHttpsTrafficOnly"], inputs["minimumTlsVersion"]) == (True, True, False, True, "TLS1_2")
    assert (inputs["publicNetworkAccess"], inputs["networkRuleSet"]) == (
        "Disabled", {"bypass": "AzureServices", "defaultAction": "Deny"})
    assert stateful_flags(data) == dict.fromkeys(
        ["data-storage", "data-container-raw", "data-container-curated"], (True, True))
    assert {r.type for r in data.registrations if r.delete_before_replace} == {RA}
    lock = data.one(LOCK).inputs
    assert (lock["scope"], lock["level"]) == (LAKE_ID_CREATED, "CanNotDelete")
    assert "protects the data lake from deletion" in lock["notes"]
    for name in ("raw", "curated"):
        container = data.one(CONTAINER, f"data-container-{name}").inputs
        assert (container["containerName"], container["accountName"], container["publicAccess"]) == (
            name, LAKE, "None"), name


def container_scope(account: str, container: str, group: str = WS_GROUP, subscription: str = GIVEN_SUB) -> str:
    return (f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/"
            f"{account}/blobServices/default/containers/{container}")


def test_an_identity_datastore_grants_each_reader_on_its_container(data):
    for reader in reader_grants("raw"):
        assignment = data.one(RA, reader.grant.logical_name)
        assert assignment.inputs == {
            "roleAssignmentName": reader.grant.name,
            "roleDefinitionId": role_definition(Role.STORAGE_BLOB_DATA_READER),
            "principalId": WORKSPACE_PRINCIPAL if reader.compute is None else CPU_PRINCIPAL,
            "principalType": "ServicePrincipal",
            "scope": container_scope(LAKE, "raw"),
            "description": reader.grant.description,
        }, reader
        assert assignment.delete_before_replace
        # Assigned once the container exists.
        assert data.one(CONTAINER, "data-container-raw").urn in assignment.dependencies


def test_an_identity_datastore_stores_no_credential_and_waits_for_its_grants(data):
    raw = data.one(DS, "raw")
    assert (raw.inputs["name"], raw.inputs["workspaceName"], raw.inputs["resourceGroupName"]) == (
        "raw", WS_NAME, WS_GROUP)
    assert raw.inputs["properties"] == {
        "datastoreType": "AzureBlob", "accountName": LAKE, "containerName": "raw",
        "credentials": {"credentialsType": "None"}, "protocol": "https", "resourceGroup": WS_GROUP,
        "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
    }
    assert raw.additional_secret_outputs == []
    waits_for = {data.by_urn(u).name for u in raw.dependencies}
    assert {"raw-reader-workspace", "raw-reader-compute-cpu", "data-container-raw"} <= waits_for


def test_a_second_datastore_on_the_same_container_shares_the_first_ones_assignments(data):
    raw_lake = data.one(DS, "raw_lake")
    assert raw_lake.inputs["properties"]["datastoreType"] == "AzureDataLakeGen2"
    assert raw_lake.inputs["properties"]["filesystem"] == "raw"
    assert sorted((r.name, data.by_urn(r.parent).name) for r in data.of_type(RA) if r.name.startswith("raw-")) == [
        ("raw-reader-compute-cpu", "datastore-raw"), ("raw-reader-workspace", "datastore-raw")]
    waits_for = {data.by_urn(u).name for u in raw_lake.dependencies}
    assert {"raw-reader-workspace", "raw-reader-compute-cpu", "data-container-raw"} <= waits_for


def test_a_datastore_with_the_lakes_key_reads_it_as_a_secret(data):
    curated = data.one(DS, "curated")
    properties = secret(curated.inputs["properties"])
    assert properties["credentials"] == {"credentialsType": "AccountKey", "secrets": {
        "secretsType": "AccountKey", "key": "mock-account-key"}}  # the mocks' listStorageAccountKeys
    assert (properties["accountName"], properties["containerName"]) == (LAKE, "curated")
    assert curated.additional_secret_outputs == ["properties"]
    assert data.one(CONTAINER, "data-container-curated").urn in curated.dependencies


def test_an_external_identity_datastore_is_granted_in_the_accounts_subscription_and_group(data):
    for reader in reader_grants("shared"):
        inputs = data.one(RA, reader.grant.logical_name).inputs
        assert (inputs["scope"], inputs["roleDefinitionId"]) == (
            container_scope("stshared", "shared", "rg-partner", EXTERNAL_SUB),
            role_definition(Role.STORAGE_BLOB_DATA_READER, EXTERNAL_SUB)), reader
    properties = data.one(DS, "shared").inputs["properties"]
    assert (properties["accountName"], properties["containerName"], properties["resourceGroup"],
            properties["subscriptionId"]) == ("stshared", "shared", "rg-partner", EXTERNAL_SUB)


def test_an_external_datastore_keeps_its_account_group_subscription_and_secret(data):
    partner = data.one(DS, "partner")
    properties = secret(partner.inputs["properties"])
    assert {k: properties[k] for k in ("accountName", "containerName", "resourceGroup", "subscriptionId")} == {
        "accountName": "stpartner", "containerName": "landing", "resourceGroup": "rg-partner",
        "subscriptionId": EXTERNAL_SUB}
    assert properties["credentials"] == {"credentialsType": "Sas", "secrets": {
        "secretsType": "Sas", "sasToken": "sv=2024&sig=abc"}}
    assert partner.additional_secret_outputs == ["properties"]
    assert partner.dependencies == []


def test_a_service_principal_datastore_names_its_client_and_tenant(data):
    archive = data.one(DS, "archive")
    properties = secret(archive.inputs["properties"])
    assert (properties["datastoreType"], properties["filesystem"], properties["resourceGroup"]) == (
        "AzureDataLakeGen2", "archive", WS_GROUP)
    assert properties["credentials"] == {
        "credentialsType": "ServicePrincipal", "clientId": SP_CLIENT, "tenantId": SP_TENANT,
        "secrets": {"secretsType": "ServicePrincipal", "clientSecret": "sp-s3cret"}}


def test_data_outputs_hold_names_only(data):
    assert (data.outputs["account_id"].value, data.outputs["account_name"].value) == (LAKE_ID_CREATED, LAKE)
    datastores = data.outputs["datastores"]
    assert datastores.value == {
        "raw": {"kind": "blob", "accountName": LAKE, "container": "raw"},
        "raw_lake": {"kind": "adlsGen2", "accountName": LAKE, "container": "raw"},
        "curated": {"kind": "blob", "accountName": LAKE, "container": "curated"},
        "shared": {"kind": "blob", "accountName": "stshared", "container": "shared"},
        "partner": {"kind": "blob", "accountName": "stpartner", "container": "landing"},
        "archive": {"kind": "adlsGen2", "accountName": "starchive", "container": "archive"},
    }
    assert not datastores.secret


# --- the Azure ML registry --------------------------------------------------------------------

REGISTRY_COMPONENT = "azureml-infra:ml_registry:MachineLearningRegistry"
REGISTRY_SUB = "aaaaaaaa-0000-0000-0000-000000000000"
EXISTING_REGISTRY = given_id("Microsoft.MachineLearningServices/registries/mlr-shared", "rg-registry", REGISTRY_SUB)
REGISTRY_READERS = (ReaderGrant(None, grant("registry-user-workspace", Role.AZUREML_REGISTRY_USER)),
                    ReaderGrant("cpu", grant("registry-user-compute-cpu", Role.AZUREML_REGISTRY_USER)))


def registry_run(spec: RegistrySpec) -> Run:
    def build() -> dict[str, Any]:
        registry = MachineLearningRegistry("ml-registry", MachineLearningRegistryArgs(
            spec, WS_GROUP, GIVEN_SUB, {None: WORKSPACE_PRINCIPAL, "cpu": CPU_PRINCIPAL}))
        return {"registry_id": registry.registry_id, "registry_name": registry.registry_name}

    return built(build)


@pytest.fixture(scope="module")
def created_registry() -> Run:
    return registry_run(RegistrySpec(
        "mlr-ml", None, regions=("westeurope", "northeurope"), public_network_access="Disabled",
        grants=REGISTRY_READERS, protect=True, location=LOCATION, tags=TAGS,
    ))


@pytest.fixture(scope="module")
def existing_registry() -> Run:
    # A registry in another subscription: its grants name that subscription (resolve sets it).
    grants = tuple(replace(r, grant=replace(r.grant, subscription_id=REGISTRY_SUB)) for r in REGISTRY_READERS)
    return registry_run(RegistrySpec("mlr-shared", EXISTING_REGISTRY, grants=grants, protect=True,
                                     location=LOCATION, tags=TAGS))


CREATED_REGISTRY = ws_id("Microsoft.MachineLearningServices/registries/mlr-ml")


def test_a_created_registry_is_protected_with_a_region_each_and_its_readers(created_registry):
    assert tree(created_registry) == {
        (REGISTRY_COMPONENT, "ml-registry", None),
        (ML_REGISTRY, "ml-registry", "ml-registry"),
        (RA, "registry-user-workspace", "ml-registry"),
        (RA, "registry-user-compute-cpu", "ml-registry"),
    }
    assert stateful_flags(created_registry) == {"ml-registry": (True, True)}
    inputs = created_registry.one(ML_REGISTRY).inputs
    assert (inputs["registryName"], inputs["resourceGroupName"], inputs["location"], inputs["tags"]) == (
        "mlr-ml", WS_GROUP, LOCATION, TAGS)
    assert (inputs["identity"], inputs["publicNetworkAccess"]) == ({"type": "SystemAssigned"}, "Disabled")
    assert inputs["regionDetails"] == [
        {"location": region,
         "acrDetails": [{"systemCreatedAcrAccount": {"acrAccountSku": "Premium"}}],
         "storageAccountDetails": [{"systemCreatedStorageAccount": {
             "storageAccountType": "Standard_LRS", "allowBlobPublicAccess": False}}]}
        for region in ("westeurope", "northeurope")
    ]


def registry_assignments(run: Run) -> dict[str, tuple[str, str, str]]:
    return {r.name: (r.inputs["principalId"], r.inputs["roleDefinitionId"], r.inputs["scope"]) for r in run.of_type(RA)}


def test_a_created_registry_grants_its_readers_on_itself_with_the_deployments_roles(created_registry):
    user = role_definition(Role.AZUREML_REGISTRY_USER)
    assert registry_assignments(created_registry) == {
        "registry-user-workspace": (WORKSPACE_PRINCIPAL, user, CREATED_REGISTRY),
        "registry-user-compute-cpu": (CPU_PRINCIPAL, user, CREATED_REGISTRY),
    }
    assignment = created_registry.one(RA, "registry-user-workspace")
    assert (assignment.inputs["roleAssignmentName"], assignment.delete_before_replace) == (
        REGISTRY_READERS[0].grant.name, True)
    assert {k: o.value for k, o in created_registry.outputs.items()} == {
        "registry_id": CREATED_REGISTRY, "registry_name": "mlr-ml"}


def test_an_existing_registry_registers_only_its_readers_roles_in_its_own_subscription(existing_registry):
    assert tree(existing_registry) == {
        (REGISTRY_COMPONENT, "ml-registry", None),
        (RA, "registry-user-workspace", "ml-registry"),
        (RA, "registry-user-compute-cpu", "ml-registry"),
    }
    user = role_definition(Role.AZUREML_REGISTRY_USER, REGISTRY_SUB)
    assert registry_assignments(existing_registry) == {
        "registry-user-workspace": (WORKSPACE_PRINCIPAL, user, EXISTING_REGISTRY),
        "registry-user-compute-cpu": (CPU_PRINCIPAL, user, EXISTING_REGISTRY),
    }
    assert stateful_flags(existing_registry) == {}
    assert {k: o.value for k, o in existing_registry.outputs.items()} == {
        "registry_id": EXISTING_REGISTRY, "registry_name": "mlr-shared"}


# --- access entries ---------------------------------------------------------------------------

ACCESS_COMPONENT = "azureml-infra:access:Access"
ACCESS_GRANTS = (
    AccessGrant(grant(f"access-workspace-azureml-data-scientist-{GROUP}", Role.AZUREML_DATA_SCIENTIST, "Group"),
                GROUP, "workspace"),
    AccessGrant(grant(f"access-resourceGroup-reader-{APP}", Role.READER), APP, "resourceGroup"),
    AccessGrant(grant(f"access-dataStorage-storage-blob-data-reader-{GROUP}", Role.STORAGE_BLOB_DATA_READER,
                      "Group"), GROUP, "dataStorage"),
)
SCOPE_IDS = {"workspace": TARGET_IDS["workspace"], "resourceGroup": f"/subscriptions/{GIVEN_SUB}/resourceGroups/rg-x",
             "dataStorage": LAKE_ID, "keyVault": given_id("Microsoft.KeyVault/vaults/kv-unused")}


@pytest.fixture(scope="module")
def access() -> Run:
    def build() -> dict[str, Any]:
        made = Access("access", AccessArgs(ACCESS_GRANTS, SCOPE_IDS, GIVEN_SUB))
        return {"assignments": sorted(made.assignments)}

    return built(build)


def test_each_access_entry_is_one_assignment_on_the_scope_id_given(access):
    assert tree(access) == {(ACCESS_COMPONENT, "access", None)} | {
        (RA, entry.grant.logical_name, "access") for entry in ACCESS_GRANTS}
    for entry in ACCESS_GRANTS:
        assignment = access.one(RA, entry.grant.logical_name)
        assert assignment.inputs == {
            "roleAssignmentName": entry.grant.name,
            "roleDefinitionId": f"/subscriptions/{GIVEN_SUB}/providers/Microsoft.Authorization/roleDefinitions/"
                                f"{entry.grant.role_id}",
            "principalId": entry.principal_id,
            "principalType": entry.grant.principal_type,
            "scope": SCOPE_IDS[entry.scope],
            "description": entry.grant.description,
        }, entry.grant.logical_name
        assert (assignment.delete_before_replace, assignment.dependencies) == (True, [])
    assert access.outputs["assignments"].value == sorted(e.grant.logical_name for e in ACCESS_GRANTS)


# --- diagnostic settings ----------------------------------------------------------------------

DIAGNOSTICS_COMPONENT = "azureml-infra:diagnostics:Diagnostics"
LOGS_TO = given_id("Microsoft.OperationalInsights/workspaces/log-central", "rg-monitor")
TARGETS = (
    DiagnosticTarget("workspace", "workspace"),
    DiagnosticTarget("storage-account-blob", "storageAccount", "blob"),
    DiagnosticTarget("storage-account", "storageAccount", "metrics"),
    DiagnosticTarget("key-vault", "keyVault"),
)
TARGET_IDS_ALL = {**TARGET_IDS, "keyVault": given_id("Microsoft.KeyVault/vaults/kv-ml-test")}


def diagnostics_run(logs: str, metrics: bool) -> Run:
    def build() -> dict[str, Any]:
        made = Diagnostics("diagnostics", DiagnosticsArgs(DiagnosticsSpec(TARGETS, LOGS_TO, logs, metrics),
                                                          TARGET_IDS_ALL, LOGS_TO))
        return {"settings": sorted(made.settings)}

    return built(build)


@pytest.fixture(scope="module")
def audit() -> Run:
    return diagnostics_run("audit", metrics=True)


@pytest.fixture(scope="module")
def all_logs_no_metrics() -> Run:
    return diagnostics_run("allLogs", metrics=False)


def settings(run: Run) -> dict[str, dict[str, Any]]:
    return {r.name: r.inputs for r in run.of_type(SETTING)}


METRICS = [{"category": "AllMetrics", "enabled": True}]


def test_audit_logs_and_metrics_for_each_target_and_blob_logs_on_the_blob_service(audit):
    assert tree(audit) == {(DIAGNOSTICS_COMPONENT, "diagnostics", None)} | {
        (SETTING, f"{t.label}-diagnostics", "diagnostics") for t in TARGETS}
    blob_service = f"{TARGET_IDS['storageAccount']}/blobServices/default"
    audit_group = [{"categoryGroup": "audit", "enabled": True}]
    assert settings(audit) == {
        "workspace-diagnostics": {"name": "azureml-infra", "resourceUri": TARGET_IDS["workspace"],
                                  "workspaceId": LOGS_TO, "logs": audit_group, "metrics": METRICS},
        "storage-account-blob-diagnostics": {
            "name": "azureml-infra", "resourceUri": blob_service, "workspaceId": LOGS_TO, "metrics": METRICS,
            "logs": [{"category": "StorageWrite", "enabled": True}, {"category": "StorageDelete", "enabled": True}]},
        "storage-account-diagnostics": {"name": "azureml-infra", "resourceUri": TARGET_IDS["storageAccount"],
                                        "workspaceId": LOGS_TO, "metrics": METRICS},
        "key-vault-diagnostics": {"name": "azureml-infra", "resourceUri": TARGET_IDS_ALL["keyVault"],
                                  "workspaceId": LOGS_TO, "logs": audit_group, "metrics": METRICS},
    }
    assert audit.outputs["settings"].value == sorted(t.label for t in TARGETS)


def test_all_logs_without_metrics_skips_the_metrics_only_target(all_logs_no_metrics):
    all_logs = [{"categoryGroup": "allLogs", "enabled": True}]
    assert settings(all_logs_no_metrics) == {
        "workspace-diagnostics": {"name": "azureml-infra", "resourceUri": TARGET_IDS["workspace"],
                                  "workspaceId": LOGS_TO, "logs": all_logs},
        "storage-account-blob-diagnostics": {"name": "azureml-infra", "workspaceId": LOGS_TO, "logs": all_logs,
                                             "resourceUri": f"{TARGET_IDS['storageAccount']}/blobServices/default"},
        "key-vault-diagnostics": {"name": "azureml-infra", "resourceUri": TARGET_IDS_ALL["keyVault"],
                                  "workspaceId": LOGS_TO, "logs": all_logs},
    }
