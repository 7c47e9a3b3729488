"""The `access` entries: role assignments on the stack's own resources, under mocks.

What the engine receives for each scope (principal, its type, role definition, scope), the
assignment names (config values only: pinned, the same in a preview, different per stack) and
the logical names (an entry's own, so removing one never renames another).
"""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import plan, stack
from tools.harness import SUBSCRIPTION_ID, Run

RA = "azure-native:authorization:RoleAssignment"
ACCESS = "azureml-infra:access:Access"
GROUP = "6f1c1c43-2b1e-4a52-9e2a-0c2a3f1c7d11"
APP = "0b5e2a1d-9c1f-4a8e-b0c4-2e7d5c9a1f22"
RG = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-mlops-dev"
# Built-in role GUIDs (azure-docs role-based-access-control/built-in-roles.md).
DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
BLOB_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"


def role_definition(guid: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def entry(**overrides) -> dict:
    return {"principalId": GROUP, "principalType": "Group", "role": "AzureML Data Scientist", "scope": "workspace",
            **overrides}


def access_plan(*entries: dict, stack_name: str = "dev", preview: bool = False, **extra) -> Run:
    return plan(stack({"azureml-infra:access": list(entries), **extra}), stack_name, preview=preview)


def granted(run: Run) -> dict[str, dict]:
    """The access component's assignments by logical name."""
    parent = run.one(ACCESS).urn
    return {r.name: r.inputs for r in run.of_type(RA) if r.parent == parent}


def test_a_group_gets_its_role_on_the_workspace():
    run = access_plan(entry())
    (name, inputs), = granted(run).items()
    assert name == f"access-workspace-azureml-data-scientist-{GROUP}"
    assert inputs["principalId"] == GROUP
    assert inputs["principalType"] == "Group"
    assert inputs["roleDefinitionId"] == role_definition(DATA_SCIENTIST)
    assert inputs["scope"] == f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-mlops-dev"
    # The assignment waits for the workspace it is on (through its scope).
    workspace = run.one("azure-native:machinelearningservices:Workspace")
    assert workspace.urn in run.one(RA, name).dependencies


SCOPES = {
    "workspace": f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-mlops-dev",
    "resourceGroup": RG,
    "storageAccount": f"{RG}/providers/Microsoft.Storage/storageAccounts/stmlopsdevt0k7",
    "keyVault": f"{RG}/providers/Microsoft.KeyVault/vaults/kv-mlops-dev-t0k7",
    "containerRegistry": f"{RG}/providers/Microsoft.ContainerRegistry/registries/crmlopsdevt0k7",
    "logAnalytics": f"{RG}/providers/Microsoft.OperationalInsights/workspaces/log-mlops-dev",
    "dataStorage": f"{RG}/providers/Microsoft.Storage/storageAccounts/stmlopsdevdatat0k7",
}


@pytest.fixture(scope="module")
def one_entry_per_scope() -> Run:
    entries = [entry(scope=scope, role="Reader") for scope in SCOPES]
    return access_plan(*entries, **{"azureml-infra:dataStorage": {"containers": ["raw"]}})


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_each_scope_is_the_stacks_own_resource(one_entry_per_scope, scope):
    # One assignment per entry, each under its own name.
    assert set(granted(one_entry_per_scope)) == {f"access-{s}-reader-{GROUP}" for s in SCOPES}
    inputs = granted(one_entry_per_scope)[f"access-{scope}-reader-{GROUP}"]
    assert inputs["scope"] == SCOPES[scope]
    assert inputs["roleDefinitionId"] == role_definition(READER)


def test_a_role_definition_guid_and_a_service_principal():
    custom = "aaaaaaaa-1111-2222-3333-444444444444"
    run = access_plan(entry(principalId=APP, principalType="ServicePrincipal", role=custom.upper(),
                            scope="resourceGroup"))
    (name, inputs), = granted(run).items()
    assert name == f"access-resourceGroup-{custom}-{APP}"
    assert (inputs["principalType"], inputs["roleDefinitionId"]) == ("ServicePrincipal", role_definition(custom))


def test_an_existing_resource_group_is_a_scope_too():
    run = access_plan(entry(scope="resourceGroup"),
                      **{"azureml-infra:resourceGroup": {"name": "rg-team", "existing": True}})
    (inputs,) = granted(run).values()
    assert inputs["scope"] == f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-team"


def names(run: Run) -> dict[str, str]:
    return {logical: inputs["roleAssignmentName"] for logical, inputs in granted(run).items()}


TWO = (entry(), entry(principalId=APP, principalType="ServicePrincipal", role="Owner", scope="resourceGroup"))


def test_assignment_names_are_frozen():
    # Computed once by hand: uuid5(uuid5(NAMESPACE_DNS, "role-assignments.azureml-infra"),
    # "<scope key>|<role GUID>|<stack>/access/<principal>"). A new name replaces the assignment.
    assert names(access_plan(*TWO)) == {
        f"access-workspace-azureml-data-scientist-{GROUP}": "d3afdfda-4af8-5af9-94c3-275f54421d71",
        f"access-resourceGroup-owner-{APP}": "77fe3e13-6088-54f9-9597-abd3043a54c6",
    }


def test_assignment_names_are_known_in_a_preview():
    applied, previewed = names(access_plan(*TWO)), names(access_plan(*TWO, preview=True))
    assert previewed == applied and all(uuid.UUID(n) for n in applied.values())


def test_assignment_names_differ_between_stacks():
    dev, test = names(access_plan(*TWO)), names(access_plan(*TWO, stack_name="test"))
    assert set(dev) == set(test) and not set(dev.values()) & set(test.values())


def test_stacks_sharing_an_existing_group_do_not_share_an_assignment():
    # Same group, same principal and role: still two assignments (Azure refuses the second as a
    # duplicate rather than one stack silently taking over the other's).
    shared = {"azureml-infra:resourceGroup": {"name": "rg-team", "existing": True}}
    rg_entry = entry(scope="resourceGroup")
    dev, test = names(access_plan(rg_entry, **shared)), names(access_plan(rg_entry, stack_name="test", **shared))
    assert dev.keys() == test.keys() and dev != test


def test_removing_an_entry_renames_nothing_else():
    both = names(access_plan(*TWO))
    second_only = names(access_plan(TWO[1]))
    assert second_only.items() <= both.items()


def test_a_principal_id_in_capitals_names_the_same_assignment():
    assert names(access_plan(entry(principalId=GROUP.upper()))) == names(access_plan(entry()))


def test_no_access_no_component():
    assert plan(stack()).of_type(ACCESS) == []
