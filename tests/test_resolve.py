"""resolve(StackConfig) -> Deployment, tested directly: plain values in, plain values out, no
mocks. The one list of dependencies and what is derived from it (endpoints, diagnostic targets,
access scopes, locks, the identity's roles), the config-only keys and the names they give.
"""

from __future__ import annotations

from typing import Any

from azureml_infra import keys
from azureml_infra.deployment import Deployment, Existing, KeyVaultSpec, StorageAccountSpec
from azureml_infra.resolve import resolve
from azureml_infra.roles import Role
from tests.conftest import accepted, stack

SUB = "00000000-0000-0000-0000-000000000000"
OTHER = "22222222-3333-4444-5555-666666666666"
GROUP = "6f1c1c43-2b1e-4a52-9e2a-0c2a3f1c7d11"
SA_ID = f"/subscriptions/{OTHER}/resourceGroups/rg-shared/providers/Microsoft.Storage/storageAccounts/stShared"
KV_ID = f"/subscriptions/{OTHER}/resourceGroups/rg-shared/providers/Microsoft.KeyVault/vaults/kv-shared"
PRIVATE = {"azureml-infra:network": {"privateEndpoints": {"vnet": {
    "addressSpace": "10.20.0.0/16", "privateEndpointSubnet": "10.20.1.0/24", "trainingSubnet": "10.20.2.0/24"}}}}
CLUSTER = {"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2, "subnetId": "training"}
PRIVATE_WORKSPACE = {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu"}


def deployment_of(extra: dict[str, Any] | None = None, secure: dict[str, str] | None = None) -> Deployment:
    return resolve(accepted(stack(extra, secure)))


def private_stack(extra: dict[str, Any] | None = None, secure: dict[str, str] | None = None) -> Deployment:
    return deployment_of({**PRIVATE, "azureml-infra:workspace": PRIVATE_WORKSPACE, "azureml-infra:computes": [CLUSTER],
                          **(extra or {})}, secure)


# --- the one list -------------------------------------------------------------------------


def test_a_minimal_stack_has_its_group_workspace_and_five_dependencies_in_order():
    d = deployment_of()
    assert [(x.kind, x.name, x.key) for x in d.dependencies] == [
        ("resourceGroup", "rg-mlops-dev", "resourcegroups/rg-mlops-dev"),
        ("workspace", "mlw-mlops-dev", "rg-mlops-dev/workspaces/mlw-mlops-dev"),
        ("storageAccount", "stmlopsdevt0k7", "rg-mlops-dev/storageaccounts/stmlopsdevt0k7"),
        ("keyVault", "kv-mlops-dev-t0k7", "rg-mlops-dev/vaults/kv-mlops-dev-t0k7"),
        ("containerRegistry", "crmlopsdevt0k7", "rg-mlops-dev/registries/crmlopsdevt0k7"),
        ("applicationInsights", "appi-mlops-dev", "rg-mlops-dev/components/appi-mlops-dev"),
        ("logAnalytics", "log-mlops-dev", "rg-mlops-dev/loganalytics/log-mlops-dev"),
    ]
    assert all(x.created and x.lock is None for x in d.dependencies)
    # A public stack: no endpoints, however many groups its dependencies have.
    assert d.endpoints == () and d.network is None and not d.private


def test_a_reused_dependency_is_keyed_by_its_id_and_gets_nothing_of_this_stacks():
    d = deployment_of({"azureml-infra:protect": True, "azureml-infra:workspace": {"storageAccount": {"id": SA_ID}}})
    storage = d.dependency("storageAccount")
    assert storage is not None
    assert (storage.existing_id, storage.key, storage.name) == (SA_ID, SA_ID.lower(), "stShared")
    assert (storage.diagnostics, storage.in_access, storage.lock) == (None, False, None)
    # ... but still its endpoints in a private stack, and the identity's roles.
    assert storage.endpoint_groups == ("blob", "file")
    assert storage.identity_roles == (Role.CONTRIBUTOR, Role.STORAGE_BLOB_DATA_CONTRIBUTOR)
    assert d.workspace.storage_account == Existing(SA_ID, "stShared")
    assert d.workspace.system_datastores_auth_mode is None


def test_protect_locks_exactly_the_created_storage_vault_and_registries():
    d = deployment_of({"azureml-infra:protect": True, "azureml-infra:workspace": {"keyVault": {"id": KV_ID}},
                       "azureml-infra:dataStorage": {"containers": ["raw"]}})
    locked = {x.kind: x.lock for x in d.dependencies if x.lock}
    assert locked == {
        "storageAccount": "the workspace's storage (artifacts, logs, notebooks)",
        "containerRegistry": "the registry and the environments' images",
        "dataStorage": "the data lake and its containers",
    }
    assert isinstance(d.workspace.storage_account, StorageAccountSpec) and d.workspace.storage_account.lock
    assert d.data_storage is not None and d.data_storage.lock == locked["dataStorage"]
    assert deployment_of({"azureml-infra:dataStorage": {"containers": ["raw"]}}).data_storage.lock is None


def test_log_analytics_is_there_only_to_back_a_created_application_insights():
    appi = "/subscriptions/" + OTHER + "/resourceGroups/rg/providers/Microsoft.Insights/components/appi-shared"
    d = deployment_of({"azureml-infra:workspace": {"applicationInsights": {"id": appi}},
                       "azureml-infra:diagnostics": {"enabled": False}})
    assert d.dependency("logAnalytics") is None
    assert d.diagnostics is None and not d.diagnostics_without_destination


# --- derived from the list -----------------------------------------------------------------


def test_a_private_stack_fronts_each_dependency_with_its_groups_and_zones():
    d = private_stack({"azureml-infra:dataStorage": {"containers": ["raw"]}})
    assert [(e.key, e.name, e.target, e.group_id) for e in d.endpoints] == [
        ("workspace", "pe-mlw-mlops-dev-amlworkspace", "workspace", "amlworkspace"),
        ("storage-account-blob", "pe-stmlopsdevt0k7-blob", "storageAccount", "blob"),
        ("storage-account-file", "pe-stmlopsdevt0k7-file", "storageAccount", "file"),
        # Its computes run in the stack's network (no managed network): batch jobs need these two.
        ("storage-account-queue", "pe-stmlopsdevt0k7-queue", "storageAccount", "queue"),
        ("storage-account-table", "pe-stmlopsdevt0k7-table", "storageAccount", "table"),
        ("key-vault", "pe-kv-mlops-dev-t0k7-vault", "keyVault", "vault"),
        ("container-registry", "pe-crmlopsdevt0k7-registry", "containerRegistry", "registry"),
        ("data-storage-blob", "pe-stmlopsdevdatat0k7-blob", "dataStorage", "blob"),
        ("data-storage-dfs", "pe-stmlopsdevdatat0k7-dfs", "dataStorage", "dfs"),
    ]
    assert d.endpoints[0].zones == ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net")
    # Every zone an endpoint names is created (none given by id), once.
    assert d.network is not None
    assert sorted(d.network.zones_to_create) == sorted({z for e in d.endpoints for z in e.zones})
    assert d.workspace.private and d.workspace.public_network_access == "Disabled"


def test_zones_given_by_id_are_not_created():
    zone = "privatelink.azurecr.io"
    zone_id = f"/subscriptions/{OTHER}/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones/{zone}"
    pe = {"vnet": PRIVATE["azureml-infra:network"]["privateEndpoints"]["vnet"], "dnsZones": {zone: zone_id}}
    d = private_stack({"azureml-infra:network": {"privateEndpoints": pe}})
    assert d.network is not None
    assert zone not in d.network.zones_to_create and d.network.given_zones == {zone: zone_id}
    assert d.network.zone_link_name == "vnet-mlops-dev-link"


def test_diagnostic_targets_are_the_created_resources_storage_split_into_blob_logs_and_metrics():
    d = deployment_of({"azureml-infra:workspace": {"keyVault": {"id": KV_ID}},
                       "azureml-infra:dataStorage": {"containers": ["raw"]}})
    assert d.diagnostics is not None
    assert [(t.label, t.target, t.kind) for t in d.diagnostics.targets] == [
        ("workspace", "workspace", "resource"),
        ("storage-account-blob", "storageAccount", "blob"),
        ("storage-account", "storageAccount", "metrics"),
        ("container-registry", "containerRegistry", "resource"),
        ("data-storage-blob", "dataStorage", "blob"),
        ("data-storage", "dataStorage", "metrics"),
    ]
    assert (d.diagnostics.logs, d.diagnostics.metrics, d.diagnostics.workspace_id) == ("audit", True, None)


def test_an_access_entry_is_named_from_its_scopes_key_and_the_stack():
    entry = {"principalId": GROUP.upper(), "principalType": "Group", "role": "AzureML Data Scientist",
             "scope": "containerRegistry"}
    d = deployment_of({"azureml-infra:access": [entry]})
    (grant,) = d.access
    registry = d.dependency("containerRegistry")
    assert registry is not None
    assert grant.scope == "containerRegistry" and grant.principal_id == GROUP.upper()
    assert grant.grant.logical_name == f"access-containerRegistry-azureml-data-scientist-{GROUP}"
    assert grant.grant.name == keys.assignment_name(
        registry.key, Role.AZUREML_DATA_SCIENTIST.id, f"mlops-dev/access/{GROUP}")
    assert grant.grant.principal_type == "Group"
    # Another stack gives the same entry another name: they may share a resource group.
    other = resolve(accepted(stack({"azureml-infra:access": [entry]}), "test")).access[0]
    assert other.grant.name != grant.grant.name


def test_a_created_user_assigned_identity_gets_the_documented_roles_the_workspaces_last():
    d = deployment_of({"azureml-infra:workspace": {"identity": {"type": "userAssigned"}}})
    identity = d.workspace.identity
    assert identity is not None and identity.existing_id is None and identity.name == "id-mlops-dev"
    assert [(g.target, g.grant.logical_name) for g in identity.grants] == [
        ("storageAccount", "identity-storage-account-contributor"),
        ("storageAccount", "identity-storage-account-storage-blob-data-contributor"),
        ("keyVault", "identity-key-vault-contributor"),
        ("keyVault", "identity-key-vault-key-vault-administrator"),
        ("containerRegistry", "identity-container-registry-contributor"),
        ("applicationInsights", "identity-application-insights-contributor"),
        ("workspace", "identity-workspace-contributor"),
    ]
    vault = d.dependency("keyVault")
    assert vault is not None
    assert identity.grants[3].grant.name == keys.assignment_name(
        vault.key, Role.KEY_VAULT_ADMINISTRATOR.id, "mlw-mlops-dev/identity/id-mlops-dev")


def test_a_reused_identity_is_granted_nothing_and_datastores_use_it():
    uai = f"/subscriptions/{OTHER}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-x"
    d = deployment_of({"azureml-infra:workspace": {"identity": {"type": "userAssigned", "id": uai}},
                       "azureml-infra:datastores": [{"name": "raw", "kind": "blob", "accountName": "extdata",
                                                     "container": "landing"}]})
    assert d.workspace.identity is not None and d.workspace.identity.grants == ()
    (datastore,) = d.datastores
    assert datastore.service_identity == "WorkspaceUserAssignedIdentity"
    (workspace_grant,) = datastore.grants
    assert workspace_grant.compute is None
    assert workspace_grant.grant.name == keys.assignment_name(
        "deployment/rg-mlops-dev/extdata/landing", Role.STORAGE_BLOB_DATA_READER.id,
        f"mlw-mlops-dev/identity/{uai.lower()}")


# --- who reads data and models -------------------------------------------------------------


COMPUTES = [
    {"name": "zeta", "vmSize": "STANDARD_D3_V2", "maxNodes": 1},
    {"name": "eta", "vmSize": "STANDARD_D3_V2", "maxNodes": 1},
    {"name": "alpha", "vmSize": "STANDARD_D3_V2", "maxNodes": 1, "identity": "none"},
    {"name": "beta", "vmSize": "STANDARD_D3_V2", "maxNodes": 1, "identity": {"userAssigned": [
        f"/subscriptions/{OTHER}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/u"]}},
]
INSTANCE = {"name": "nb-alice", "vmSize": "STANDARD_DS3_V2", "assignedUserObjectId": GROUP}
REGISTRY_ID = f"/subscriptions/{OTHER}/resourceGroups/rg-reg/providers/Microsoft.MachineLearningServices/registries/mlr-x"


def test_readers_are_the_workspace_and_each_compute_with_its_own_identity_by_name():
    d = deployment_of({"azureml-infra:computes": COMPUTES, "azureml-infra:computeInstances": [INSTANCE],
                       "azureml-infra:registry": {"id": REGISTRY_ID}})
    assert d.registry is not None
    assert [(g.compute, g.grant.logical_name) for g in d.registry.grants] == [
        (None, "registry-user-workspace"), ("eta", "registry-user-compute-eta"), ("zeta", "registry-user-compute-zeta")]
    # A role definition id lives in its scope's subscription: the existing registry's.
    assert {g.grant.subscription_id for g in d.registry.grants} == {OTHER}
    assert d.registry.grants[2].grant.name == keys.assignment_name(
        "mlregistry/mlr-x", Role.AZUREML_REGISTRY_USER.id, "mlw-mlops-dev/computes/zeta")


def test_two_datastores_on_one_container_give_the_same_grant_names():
    ds = [{"name": "raw_blob", "kind": "blob", "accountName": "extdata", "container": "landing", "readWrite": True},
          {"name": "raw_lake", "kind": "adlsGen2", "accountName": "extdata", "container": "landing", "readWrite": True}]
    a, b = deployment_of({"azureml-infra:datastores": ds}).datastores
    assert [g.grant.name for g in a.grants] == [g.grant.name for g in b.grants]
    assert [g.grant.logical_name for g in a.grants] == ["raw_blob-contributor-workspace"]


def test_secret_keys_are_every_config_key_a_component_reads_once():
    ssh = {"adminUserName": "azureuser", "passwordSecret": "adminPassword"}
    ds = [{"name": n, "kind": "blob", "accountName": "extdata", "container": "landing", "auth": "sas", "secret": "sasToken"}
          for n in ("one", "two")]
    d = deployment_of({"azureml-infra:computes": [{**COMPUTES[0], "ssh": ssh}], "azureml-infra:datastores": ds},
                      secure={"azureml-infra:adminPassword": "p", "azureml-infra:sasToken": "t"})
    assert d.secret_keys == ("adminPassword", "sasToken")


# --- network, Kubernetes ----------------------------------------------------------------------


def test_the_data_lake_gets_rules_in_a_managed_network_and_the_approver_role():
    d = deployment_of({"azureml-infra:network": {"isolation": "AllowInternetOutbound"},
                       "azureml-infra:dataStorage": {"containers": ["raw"]}})
    rules = d.outbound_rules
    assert rules is not None
    assert [(r.name, r.target, r.subresource, r.needs_approval) for r in rules.rules] == [
        ("storage-account-queue", "storageAccount", "queue", False),
        ("storage-account-table", "storageAccount", "table", False),
        ("data-storage-blob", "dataStorage", "blob", True),
        ("data-storage-dfs", "dataStorage", "dfs", True),
    ]
    (approval,) = rules.approvals
    assert approval.target == "dataStorage"
    assert approval.grant.role_id == Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER.id
    assert approval.grant.name == keys.assignment_name(
        "rg-mlops-dev/storageaccounts/stmlopsdevdatat0k7",
        Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER.id, "mlw-mlops-dev/workspace")
    assert deployment_of({"azureml-infra:dataStorage": {"containers": ["raw"]}}).outbound_rules is None


def test_a_created_cluster_in_the_network_gets_its_subnet_role_and_an_attached_one_its_ids_name():
    tls = {"certificateSecret": "tlsCert", "keySecret": "tlsKey", "cname": "scoring.contoso.com"}
    aks_id = f"/subscriptions/{OTHER}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-x"
    d = private_stack({"azureml-infra:kubernetesComputes": [
        {"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5"}, "https": tls},
        {"name": "shared", "clusterId": aks_id, "installExtension": False},
    ]}, secure={"azureml-infra:tlsCert": "cert", "azureml-infra:tlsKey": "key"})
    created, attached = d.kubernetes
    assert created.cluster is not None and created.cluster.name == "aks-mlops-dev-myaks"
    assert created.cluster.subnet_grant is not None
    assert created.cluster.subnet_grant.name == keys.assignment_name(
        "rg-mlops-dev/vnet-mlops-dev/training", Role.NETWORK_CONTRIBUTOR.id, "aks/aks-mlops-dev-myaks")
    assert created.extension_settings is not None and created.extension_settings["sslCname"] == "scoring.contoso.com"
    assert created.tls is not None and created.description == "AKS aks-mlops-dev-myaks: inference"
    assert (attached.cluster, attached.cluster_name, attached.existing_cluster_group) == (None, "aks-x", "rg-aks")
    assert attached.extension_settings is None and attached.tls is None


def test_the_vaults_spec_follows_the_stack_file():
    d = deployment_of({"azureml-infra:workspace": {"keyVault": {"authorization": "accessPolicies",
                                                                "softDeleteRetentionInDays": 7}}})
    assert d.workspace.key_vault == KeyVaultSpec(
        name="kv-mlops-dev-t0k7", sku="standard", rbac=False, enabled_for_template_deployment=False,
        soft_delete_retention_in_days=7, purge_protection=True)
