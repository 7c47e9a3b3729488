"""Personas in ``access``: what each expands into in a stack, resolved directly (plain values),
and what prod's access component registers for its three personas; a persona's role on a
created registry from one plan, on a reused one from the components built alone.

The expected rows are written out here, not read from azureml_infra.personas: a change to the
table is a change these tests show.
"""

from __future__ import annotations

from typing import Any

import pytest

from azureml_infra import keys
from azureml_infra.deployment import Deployment
from azureml_infra.resolve import resolve
from azureml_infra.roles import Role
from tests.conftest import accepted, plan, shipped_plan, stack
from tests.variant_plans import (
    OTHER,
    REUSED_REGISTRY_ID,
    TEAM_REGISTRY,
    reused_registry_deployment,
    reused_registry_run,
)
from tools.harness import SUBSCRIPTION_ID

SUB = SUBSCRIPTION_ID
GROUP = "6f1c1c43-2b1e-4a52-9e2a-0c2a3f1c7d11"
REGISTRY_ID = f"/subscriptions/{SUB}/resourceGroups/rg-shared/providers/Microsoft.MachineLearningServices/registries/mlr-X"

KEYLESS = {"azureml-infra:workspace": {"storageAccount": {"allowSharedKeyAccess": False}}}
LAKE = {"azureml-infra:dataStorage": {"containers": ["raw"]}}
REGISTRY = {"azureml-infra:registry": {"id": REGISTRY_ID}}
# Every condition of the persona table: no keys on the workspace storage, a data lake, a registry.
EVERYTHING = {**KEYLESS, **LAKE, **REGISTRY}


def persona(name: str, principal: str = GROUP) -> dict[str, str]:
    return {"principalId": principal, "principalType": "Group", "persona": name}


def deployment_of(*entries: dict, **extra: Any) -> Deployment:
    return resolve(accepted(stack({"azureml-infra:access": list(entries), **extra})))


def roles_of(d: Deployment) -> list[tuple[str, str]]:
    """(role as Azure names it, scope) of every access grant, in order."""
    by_id = {role.id: role.value for role in Role}
    return [(by_id[a.grant.role_id], a.scope) for a in d.access]


# --- what a persona expands into ------------------------------------------------------------

ALWAYS = {
    "dataScientist": [("AzureML Data Scientist", "workspace"), ("Reader", "resourceGroup")],
    "mlEngineer": [("AzureML Data Scientist", "workspace"), ("AzureML Compute Operator", "workspace"),
                   ("Reader", "resourceGroup")],
    "reader": [("Reader", "resourceGroup")],
}
# The rows each condition adds, by persona.
IDENTITY_STORAGE = {
    "dataScientist": [("Storage Blob Data Contributor", "storageAccount"),
                      ("Storage File Data Privileged Contributor", "storageAccount")],
    "mlEngineer": [("Storage Blob Data Contributor", "storageAccount"),
                   ("Storage File Data Privileged Contributor", "storageAccount")],
    "reader": [("Storage Blob Data Reader", "storageAccount"), ("Storage File Data Privileged Reader", "storageAccount")],
}
DATA_STORAGE = {
    "dataScientist": [("Storage Blob Data Contributor", "dataStorage")],
    "mlEngineer": [("Storage Blob Data Contributor", "dataStorage")],
    "reader": [("Storage Blob Data Reader", "dataStorage")],
}
REGISTRY_ROWS = {
    "dataScientist": [("AzureML Registry User", "registry")],
    "mlEngineer": [("AzureML Registry User", "registry")],
    "reader": [("Reader", "registry")],
}
PERSONAS = sorted(ALWAYS)


@pytest.mark.parametrize("name", PERSONAS)
def test_a_persona_in_a_stack_with_keyless_storage_a_lake_and_a_registry_gets_every_row(name):
    d = deployment_of(persona(name), **EVERYTHING)
    assert sorted(roles_of(d)) == sorted(ALWAYS[name] + IDENTITY_STORAGE[name] + DATA_STORAGE[name] + REGISTRY_ROWS[name])
    assert {(a.principal_id, a.grant.principal_type) for a in d.access} == {(GROUP, "Group")}


@pytest.mark.parametrize("name", PERSONAS)
def test_a_persona_in_a_plain_stack_gets_only_the_always_rows(name):
    assert roles_of(deployment_of(persona(name))) == ALWAYS[name]


@pytest.mark.parametrize("condition, extra, rows", [
    ("identityStorage", KEYLESS, IDENTITY_STORAGE),
    ("dataStorage", LAKE, DATA_STORAGE),
    ("registry", REGISTRY, REGISTRY_ROWS),
])
@pytest.mark.parametrize("name", PERSONAS)
def test_each_condition_adds_its_own_rows_and_no_other(name, condition, extra, rows):
    assert sorted(roles_of(deployment_of(persona(name), **extra))) == sorted(ALWAYS[name] + rows[name]), condition


def test_a_reused_storage_account_takes_no_persona_storage_rows():
    # Its datastores are not this stack's to switch to identity: the owner grants data roles there.
    sa = f"/subscriptions/{OTHER}/resourceGroups/rg-shared/providers/Microsoft.Storage/storageAccounts/stshared"
    d = deployment_of(persona("dataScientist"), **{"azureml-infra:workspace": {"storageAccount": {"id": sa}}})
    assert roles_of(d) == ALWAYS["dataScientist"]


# --- names: a persona's grant is the same grant as an entry of its own ------------------------


@pytest.mark.parametrize("name", PERSONAS)
def test_a_personas_grant_is_named_as_the_same_role_given_by_an_entry_of_its_own(name):
    """Moving a principal from role entries to a persona (or back) keeps every assignment: the
    same logical name and the same Azure name, so Pulumi changes nothing."""
    expanded = deployment_of(persona(name), **EVERYTHING).access
    assert expanded
    for grant in expanded:
        role = next(r.value for r in Role if r.id == grant.grant.role_id)
        entry = {"principalId": GROUP, "principalType": "Group", "role": role, "scope": grant.scope}
        (own,) = deployment_of(entry, **EVERYTHING).access
        assert own == grant


def test_the_registry_scope_is_keyed_by_the_registrys_name():
    entry = {"principalId": GROUP.upper(), "principalType": "User", "role": "AzureML Registry User", "scope": "registry"}
    (grant,) = deployment_of(entry, **REGISTRY).access
    assert grant.scope == "registry"
    assert grant.grant.logical_name == f"access-registry-azureml-registry-user-{GROUP}"
    # The registry's name (unique in the tenant, any case), not its id: created or reused, the same.
    assert grant.grant.name == keys.assignment_name("mlregistry/mlr-x", Role.AZUREML_REGISTRY_USER.id,
                                                    f"mlops-dev/access/{GROUP}")
    created = {"azureml-infra:registry": {"create": {"name": "mlr-x", "regions": ["westeurope"]}}}
    (same,) = deployment_of(entry, **created).access
    assert same.grant.name == grant.grant.name


# --- under mocks ------------------------------------------------------------------------------

RA = "azure-native:authorization:RoleAssignment"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-mlops-prod"
WORKSPACE = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-mlops-prod"
STORAGE = f"{RG}/providers/Microsoft.Storage/storageAccounts/stmlopsprodkdui"
# Prod's example groups (Pulumi.prod.yaml).
SCIENTISTS = "2b7c9e4a-5d1f-4c3b-8a6e-9f0d1c2b3a41"
ENGINEERS = "7e3f1a9c-2d4b-4e6a-b8c0-1d2e3f4a5b62"
READERS = "4a9d2c7e-8b1f-4d3a-9e6c-5b0a1f2e3d73"


def role_definition(role: Role, subscription: str = SUB) -> str:
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role.id}"


def test_prods_access_registers_exactly_its_three_personas_roles():
    run = shipped_plan("prod")
    access = run.one("azureml-infra:access:Access").urn
    registered = sorted(
        (r.inputs["principalId"], r.inputs["roleDefinitionId"], r.inputs["scope"], r.inputs["principalType"])
        for r in run.of_type(RA) if r.parent == access
    )
    # Prod's storage takes no keys; it has no data lake and no registry.
    expected = [
        (SCIENTISTS, Role.AZUREML_DATA_SCIENTIST, WORKSPACE),
        (SCIENTISTS, Role.READER, RG),
        (SCIENTISTS, Role.STORAGE_BLOB_DATA_CONTRIBUTOR, STORAGE),
        (SCIENTISTS, Role.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, STORAGE),
        (ENGINEERS, Role.AZUREML_DATA_SCIENTIST, WORKSPACE),
        (ENGINEERS, Role.AZUREML_COMPUTE_OPERATOR, WORKSPACE),
        (ENGINEERS, Role.READER, RG),
        (ENGINEERS, Role.STORAGE_BLOB_DATA_CONTRIBUTOR, STORAGE),
        (ENGINEERS, Role.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, STORAGE),
        (READERS, Role.READER, RG),
        (READERS, Role.STORAGE_BLOB_DATA_READER, STORAGE),
        (READERS, Role.STORAGE_FILE_DATA_PRIVILEGED_READER, STORAGE),
    ]
    assert registered == sorted((p, role_definition(role), scope, "Group") for p, role, scope in expected)


def test_the_registry_scope_is_the_created_registrys_id_and_waits_for_it():
    run = plan(TEAM_REGISTRY)
    assignment = run.one(RA, f"access-registry-reader-{GROUP}")
    inputs = assignment.inputs
    assert inputs["scope"] == (f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev/providers/"
                               "Microsoft.MachineLearningServices/registries/mlr-team")
    assert run.one("azure-native:machinelearningservices:Registry").urn in assignment.dependencies
    assert (inputs["roleDefinitionId"], inputs["principalType"]) == (role_definition(Role.READER), "Group")


# A reused registry: the registry and access components built alone from the resolved deployment
# (tests.variant_plans.py), its id handed to access as the recipe does; the wiring itself is
# the created registry's plan above.


def test_the_registry_scope_is_a_reused_registrys_id():
    run = reused_registry_run()
    assert run.one(RA, f"access-registry-reader-{GROUP}").inputs["scope"] == REUSED_REGISTRY_ID


def test_a_registry_in_another_subscription_gets_its_role_definitions_from_that_subscription():
    # Resolved: both grants name the registry's subscription.
    d = reused_registry_deployment()
    assert d.registry is not None and {r.grant.subscription_id for r in d.registry.grants} == {OTHER}
    assert {a.grant.subscription_id for a in d.access if a.scope == "registry"} == {OTHER}
    run = reused_registry_run()
    own = run.one(RA, "registry-user-workspace").inputs
    assert own["roleDefinitionId"] == role_definition(Role.AZUREML_REGISTRY_USER, OTHER)  # the program's own rule
    assert run.one(RA, f"access-registry-reader-{GROUP}").inputs["roleDefinitionId"] == role_definition(
        Role.READER, OTHER)
