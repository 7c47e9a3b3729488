"""components/foundry.py on its own: built under the program's mocks from hand-made specs and ids
(tools.harness.run_component), without __main__ and without a stack file.

What the component decides from its spec: the resources it registers, under itself; the account's
inputs (private or public, keys or not), the deployments' and projects' chains, the connections'
shape, the role assignments with the principals and subscription handed in, the lock, protect;
and its outputs. The ids another component would provide are in a subscription of their own
(GIVEN_SUB), told apart from the mocks' (SUBSCRIPTION_ID).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from azureml_infra.deployment import (
    ConnectionSpec,
    FoundryAccountSpec,
    FoundryDeploymentSpec,
    FoundryProjectSpec,
    FoundrySpec,
    Grant,
    ReaderGrant,
)
from azureml_infra.roles import Role
from components.foundry import Foundry, FoundryArgs
from tools.harness import SUBSCRIPTION_ID, Run, run_component

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
PROJECT = "azure-native:cognitiveservices:Project"
CONNECTION = "azure-native:machinelearningservices:WorkspaceConnection"
RA = "azure-native:authorization:RoleAssignment"
LOCK = "azure-native:authorization:ManagementLockByScope"
COMPONENT = "azureml-infra:foundry:Foundry"

GIVEN_SUB = "44444444-4444-4444-4444-444444444444"
OTHER_SUB = "88888888-8888-8888-8888-888888888888"
WORKSPACE_PRINCIPAL = "66666666-6666-6666-6666-666666666666"
CPU_PRINCIPAL = "77777777-7777-7777-7777-777777777777"
GROUP = "rg-ml-test"
WORKSPACE = "mlw-ml-test"
NAME = "aif-ml-test"
TAGS = {"environment": "test"}
SEARCH = f"/subscriptions/{GIVEN_SUB}/resourceGroups/rg-search/providers/Microsoft.Search/searchServices/srch"
EXISTING = f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/aif-shared"
MOCK_ACCOUNT = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{GROUP}/providers/Microsoft.CognitiveServices/accounts/{NAME}"


def grant(logical_name: str, role: Role) -> Grant:
    return Grant(logical_name, str(uuid.uuid5(uuid.NAMESPACE_URL, logical_name)), role.id, f"azureml-infra: {logical_name}")


GRANTS = (
    ReaderGrant(None, grant("foundry-openai-user-workspace", Role.COGNITIVE_SERVICES_OPENAI_USER)),
    ReaderGrant("cpu", grant("foundry-openai-user-compute-cpu", Role.COGNITIVE_SERVICES_OPENAI_USER)),
)
DEPLOYMENTS = tuple(FoundryDeploymentSpec(f"d{i}", "OpenAI", f"model-{i}", "1", "GlobalStandard", i) for i in (1, 2, 3))
PROJECTS = (FoundryProjectSpec("p1", "first", None, "https://e/p1"), FoundryProjectSpec("p2", None, "Second", "https://e/p2"))


def spec(account: FoundryAccountSpec | None, existing_id: str | None = None, **changes: Any) -> FoundrySpec:
    values: dict[str, Any] = dict(
        name=NAME, location="westeurope", tags=TAGS, existing_id=existing_id, account=account,
        endpoint=f"https://{NAME}.cognitiveservices.azure.com/",
        connections=(ConnectionSpec("foundry", "AIServices", f"https://{NAME}.cognitiveservices.azure.com/", existing_id),
                     ConnectionSpec("search", "CognitiveSearch", "https://srch.search.windows.net", SEARCH)),
        grants=GRANTS,
    )
    values.update(changes)
    return FoundrySpec(**values)


def built(foundry_spec: FoundrySpec) -> Run:
    def build() -> dict[str, Any]:
        component = Foundry("foundry", FoundryArgs(foundry_spec, GROUP, WORKSPACE, GIVEN_SUB,
                                                   {None: WORKSPACE_PRINCIPAL, "cpu": CPU_PRINCIPAL}))
        return component.outputs()

    return run_component(build).record()


@pytest.fixture(scope="module")
def private() -> Run:
    return built(spec(FoundryAccountSpec(local_auth=False, private=True, protect=True, lock="the account",
                                         deployments=DEPLOYMENTS, projects=PROJECTS)))


@pytest.fixture(scope="module")
def existing() -> Run:
    return built(spec(None, EXISTING, grants=tuple(
        replace(g, grant=replace(g.grant, subscription_id=OTHER_SUB)) for g in GRANTS)))


def tree(run: Run) -> set[tuple[str, str, str | None]]:
    names = {r.urn: r.name for r in run.registrations}
    return {(r.type, r.name, names.get(r.parent)) for r in run.registrations}


def test_everything_registers_under_the_component(private):
    assert tree(private) == {
        (COMPONENT, "foundry", None),
        (ACCOUNT, "foundry-account", "foundry"),
        (LOCK, "foundry-account-lock", "foundry"),
        *((DEPLOYMENT, f"foundry-deployment-d{i}", "foundry") for i in (1, 2, 3)),
        (PROJECT, "foundry-project-p1", "foundry"),
        (PROJECT, "foundry-project-p2", "foundry"),
        (CONNECTION, "connection-foundry", "foundry"),
        (CONNECTION, "connection-search", "foundry"),
        (RA, "foundry-openai-user-workspace", "foundry"),
        (RA, "foundry-openai-user-compute-cpu", "foundry"),
    }


def test_a_private_account_is_closed_keyless_protected_and_locked(private):
    account = private.one(ACCOUNT)
    assert account.inputs == {
        "accountName": NAME, "resourceGroupName": GROUP, "kind": "AIServices", "sku": {"name": "S0"},
        "identity": {"type": "SystemAssigned"}, "location": "westeurope", "tags": TAGS,
        "properties": {"allowProjectManagement": True, "customSubDomainName": NAME, "disableLocalAuth": True,
                       "publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}},
    }
    assert account.protect and account.retain_on_delete
    lock = private.one(LOCK)
    assert lock.inputs["scope"] == MOCK_ACCOUNT and lock.inputs["level"] == "CanNotDelete"
    assert lock.inputs["notes"].startswith("azureml-infra: protects the account from deletion")


def test_a_public_account_with_keys_as_its_spec_says():
    run = built(spec(FoundryAccountSpec(local_auth=True, private=False, protect=False, lock=None)))
    account = run.one(ACCOUNT)
    assert account.inputs["properties"] == {"allowProjectManagement": True, "customSubDomainName": NAME,
                                            "disableLocalAuth": False, "publicNetworkAccess": "Enabled"}
    assert not account.protect and run.of_type(LOCK) == [] and run.of_type(DEPLOYMENT) == []


def test_deployments_one_after_another_and_projects_one_after_another(private):
    account = private.one(ACCOUNT)
    deployments = private.of_type(DEPLOYMENT)
    assert [d.inputs["deploymentName"] for d in deployments] == ["d1", "d2", "d3"]
    assert deployments[0].dependencies == [account.urn]
    for before, after in zip(deployments, deployments[1:], strict=False):
        assert set(after.dependencies) == {account.urn, before.urn}
    assert deployments[2].inputs["sku"] == {"name": "GlobalStandard", "capacity": 3}
    assert deployments[2].inputs["properties"] == {"model": {"format": "OpenAI", "name": "model-3", "version": "1"}}
    p1, p2 = private.of_type(PROJECT)
    assert p1.dependencies == [account.urn] and set(p2.dependencies) == {account.urn, p1.urn}
    assert p1.inputs["properties"] == {"description": "first", "displayName": "p1"}
    assert p2.inputs["properties"] == {"displayName": "Second"}
    assert p1.protect and p2.retain_on_delete and not any(d.protect for d in deployments)


def test_connections_with_entra_id_to_the_account_id_and_to_the_id_given(private):
    connections = {c.inputs["connectionName"]: c.inputs for c in private.of_type(CONNECTION)}
    assert connections["foundry"]["properties"]["metadata"] == {"ApiType": "Azure", "ResourceId": MOCK_ACCOUNT}
    assert connections["search"]["properties"] == {
        "authType": "AAD", "category": "CognitiveSearch", "target": "https://srch.search.windows.net",
        "metadata": {"ApiType": "Azure", "ResourceId": SEARCH}}
    assert {c["workspaceName"] for c in connections.values()} == {WORKSPACE}


def test_roles_go_to_the_principals_given_in_the_deployments_subscription(private):
    roles = {r.name: r.inputs for r in private.of_type(RA)}
    assert roles["foundry-openai-user-workspace"]["principalId"] == WORKSPACE_PRINCIPAL
    assert roles["foundry-openai-user-compute-cpu"]["principalId"] == CPU_PRINCIPAL
    for role in roles.values():
        assert role["scope"] == MOCK_ACCOUNT
        assert role["roleDefinitionId"] == (f"/subscriptions/{GIVEN_SUB}/providers/Microsoft.Authorization/"
                                            f"roleDefinitions/{Role.COGNITIVE_SERVICES_OPENAI_USER.id}")


def test_an_existing_account_is_used_by_the_id_given(existing):
    assert {t for t, _, _ in tree(existing)} == {COMPONENT, CONNECTION, RA}
    roles = existing.of_type(RA)
    assert {r.inputs["scope"] for r in roles} == {EXISTING}
    assert {r.inputs["roleDefinitionId"].split("/")[2] for r in roles} == {OTHER_SUB}
    foundry = next(c for c in existing.of_type(CONNECTION) if c.inputs["connectionName"] == "foundry")
    assert foundry.inputs["properties"]["metadata"]["ResourceId"] == EXISTING


def test_outputs(private, existing):
    out = {k: v.value for k, v in private.outputs.items()}
    assert out["foundryAccountId"] == MOCK_ACCOUNT and out["foundryAccountName"] == NAME
    assert out["foundryEndpoint"] == f"https://{NAME}.cognitiveservices.azure.com/"
    assert list(out["foundryDeployments"]) == ["d1", "d2", "d3"]
    assert out["foundryProjects"] == {"p1": {"id": f"{MOCK_ACCOUNT}/projects/p1", "endpoint": "https://e/p1"},
                                      "p2": {"id": f"{MOCK_ACCOUNT}/projects/p2", "endpoint": "https://e/p2"}}
    assert out["foundryConnections"] == ["foundry", "search"]
    assert existing.outputs["foundryAccountId"].value == EXISTING
    assert existing.outputs["foundryDeployments"].value == {} and existing.outputs["foundryProjects"].value == {}
