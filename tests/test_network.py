"""Network isolation under the mocks: what the engine receives for each mode.

- private endpoints in a created VNet (the prod stack), in an existing subnet with the hub's
  zones (examples/Pulumi.private-hub.yaml), in an existing subnet with zones created here;
- the managed network and its rules on the workspace;
- dependencies locked down (or left to their owner when reused), and dev unchanged.

End to end: the shipped prod stack, the private-hub example and ONE variant plan (PRIVATE_PLAN,
shared with tests/test_outbound_presets.py) for the wiring no shipped stack shows. What else a
stack file decides is resolved from it (azureml_infra.resolve) and built into the one component
concerned (tools.harness.run_component).
"""

from __future__ import annotations

from typing import Any

import pytest

from azureml_infra import facts
from azureml_infra.deployment import Deployment, ManagedNetworkSpec, OutboundRuleSpec
from azureml_infra.resolve import resolve
from components.network import Network, NetworkArgs
from tests.conftest import accepted, plan, run_file, shipped_plan, stack
from tests.test_network_config import CLUSTER, STORAGE_ID, SUBNET_ID, VNET, VNET_ID, private, zone_id
from tools.graph import deployment_depth, nodes_from_registrations
from tools.harness import ROOT, Run, run_component

PE = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
VNET_TYPE = "azure-native:network:VirtualNetwork"
NSG = "azure-native:network:NetworkSecurityGroup"
RULE = "azure-native:machinelearningservices:ManagedNetworkSettingsRule"


def storage_id(run) -> str:
    """The workspace storage's mock id in ``run``."""
    storage = run.one(facts.STORAGE_ACCOUNT, "storage-account").inputs
    return (f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/{storage['resourceGroupName']}"
            f"/providers/Microsoft.Storage/storageAccounts/{storage['accountName']}")
NETWORK_TYPES = (PE, ZONE_GROUP, ZONE, LINK, VNET_TYPE, NSG)
RG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups"

# Written from the documentation (private-endpoint-dns.md), not from the code: each endpoint of
# the prod stack, its group id and the zones of its DNS zone group.
PROD_ENDPOINTS = {
    "pe-workspace": ("amlworkspace", ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"]),
    "pe-storage-account-blob": ("blob", ["privatelink.blob.core.windows.net"]),
    "pe-storage-account-file": ("file", ["privatelink.file.core.windows.net"]),
    "pe-key-vault": ("vault", ["privatelink.vaultcore.azure.net"]),
    "pe-container-registry": ("registry", ["privatelink.azurecr.io"]),
}


@pytest.fixture(scope="module")
def prod() -> Run:
    return shipped_plan("prod")


@pytest.fixture(scope="module")
def hub() -> Run:
    return run_file(ROOT / "examples" / "Pulumi.private-hub.yaml")


def zone_names_of(run: Run, group: str) -> list[str]:
    """The zones a zone group points at, by the Azure name of the zone resource with that id."""
    ids = {f"{RG}/rg-mlops-prod/providers/Microsoft.Network/privateDnsZones/{z.inputs['privateZoneName']}":
           z.inputs["privateZoneName"] for z in run.of_type(ZONE)}
    return [ids.get(c["privateDnsZoneId"], c["privateDnsZoneId"]) for c in
            run.one(ZONE_GROUP, f"{group}-dns").inputs["privateDnsZoneConfigs"]]


# --- prod: private endpoints in a created VNet, managed network ----------------------------------


def test_prod_vnet_has_its_subnet_inline_with_an_nsg_and_endpoint_policies(prod):
    vnet = prod.one(VNET_TYPE, "vnet")
    assert vnet.inputs["virtualNetworkName"] == "vnet-mlops-prod"
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.20.0.0/16"]}
    nsg = prod.one(NSG, "nsg-private-endpoints")
    assert nsg.inputs["networkSecurityGroupName"] == "nsg-mlops-prod-private-endpoints"
    [subnet] = vnet.inputs["subnets"]
    assert subnet["name"] == "snet-private-endpoints"
    assert subnet["addressPrefix"] == "10.20.1.0/24"
    assert subnet["networkSecurityGroup"] == {
        "id": f"{RG}/rg-mlops-prod/providers/Microsoft.Network/networkSecurityGroups/nsg-mlops-prod-private-endpoints"}
    assert subnet["privateEndpointNetworkPolicies"] == "NetworkSecurityGroupEnabled"
    # Inline subnets only: never a standalone Subnet beside them (pulumi-azure-native#611).
    assert prod.of_type("azure-native:network:Subnet") == []


def test_prod_has_every_endpoint_with_its_group_id_subnet_and_zones(prod):
    subnet = f"{RG}/rg-mlops-prod/providers/Microsoft.Network/virtualNetworks/vnet-mlops-prod/subnets/snet-private-endpoints"
    assert sorted(r.name for r in prod.of_type(PE)) == sorted(PROD_ENDPOINTS)
    for name, (group, zones) in PROD_ENDPOINTS.items():
        endpoint = prod.one(PE, name)
        [connection] = endpoint.inputs["privateLinkServiceConnections"]
        assert connection["groupIds"] == [group], name
        assert endpoint.inputs["subnet"] == {"id": subnet}, name
        assert zone_names_of(prod, name) == zones, name
        group_res = prod.one(ZONE_GROUP, f"{name}-dns")
        assert group_res.inputs["privateEndpointName"] == endpoint.inputs["privateEndpointName"]


def test_prod_endpoints_point_at_what_they_front(prod):
    def target(name):
        return prod.one(PE, name).inputs["privateLinkServiceConnections"][0]["privateLinkServiceId"]

    base = f"{RG}/rg-mlops-prod/providers"
    assert target("pe-workspace") == f"{base}/Microsoft.MachineLearningServices/workspaces/mlw-mlops-prod"
    assert target("pe-storage-account-blob") == target("pe-storage-account-file")
    assert target("pe-storage-account-blob").startswith(f"{base}/Microsoft.Storage/storageAccounts/stmlopsprod")
    assert target("pe-key-vault").startswith(f"{base}/Microsoft.KeyVault/vaults/kv-mlops-prod-")
    assert target("pe-container-registry").startswith(f"{base}/Microsoft.ContainerRegistry/registries/crmlopsprod")
    assert prod.one(PE, "pe-workspace").inputs["privateEndpointName"] == "pe-mlw-mlops-prod-amlworkspace"


def test_prod_zones_are_global_and_linked_to_the_vnet_without_registration(prod):
    zones = sorted(z.inputs["privateZoneName"] for z in prod.of_type(ZONE))
    assert zones == sorted(z for _, zs in PROD_ENDPOINTS.values() for z in zs)
    vnet_id = f"{RG}/rg-mlops-prod/providers/Microsoft.Network/virtualNetworks/vnet-mlops-prod"
    links = prod.of_type(LINK)
    assert sorted(link.inputs["privateZoneName"] for link in links) == zones
    for link in links:
        assert link.inputs["virtualNetwork"] == {"id": vnet_id}
        assert link.inputs["registrationEnabled"] is False
        assert link.inputs["location"] == "global"
    assert {z.inputs["location"] for z in prod.of_type(ZONE)} == {"global"}


def test_prod_workspace_is_private_with_approved_outbound_only(prod):
    ws = prod.one(facts.ML_WORKSPACE).inputs
    assert ws["publicNetworkAccess"] == "Disabled"
    assert ws["imageBuildCompute"] == "cpu-compute"
    assert ws["provisionNetworkNow"] is True
    network = ws["managedNetwork"]
    assert network["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert network["firewallSku"] == "Basic"
    assert "outboundRules" not in network  # resources of their own: see the next test


def test_prod_outbound_rules_are_resources_of_their_own_one_after_another(prod):
    rules = {r.inputs["ruleName"]: r for r in prod.of_type(RULE)}
    # The pypi and conda presets: what pip and conda environment builds reach.
    assert {name: r.inputs["properties"] for name, r in rules.items() if r.inputs["properties"]["type"] == "FQDN"} == {
        name: {"type": "FQDN", "destination": fqdn, "category": "UserDefined"} for name, fqdn in (
            ("pypi", "pypi.org"), ("pythonhosted", "*.pythonhosted.org"), ("anaconda", "anaconda.com"),
            ("anaconda-subdomains", "*.anaconda.com"), ("anaconda-org", "*.anaconda.org"))
    }
    storage = prod.one(facts.STORAGE_ACCOUNT, "storage-account")
    # Batch endpoints and ParallelRunStep: the default storage's queue and table.
    for sub in ("queue", "table"):
        assert rules[f"storage-account-{sub}"].inputs["properties"] == {
            "type": "PrivateEndpoint", "category": "UserDefined",
            "destination": {"serviceResourceId": storage_id(prod), "subresourceTarget": sub}}
        assert storage.urn in rules[f"storage-account-{sub}"].dependencies
    # One after another, in the stack file's order, this program's own last.
    order = ["pypi", "pythonhosted", "anaconda", "anaconda-subdomains", "anaconda-org", "storage-account-queue",
             "storage-account-table"]
    for before, after in zip(order, order[1:], strict=False):
        assert rules[before].urn in rules[after].dependencies


def test_prod_dependencies_deny_public_access_and_trust_azure_services(prod):
    sa = prod.one(facts.STORAGE_ACCOUNT, "storage-account").inputs
    assert sa["publicNetworkAccess"] == "Disabled"
    assert sa["networkRuleSet"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
    kv = prod.one(facts.KEY_VAULT).inputs["properties"]
    assert kv["publicNetworkAccess"] == "disabled"
    assert kv["networkAcls"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
    assert kv["enablePurgeProtection"] is True
    acr = prod.one(facts.CONTAINER_REGISTRY).inputs
    assert acr["sku"] == {"name": "Premium"}
    assert acr["publicNetworkAccess"] == "Disabled"
    assert acr["networkRuleBypassOptions"] == "AzureServices"
    assert acr["networkRuleSet"] == {"defaultAction": "Deny"}


def test_prod_cluster_has_no_public_ip_and_no_subnet(prod):
    props = prod.one(facts.ML_COMPUTE, "cpu-compute").inputs["properties"]["properties"]
    assert props["enableNodePublicIp"] is False
    assert "subnet" not in props


def test_prod_outputs_tell_consumers_where_the_network_is(prod):
    base = f"{RG}/rg-mlops-prod/providers/Microsoft.Network"
    assert prod.outputs["vnetId"].value == f"{base}/virtualNetworks/vnet-mlops-prod"
    assert prod.outputs["privateEndpointSubnetId"].value == f"{base}/virtualNetworks/vnet-mlops-prod/subnets/snet-private-endpoints"
    assert prod.outputs["privateDnsZoneIds"].value["privatelink.azurecr.io"] == (
        f"{base}/privateDnsZones/privatelink.azurecr.io")
    assert prod.outputs["privateEndpointIds"].value["workspace"] == (
        f"{base}/privateEndpoints/pe-mlw-mlops-prod-amlworkspace")
    assert "trainingSubnetId" not in prod.outputs


def test_prod_depth_is_the_workspace_then_its_outbound_rules_one_after_another(prod):
    # Written from the dependencies: rg; Log Analytics; Application Insights; the workspace; then
    # each outbound rule after the one before (components/network.py, OutboundRules, says why).
    # The endpoints and their zone groups (two waves after the workspace) fit beside them.
    depth = deployment_depth(nodes_from_registrations(prod.registrations))
    rules = [f"outbound-rule-{r.inputs['ruleName']}" for r in prod.of_type(RULE)]
    assert depth.waves == 4 + len(rules), depth.text()
    assert depth.critical_path[:4] == ["resource-group", "log-analytics", "application-insights", "workspace"]
    assert sorted(depth.critical_path[4:]) == sorted(rules)


def test_network_resources_are_not_protected_but_the_stateful_ones_are(prod):
    # A VNet, zone or endpoint holds no data: replacing one loses nothing a redeploy does not give back.
    for reg in prod.registrations:
        if reg.type in NETWORK_TYPES:
            assert not reg.protect, reg.name
    assert prod.one(facts.CONTAINER_REGISTRY).protect


def test_prod_plans_in_preview_with_unknown_ids():
    run = run_file(ROOT / "Pulumi.prod.yaml", preview=True)
    assert len(run.of_type(PE)) == 5


# --- an existing subnet -----------------------------------------------------------------------


def test_hub_example_creates_endpoints_only_in_the_hub_zones(hub):
    assert hub.of_type(VNET_TYPE) == [] and hub.of_type(NSG) == []
    assert hub.of_type(ZONE) == [] and hub.of_type(LINK) == []
    subnet = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network-spoke/providers/"
              "Microsoft.Network/virtualNetworks/vnet-spoke-ml/subnets/snet-private-endpoints")
    endpoints = hub.of_type(PE)
    assert len(endpoints) == 7
    assert {e.inputs["subnet"]["id"] for e in endpoints} == {subnet}
    hub_zones = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub-dns/providers/" \
                "Microsoft.Network/privateDnsZones/"
    dfs = hub.one(ZONE_GROUP, "pe-data-storage-dfs-dns").inputs["privateDnsZoneConfigs"]
    assert [c["privateDnsZoneId"] for c in dfs] == [hub_zones + "privatelink.dfs.core.windows.net"]
    lake = hub.one(PE, "pe-data-storage-dfs").inputs["privateLinkServiceConnections"][0]
    assert lake["groupIds"] == ["dfs"]
    assert lake["privateLinkServiceId"].endswith("/Microsoft.Storage/storageAccounts/stmlopshubdatahub1")
    assert "vnetId" in hub.outputs and hub.outputs["vnetId"].value == (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-network-spoke/providers/"
        "Microsoft.Network/virtualNetworks/vnet-spoke-ml")


def test_hub_example_data_lake_is_private_and_rules_reach_the_workspace(hub):
    lake = hub.one(facts.STORAGE_ACCOUNT, "data-storage").inputs
    assert lake["publicNetworkAccess"] == "Disabled"
    assert lake["networkRuleSet"] == {"defaultAction": "Deny", "bypass": "AzureServices"}
    rule = next(r for r in hub.of_type(RULE) if r.inputs["ruleName"] == "shared-data")
    assert rule.inputs["properties"] == {
        "type": "PrivateEndpoint", "category": "UserDefined",
        "destination": {"serviceResourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/"
                        "rg-data-shared/providers/Microsoft.Storage/storageAccounts/stshareddata",
                        "subresourceTarget": "blob"}}


def test_hub_example_managed_network_reaches_the_data_lake_once_approved(hub):
    # Azure adds rules for the workspace's own dependencies only: the lake gets two of this stack's.
    lake_id = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mlops-hub/providers/"
               "Microsoft.Storage/storageAccounts/stmlopshubdatahub1")
    rules = [r for r in hub.of_type(RULE) if r.inputs["ruleName"].startswith("data-storage-")]
    assert {r.inputs["ruleName"]: r.inputs["properties"] for r in rules} == {
        f"data-storage-{sub}": {"type": "PrivateEndpoint", "category": "UserDefined",
                                "destination": {"serviceResourceId": lake_id, "subresourceTarget": sub}}
        for sub in ("blob", "dfs")}
    approver = hub.one("azure-native:authorization:RoleAssignment", "data-storage-network-approver")
    assert approver.inputs["roleDefinitionId"].endswith("/roleDefinitions/b556d68e-0be0-4f35-a333-ad7ee1ce17ea")
    assert approver.inputs["scope"] == lake_id
    workspace = hub.one(facts.ML_WORKSPACE)
    assert approver.inputs["principalId"] == hub.outputs["workspacePrincipalId"].value
    for rule in rules:
        assert rule.inputs["workspaceName"] == workspace.inputs["workspaceName"]
        assert approver.urn in rule.dependencies


# The file's one variant plan (a run per test cost about 1 s each), read by tests of different
# parts of it: a created VNet with a training subnet and its cluster in it, a data lake, the
# default storage reused by id, and two zones given by id: the workspace API's, and a hub's data
# zone of the registry (read by tests/test_outbound_presets.py, which plans the same config).
# No diagnostic settings: no test here reads them (tests/test_diagnostics.py does), and each costs a
# registration.
HUB = f"{RG}/rg-hub/providers/Microsoft.Network/privateDnsZones"
DATA_ZONE = "westeurope.data.privatelink.azurecr.io"
PRIVATE_PLAN = private(
    pe={"vnet": {**VNET, "trainingSubnet": "10.20.2.0/24"},
        "dnsZones": {"privatelink.api.azureml.ms": zone_id("privatelink.api.azureml.ms"),
                     DATA_ZONE: f"{HUB}/{DATA_ZONE}"}},
    computes=[{**CLUSTER, "subnetId": "training"}],
    workspace={"storageAccount": {"id": STORAGE_ID}},
    dataStorage={"containers": ["raw"]},
    diagnostics={"enabled": False},
)
# An existing subnet with one zone given: resolved, and its network built alone.
EXISTING_SUBNET = private(
    pe={"subnetId": SUBNET_ID, "dnsZones": {"privatelink.api.azureml.ms": zone_id("privatelink.api.azureml.ms")}})


@pytest.fixture(scope="module")
def private_run() -> Run:
    return plan(PRIVATE_PLAN)


@pytest.fixture(scope="module")
def existing_subnet() -> tuple[Deployment, Run]:
    d = resolve(accepted(EXISTING_SUBNET))
    network = d.network
    assert network is not None

    def build() -> dict[str, Any]:
        Network("network", NetworkArgs(network, d.names.resource_group))
        return {}

    return d, run_component(build).record()


def test_no_data_lake_rules_without_a_managed_network_but_queue_and_table_endpoints(private_run):
    run = private_run
    assert run.of_type(RULE) == []
    # Computes in the stack's network run batch jobs: the default storage's queue and table.
    assert sorted(e.name for e in run.of_type(PE)) == sorted([
        "pe-workspace", "pe-key-vault", "pe-container-registry", "pe-data-storage-blob", "pe-data-storage-dfs",
        *(f"pe-storage-account-{sub}" for sub in ("blob", "file", "queue", "table"))])


def test_existing_subnet_without_zones_links_created_zones_to_the_subnets_vnet(existing_subnet, private_run):
    d, run = existing_subnet
    assert d.network is not None and (d.network.vnet, d.network.subnet_vnet_id) == (None, VNET_ID)
    assert run.of_type(VNET_TYPE) == []
    created = sorted(z.inputs["privateZoneName"] for z in run.of_type(ZONE))
    # Every zone but the one given.
    assert created == sorted(["privatelink.notebooks.azure.net", "privatelink.blob.core.windows.net",
                              "privatelink.file.core.windows.net", "privatelink.queue.core.windows.net",
                              "privatelink.table.core.windows.net", "privatelink.vaultcore.azure.net",
                              "privatelink.azurecr.io"])
    assert sorted(d.network.zones_to_create) == created
    for link in run.of_type(LINK):
        assert link.inputs["virtualNetwork"] == {"id": VNET_ID}
        assert link.inputs["virtualNetworkLinkName"] == "vnet-hub-link"
    # The workspace's zone group mixes the given zone and the created one (the file's plan).
    configs = private_run.one(ZONE_GROUP, "pe-workspace-dns").inputs["privateDnsZoneConfigs"]
    assert configs[0] == {"name": "privatelink-api-azureml-ms",
                          "privateDnsZoneId": zone_id("privatelink.api.azureml.ms")}
    assert configs[1]["privateDnsZoneId"].endswith("/privateDnsZones/privatelink.notebooks.azure.net")


# --- reused dependencies, training subnet, managed network alone -------------------------------------


def test_a_reused_dependency_gets_its_endpoint_and_keeps_its_own_settings(private_run):
    run = private_run
    assert [r.name for r in run.of_type(facts.STORAGE_ACCOUNT)] == ["data-storage"]  # the lake only
    for name in ("pe-storage-account-blob", "pe-storage-account-file"):
        connection = run.one(PE, name).inputs["privateLinkServiceConnections"][0]
        assert connection["privateLinkServiceId"] == STORAGE_ID
    assert run.one(PE, "pe-storage-account-blob").inputs["privateEndpointName"] == "pe-stshared-blob"


def test_training_subnet_gets_an_nsg_and_takes_the_clusters_of_subnet_training(private_run):
    run = private_run
    subnets = {s["name"]: s for s in run.one(VNET_TYPE, "vnet").inputs["subnets"]}
    assert subnets["snet-training"]["addressPrefix"] == "10.20.2.0/24"
    assert subnets["snet-training"]["privateEndpointNetworkPolicies"] == "Disabled"
    [rule] = run.one(NSG, "nsg-training").inputs["securityRules"]
    assert (rule["sourceAddressPrefix"], rule["destinationPortRange"], rule["access"], rule["direction"]) == (
        "AzureMachineLearning", "44224", "Allow", "Inbound")
    props = run.one(facts.ML_COMPUTE, "cpu").inputs["properties"]["properties"]
    assert props["subnet"] == {"id": f"{RG}/rg-mlops-dev/providers/Microsoft.Network/virtualNetworks/vnet-mlops-dev"
                                     "/subnets/snet-training"}
    assert run.outputs["trainingSubnetId"].value == props["subnet"]["id"]


MANAGED_RULES = [{"name": "shared-data", "privateEndpoint": {"resourceId": STORAGE_ID, "subresource": "blob"}},
                 {"name": "fd", "serviceTag": {"tag": "AzureFrontDoor.FrontEnd", "protocol": "TCP", "ports": "443"}}]
# A managed network with no private endpoints, and an Azure ML registry created beside it: the one
# small plan of a managed network with a registry, which no shipped stack has (tests/test_enterprise.py
# reads its rule to the registry).
MANAGED_PLAN = stack({
    "azureml-infra:network": {"isolation": "AllowOnlyApprovedOutbound", "outboundRules": MANAGED_RULES},
    "azureml-infra:registry": {"create": {"name": "mlr-mlops", "regions": ["westeurope"]}},
    "azureml-infra:diagnostics": {"enabled": False},  # as PRIVATE_PLAN
})


@pytest.fixture(scope="module")
def managed_alone() -> tuple[Deployment, Run]:
    return resolve(accepted(MANAGED_PLAN)), plan(MANAGED_PLAN)


def test_a_managed_network_alone_creates_no_network_and_keeps_public_access(managed_alone):
    d, run = managed_alone
    assert (d.network, d.endpoints, d.private) == (None, (), False)
    assert (d.workspace.public_network_access, d.workspace.image_build_compute) == ("Enabled", None)
    assert d.workspace.managed_network == ManagedNetworkSpec("AllowOnlyApprovedOutbound", None)
    assert d.outbound_rules is not None
    assert OutboundRuleSpec("fd", "ServiceTag", "AzureFrontDoor.FrontEnd", protocol="TCP", ports="443") in (
        d.outbound_rules.rules)
    assert not any(run.of_type(t) for t in NETWORK_TYPES)
    ws = run.one(facts.ML_WORKSPACE).inputs
    assert ws["publicNetworkAccess"] == "Enabled"
    assert "imageBuildCompute" not in ws
    fd = next(r for r in run.of_type(RULE) if r.inputs["ruleName"] == "fd")
    assert fd.inputs["properties"] == {
        "type": "ServiceTag", "category": "UserDefined",
        "destination": {"serviceTag": "AzureFrontDoor.FrontEnd", "protocol": "TCP", "portRanges": "443",
                        "action": "Allow"}}
    assert "firewallSku" not in ws["managedNetwork"]
    assert "publicNetworkAccess" not in run.one(facts.STORAGE_ACCOUNT).inputs


def test_dev_has_no_network_and_its_resources_are_as_before(dev_run):
    assert not any(dev_run.of_type(t) for t in NETWORK_TYPES)
    ws = dev_run.one(facts.ML_WORKSPACE).inputs
    for key in ("managedNetwork", "imageBuildCompute", "provisionNetworkNow"):
        assert key not in ws
    assert ws["publicNetworkAccess"] == "Enabled"
    sa = dev_run.one(facts.STORAGE_ACCOUNT).inputs
    assert "networkRuleSet" not in sa and "publicNetworkAccess" not in sa
    assert "networkAcls" not in dev_run.one(facts.KEY_VAULT).inputs["properties"]
    acr = dev_run.one(facts.CONTAINER_REGISTRY).inputs
    # The SDK's default, sent as it always was.
    assert acr["publicNetworkAccess"] == "Enabled" and "networkRuleSet" not in acr
    for name in ("vnetId", "privateEndpointIds", "privateDnsZoneIds"):
        assert name not in dev_run.outputs


def test_vnet_names_follow_caf():
    from azureml_infra.naming import endpoint_name, network_names

    names = network_names("mlops", "prod")
    assert (names.vnet, names.private_endpoint_subnet, names.training_subnet) == (
        "vnet-mlops-prod", "snet-private-endpoints", "snet-training")
    assert (names.private_endpoint_nsg, names.training_nsg) == (
        "nsg-mlops-prod-private-endpoints", "nsg-mlops-prod-training")
    assert endpoint_name("kv-mlops-prod-abcd", "vault") == "pe-kv-mlops-prod-abcd-vault"

