"""The `access` entries: role assignments on the stack's own resources.

The assignment names (config values only: pinned, different per stack) and the logical names (an
entry's own, so removing one never renames another) are resolved directly (plain values). What
the engine receives for each scope (principal, its type, role definition, scope) comes from one
plan with an entry on every scope (tests/variant_plans.py; test_locks.py reads its locks); that
the names stay known in a preview, from the access component built alone from the resolved grants.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from azureml_infra.deployment import Deployment
from azureml_infra.resolve import resolve
from components.access import Access, AccessArgs
from tests.conftest import accepted, plan, shipped_plan, stack
from tests.variant_plans import (
    ACCESS_SCOPES,
    APP,
    CUSTOM_ROLE,
    EVERY_SCOPE_ENTRIES,
    GROUP,
    PROTECTED_EVERY_SCOPE,
    access_entry,
)
from tools.harness import SUBSCRIPTION_ID, UNKNOWN, Run, run_component

RA = "azure-native:authorization:RoleAssignment"
ACCESS = "azureml-infra:access:Access"
# The one plan's resource group is an existing one: a created one is prod's (Pulumi.prod.yaml).
TEAM_RG = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-team"
# Built-in role GUIDs (azure-docs role-based-access-control/built-in-roles.md).
DATA_SCIENTIST = "f6c7c914-8db3-469d-8ca1-694a8f32e121"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def role_definition(guid: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


entry = access_entry


def access_config(*entries: dict, **extra: Any) -> dict[str, Any]:
    return stack({"azureml-infra:access": list(entries), **extra})


def resolved(*entries: dict, stack_name: str = "dev", **extra: Any) -> Deployment:
    """The deployment of a stack with these entries, as the program resolves it before registering anything."""
    return resolve(accepted(access_config(*entries, **extra), stack_name))


def granted(run: Run) -> dict[str, dict]:
    """The access component's assignments by logical name."""
    parent = run.one(ACCESS).urn
    return {r.name: r.inputs for r in run.of_type(RA) if r.parent == parent}


# --- under mocks: one plan with an entry on every scope ---------------------------------------

SCOPES = {
    "workspace": f"{TEAM_RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-mlops-dev",
    "resourceGroup": TEAM_RG,
    "storageAccount": f"{TEAM_RG}/providers/Microsoft.Storage/storageAccounts/stmlopsdevt0k7",
    "keyVault": f"{TEAM_RG}/providers/Microsoft.KeyVault/vaults/kv-mlops-dev-t0k7",
    "containerRegistry": f"{TEAM_RG}/providers/Microsoft.ContainerRegistry/registries/crmlopsdevt0k7",
    "logAnalytics": f"{TEAM_RG}/providers/Microsoft.OperationalInsights/workspaces/log-mlops-dev",
    "dataStorage": f"{TEAM_RG}/providers/Microsoft.Storage/storageAccounts/stmlopsdevdatat0k7",
}
assert set(SCOPES) == set(ACCESS_SCOPES)


@pytest.fixture(scope="module")
def every_scope() -> Run:
    """The file's one plan (tests/variant_plans.py, shared with tests/test_locks.py): what the
    access component receives from the rest of the stack."""
    return plan(PROTECTED_EVERY_SCOPE)


def test_a_group_gets_its_role_on_the_workspace(every_scope):
    name = f"access-workspace-azureml-data-scientist-{GROUP}"
    inputs = granted(every_scope)[name]
    assert inputs["principalId"] == GROUP
    assert inputs["principalType"] == "Group"
    assert inputs["roleDefinitionId"] == role_definition(DATA_SCIENTIST)
    assert inputs["scope"] == SCOPES["workspace"]
    # The assignment waits for the workspace it is on (through its scope).
    workspace = every_scope.one("azure-native:machinelearningservices:Workspace")
    assert workspace.urn in every_scope.one(RA, name).dependencies


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_each_scope_is_the_stacks_own_resource(every_scope, scope):
    # One assignment per entry, each under its own name.
    assert set(granted(every_scope)) == {f"access-{s}-reader-{GROUP}" for s in SCOPES} | {
        f"access-workspace-azureml-data-scientist-{GROUP}", f"access-resourceGroup-{CUSTOM_ROLE}-{APP}"}
    inputs = granted(every_scope)[f"access-{scope}-reader-{GROUP}"]
    assert inputs["scope"] == SCOPES[scope]
    assert inputs["roleDefinitionId"] == role_definition(READER)


def test_each_assignment_gets_the_name_resolved_from_config(every_scope):
    expected = {a.grant.logical_name: a.grant.name for a in resolve(accepted(PROTECTED_EVERY_SCOPE)).access}
    assert {name: inputs["roleAssignmentName"] for name, inputs in granted(every_scope).items()} == expected


def test_a_role_definition_guid_and_a_service_principal(every_scope):
    (grant,) = [a.grant for a in resolved(EVERY_SCOPE_ENTRIES[-1]).access]
    assert grant.logical_name == f"access-resourceGroup-{CUSTOM_ROLE}-{APP}"
    inputs = granted(every_scope)[grant.logical_name]
    assert (inputs["principalType"], inputs["roleDefinitionId"]) == ("ServicePrincipal", role_definition(CUSTOM_ROLE))


def test_an_existing_resource_group_is_a_scope_too(every_scope):
    assert granted(every_scope)[f"access-resourceGroup-reader-{GROUP}"]["scope"] == TEAM_RG


def test_a_created_resource_group_is_a_scope_too():
    # Prod creates its group; its personas' Reader is on it (the other scopes: test_personas.py).
    group = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-mlops-prod"
    run = shipped_plan("prod")
    readers = [inputs for inputs in granted(run).values() if inputs["roleDefinitionId"] == role_definition(READER)]
    assert readers and {inputs["scope"] for inputs in readers} == {group}


# --- names: config values only ----------------------------------------------------------------


def names(d: Deployment) -> dict[str, str]:
    return {a.grant.logical_name: a.grant.name for a in d.access}


TWO = (entry(), entry(principalId=APP, principalType="ServicePrincipal", role="Owner", scope="resourceGroup"))


def test_assignment_names_are_frozen():
    # Computed once by hand: uuid5(uuid5(NAMESPACE_DNS, "role-assignments.azureml-infra"),
    # "<scope key>|<role GUID>|<stack>/access/<principal>"). A new name replaces the assignment.
    assert names(resolved(*TWO)) == {
        f"access-workspace-azureml-data-scientist-{GROUP}": "d3afdfda-4af8-5af9-94c3-275f54421d71",
        f"access-resourceGroup-owner-{APP}": "77fe3e13-6088-54f9-9597-abd3043a54c6",
    }


def test_assignment_names_are_known_in_a_preview():
    # The access component built alone from the resolved grants, in a preview: ids are unknown
    # there, the names are not.
    grants = resolved(*TWO).access

    def build() -> dict[str, Any]:
        scope_ids = {"workspace": SCOPES["workspace"], "resourceGroup": TEAM_RG}
        return {"assignments": sorted(Access("access", AccessArgs(grants, scope_ids, SUBSCRIPTION_ID)).assignments)}

    previewed = run_component(build, preview=True)
    sent = {name: inputs["roleAssignmentName"] for name, inputs in granted(previewed).items()}
    assert sent == names(resolved(*TWO))
    assert all(n != UNKNOWN and uuid.UUID(n) for n in sent.values())


def test_assignment_names_differ_between_stacks():
    dev, test = names(resolved(*TWO)), names(resolved(*TWO, stack_name="test"))
    assert set(dev) == set(test) and not set(dev.values()) & set(test.values())


def test_stacks_sharing_an_existing_group_do_not_share_an_assignment():
    # Same group, same principal and role: still two assignments (Azure refuses the second as a
    # duplicate rather than one stack silently taking over the other's).
    shared = {"azureml-infra:resourceGroup": {"name": "rg-team", "existing": True}}
    rg_entry = entry(scope="resourceGroup")
    dev, test = names(resolved(rg_entry, **shared)), names(resolved(rg_entry, stack_name="test", **shared))
    assert dev.keys() == test.keys() and dev != test


def test_removing_an_entry_renames_nothing_else():
    both = names(resolved(*TWO))
    second_only = names(resolved(TWO[1]))
    assert second_only.items() <= both.items()


def test_a_principal_id_in_capitals_names_the_same_assignment():
    assert names(resolved(entry(principalId=GROUP.upper()))) == names(resolved(entry()))


def test_no_access_no_component(dev_run):
    assert resolve(accepted(stack())).access == ()
    assert dev_run.of_type(ACCESS) == []  # Pulumi.dev.yaml has no access entries
