"""The roles the program gives its own identities so that day one works (issue 18): each compute's
on the workspace storage and registry, the workspace identity's Reader on the storage's private
endpoints, and a created user-assigned identity's approver role under a managed network. Resolved
directly first (plain values), then what the components register under mocks.
"""

from __future__ import annotations

from typing import Any

import pytest

from azureml_infra.deployment import Deployment, ScopedGrant
from azureml_infra.resolve import resolve
from azureml_infra.roles import Role
from tests.conftest import ROOT, accepted, mock_principal, plan, run_file, stack
from tests.variant_plans import CREATED_IDENTITY
from tools.harness import SUBSCRIPTION_ID

SUB = SUBSCRIPTION_ID
OTHER = "22222222-3333-4444-5555-666666666666"
UAI = f"/subscriptions/{OTHER}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-jobs"
RA = "azure-native:authorization:RoleAssignment"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev"
STORAGE_ID = f"{RG}/providers/Microsoft.Storage/storageAccounts/stmlopsdevt0k7"
REGISTRY_ID = f"{RG}/providers/Microsoft.ContainerRegistry/registries/crmlopsdevt0k7"

KEYLESS = {"storageAccount": {"allowSharedKeyAccess": False}}
CLUSTERS = [
    {"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2},  # system-assigned, the default
    {"name": "gpu", "vmSize": "STANDARD_NC6S_V3", "maxNodes": 1, "identity": "systemAssigned"},
    {"name": "jobs", "vmSize": "STANDARD_D3_V2", "maxNodes": 2, "identity": {"userAssigned": [UAI]}},
    {"name": "both", "vmSize": "STANDARD_D3_V2", "maxNodes": 2, "identity": {"systemAssigned": True, "userAssigned": [UAI]}},
    {"name": "bare", "vmSize": "STANDARD_D3_V2", "maxNodes": 2, "identity": "none"},
]
AKS = [{"name": "myaks", "inference": False, "training": True, "cluster": {"vmSize": "Standard_D4s_v5"}}]


def computes_stack(workspace: dict[str, Any] | None = None) -> dict[str, Any]:
    return stack({"azureml-infra:workspace": workspace or {}, "azureml-infra:computes": CLUSTERS,
                  "azureml-infra:kubernetesComputes": AKS})


def deployment_of(config: dict[str, Any]) -> Deployment:
    return resolve(accepted(config))


def roles(grants: tuple[ScopedGrant, ...]) -> list[tuple[str, Role]]:
    by_id = {role.id: role for role in Role}
    return [(g.target, by_id[g.grant.role_id]) for g in grants]


STORAGE_ROLES = [
    ("storageAccount", Role.STORAGE_BLOB_DATA_CONTRIBUTOR),
    ("storageAccount", Role.STORAGE_QUEUE_DATA_CONTRIBUTOR),
    ("storageAccount", Role.STORAGE_TABLE_DATA_CONTRIBUTOR),
]


# --- the computes' identities ------------------------------------------------------------------


def test_in_a_keyless_stack_each_system_assigned_cluster_gets_the_storage_data_roles_and_no_acr_pull():
    d = deployment_of(computes_stack(KEYLESS))
    assert {c.name: roles(c.grants) for c in d.clusters} == {
        "cpu": STORAGE_ROLES,
        "gpu": STORAGE_ROLES,
        # A user-assigned identity is its owner's to grant (docs/access.md): only the cluster's own.
        "jobs": [],
        "both": STORAGE_ROLES,
        "bare": [],
    }
    # Azure ML grants a cluster's identity AcrPull on the workspace registry itself: a second
    # assignment would fail with RoleAssignmentExists.
    assert not any(g.grant.role_id == Role.ACR_PULL.id for c in d.clusters for g in c.grants)


def test_in_a_keyless_stack_a_kubernetes_compute_gets_the_storage_data_roles_and_acr_pull():
    (k,) = deployment_of(computes_stack(KEYLESS)).kubernetes
    assert roles(k.grants) == [*STORAGE_ROLES, ("containerRegistry", Role.ACR_PULL)]
    assert [g.grant.logical_name for g in k.grants] == [
        "myaks-storage-account-storage-blob-data-contributor",
        "myaks-storage-account-storage-queue-data-contributor",
        "myaks-storage-account-storage-table-data-contributor",
        "myaks-container-registry-acr-pull",
    ]


def test_with_shared_keys_on_no_compute_gets_a_storage_role_and_kubernetes_still_gets_acr_pull():
    d = deployment_of(computes_stack())  # allowSharedKeyAccess defaults to true
    assert d.workspace.system_datastores_auth_mode is None
    assert {c.name: c.grants for c in d.clusters} == {c["name"]: () for c in CLUSTERS}
    (k,) = d.kubernetes
    assert roles(k.grants) == [("containerRegistry", Role.ACR_PULL)]


def test_an_inference_only_kubernetes_compute_gets_acr_pull_too():
    inference = [{"name": "scoring", "allowInsecureConnections": True,
                  "cluster": {"vmSize": "Standard_D4s_v5", "nodeCount": 3}}]
    (k,) = deployment_of(stack({"azureml-infra:kubernetesComputes": inference})).kubernetes
    assert (k.inference, k.training) == (True, False)
    assert roles(k.grants) == [("containerRegistry", Role.ACR_PULL)]


# The computes' registry reused from another subscription: its AcrPull names that subscription.
SHARED_REGISTRY = (f"/subscriptions/{OTHER}/resourceGroups/rg-shared/providers/"
                   "Microsoft.ContainerRegistry/registries/crshared")


@pytest.fixture(scope="module")
def computes_run():
    """Every kind of compute identity in a keyless stack whose registry is reused from another
    subscription: the one plan of the computes' grants."""
    return plan(computes_stack({**KEYLESS, "containerRegistry": {"id": SHARED_REGISTRY}}))


def test_under_mocks_each_compute_grant_is_on_the_workspace_storage_for_the_computes_own_principal(computes_run):
    assignments = {r.name: r for r in computes_run.of_type(RA)}
    expected = {
        f"{compute}-storage-account-{role}": (compute, STORAGE_ID)
        for compute in ("cpu", "gpu", "both", "myaks")
        for role in ("storage-blob-data-contributor", "storage-queue-data-contributor", "storage-table-data-contributor")
    } | {"myaks-container-registry-acr-pull": ("myaks", SHARED_REGISTRY)}
    assert {name: (r.parent.rsplit("::", 1)[-1], r.inputs["scope"]) for name, r in assignments.items()} == expected
    for name, (compute, _) in expected.items():
        inputs = assignments[name].inputs
        assert (inputs["principalId"], inputs["principalType"]) == (mock_principal(compute), "ServicePrincipal"), name
        # It waits for the compute, whose identity it names.
        (owner,) = [r for r in computes_run.of_type("azure-native:machinelearningservices:Compute") if r.name == compute]
        assert owner.urn in assignments[name].dependencies, name


def test_acr_pull_on_a_registry_reused_from_another_subscription_names_that_subscriptions_role(computes_run):
    (k,) = deployment_of(computes_stack({**KEYLESS, "containerRegistry": {"id": SHARED_REGISTRY}})).kubernetes
    assert [g.grant.subscription_id for g in k.grants if g.target == "containerRegistry"] == [OTHER]
    acr_pull = computes_run.one(RA, "myaks-container-registry-acr-pull").inputs
    assert acr_pull["scope"] == SHARED_REGISTRY
    assert acr_pull["roleDefinitionId"] == (
        f"/subscriptions/{OTHER}/providers/Microsoft.Authorization/roleDefinitions/{Role.ACR_PULL.id}")


# --- the workspace identity: Reader on the storage endpoints in a private stack ----------------


def test_in_a_private_stack_the_workspace_identity_reads_the_storage_and_lake_endpoints_only():
    d = deployment_of(stack({
        "azureml-infra:workspace": {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu"},
        "azureml-infra:network": {"privateEndpoints": {"vnet": {
            "addressSpace": "10.20.0.0/16", "privateEndpointSubnet": "10.20.1.0/24", "trainingSubnet": "10.20.2.0/24"}}},
        "azureml-infra:computes": [{"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2, "subnetId": "training"}],
        "azureml-infra:dataStorage": {"containers": ["raw"]},
    }))
    readers = {e.key: e.reader for e in d.endpoints}
    assert sorted(readers) == ["container-registry", "data-storage-blob", "data-storage-dfs", "key-vault",
                               "storage-account-blob", "storage-account-file", "storage-account-queue",
                               "storage-account-table", "workspace"]
    assert sorted(k for k, r in readers.items() if r is not None) == [
        "data-storage-blob", "data-storage-dfs", "storage-account-blob", "storage-account-file"]
    for key in ("data-storage-blob", "data-storage-dfs", "storage-account-blob", "storage-account-file"):
        reader = readers[key]
        assert reader is not None
        assert (reader.logical_name, reader.role_id) == (f"pe-{key}-workspace-reader", Role.READER.id)


def test_a_public_stack_has_no_endpoints_and_so_no_readers():
    assert deployment_of(stack({"azureml-infra:workspace": KEYLESS})).endpoints == ()


PRIVATE_HUB = ROOT / "examples" / "Pulumi.private-hub.yaml"


def test_under_mocks_each_reader_is_on_its_endpoint_for_the_workspace_identity():
    run = run_file(PRIVATE_HUB)
    endpoints = {r.name: r for r in run.of_type("azure-native:network:PrivateEndpoint")}
    readers = {r.name: r for r in run.of_type(RA) if r.name.endswith("-workspace-reader")}
    assert sorted(readers) == ["pe-data-storage-blob-workspace-reader", "pe-data-storage-dfs-workspace-reader",
                               "pe-storage-account-blob-workspace-reader", "pe-storage-account-file-workspace-reader"]
    group = f"/subscriptions/{SUB}/resourceGroups/rg-mlops-hub"
    workspace = run.one("azure-native:machinelearningservices:Workspace")
    for name, reader in readers.items():
        endpoint = endpoints[name.removesuffix("-workspace-reader")]
        endpoint_name = endpoint.inputs["privateEndpointName"]
        assert reader.inputs["scope"] == f"{group}/providers/Microsoft.Network/privateEndpoints/{endpoint_name}", name
        assert endpoint.urn in reader.dependencies, name
        assert reader.inputs["principalId"] == mock_principal(workspace.inputs["workspaceName"]), name
        assert reader.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{Role.READER.id}"), name


# --- a created user-assigned workspace identity under a managed network --------------------------

APPROVER = Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER


def identity_stack(isolation: str | None) -> dict[str, Any]:
    extra: dict[str, Any] = {"azureml-infra:workspace": {"identity": "userAssigned"}}
    if isolation:
        extra["azureml-infra:network"] = {"isolation": isolation}
    return stack(extra)


@pytest.mark.parametrize("isolation", ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"])
def test_under_a_managed_network_a_created_identity_approves_on_storage_vault_and_registry(isolation):
    identity = deployment_of(identity_stack(isolation)).workspace.identity
    assert identity is not None
    approvals = [(g.target, g.grant.logical_name) for g in identity.grants if g.grant.role_id == APPROVER.id]
    assert approvals == [
        ("storageAccount", "identity-storage-account-azure-ai-enterprise-network-connection-approver"),
        ("keyVault", "identity-key-vault-azure-ai-enterprise-network-connection-approver"),
        ("containerRegistry", "identity-container-registry-azure-ai-enterprise-network-connection-approver"),
    ]


def test_without_a_managed_network_a_created_identity_gets_no_approver_role():
    identity = deployment_of(identity_stack(None)).workspace.identity
    assert identity is not None and identity.grants
    assert not any(g.grant.role_id == APPROVER.id for g in identity.grants)


def test_a_reused_identity_gets_no_approver_role_either():
    config = identity_stack("AllowInternetOutbound")
    config["azureml-infra:workspace"]["identity"] = {"type": "userAssigned", "id": UAI}
    identity = deployment_of(config).workspace.identity
    assert identity is not None and identity.grants == ()


def test_under_mocks_the_workspace_waits_for_the_approver_roles():
    # A created identity in a managed network: the plan tests/test_identity.py reads too.
    run = plan(CREATED_IDENTITY)
    approvers = [r for r in run.of_type(RA) if r.inputs["roleDefinitionId"].endswith(APPROVER.id)]
    assert sorted(r.inputs["scope"] for r in approvers) == sorted([
        STORAGE_ID, f"{RG}/providers/Microsoft.KeyVault/vaults/kv-mlops-dev-t0k7", REGISTRY_ID])
    identity = run.one("azure-native:managedidentity:UserAssignedIdentity")
    workspace = run.one("azure-native:machinelearningservices:Workspace")
    for approver in approvers:
        assert identity.urn in approver.dependencies
        assert approver.urn in workspace.dependencies, approver.name
