"""Issue 21's enterprise controls in the plan of examples/Pulumi.enterprise.yaml (the plan every shipped
stack file gets, shared): the inputs each control sends, in the shape Azure's published ARM schemas
give them at the API versions the SDK uses; and the replacement guard refusing a changed encryption or
hbi on a stack that exists. Config rules and resolve: tests/test_enterprise_config.py.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from azureml_infra import facts
from azureml_infra.resolve import resolve
from azureml_infra.roles import Role
from components.workspace import MachineLearningWorkspace, WorkspaceArgs
from tests.conftest import accepted, plan, planned_file
from tests.test_network import MANAGED_PLAN
from tools import urn_snapshot
from tools.harness import ROOT, SUBSCRIPTION_ID, TENANT_ID, Registration, Run, run_component

EXAMPLE = ROOT / "examples" / "Pulumi.enterprise.yaml"
VAULT_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-keys/providers/"
            "Microsoft.KeyVault/vaults/kv-mlops-cmk")
KEY_URI = "https://kv-mlops-cmk.vault.azure.net/keys/mlw-mlops-ent/0123456789abcdef0123456789abcdef"
RULE_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-siem/providers/"
           "Microsoft.EventHub/namespaces/evhns-siem/authorizationRules/RootManageSharedAccessKey")
PE = "azure-native:network:PrivateEndpoint"


@pytest.fixture(scope="module")
def run() -> Run:
    return planned_file(EXAMPLE)


def named(run: Run, type_: str) -> dict[str, Registration]:
    return {r.name: r for r in run.of_type(type_)}


def test_the_workspace_takes_its_key_hbi_and_serverless_subnet(run):
    ws = run.one(facts.ML_WORKSPACE)
    identity = run.one(facts.USER_ASSIGNED_IDENTITY)
    inputs = ws.inputs
    assert inputs["encryption"]["status"] == "Enabled"
    assert inputs["encryption"]["keyVaultProperties"] == {"keyVaultArmId": VAULT_ID, "keyIdentifier": KEY_URI}
    # The key is read as the workspace's user-assigned identity.
    assert ws.property_dependencies["encryption"] == [identity.urn]
    assert "enableServiceSideCMKEncryption" not in inputs  # serviceSide: false
    assert inputs["hbiWorkspace"] is True
    assert inputs["serverlessComputeSettings"]["serverlessComputeNoPublicIP"] is True
    # The training subnet of the stack's VNet: the workspace waits for the VNet.
    vnet = run.one("azure-native:network:VirtualNetwork")
    assert vnet.urn in ws.property_dependencies["serverlessComputeSettings"]
    assert "serverlessComputeCustomSubnet" in inputs["serverlessComputeSettings"]  # the subnet's id, once known


def test_the_identity_holds_the_key_role_before_the_workspace_exists(run):
    grant = named(run, facts.ROLE_ASSIGNMENT)["identity-cmk-key-vault-crypto-service-encryption-user"]
    assert grant.inputs["scope"] == VAULT_ID
    assert grant.inputs["roleDefinitionId"] == (
        f"/subscriptions/{SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/"
        f"{Role.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER.id}")
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert grant.urn in run.one(facts.ML_WORKSPACE).dependencies


def test_dns_by_policy_no_zone_and_no_zone_group(run):
    assert run.of_type("azure-native:network:PrivateDnsZoneGroup") == []
    assert run.of_type("azure-native:privatedns:PrivateZone") == []
    assert run.of_type("azure-native:privatedns:VirtualNetworkLink") == []
    assert run.outputs["privateDnsZoneIds"].value == {}


def test_the_registry_is_private_behind_its_endpoint(run):
    registry = run.one(facts.ML_REGISTRY)
    assert registry.inputs["publicNetworkAccess"] == "Disabled"
    endpoint = named(run, PE)["pe-ml-registry"]
    connection = endpoint.inputs["privateLinkServiceConnections"][0]
    assert connection["groupIds"] == ["amlregistry"]
    assert endpoint.inputs["privateEndpointName"] == "pe-mlr-mlops-ent-amlregistry"
    assert registry.urn in endpoint.dependencies


def test_monitoring_behind_an_azure_monitor_private_link_scope(run):
    scope = run.one(facts.MONITOR_SCOPE)
    assert scope.inputs["scopeName"] == "ampls-mlops-ent" and scope.inputs["location"] == "global"
    assert scope.inputs["accessModeSettings"] == {"ingestionAccessMode": "Open", "queryAccessMode": "Open"}
    scoped = named(run, facts.MONITOR_SCOPED_RESOURCE)
    logs, insights = run.one(facts.LOG_ANALYTICS), run.one(facts.APPLICATION_INSIGHTS)
    assert {n: r.property_dependencies["linkedResourceId"] for n, r in scoped.items()} == {
        "monitor-scope-log-analytics": [logs.urn], "monitor-scope-application-insights": [insights.urn]}
    for resource in (logs, insights):
        assert (resource.inputs["publicNetworkAccessForIngestion"], resource.inputs["publicNetworkAccessForQuery"]) == (
            "Disabled", "Disabled")
    endpoint = named(run, PE)["pe-monitor"]
    assert endpoint.inputs["privateLinkServiceConnections"][0]["groupIds"] == ["azuremonitor"]
    assert scope.urn in endpoint.dependencies


def test_every_diagnostic_setting_also_streams_to_the_event_hub(run):
    settings = run.of_type(facts.DIAGNOSTIC_SETTING)
    assert settings
    for setting in settings:
        assert (setting.inputs["eventHubAuthorizationRuleId"], setting.inputs["eventHubName"]) == (RULE_ID, "aml-audit")
        assert setting.inputs["workspaceId"]  # and Log Analytics as before


def test_a_stack_without_the_controls_sends_none_of_their_inputs():
    from tests.conftest import shipped_plan

    prod = shipped_plan("prod")
    ws = prod.one(facts.ML_WORKSPACE).inputs
    assert not {"encryption", "hbiWorkspace", "serverlessComputeSettings", "enableServiceSideCMKEncryption"} & {*ws}
    assert prod.of_type(facts.MONITOR_SCOPE) == []
    assert all("eventHubName" not in s.inputs for s in prod.of_type(facts.DIAGNOSTIC_SETTING))


# --- the replacement guard: encryption and hbi only when the workspace is created ------------------


def test_a_changed_encryption_or_hbi_on_an_existing_stack_is_refused():
    """The stack exists as its snapshot records it (tests/snapshots/examples.enterprise.json); a stack file
    that drops the key and hbi would update the workspace in place, which Azure refuses (or replace it):
    the guard names both before anything runs.

    Only the workspace component concerns these keys: the changed stack file is resolved and its workspace
    built alone, in the stack's name and as a preview, as the plan the guard reads (its URNs are the
    plan's), and compared with the snapshot's entries for what it registers."""
    config: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())["config"]
    workspace = config["azureml-infra:workspace"]
    del workspace["encryption"], workspace["serverlessCompute"]
    workspace["hbi"] = False
    spec = resolve(accepted(config, "enterprise")).workspace

    def build() -> dict[str, Any]:
        MachineLearningWorkspace("workspace", WorkspaceArgs(spec, TENANT_ID, SUBSCRIPTION_ID))
        return {}

    changed = run_component(build, stack="enterprise", preview=True).registrations
    urns = {r.urn for r in changed}
    recorded = urn_snapshot.json.loads(urn_snapshot.snapshot_path(EXAMPLE).read_text())["resources"]
    snapshot = [entry for entry in recorded if entry["urn"] in urns]
    # The workspace and every stateful resource it holds (its dependencies and identity) are compared.
    assert {entry["type"] for entry in snapshot} >= {facts.ML_WORKSPACE, facts.STORAGE_ACCOUNT, facts.KEY_VAULT,
                                                     facts.USER_ASSIGNED_IDENTITY}
    problems = urn_snapshot.compare("examples/Pulumi.enterprise.yaml", snapshot, changed, "snapshot")
    workspace = ("examples/Pulumi.enterprise.yaml: azure-native:machinelearningservices:Workspace 'workspace' "
                 "(mlw-mlops-ent) would change ")
    tail = (", which Azure takes only when it creates the resource: Pulumi would replace it, or Azure refuse the update. "
            "Keep the stack file's setting; if a new resource is meant, regenerate the snapshot: make snapshot")
    encryption = ('{"identity": {"userAssignedIdentity": "output<string>"}, "keyVaultProperties": {"keyIdentifier": '
                  f'"{KEY_URI}", "keyVaultArmId": "{VAULT_ID}"}}, "status": "Enabled"}}')
    assert problems == [
        f"{workspace}encryption from {encryption} to null{tail}",
        f"{workspace}hbiWorkspace from true to null{tail}",
    ]


def test_a_managed_network_with_a_registry_reaches_it_once_approved():
    """No shipped stack has a managed network and an Azure ML registry: tests/test_network.py's
    MANAGED_PLAN (shared) has both. The workspace's rule to the registry takes the registry's id and
    waits for the approver role."""
    run = plan(MANAGED_PLAN)
    rule = named(run, "azure-native:machinelearningservices:ManagedNetworkSettingsRule")["outbound-rule-ml-registry-amlregistry"]
    assert rule.inputs["properties"]["destination"]["subresourceTarget"] == "amlregistry"
    assert rule.property_dependencies["properties"] == [run.one(facts.ML_REGISTRY).urn]
    approver = named(run, facts.ROLE_ASSIGNMENT)["registry-network-approver"]
    assert approver.urn in rule.dependencies
    assert approver.inputs["roleDefinitionId"].endswith(Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER.id)


# --- Azure's published ARM schemas ------------------------------------------------------------------

ENTERPRISE_ARM_TYPES = {
    "Microsoft.MachineLearningServices/workspaces", "Microsoft.MachineLearningServices/registries",
    "Microsoft.Insights/privateLinkScopes", "Microsoft.Insights/privateLinkScopes/scopedResources",
    "Microsoft.Insights/diagnosticSettings", "Microsoft.OperationalInsights/workspaces", "Microsoft.Insights/components",
    "Microsoft.Network/privateEndpoints",
}


def test_the_examples_resources_validate_against_azures_arm_schemas():
    from tests import test_arm_export as arm_schemas

    if not arm_schemas.SCHEMAS_GIT.is_dir():
        pytest.skip("no clone of Azure/azure-resource-manager-schemas")
    checked, not_published = arm_schemas.validate_against_schemas(
        arm_schemas.preview_template("enterprise"), only=frozenset(ENTERPRISE_ARM_TYPES))
    assert not_published == set()
    # The API versions azure-native 3.29 sends for these types.
    assert checked == {
        "Microsoft.MachineLearningServices/workspaces": "2025-12-01",
        "Microsoft.MachineLearningServices/registries": "2025-12-01",
        "Microsoft.Insights/privateLinkScopes": "2023-06-01-preview",
        "Microsoft.Insights/privateLinkScopes/scopedResources": "2023-06-01-preview",
        "Microsoft.Insights/diagnosticSettings": "2021-05-01-preview",
        "Microsoft.OperationalInsights/workspaces": "2023-09-01",
        "Microsoft.Insights/components": "2020-02-02",
        "Microsoft.Network/privateEndpoints": "2024-05-01",
    }
