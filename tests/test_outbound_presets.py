"""What a stack's network reaches on day one (issue 18): the managed network's outbound presets and
rules, in one representation (a ManagedNetworkSettingsRule each, one after another, none inline on
the workspace), and a private stack's queue and table endpoints and the registry's data zone.
Resolved directly, then prod's plan and a private plan under mocks (tests/test_network.py's
PRIVATE_PLAN, shared: the same config plans once).
"""

from __future__ import annotations

from typing import Any

import pytest

from azureml_infra.deployment import Deployment
from azureml_infra.outbound import PRESET_RULES, PRESETS
from azureml_infra.resolve import resolve
from tests.conftest import accepted, plan, shipped_plan, stack
from tests.test_network import DATA_ZONE, HUB, PRIVATE_PLAN
from tools.harness import SUBSCRIPTION_ID

SUB = SUBSCRIPTION_ID
SHARED_DATA = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stshared"
RULE = "azure-native:machinelearningservices:ManagedNetworkSettingsRule"

# Each preset's (rule name, host), as documented in azureml_infra/outbound.py (and docs/network.md):
# written out so that a change to a preset is a change this test shows.
PRESET_HOSTS: dict[str, list[tuple[str, str]]] = {
    "pypi": [("pypi", "pypi.org"), ("pythonhosted", "*.pythonhosted.org")],
    "conda": [("anaconda", "anaconda.com"), ("anaconda-subdomains", "*.anaconda.com"),
              ("anaconda-org", "*.anaconda.org")],
    "huggingface": [
        ("huggingface", "huggingface.co"),
        ("huggingface-hf", "*.hf.co"),
        ("huggingface-lfs", "cdn-lfs.huggingface.co"),
        ("docker", "docker.io"),
        ("docker-subdomains", "*.docker.io"),
        ("docker-com", "*.docker.com"),
        ("docker-cloudflare", "production.cloudflare.docker.com"),
        ("auth0-cdn", "cdn.auth0.com"),
    ],
}


def approved_only(**extra: Any) -> Deployment:
    network = {"isolation": "AllowOnlyApprovedOutbound", **extra.pop("network", {})}
    return resolve(accepted(stack({"azureml-infra:network": network, **extra})))


def test_the_presets_are_the_documented_host_lists():
    assert list(PRESETS) == ["pypi", "conda", "huggingface"]
    assert {preset: list(rules) for preset, rules in PRESET_RULES.items()} == PRESET_HOSTS


@pytest.mark.parametrize("preset", sorted(PRESET_HOSTS))
def test_a_preset_resolves_to_one_fqdn_rule_per_host(preset):
    rules = approved_only(network={"outboundPresets": [preset]}).outbound_rules
    assert rules is not None
    assert [(r.name, r.destination) for r in rules.rules if r.origin == f"preset {preset}"] == PRESET_HOSTS[preset]
    assert {(r.type, r.target, r.needs_approval) for r in rules.rules if r.origin.startswith("preset")} == {
        ("FQDN", None, False)}


def test_rules_resolve_in_order_user_rules_presets_as_listed_queue_and_table_then_the_lake():
    d = approved_only(
        network={
            "outboundPresets": ["huggingface", "pypi"],
            "outboundRules": [
                {"name": "github", "fqdn": "github.com"},
                {"name": "shared-data", "privateEndpoint": {"resourceId": SHARED_DATA, "subresource": "blob"}},
            ],
        },
        **{"azureml-infra:dataStorage": {"containers": ["raw"]}},
    )
    assert d.outbound_rules is not None
    expected = [
        ("github", "FQDN", "outboundRules"),
        ("shared-data", "PrivateEndpoint", "outboundRules"),
        *[(name, "FQDN", "preset huggingface") for name, _ in PRESET_HOSTS["huggingface"]],
        *[(name, "FQDN", "preset pypi") for name, _ in PRESET_HOSTS["pypi"]],
        ("storage-account-queue", "PrivateEndpoint", "azureml-infra"),
        ("storage-account-table", "PrivateEndpoint", "azureml-infra"),
        ("data-storage-blob", "PrivateEndpoint", "azureml-infra"),
        ("data-storage-dfs", "PrivateEndpoint", "azureml-infra"),
    ]
    assert [(r.name, r.type, r.origin) for r in d.outbound_rules.rules] == expected
    # Only the lake's rules wait for the workspace identity's approver role on it.
    assert [r.name for r in d.outbound_rules.rules if r.needs_approval] == ["data-storage-blob", "data-storage-dfs"]


def test_the_order_of_the_presets_is_the_stack_files():
    one = approved_only(network={"outboundPresets": ["conda", "pypi"]}).outbound_rules
    other = approved_only(network={"outboundPresets": ["pypi", "conda"]}).outbound_rules
    assert one is not None and other is not None
    assert [r.name for r in one.rules][:5] == ["anaconda", "anaconda-subdomains", "anaconda-org", "pypi", "pythonhosted"]
    assert [r.name for r in other.rules][:5] == ["pypi", "pythonhosted", "anaconda", "anaconda-subdomains", "anaconda-org"]


def test_without_presets_a_managed_network_has_the_queue_and_table_rules_only():
    rules = approved_only().outbound_rules
    assert rules is not None
    assert [(r.name, r.target, r.subresource) for r in rules.rules] == [
        ("storage-account-queue", "storageAccount", "queue"), ("storage-account-table", "storageAccount", "table")]
    assert rules.approvals == ()


# --- prod, under mocks ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod():
    return shipped_plan("prod")


def test_prod_registers_one_rule_resource_per_rule_each_after_the_one_before(prod):
    rules = prod.of_type(RULE)
    storage = f"/subscriptions/{SUB}/resourceGroups/rg-mlops-prod/providers/Microsoft.Storage/storageAccounts/stmlopsprodkdui"
    assert [(r.inputs["ruleName"], r.inputs["properties"]["type"], r.inputs["properties"]["destination"]) for r in rules] == [
        *[(name, "FQDN", host) for name, host in PRESET_HOSTS["pypi"] + PRESET_HOSTS["conda"]],
        ("storage-account-queue", "PrivateEndpoint", {"serviceResourceId": storage, "subresourceTarget": "queue"}),
        ("storage-account-table", "PrivateEndpoint", {"serviceResourceId": storage, "subresourceTarget": "table"}),
    ]
    assert {r.inputs["properties"]["category"] for r in rules} == {"UserDefined"}
    assert {(r.inputs["workspaceName"], r.inputs["resourceGroupName"]) for r in rules} == {
        ("mlw-mlops-prod", "rg-mlops-prod")}
    # One after another: rules written at the same time clobber each other.
    urns = {r.urn for r in rules}
    for before, rule in zip([None, *rules], rules, strict=False):
        assert [d for d in rule.dependencies if d in urns] == ([before.urn] if before else []), rule.name


def test_prods_workspace_holds_no_rule_inline(prod):
    workspace = prod.one("azure-native:machinelearningservices:Workspace")
    assert workspace.inputs["managedNetwork"] == {
        "isolationMode": "AllowOnlyApprovedOutbound", "firewallSku": "Basic", "enableNetworkMonitor": False}


# --- a private stack's queue and table endpoints, and the registry's data zone ---------------------

def private(isolation: str | None = None, dns_zones: dict[str, str] | None = None) -> dict[str, Any]:
    vnet = {"addressSpace": "10.20.0.0/16", "privateEndpointSubnet": "10.20.1.0/24"}
    cluster: dict[str, Any] = {"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2}
    network: dict[str, Any] = {"privateEndpoints": {"vnet": vnet, "dnsZones": dns_zones or {}}}
    if isolation:
        network["isolation"] = isolation
    else:
        # Without a managed network the computes run in a subnet of the stack.
        vnet["trainingSubnet"] = "10.20.2.0/24"
        cluster["subnetId"] = "training"
    return stack({"azureml-infra:workspace": {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu"},
                  "azureml-infra:network": network, "azureml-infra:computes": [cluster]})


def endpoint_zones(d: Deployment) -> dict[str, tuple[str, ...]]:
    return {e.key: e.zones for e in d.endpoints}


def test_computes_in_the_stacks_network_get_the_storages_queue_and_table_endpoints_and_zones():
    d = resolve(accepted(private()))
    zones = endpoint_zones(d)
    assert zones["storage-account-queue"] == ("privatelink.queue.core.windows.net",)
    assert zones["storage-account-table"] == ("privatelink.table.core.windows.net",)
    assert d.network is not None
    assert {"privatelink.queue.core.windows.net", "privatelink.table.core.windows.net"} <= set(d.network.zones_to_create)


def test_under_a_managed_network_queue_and_table_are_outbound_rules_not_endpoints():
    d = resolve(accepted(private("AllowInternetOutbound")))
    assert [e.key for e in d.endpoints if e.target == "storageAccount"] == ["storage-account-blob", "storage-account-file"]
    assert d.network is not None
    assert not {"privatelink.queue.core.windows.net", "privatelink.table.core.windows.net"} & set(
        d.network.zones_to_create)
    assert d.outbound_rules is not None
    assert [r.name for r in d.outbound_rules.rules] == ["storage-account-queue", "storage-account-table"]


def test_the_registrys_endpoint_writes_to_the_hubs_data_zone_where_dns_zones_names_it():
    d = resolve(accepted(private(dns_zones={DATA_ZONE: f"{HUB}/{DATA_ZONE}"})))
    assert endpoint_zones(d)["container-registry"] == ("privatelink.azurecr.io", DATA_ZONE)
    assert d.network is not None
    assert DATA_ZONE not in d.network.zones_to_create and d.network.given_zones == {DATA_ZONE: f"{HUB}/{DATA_ZONE}"}
    # Not named: the registry's records stay in privatelink.azurecr.io, and no data zone is created.
    plain = resolve(accepted(private()))
    assert endpoint_zones(plain)["container-registry"] == ("privatelink.azurecr.io",)
    assert plain.network is not None and DATA_ZONE not in plain.network.zones_to_create


def test_under_mocks_the_registrys_zone_group_holds_the_hubs_data_zone_and_queue_and_table_have_theirs():
    # PRIVATE_PLAN: computes in the stack's network (no managed network), the hub's data zone given.
    run = plan(PRIVATE_PLAN)
    groups = {r.name: r.inputs["privateDnsZoneConfigs"] for r in run.of_type("azure-native:network:PrivateDnsZoneGroup")}
    own = f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev/providers/Microsoft.Network/privateDnsZones"
    assert groups["pe-container-registry-dns"] == [
        {"name": "privatelink-azurecr-io", "privateDnsZoneId": f"{own}/privatelink.azurecr.io"},
        {"name": "westeurope-data-privatelink-azurecr-io", "privateDnsZoneId": f"{HUB}/{DATA_ZONE}"},
    ]
    for sub in ("queue", "table"):
        assert groups[f"pe-storage-account-{sub}-dns"] == [
            {"name": f"privatelink-{sub}-core-windows-net", "privateDnsZoneId": f"{own}/privatelink.{sub}.core.windows.net"}]
    endpoint = run.one("azure-native:network:PrivateEndpoint", "pe-storage-account-queue")
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["queue"]
    # The hub's zone is the hub's: this stack neither creates nor links it.
    zones = [r.inputs["privateZoneName"] for r in run.of_type("azure-native:privatedns:PrivateZone")]
    assert DATA_ZONE not in zones and "privatelink.queue.core.windows.net" in zones
