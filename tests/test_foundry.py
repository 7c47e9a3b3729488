"""The Foundry resource (azureml-infra:foundry): every bad input refused with one message naming
its key and nothing registered; what resolve decides; the plans of the two examples (public dev,
private prod): the account, its deployments one after another, projects, the workspace's
connections, the roles, the private endpoint, zones and managed-network rule; the examples'
Foundry resources against Azure's published ARM schemas; the journey "call a hosted model from a
job"; depth."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from azureml_infra import facts
from azureml_infra.config import parse_config
from azureml_infra.cost import PlannedResource, estimate
from azureml_infra.journeys import JOURNEYS, unmet
from azureml_infra.keys import assignment_name
from azureml_infra.resolve import resolve
from azureml_infra.roles import Role
from tests.conftest import accepted, assert_refused, plan, planned_file, run_file, stack
from tools.graph import deployment_depth, nodes_from_registrations
from tools.harness import ROOT, SUBSCRIPTION_ID, Run, stack_config

ACCOUNT = facts.FOUNDRY_ACCOUNT
DEPLOYMENT = facts.FOUNDRY_DEPLOYMENT
PROJECT = facts.FOUNDRY_PROJECT
CONNECTION = facts.ML_CONNECTION
RA = facts.ROLE_ASSIGNMENT
LOCK = facts.MANAGEMENT_LOCK
PE = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
RULE = "azure-native:machinelearningservices:ManagedNetworkSettingsRule"
SETTING = facts.DIAGNOSTIC_SETTING

OTHER_SUB = "11111111-2222-3333-4444-555555555555"
SHARED = f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/aif-shared"
SEARCH = f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-ai/providers/Microsoft.Search/searchServices/srch-shared"
GROUP = "2b7c9e4a-5d1f-4c3b-8a6e-9f0d1c2b3a41"
GENAI = ROOT / "examples" / "Pulumi.genai.yaml"
PRIVATE = ROOT / "examples" / "Pulumi.genai-private.yaml"
SKUS = ("GlobalStandard, GlobalProvisionedManaged, GlobalBatch, DataZoneStandard, DataZoneProvisionedManaged, "
        "DataZoneBatch, Standard, ProvisionedManaged")


def deployment(**changes: Any) -> dict[str, Any]:
    entry = {"name": "gpt-4o-mini", "model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
             "sku": {"name": "GlobalStandard", "capacity": 10}}
    return {**entry, **changes}


def foundry(settings: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return stack({"azureml-infra:foundry": settings, **{f"azureml-infra:{k}": v for k, v in extra.items()}})


def refused(settings: dict[str, Any], line: str) -> None:
    assert_refused(foundry(settings), [f"azureml-infra:foundry{line}"])


# --- bad input: one message naming the key, nothing registered ------------------------------------


def test_neither_create_nor_id():
    refused({}, ": set exactly one of create (this stack creates the Foundry resource) or id (use an existing one)")


def test_both_create_and_id():
    refused({"create": {}, "id": SHARED}, ": set exactly one of create (this stack creates the Foundry resource) or "
                                          "id (use an existing one), not both")


def test_an_account_id_of_another_resource_type():
    wrong = SEARCH
    refused({"id": wrong}, f".id: is the id of a Microsoft.Search/searchServices, not of a "
                           f'Microsoft.CognitiveServices/accounts (got "{wrong}")')
    refused({"id": "aif-shared"}, ".id: is not an ARM resource id; expected /subscriptions/<subscription-guid>/"
                                  "resourceGroups/<group>/providers/Microsoft.CognitiveServices/accounts/<name> "
                                  '(got "aif-shared")')


RULE_TEXT = ("a Foundry account name may contain only lowercase letters, digits and hyphens, and must start and end "
             "with a letter or digit (it is also the account's custom subdomain)")


@pytest.mark.parametrize("name,message", [
    ("AIF-Mlops", f'{RULE_TEXT} (got "AIF-Mlops")'),
    ("aif-mlops-", f'{RULE_TEXT} (got "aif-mlops-")'),
    ("aif_mlops", f'{RULE_TEXT} (got "aif_mlops")'),
    ("a", 'a Foundry account name must be 2-63 characters long (this one has 1) (got "a")'),
    ("a" * 64, f'a Foundry account name must be 2-63 characters long (this one has 64) (got "{"a" * 64}")'),
])
def test_an_account_name_or_subdomain_that_breaks_azures_rules(name, message):
    refused({"create": {"name": name}}, f".create.name: {message}")


def test_project_deployment_and_connection_names_that_break_azures_rules():
    refused({"create": {"projects": [{"name": "-team"}]}},
            ".create.projects[0].name: a Foundry project name may contain only letters, digits, underscores, periods "
            'and hyphens, and must start with a letter or digit (got "-team")')
    refused({"create": {"deployments": [deployment(name="gpt 4o")]}},
            ".create.deployments[0].name: a model deployment name may contain only letters, digits, underscores, "
            'periods and hyphens, and must start with a letter or digit (got "gpt 4o")')
    refused({"create": {}, "connections": [{"name": "ai", "category": "AIServices", "resourceId": SHARED}]},
            '.connections[0].name: a workspace connection name must be 3-33 characters long (this one has 2) (got "ai")')


def test_duplicate_deployment_names():
    refused({"create": {"deployments": [deployment(), deployment(name="GPT-4o-mini")]}},
            ".create.deployments[1].name: 'GPT-4o-mini' is already the name of deployments[0] (Azure compares these "
            "names ignoring case): give each a name of its own")


def test_duplicate_project_names():
    refused({"create": {"projects": [{"name": "team-a"}, {"name": "Team-A"}]}},
            ".create.projects[1].name: 'Team-A' is already the name of projects[0] (Azure compares these names "
            "ignoring case): give each a name of its own")


def test_a_capacity_below_1():
    refused({"create": {"deployments": [deployment(sku={"name": "GlobalStandard", "capacity": 0})]}},
            ".create.deployments[0].sku.capacity: must be at least 1 (got 0): it is the deployment's share of the "
            "subscription's quota, in thousands of tokens per minute (PTU for provisioned types)")


def test_an_unknown_sku_name():
    refused({"create": {"deployments": [deployment(sku={"name": "Globalstandard", "capacity": 1})]}},
            f".create.deployments[0].sku.name: is not a deployment type; did you mean 'GlobalStandard'? use one of "
            f'{SKUS} (got "Globalstandard")')
    refused({"create": {"deployments": [deployment(sku={"name": "S0", "capacity": 1})]}},
            f'.create.deployments[0].sku.name: is not a deployment type; use one of {SKUS} (got "S0")')


def test_a_model_without_a_version():
    refused({"create": {"deployments": [deployment(model={"format": "OpenAI", "name": "gpt-4o-mini"})]}},
            ".create.deployments[0].model.version: is required: without it Azure deploys the model's current default "
            "version, which changes when a newer one ships, so the same stack file could deploy two different models; "
            "give the version (`make preflight` lists the versions the region offers)")


def test_an_unknown_connection_category():
    refused({"create": {}, "connections": [{"name": "search", "category": "Search", "resourceId": SEARCH}]},
            ".connections[0].category: input should be 'AIServices', 'AzureOpenAI' or 'CognitiveSearch' "
            '(got "Search")')


def test_a_connection_resource_id_of_the_wrong_type():
    refused({"create": {}, "connections": [{"name": "search", "category": "CognitiveSearch", "resourceId": SHARED}]},
            ".connections[0].resourceId: is the id of a Microsoft.CognitiveServices/accounts, not of a "
            "Microsoft.Search/searchServices, which a CognitiveSearch connection points at")


def test_connection_names_are_the_workspaces_own():
    refused({"create": {}, "connections": [{"name": "Foundry", "category": "AIServices", "resourceId": SHARED}]},
            ".connections[0].name: 'Foundry' is the name of the workspace's connection to this stack's Foundry "
            "resource, which this program makes: choose another name")
    refused({"create": {}, "connections": [{"name": "other", "category": "AIServices", "resourceId": SHARED},
                                           {"name": "OTHER", "category": "AzureOpenAI", "resourceId": SHARED}]},
            ".connections[1].name: 'OTHER' is already the name of connections[0] (Azure compares these names "
            "ignoring case): give each a name of its own")


LOCAL_AUTH = ("azureml-infra:foundry.create.localAuth: true is refused in environment '{env}': the policy pack's "
              "foundry-local-auth-off rule is mandatory there (it only advises in dev), as keys bypass Entra ID and "
              "every role; remove localAuth and call the deployments with Entra ID (docs/foundry.md, Roles)")


@pytest.mark.parametrize("environment", ["test", "prod", "staging"])
def test_local_auth_in_a_stack_whose_policy_forbids_it(environment):
    assert_refused(foundry({"create": {"localAuth": True}}, environment=environment),
                   [LOCAL_AUTH.format(env=environment)])


def test_local_auth_is_allowed_where_the_policy_only_advises():
    assert accepted(foundry({"create": {"localAuth": True}})).foundry.create.local_auth


def test_the_policy_forbids_local_auth_exactly_where_the_config_refuses_it():
    import importlib.util
    import sys

    sys.path.insert(0, str(ROOT / "policy"))
    spec = importlib.util.spec_from_file_location("policy_rules_for_foundry", ROOT / "policy" / "rules.py")
    rules = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = rules
    spec.loader.exec_module(rules)
    rule = rules.BY_NAME["foundry-local-auth-off"]
    for environment in ("dev", "test", "prod", "staging"):
        mandatory = rule.level_in(environment) == rules.MANDATORY
        config = foundry({"create": {"localAuth": True}}, environment=environment)
        try:
            accepted(config)
            refused_here = False
        except Exception:  # noqa: BLE001 - the ConfigError
            refused_here = True
        assert mandatory == refused_here, environment


def test_the_outbound_rule_name_of_the_account_is_taken():
    assert_refused(foundry({"create": {}}, network={
        "isolation": "AllowOnlyApprovedOutbound", "outboundRules": [{"name": "foundry-account", "fqdn": "example.com"}]}),
        ["azureml-infra:network.outboundRules[0].name: 'foundry-account' is the name of the rule this stack adds for the "
         "Foundry account's private endpoint in the managed network; choose another name"])
    # Without a Foundry resource the name is free.
    accepted(stack({"azureml-infra:network": {
        "isolation": "AllowOnlyApprovedOutbound", "outboundRules": [{"name": "foundry-account", "fqdn": "example.com"}]}}))


def test_the_foundry_scope_needs_a_foundry_resource():
    assert_refused(stack({"azureml-infra:access": [
        {"principalId": GROUP, "principalType": "Group", "role": "Azure AI User", "scope": "foundry"}]}),
        ["azureml-infra:access[0].scope: is foundry, but this stack has no Foundry resource (azureml-infra:foundry is "
         "not set): choose another scope, or remove the entry"])


# --- what resolve decides ----------------------------------------------------------------------------


def resolved(settings: dict[str, Any], **extra: Any):
    return resolve(accepted(foundry(settings, **extra)))


def test_the_generated_name_is_a_global_one_and_the_endpoints_follow_it():
    spec = resolved({"create": {"projects": [{"name": "team-a"}]}}).foundry
    assert spec.name == "aif-mlops-dev-t0k7"  # the suffix of the stack's other globally unique names
    assert spec.endpoint == "https://aif-mlops-dev-t0k7.cognitiveservices.azure.com/"
    assert spec.account.projects[0].endpoint == "https://aif-mlops-dev-t0k7.services.ai.azure.com/api/projects/team-a"
    assert resolved({"create": {"name": "aif-given"}}).foundry.name == "aif-given"


def test_each_identity_gets_the_role_that_calls_its_models():
    computes = [{"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2}]
    phi = deployment(name="phi", model={"format": "Microsoft", "name": "Phi-4", "version": "7"})
    roles = {(g.compute, g.grant.role_id) for g in
             resolved({"create": {"deployments": [deployment(), phi]}}, computes=computes).foundry.grants}
    assert roles == {(who, role.id) for who in (None, "cpu")
                     for role in (Role.COGNITIVE_SERVICES_OPENAI_USER, Role.COGNITIVE_SERVICES_USER)}
    only_phi = resolved({"create": {"deployments": [phi]}}).foundry.grants
    assert [(g.compute, g.grant.role_id) for g in only_phi] == [(None, Role.COGNITIVE_SERVICES_USER.id)]
    # An existing account's deployments are not this stack's to know: the OpenAI role.
    reused = resolved({"id": SHARED}).foundry
    assert [(g.compute, g.grant.role_id) for g in reused.grants] == [(None, Role.COGNITIVE_SERVICES_OPENAI_USER.id)]
    # A role definition id names its scope's subscription: the reused account's, else the deployment's.
    assert {g.grant.subscription_id for g in reused.grants} == {OTHER_SUB}
    assert {g.grant.subscription_id for g in only_phi} == {None}


def test_every_grant_on_a_reused_account_names_its_subscription():
    """The access entries' roles and the managed network's approver role too, not just the
    identities' (main's rule for a resource of another subscription)."""
    d = resolved({"id": SHARED}, network={"isolation": "AllowOnlyApprovedOutbound"},
                 access=[{"principalId": GROUP, "principalType": "Group", "persona": "dataScientist"}])
    assert {a.grant.subscription_id for a in d.access if a.scope == "foundry"} == {OTHER_SUB}
    (approver,) = [a for a in d.outbound_rules.approvals if a.target == "foundry"]
    assert approver.grant.subscription_id == OTHER_SUB


def test_role_assignment_names_come_from_config_values():
    grant = resolved({"create": {}}).foundry.grants[0].grant
    assert grant.name == assignment_name("rg-mlops-dev/accounts/aif-mlops-dev-t0k7",
                                         Role.COGNITIVE_SERVICES_OPENAI_USER.id, "mlw-mlops-dev/workspace")
    assert resolved({"id": SHARED}).foundry.grants[0].grant.name == assignment_name(
        SHARED.lower(), Role.COGNITIVE_SERVICES_OPENAI_USER.id, "mlw-mlops-dev/workspace")


def test_the_personas_get_the_foundry_roles():
    d = resolved({"create": {}}, access=[{"principalId": GROUP, "principalType": "Group", "persona": "mlEngineer"}])
    assert {(a.scope, a.grant.role_id) for a in d.access if a.scope == "foundry"} == {
        ("foundry", Role.AZURE_AI_USER.id), ("foundry", Role.AZURE_AI_PROJECT_MANAGER.id)}


def test_the_account_is_one_of_the_dependencies():
    d = resolved({"create": {}}, protect=True)
    account = d.dependency("foundry")
    assert (account.label, account.endpoint_groups, account.diagnostics, account.in_access) == (
        "foundry", ("account",), "resource", True)
    assert d.foundry.account.lock == account.lock == (
        "the Foundry account, its deployments and its projects' files and threads")
    reused = resolved({"id": SHARED}).dependency("foundry")
    assert (reused.existing_id, reused.diagnostics, reused.lock) == (SHARED, None, None)


# --- the plan of the public example ------------------------------------------------------------------


@pytest.fixture(scope="module")
def genai() -> Run:
    return run_file(GENAI)


@pytest.fixture(scope="module")
def private() -> Run:
    """The preview (make plan's run, shared): ids unknown, so each input computed from another
    resource is told by the engine's property dependencies."""
    return planned_file(PRIVATE)


def by_name(run: Run, type_: str) -> dict[str, Any]:
    return {r.name: r for r in run.of_type(type_)}


def short(urns: list[str]) -> set[str]:
    return {u.split("::")[-1] for u in urns}


def test_the_account_is_an_aiservices_resource_with_projects_entra_id_only_and_public(genai):
    account = genai.one(ACCOUNT)
    assert account.inputs == {
        "accountName": "aif-genai-dev-50t1",
        "resourceGroupName": "rg-genai-dev",
        "kind": "AIServices",
        "sku": {"name": "S0"},
        "identity": {"type": "SystemAssigned"},
        "properties": {"allowProjectManagement": True, "customSubDomainName": "aif-genai-dev-50t1",
                       "disableLocalAuth": True, "publicNetworkAccess": "Enabled"},
        "location": "westeurope",
        "tags": {"environment": "dev", "managedBy": "pulumi", "owner": "ml-platform"},
    }
    assert not account.protect and genai.of_type(LOCK) == []  # dev: protect is off


def test_the_deployments_are_made_one_after_another(genai):
    first, second = genai.of_type(DEPLOYMENT)
    assert first.inputs == {
        "accountName": "aif-genai-dev-50t1", "deploymentName": "gpt-4o-mini", "resourceGroupName": "rg-genai-dev",
        "sku": {"name": "GlobalStandard", "capacity": 10},
        "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}},
        "tags": {"environment": "dev", "managedBy": "pulumi", "owner": "ml-platform"},
    }
    assert short(first.dependencies) == {"resource-group", "foundry-account"}
    assert second.inputs["deploymentName"] == "text-embedding-3-small"
    assert first.urn in second.dependencies  # not at the same time: Azure refuses concurrent writes on an account


def test_each_project_has_its_own_identity(genai):
    project = genai.one(PROJECT)
    assert project.inputs == {
        "accountName": "aif-genai-dev-50t1", "projectName": "team-a", "resourceGroupName": "rg-genai-dev",
        "location": "westeurope", "identity": {"type": "SystemAssigned"},
        "properties": {"description": "Fraud detection assistants", "displayName": "team-a"},
        "tags": {"environment": "dev", "managedBy": "pulumi", "owner": "ml-platform"},
    }
    # Beside the deployments, not after them (Microsoft's template makes both at once).
    assert short(project.dependencies) == {"resource-group", "foundry-account"}


def test_the_workspace_connects_to_the_account_and_the_search_service_with_entra_id(genai):
    connections = by_name(genai, CONNECTION)
    account_id = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-genai-dev/providers/"
                  "Microsoft.CognitiveServices/accounts/aif-genai-dev-50t1")
    assert {n: (c.inputs["connectionName"], c.inputs["workspaceName"], c.inputs["properties"])
            for n, c in connections.items()} == {
        "connection-foundry": ("foundry", "mlw-genai-dev", {
            "authType": "AAD", "category": "AIServices", "target": "https://aif-genai-dev-50t1.cognitiveservices.azure.com/",
            "metadata": {"ApiType": "Azure", "ResourceId": account_id}}),
        "connection-search": ("search", "mlw-genai-dev", {
            "authType": "AAD", "category": "CognitiveSearch", "target": "https://srch-shared.search.windows.net",
            "metadata": {"ApiType": "Azure",
                         "ResourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-search-"
                                       "shared/providers/Microsoft.Search/searchServices/srch-shared"}}),
    }
    assert not any("credentials" in c.inputs["properties"] for c in connections.values())  # no key, no secret


def test_the_workspace_and_the_cluster_may_call_the_deployments(genai):
    roles = {r.name: r for r in genai.of_type(RA) if r.name.startswith("foundry-")}
    assert set(roles) == {"foundry-openai-user-workspace", "foundry-openai-user-compute-cpu-compute"}
    account = genai.one(ACCOUNT)
    for role in roles.values():
        assert role.inputs["roleDefinitionId"].endswith(f"/roleDefinitions/{Role.COGNITIVE_SERVICES_OPENAI_USER.id}")
        assert role.inputs["scope"].endswith("/Microsoft.CognitiveServices/accounts/aif-genai-dev-50t1")
        assert role.inputs["principalType"] == "ServicePrincipal"
        assert account.urn in role.dependencies
    ds = {r.name: r for r in genai.of_type(RA) if r.name.startswith("access-foundry-")}
    assert set(ds) == {f"access-foundry-azure-ai-user-{GROUP}"}
    assert ds[f"access-foundry-azure-ai-user-{GROUP}"].inputs["principalType"] == "Group"


def test_the_account_sends_its_audit_logs_to_the_stacks_log_analytics(genai):
    setting = by_name(genai, SETTING)["foundry-diagnostics"]
    assert setting.inputs["logs"] == [{"enabled": True, "categoryGroup": "audit"}]
    assert setting.inputs["resourceUri"].endswith("/accounts/aif-genai-dev-50t1")
    assert setting.inputs["workspaceId"].endswith("/workspaces/log-genai-dev")


def test_the_cost_table_lists_each_deployment_by_its_tokens_and_a_provisioned_one_as_unknown(genai):
    table = estimate(PlannedResource(r.type, r.name, r.inputs) for r in genai.registrations)
    lines = {line.item: (line.status, line.basis) for line in table.lines if line.item.startswith("model ")}
    assert lines == {"model deployment gpt-4o-mini": ("usage", "tokens (GlobalStandard)"),
                     "model deployment text-embedding-3-small": ("usage", "tokens (GlobalStandard)")}
    assert table.complete and table.budget_amount is not None and not table.above_budget
    provisioned = PlannedResource(DEPLOYMENT, "foundry-deployment-gpt", {
        "deploymentName": "gpt", "sku": {"name": "GlobalProvisionedManaged", "capacity": 15}})
    (line,) = estimate([provisioned]).lines
    assert (line.item, line.status, line.basis) == (
        "model deployment gpt", "unknown", "15 PTU of GlobalProvisionedManaged by the hour: no price in the snapshot")


def test_a_public_stack_has_no_endpoint_and_no_rule_for_the_account(genai):
    assert genai.of_type(PE) == [] and genai.of_type(RULE) == []


def test_the_outputs_for_stack_references(genai):
    out = {k: v.value for k, v in genai.outputs.items() if k.startswith("foundry")}
    account_id = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-genai-dev/providers/"
                  "Microsoft.CognitiveServices/accounts/aif-genai-dev-50t1")
    assert out == {
        "foundryAccountId": account_id,
        "foundryAccountName": "aif-genai-dev-50t1",
        "foundryEndpoint": "https://aif-genai-dev-50t1.cognitiveservices.azure.com/",
        "foundryDeployments": {
            "gpt-4o-mini": {"model": "gpt-4o-mini", "version": "2024-07-18", "format": "OpenAI",
                            "sku": "GlobalStandard", "capacity": 10},
            "text-embedding-3-small": {"model": "text-embedding-3-small", "version": "1", "format": "OpenAI",
                                       "sku": "GlobalStandard", "capacity": 10},
        },
        "foundryProjects": {"team-a": {"id": f"{account_id}/projects/team-a",
                                       "endpoint": "https://aif-genai-dev-50t1.services.ai.azure.com/api/projects/team-a"}},
        "foundryConnections": ["foundry", "search"],
    }


def test_an_existing_account_creates_nothing_and_is_used_by_its_id():
    run = plan(foundry({"id": SHARED}))
    assert run.of_type(ACCOUNT) == [] and run.of_type(DEPLOYMENT) == [] and run.of_type(PROJECT) == []
    connection = run.one(CONNECTION)
    assert connection.inputs["properties"]["metadata"]["ResourceId"] == SHARED
    assert connection.inputs["properties"]["target"] == "https://aif-shared.cognitiveservices.azure.com/"
    (role,) = [r for r in run.of_type(RA) if r.name.startswith("foundry-")]
    # The role definition in the account's subscription, the scope the account.
    assert role.inputs["roleDefinitionId"] == (f"/subscriptions/{OTHER_SUB}/providers/Microsoft.Authorization/"
                                               f"roleDefinitions/{Role.COGNITIVE_SERVICES_OPENAI_USER.id}")
    assert role.inputs["scope"] == SHARED
    assert run.outputs["foundryAccountId"].value == SHARED and run.outputs["foundryDeployments"].value == {}
    assert "foundry-diagnostics" not in by_name(run, SETTING)  # its owner's to change


# --- the plan of the private example --------------------------------------------------------------


def test_private_account_has_public_access_off_and_is_protected_and_locked(private):
    account = private.one(ACCOUNT)
    assert account.inputs["properties"] == {
        "allowProjectManagement": True, "customSubDomainName": "aif-genai-prod-0w11", "disableLocalAuth": True,
        "publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}}
    assert account.protect and account.retain_on_delete
    assert all(p.protect and p.retain_on_delete for p in private.of_type(PROJECT))
    (lock,) = [r for r in private.of_type(LOCK) if r.name == "foundry-account-lock"]
    assert lock.property_dependencies["scope"] == [account.urn] and lock.inputs["level"] == "CanNotDelete"


def test_private_account_has_an_endpoint_with_its_three_zones(private):
    endpoint = by_name(private, PE)["pe-foundry"]
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["account"] and connection["name"] == "pe-aif-genai-prod-0w11-account"
    assert private.one(ACCOUNT).urn in endpoint.property_dependencies["privateLinkServiceConnections"]
    assert endpoint.inputs["privateEndpointName"] == "pe-aif-genai-prod-0w11-account"
    group = by_name(private, ZONE_GROUP)["pe-foundry-dns"]
    zones = ["privatelink.cognitiveservices.azure.com", "privatelink.openai.azure.com",
             "privatelink.services.ai.azure.com"]
    assert [c["name"] for c in group.inputs["privateDnsZoneConfigs"]] == [z.replace(".", "-") for z in zones]
    created = {z.inputs["privateZoneName"]: z.urn for z in private.of_type(ZONE)}
    assert set(group.property_dependencies["privateDnsZoneConfigs"]) == {created[z] for z in zones}


def test_the_managed_network_reaches_the_account_after_the_approver_role(private):
    rule = by_name(private, RULE)["outbound-rule-foundry-account"]
    account = private.one(ACCOUNT)
    properties = rule.inputs["properties"]
    assert (properties["type"], properties["category"], properties["destination"]["subresourceTarget"]) == (
        "PrivateEndpoint", "UserDefined", "account")
    assert account.urn in rule.property_dependencies["properties"]  # the account's id is its destination
    approver = by_name(private, RA)["foundry-network-approver"]
    assert approver.inputs["roleDefinitionId"].endswith(
        f"/roleDefinitions/{Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER.id}")
    assert approver.property_dependencies["scope"] == [account.urn]
    assert approver.urn in rule.dependencies  # the rule waits for the approver role


def test_the_private_example_passes_its_journeys_and_the_public_one_too():
    for path in (GENAI, PRIVATE):
        raw, secrets = stack_config(path)
        deployment = resolve(parse_config(raw, secrets, path.name.split(".")[1]))
        assert unmet(deployment) == [], path.name


# --- the journey "call a hosted model from a job" -------------------------------------------------------


def call_model(deployment) -> list[str]:
    journey = next(j for j in JOURNEYS if j.name == "call a hosted model from a job")
    if not journey.offered(deployment):
        return ["(not offered)"]
    return [n.piece for n in journey.needs(deployment) if not n.met]


def test_the_journey_is_offered_with_a_foundry_resource_and_a_compute():
    computes = [{"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2}]
    assert call_model(resolved({"create": {"deployments": [deployment()]}})) == ["(not offered)"]
    assert call_model(resolved({"create": {"deployments": [deployment()]}}, computes=computes)) == []
    assert call_model(resolve(accepted(stack({"azureml-infra:computes": computes})))) == ["(not offered)"]


def test_the_journey_names_what_a_stack_lacks():
    computes = [{"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2}]
    d = resolved({"create": {}}, computes=computes)
    assert call_model(d) == ["the Foundry resource has a model deployment to call"]
    d = resolved({"create": {"deployments": [deployment()]}}, computes=computes)
    no_roles = replace(d, foundry=replace(d.foundry, grants=(), connections=d.foundry.connections[1:]))
    assert call_model(no_roles) == [
        "the workspace has a connection to the Foundry resource (category AIServices, Entra ID)",
        "a role to call the deployments for compute cpu"]
    managed = resolved({"create": {"deployments": [deployment()]}}, computes=computes,
                       network={"isolation": "AllowInternetOutbound"})
    assert call_model(managed) == []
    rules = replace(managed.outbound_rules, rules=managed.outbound_rules.rules[:-1])
    assert call_model(replace(managed, outbound_rules=rules)) == [
        "a managed network rule to the Foundry resource's private endpoint (account)"]


# --- Azure's published ARM schemas ------------------------------------------------------------------

FOUNDRY_ARM_TYPES = {
    "Microsoft.CognitiveServices/accounts", "Microsoft.CognitiveServices/accounts/deployments",
    "Microsoft.CognitiveServices/accounts/projects", "Microsoft.MachineLearningServices/workspaces/connections",
}


@pytest.mark.parametrize("name", ["genai", "genai-private"])
def test_the_examples_foundry_resources_validate_against_azures_arm_schemas(name):
    from tests import test_arm_export as arm_schemas

    if not arm_schemas.SCHEMAS_GIT.is_dir():
        pytest.skip("no clone of Azure/azure-resource-manager-schemas")
    checked, not_published = arm_schemas.validate_against_schemas(
        arm_schemas.preview_template(name), only=frozenset(FOUNDRY_ARM_TYPES))
    assert not_published == set()
    # The API versions azure-native 3.29 sends for these types.
    assert checked == {
        "Microsoft.CognitiveServices/accounts": "2025-06-01",
        "Microsoft.CognitiveServices/accounts/deployments": "2025-06-01",
        "Microsoft.CognitiveServices/accounts/projects": "2025-06-01",
        "Microsoft.MachineLearningServices/workspaces/connections": "2025-12-01",
    }


def test_the_foundry_resources_export_in_arm_shape():
    """make scan's template (tools/arm_export.py SHAPES): the SDK takes these types' ARM
    ``properties`` as they are, the envelope (sku, kind, identity) beside them."""
    from tests.test_arm_export import preview_template, resource

    tpl = preview_template("genai")
    account = resource(tpl, "Microsoft.CognitiveServices/accounts", "aif-genai-dev-50t1")
    assert (account["kind"], account["sku"], account["identity"]) == ("AIServices", {"name": "S0"},
                                                                     {"type": "SystemAssigned"})
    assert account["properties"]["customSubDomainName"] == "aif-genai-dev-50t1"
    model = resource(tpl, "Microsoft.CognitiveServices/accounts/deployments", "aif-genai-dev-50t1/gpt-4o-mini")
    assert model["sku"] == {"name": "GlobalStandard", "capacity": 10}
    assert model["properties"] == {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}
    project = resource(tpl, "Microsoft.CognitiveServices/accounts/projects", "aif-genai-dev-50t1/team-a")
    assert project["identity"] == {"type": "SystemAssigned"} and project["properties"]["displayName"] == "team-a"
    connection = resource(tpl, "Microsoft.MachineLearningServices/workspaces/connections", "mlw-genai-dev/foundry")
    assert (connection["properties"]["authType"], connection["properties"]["category"]) == ("AAD", "AIServices")


# --- depth --------------------------------------------------------------------------------------------


def test_depth_the_foundry_chain_hides_behind_the_workspaces():
    """rg -> account -> deployment -> deployment is four waves; the workspace's chain and a cluster's
    roles (on the account too) already need six. Under a managed network the account's outbound
    rule is one more in the chain of rules, which are made one after another (components/network.py):
    the private example needs seven."""
    public = deployment_depth(nodes_from_registrations(planned_file(GENAI).registrations))
    assert public.waves == 6
    assert public.critical_path[-2:] == ["cpu-compute", "foundry-openai-user-compute-cpu-compute"]
    private_depth = deployment_depth(nodes_from_registrations(planned_file(PRIVATE).registrations))
    assert private_depth.critical_path == ["resource-group", "log-analytics", "application-insights", "workspace",
                                           "outbound-rule-storage-account-queue", "outbound-rule-storage-account-table",
                                           "outbound-rule-foundry-account"]


def test_the_plan_is_json_serialisable_with_the_new_types():
    # tools.plan renders every registration; the new types have ARM ids and Azure names.
    run = planned_file(GENAI)
    for r in run.registrations:
        if r.type in (ACCOUNT, DEPLOYMENT, PROJECT, CONNECTION):
            assert r.azure_name, r.name
    json.dumps([r.inputs for r in run.registrations], default=str)
