"""The workspace's identity: system-assigned (as always) or user-assigned, created or reused.

A created identity holds the roles Azure ML documents for a workspace identity on the
dependencies before the workspace exists (the workspace waits for them), and Contributor on the
workspace after; the datastores' data roles and studio's data access follow the identity.
What config decides alone (assignment names, the datastores' identity) is also resolved directly.
"""

from __future__ import annotations

import uuid

from azureml_infra.resolve import resolve
from tests.conftest import accepted, mock_principal, plan, stack
from tests.variant_plans import CREATED_IDENTITY, DATASTORE
from tools.graph import deployment_depth, nodes_from_registrations
from tools.harness import SUBSCRIPTION_ID, Run

UAI = "azure-native:managedidentity:UserAssignedIdentity"
MLW = "azure-native:machinelearningservices:Workspace"
RA = "azure-native:authorization:RoleAssignment"
DS = "azure-native:machinelearningservices:Datastore"
IDENTITY = "azureml-infra:identity:WorkspaceIdentity"
RG = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-mlops-dev"
UAI_ID = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-mlops-dev"
SHARED_ID = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-identities/providers/"
             "Microsoft.ManagedIdentity/userAssignedIdentities/id-shared")
# Built-in role GUIDs (azure-docs role-based-access-control/built-in-roles.md).
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
KEY_VAULT_ADMINISTRATOR = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
APPROVER = "b556d68e-0be0-4f35-a333-ad7ee1ce17ea"  # Azure AI Enterprise Network Connection Approver


def mock_uai(arm_id: str, what: str = "principal") -> str:
    """The principal (or client) id the harness gives a user-assigned identity with this ARM id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{what}/{arm_id}"))


def identity_plan(identity, **extra) -> Run:
    workspace = {"identity": identity, **extra.pop("workspace", {})}
    return plan(stack({"azureml-infra:workspace": workspace, **extra}))


def role_definition(guid: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def created() -> Run:
    """A created identity, with a datastore, in a protected stack with a managed network
    (tests/variant_plans.py): one run shared by the tests of the identity, its grants (the
    datastore's grant is the datastore's child, not the identity's), the datastore's grant and
    data access, protect, and the approver roles (tests/test_day_one_grants.py)."""
    return plan(CREATED_IDENTITY)


SHARED_STORAGE = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-shared/providers/"
                  "Microsoft.Storage/storageAccounts/stshared")
NO_DIAGNOSTICS = {"azureml-infra:diagnostics": {"enabled": False}}


def created_reusing_storage() -> Run:
    """A created identity with the workspace's storage reused by id and no diagnostic settings
    (which would add waves of their own): shared by the waves test and the reused dependency's grant."""
    return identity_plan("userAssigned", workspace={"storageAccount": {"id": SHARED_STORAGE}}, **NO_DIAGNOSTICS)


def identity_grants(run: Run) -> dict[str, dict]:
    parent = run.one(IDENTITY).urn
    return {r.name: r.inputs for r in run.of_type(RA) if r.parent == parent}


# --- system-assigned: unchanged --------------------------------------------------------------


def test_system_assigned_is_the_default_and_unchanged_on_the_wire(dev_run):
    workspace = dev_run.one(MLW).inputs
    assert workspace["identity"] == {"type": "SystemAssigned"}
    assert "primaryUserAssignedIdentity" not in workspace
    assert dev_run.of_type(UAI) == [] and dev_run.of_type(IDENTITY) == []
    assert "workspaceIdentityId" not in dev_run.outputs
    assert dev_run.outputs["workspacePrincipalId"].value == mock_principal("mlw-mlops-dev")


# --- created -----------------------------------------------------------------------------------


def test_a_created_identity_is_named_for_the_stack_and_is_the_workspaces_primary():
    run = created()
    identity = run.one(UAI)
    assert identity.inputs["resourceName"] == "id-mlops-dev"
    assert identity.inputs["resourceGroupName"] == "rg-mlops-dev"
    assert identity.inputs["location"] == "westeurope"
    workspace = run.one(MLW).inputs
    assert workspace["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [UAI_ID]}
    assert workspace["primaryUserAssignedIdentity"] == UAI_ID
    assert run.outputs["workspaceIdentityId"].value == UAI_ID
    assert run.outputs["workspaceIdentityClientId"].value == mock_uai(UAI_ID, "client")
    assert run.outputs["workspacePrincipalId"].value == mock_uai(UAI_ID)


def test_a_created_identity_gets_the_documented_roles_on_every_dependency():
    # how-to-identity-based-service-authentication.md, "User-assigned managed identity > Workspace".
    grants = identity_grants(created())
    provider = f"{RG}/providers"
    assert {name: (g["scope"], g["roleDefinitionId"]) for name, g in grants.items()} == {
        "identity-storage-account-contributor": (
            f"{provider}/Microsoft.Storage/storageAccounts/stmlopsdevt0k7", role_definition(CONTRIBUTOR)),
        "identity-storage-account-storage-blob-data-contributor": (
            f"{provider}/Microsoft.Storage/storageAccounts/stmlopsdevt0k7", role_definition(BLOB_DATA_CONTRIBUTOR)),
        "identity-key-vault-contributor": (
            f"{provider}/Microsoft.KeyVault/vaults/kv-mlops-dev-t0k7", role_definition(CONTRIBUTOR)),
        "identity-key-vault-key-vault-administrator": (
            f"{provider}/Microsoft.KeyVault/vaults/kv-mlops-dev-t0k7", role_definition(KEY_VAULT_ADMINISTRATOR)),
        "identity-container-registry-contributor": (
            f"{provider}/Microsoft.ContainerRegistry/registries/crmlopsdevt0k7", role_definition(CONTRIBUTOR)),
        "identity-application-insights-contributor": (
            f"{provider}/Microsoft.Insights/components/appi-mlops-dev", role_definition(CONTRIBUTOR)),
        "identity-workspace-contributor": (
            f"{provider}/Microsoft.MachineLearningServices/workspaces/mlw-mlops-dev", role_definition(CONTRIBUTOR)),
    } | {
        # And, in a managed network, the approver role on the three (tests/test_day_one_grants.py).
        f"identity-{label}-azure-ai-enterprise-network-connection-approver": (
            f"{provider}/{resource}", role_definition(APPROVER))
        for label, resource in (("storage-account", "Microsoft.Storage/storageAccounts/stmlopsdevt0k7"),
                                ("key-vault", "Microsoft.KeyVault/vaults/kv-mlops-dev-t0k7"),
                                ("container-registry", "Microsoft.ContainerRegistry/registries/crmlopsdevt0k7"))
    }
    assert {(g["principalId"], g["principalType"]) for g in grants.values()} == {
        (mock_uai(UAI_ID), "ServicePrincipal")}


def test_the_workspace_waits_for_the_grants_on_its_dependencies():
    run = created()
    workspace = run.one(MLW)
    by_name = {r.name: r for r in run.of_type(RA)}
    before = {n for n in identity_grants(run) if n != "identity-workspace-contributor"}
    assert {by_name[n].urn for n in before} <= set(workspace.dependencies)
    # Contributor on the workspace can only come after it.
    assert workspace.urn in by_name["identity-workspace-contributor"].dependencies


def test_identity_grant_names_are_frozen():
    # uuid5(uuid5(NAMESPACE_DNS, "role-assignments.azureml-infra"), "<scope key>|<role>|<principal key>"),
    # computed once by hand.
    grants = identity_grants(created())
    assert grants["identity-storage-account-storage-blob-data-contributor"]["roleAssignmentName"] == (
        "a9fec30c-b3a2-5ae4-8be4-3b3c1fd98187")
    assert grants["identity-workspace-contributor"]["roleAssignmentName"] == "42ccac17-f15b-5af2-b47e-6496e7f95796"


def test_a_reused_dependency_still_gets_the_grant():
    # Azure ML grants a system-assigned identity its roles on a reused dependency itself, with
    # the deployer's rights; a created identity needs the same, from this program.
    grants = identity_grants(created_reusing_storage())
    assert grants["identity-storage-account-contributor"]["scope"] == SHARED_STORAGE


def test_datastore_grants_and_studio_access_follow_the_created_identity():
    run = created()
    (grant,) = [r for r in run.of_type(RA) if r.name == "raw-reader-workspace"]
    assert grant.inputs["principalId"] == mock_uai(UAI_ID)
    assert grant.inputs["roleDefinitionId"] == role_definition(BLOB_DATA_READER)
    properties = run.one(DS).inputs["properties"]
    assert properties["serviceDataAccessAuthIdentity"] == "WorkspaceUserAssignedIdentity"
    # A new principal, a new assignment name: not the system-assigned identity's. Both resolved
    # (config values only); the plan's is the resolved one.
    user = resolve(accepted(stack({"azureml-infra:datastores": DATASTORE,
                                   "azureml-infra:workspace": {"identity": "userAssigned"}}))).datastores[0]
    (system,) = resolve(accepted(stack({"azureml-infra:datastores": DATASTORE}))).datastores
    (user_grant,), (system_grant,) = user.grants, system.grants
    assert grant.inputs["roleAssignmentName"] == user_grant.grant.name
    assert system_grant.grant.logical_name == "raw-reader-workspace"
    assert system_grant.grant.name == "ef827600-02ee-5182-89be-7464342516f2"
    assert user_grant.grant.name != system_grant.grant.name
    assert (user.service_identity, system.service_identity) == (
        "WorkspaceUserAssignedIdentity", "WorkspaceSystemAssignedIdentity")


def test_a_created_identity_is_protected_with_the_stack():
    identity = created().one(UAI)
    assert identity.protect and identity.retain_on_delete


def test_the_grants_before_the_workspace_add_the_waves_they_force():
    # rg → Log Analytics → Application Insights → its grant → workspace: the grant on Application
    # Insights (created in wave 3) must exist before the workspace, and Contributor on the
    # workspace comes after it (as a workspace's diagnostic setting or a compute would anyway).
    # (The reused storage takes its grants without waiting: it adds no wave.)
    system = deployment_depth(nodes_from_registrations(plan(stack(NO_DIAGNOSTICS)).registrations))
    user = deployment_depth(nodes_from_registrations(created_reusing_storage().registrations))
    assert (system.waves, user.waves) == (4, 6), (system.text(), user.text())
    assert user.critical_path == ["resource-group", "log-analytics", "application-insights",
                                  "identity-application-insights-contributor", "workspace",
                                  "identity-workspace-contributor"]


# --- reused ------------------------------------------------------------------------------------


def test_a_reused_identity_is_used_as_is():
    run = identity_plan({"type": "userAssigned", "id": SHARED_ID}, **{"azureml-infra:datastores": DATASTORE})
    assert run.of_type(UAI) == []
    assert identity_grants(run) == {}  # its owner grants its roles (docs/access.md)
    workspace = run.one(MLW).inputs
    assert workspace["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [SHARED_ID]}
    assert workspace["primaryUserAssignedIdentity"] == SHARED_ID
    # Its principal, as Azure reports it in the workspace's identity, gets the data roles.
    (grant,) = [r for r in run.of_type(RA) if r.name == "raw-reader-workspace"]
    assert grant.inputs["principalId"] == mock_uai(SHARED_ID)
    assert run.one(DS).inputs["properties"]["serviceDataAccessAuthIdentity"] == "WorkspaceUserAssignedIdentity"
    assert run.outputs["workspaceIdentityId"].value == SHARED_ID
    assert run.outputs["workspaceIdentityClientId"].value == mock_uai(SHARED_ID, "client")
    assert run.outputs["workspacePrincipalId"].value == mock_uai(SHARED_ID)
