"""Every network config rule: the exact problem line it prints, and that the program stops
before registering anything. Plus the accepted forms and the pure helpers of config.network."""

from __future__ import annotations

from typing import Any

import pytest

from azureml_infra import privatelink
from azureml_infra.config import compute as compute_cfg
from azureml_infra.config import network as cfg
from tests.conftest import accepted, assert_refused, stack

SUB = "00000000-0000-0000-0000-000000000000"
NET = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network"
VNET_ID = f"{NET}/virtualNetworks/vnet-hub"
SUBNET_ID = f"{VNET_ID}/subnets/snet-pe"
STORAGE_ID = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stshared"
VAULT_ID = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kv-shared"
USER = "4f1c2a9e-8d3b-4c6a-9e7f-2b5d8a1c3e60"


def zone_id(zone: str) -> str:
    return f"{NET}/privateDnsZones/{zone}"


VNET = {"addressSpace": "10.20.0.0/16", "privateEndpointSubnet": "10.20.1.0/24"}
CLUSTER = {"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 4}
INSTANCE = {"name": "ci-alice", "vmSize": "STANDARD_DS3_V2", "assignedUserObjectId": USER}


def private(
    vnet: dict | None = None,
    network: dict | None = None,
    workspace: dict | None = None,
    computes: list | None = None,
    pe: dict | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid stack with private endpoints in a created VNet; arguments replace parts of it."""
    config = {
        "azureml-infra:workspace": {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu",
                                    **(workspace or {})},
        "azureml-infra:network": {"privateEndpoints": pe or {"vnet": {**VNET, **(vnet or {})}}, **(network or {})},
        # Without a managed network the computes of a private stack must be in a network of yours.
        "azureml-infra:computes": [{**CLUSTER, "subnetId": SUBNET_ID}] if computes is None else computes,
    }
    config.update({f"azureml-infra:{k}": v for k, v in extra.items()})
    return stack(config)


def managed(isolation: str = "AllowOnlyApprovedOutbound", **network: Any) -> dict[str, Any]:
    """A stack with a managed network and no private endpoints."""
    return stack({"azureml-infra:network": {"isolation": isolation, **network}})


RULE = "azureml-infra:network"
PE = f"{RULE}.privateEndpoints"
ZONES = ", ".join(privatelink.AZURE_ML_ZONES)

CASES: dict[str, tuple[dict, str]] = {
    # --- CIDR blocks -------------------------------------------------------------------
    "malformed CIDR": (
        private(vnet={"addressSpace": "10.20.0.0/33"}),
        f'{PE}.vnet.addressSpace: must be an IPv4 CIDR block such as 10.20.0.0/16 (got "10.20.0.0/33")',
    ),
    "CIDR without a prefix length": (
        private(vnet={"privateEndpointSubnet": "10.20.1.0"}),
        f"{PE}.vnet.privateEndpointSubnet: must be an IPv4 CIDR block such as 10.20.0.0/16 (the /prefix length "
        'is missing) (got "10.20.1.0")',
    ),
    "CIDR with host bits": (
        private(vnet={"privateEndpointSubnet": "10.20.1.5/24"}),
        f"{PE}.vnet.privateEndpointSubnet: has bits set after its prefix length: did you mean 10.20.1.0/24? "
        '(got "10.20.1.5/24")',
    ),
    "subnet outside the address space": (
        private(vnet={"privateEndpointSubnet": "10.30.1.0/24"}),
        f"{PE}.vnet.privateEndpointSubnet: 10.30.1.0/24 is not inside addressSpace 10.20.0.0/16",
    ),
    "training subnet outside the address space": (
        private(vnet={"addressSpace": "10.20.0.0/23", "trainingSubnet": "10.20.2.0/24"}),
        f"{PE}.vnet.trainingSubnet: 10.20.2.0/24 is not inside addressSpace 10.20.0.0/23",
    ),
    "overlapping subnets": (
        private(vnet={"trainingSubnet": "10.20.1.128/25"}),
        f"{PE}.vnet.trainingSubnet: 10.20.1.128/25 overlaps privateEndpointSubnet 10.20.1.0/24",
    ),
    "endpoint subnet too small": (
        # 5 endpoints: the workspace 3 addresses, storage blob and file 1 each, key vault 1, registry 2.
        private(vnet={"privateEndpointSubnet": "10.20.1.0/29"}),
        f"{PE}.vnet.privateEndpointSubnet: 10.20.1.0/29 leaves 3 usable addresses (Azure reserves 5 in every "
        "subnet), but the stack's 7 private endpoints need 10: use a /28 or larger",
    ),
    "training subnet too small": (
        private(
            vnet={"trainingSubnet": "10.20.2.0/29"},
            computes=[{**CLUSTER, "subnetId": "training"}],
            computeInstances=[{**INSTANCE, "subnetId": "training"}],
        ),
        f"{PE}.vnet.trainingSubnet: 10.20.2.0/29 leaves 3 usable addresses (Azure reserves 5 in every subnet), "
        "but the computes in it (cpu: 4, ci-alice: 1) need 5: use a /28 or larger",
    ),
    # --- ids and zones ---------------------------------------------------------------------
    "subnetId of a VNet": (
        private(pe={"subnetId": VNET_ID}),
        f"{PE}.subnetId: is the id of a Microsoft.Network/virtualNetworks, not of a "
        f'Microsoft.Network/virtualNetworks/subnets (got "{VNET_ID}")',
    ),
    "subnetId that is a name": (
        private(pe={"subnetId": "snet-pe"}),
        f"{PE}.subnetId: is not a subnet's ARM id; expected /subscriptions/<subscription-guid>/resourceGroups/"
        '<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet> (got "snet-pe")',
    ),
    "dnsZones id of another type": (
        private(pe={"subnetId": SUBNET_ID, "dnsZones": {privatelink.BLOB_ZONE: STORAGE_ID}}),
        f"{PE}.dnsZones.{privatelink.BLOB_ZONE}: is the id of a Microsoft.Storage/storageAccounts, not of a "
        f'Microsoft.Network/privateDnsZones (got "{STORAGE_ID}")',
    ),
    "zone Azure ML does not need": (
        private(pe={"subnetId": SUBNET_ID, "dnsZones": {"privatelink.database.windows.net":
                                                          zone_id("privatelink.database.windows.net")}}),
        f"{PE}.dnsZones: 'privatelink.database.windows.net' is not a private DNS zone of Azure ML's endpoints; "
        f"use {ZONES}, or the registry's regional data zone <region>.data.privatelink.azurecr.io",
    ),
    "zone id of another zone": (
        private(pe={"subnetId": SUBNET_ID, "dnsZones": {privatelink.BLOB_ZONE: zone_id(privatelink.FILE_ZONE)}}),
        f"{PE}.dnsZones: '{privatelink.BLOB_ZONE}' is given the id of the zone '{privatelink.FILE_ZONE}'",
    ),
    "neither vnet nor subnetId": (
        private(pe={"dnsZones": {}}),
        f"{PE}: needs exactly one of vnet (a network created for the stack) or subnetId (an existing subnet)",
    ),
    "both vnet and subnetId": (
        private(pe={"vnet": VNET, "subnetId": SUBNET_ID}),
        f"{PE}: needs exactly one of vnet (a network created for the stack) or subnetId (an existing subnet)",
    ),
    # --- managed network and outbound rules --------------------------------------------------
    "outbound rules without a managed network": (
        stack({"azureml-infra:network": {"outboundRules": [{"name": "pypi", "fqdn": "pypi.org"}]}}),
        f"{RULE}.outboundRules: are rules of the workspace's managed network, which isolation Disabled turns "
        "off: set isolation to AllowInternetOutbound or AllowOnlyApprovedOutbound, or remove them",
    ),
    "duplicate rule name": (
        managed(outboundRules=[{"name": "pypi", "fqdn": "pypi.org"}, {"name": "PyPI", "fqdn": "files.pythonhosted.org"}]),
        f"{RULE}.outboundRules[1].name: 'PyPI' is already the name of another rule",
    ),
    "rule without a destination": (
        managed(outboundRules=[{"name": "nothing"}]),
        f"{RULE}.outboundRules[0]: needs exactly one of fqdn, privateEndpoint or serviceTag (got none)",
    ),
    "rule with two destinations": (
        managed(outboundRules=[{"name": "two", "fqdn": "pypi.org",
                                "serviceTag": {"tag": "AzureFrontDoor.FrontEnd", "protocol": "TCP", "ports": "443"}}]),
        f"{RULE}.outboundRules[0]: needs exactly one of fqdn, privateEndpoint or serviceTag (got fqdn and serviceTag)",
    ),
    "invalid subresource": (
        managed(outboundRules=[{"name": "kv", "privateEndpoint": {"resourceId": VAULT_ID, "subresource": "blob"}}]),
        f"{RULE}.outboundRules[0].privateEndpoint.subresource: 'blob' is not a private endpoint sub-resource of a "
        "Microsoft.KeyVault/vaults; use vault",
    ),
    "private endpoint rule to an unsupported type": (
        managed(outboundRules=[{"name": "vm", "privateEndpoint": {
            "resourceId": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
            "subresource": "vm"}}]),
        f"{RULE}.outboundRules[0].privateEndpoint.resourceId: is the id of a Microsoft.Compute/virtualMachines, "
        "which an Azure ML managed network cannot reach by private endpoint (see how-to-managed-network on "
        f'Microsoft Learn for the supported services) (got "/subscriptions/{SUB}/resourceGroups/rg/providers/'
        'Microsoft.Compute/virtualMachines/vm1")',
    ),
    "fqdn rule needs approved outbound only": (
        managed("AllowInternetOutbound", outboundRules=[{"name": "pypi", "fqdn": "pypi.org"}]),
        f"{RULE}.outboundRules[0].fqdn: fqdn rules are only valid with isolation AllowOnlyApprovedOutbound (under "
        "AllowInternetOutbound only privateEndpoint rules are; everything else is already allowed)",
    ),
    "service tag rule needs approved outbound only": (
        managed("AllowInternetOutbound", outboundRules=[
            {"name": "fd", "serviceTag": {"tag": "AzureFrontDoor.FrontEnd", "protocol": "TCP", "ports": "443"}}]),
        f"{RULE}.outboundRules[0].serviceTag: serviceTag rules are only valid with isolation "
        "AllowOnlyApprovedOutbound (under AllowInternetOutbound only privateEndpoint rules are; everything else "
        "is already allowed)",
    ),
    "fqdn rule to storage": (
        managed(outboundRules=[{"name": "st", "fqdn": "stshared.blob.core.windows.net"}]),
        f"{RULE}.outboundRules[0].fqdn: is an Azure Storage host, which a managed network cannot reach by FQDN "
        "rule: use a privateEndpoint rule with the storage account's id and the sub-resource (blob, file, dfs...) "
        '(got "stshared.blob.core.windows.net")',
    ),
    "malformed fqdn": (
        managed(outboundRules=[{"name": "bad", "fqdn": "https://pypi.org/simple"}]),
        f"{RULE}.outboundRules[0].fqdn: must be a host name such as pypi.org, or a wildcard such as "
        '*.pythonhosted.org (got "https://pypi.org/simple")',
    ),
    "malformed ports": (
        managed(outboundRules=[{"name": "fd", "serviceTag": {"tag": "AzureFrontDoor.FrontEnd", "protocol": "TCP",
                                                             "ports": "443-80"}}]),
        f"{RULE}.outboundRules[0].serviceTag.ports: must be *, or ports and port ranges from 1 to 65535 separated "
        'by commas, such as "443" or "80, 8080-8089" (got "443-80")',
    ),
    "malformed rule name": (
        managed(outboundRules=[{"name": "py pi", "fqdn": "pypi.org"}]),
        f"{RULE}.outboundRules[0].name: must be 1-64 letters, digits, hyphens and underscores, starting with a "
        'letter or digit (got "py pi")',
    ),
    "rule name the data lake's rule takes": (
        managed(outboundRules=[{"name": "data-storage-blob", "fqdn": "pypi.org"}])
        | {"azureml-infra:dataStorage": {"containers": ["raw"]}},
        f"{RULE}.outboundRules[0].name: 'data-storage-blob' is the name of the rule this stack adds for "
        "dataStorage's private endpoint in the managed network; choose another name",
    ),
    "firewall sku without fqdn rules": (
        managed(firewallSku="Basic"),
        f"{RULE}.firewallSku: has no effect: Azure ML deploys its firewall only for fqdn outbound rules; remove it",
    ),
    "training subnet under a managed network": (
        private(vnet={"trainingSubnet": "10.20.2.0/24"}, network={"isolation": "AllowInternetOutbound"}),
        f"{PE}.vnet.trainingSubnet: has no use under isolation AllowInternetOutbound: computes run in the managed "
        "network and cannot join a subnet of yours; remove it",
    ),
    # --- computes --------------------------------------------------------------------------
    "cluster subnetId under a managed network": (
        managed("AllowInternetOutbound") | {"azureml-infra:computes": [{**CLUSTER, "subnetId": SUBNET_ID}]},
        "azureml-infra:computes[0].subnetId: a compute cannot join a subnet of yours under network.isolation "
        "AllowInternetOutbound: it runs in the workspace's managed network; remove subnetId",
    ),
    "instance subnetId under a managed network": (
        managed() | {"azureml-infra:computeInstances": [{**INSTANCE, "subnetId": SUBNET_ID}]},
        "azureml-infra:computeInstances[0].subnetId: a compute cannot join a subnet of yours under "
        "network.isolation AllowOnlyApprovedOutbound: it runs in the workspace's managed network; remove subnetId",
    ),
    "subnetId training without a training subnet": (
        private(computes=[{**CLUSTER, "subnetId": "training"}]),
        "azureml-infra:computes[0].subnetId: 'training' names the training subnet this stack creates, and "
        "network.privateEndpoints.vnet.trainingSubnet is not set: add it, or give a subnet's ARM id",
    ),
    "subnetId training without private endpoints": (
        stack({"azureml-infra:computeInstances": [{**INSTANCE, "subnetId": "training"}]}),
        "azureml-infra:computeInstances[0].subnetId: 'training' names the training subnet this stack creates, "
        "and network.privateEndpoints.vnet.trainingSubnet is not set: add it, or give a subnet's ARM id",
    ),
    "compute outside every network with private endpoints": (
        private(computes=[CLUSTER]),
        "azureml-infra:computes[0].subnetId: is required with network.privateEndpoints and network.isolation "
        "Disabled: outside a network of yours the compute cannot reach the workspace's storage, key vault and "
        "registry; set subnetId: training (with network.privateEndpoints.vnet.trainingSubnet) or a subnet that "
        "reaches the endpoints, or turn on network.isolation",
    ),
    # --- the workspace and its registry ---------------------------------------------------------
    "Basic registry by default": (
        private(workspace={"containerRegistry": {}}),
        "azureml-infra:workspace.containerRegistry.sku: Basic (the default) cannot take a private endpoint, which "
        "network.privateEndpoints creates for the registry: only the Premium tier can; set Premium",
    ),
    "Standard registry": (
        private(workspace={"containerRegistry": {"sku": "Standard"}}),
        "azureml-infra:workspace.containerRegistry.sku: Standard cannot take a private endpoint, which "
        "network.privateEndpoints creates for the registry: only the Premium tier can; set Premium",
    ),
    "no image build compute": (
        private(workspace={"imageBuildCompute": None}),
        "azureml-infra:workspace.imageBuildCompute: is required with network.privateEndpoints: behind a private "
        "endpoint the registry cannot build environment images itself, so the workspace builds them on a compute "
        "cluster; name one of computes (cpu), e.g. imageBuildCompute: cpu",
    ),
    "no image build compute and no cluster": (
        private(workspace={"imageBuildCompute": None}, computes=[]),
        "azureml-infra:workspace.imageBuildCompute: is required with network.privateEndpoints: behind a private "
        "endpoint the registry cannot build environment images itself, so the workspace builds them on a compute "
        "cluster; add a CPU compute cluster to computes and name it here",
    ),
    "image build compute that is not a cluster": (
        private(workspace={"imageBuildCompute": "ci-alice"}, computeInstances=[{**INSTANCE, "subnetId": SUBNET_ID}]),
        "azureml-infra:workspace.imageBuildCompute: 'ci-alice' is not one of computes (cpu): name a compute "
        "cluster of this stack (compute instances cannot build images here)",
    ),
    "public workspace with private endpoints": (
        private(workspace={"publicNetworkAccess": "Enabled"}),
        "azureml-infra:workspace.publicNetworkAccess: Enabled contradicts network.privateEndpoints, which turns "
        "public network access off on the workspace and its dependencies; remove it",
    ),
}


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_prints_its_exact_problem_and_registers_nothing(case):
    config, expected = CASES[case]
    assert_refused(_drop_none(config), [expected])


def test_a_bad_network_reports_every_problem_at_once():
    config = private(workspace={"containerRegistry": {"sku": "Standard"}, "imageBuildCompute": None},
                     vnet={"privateEndpointSubnet": "10.20.1.0/29"})
    assert_refused(_drop_none(config), [
        f"{PE}.vnet.privateEndpointSubnet: 10.20.1.0/29 leaves 3 usable addresses (Azure reserves 5 in every "
        "subnet), but the stack's 7 private endpoints need 10: use a /28 or larger",
        "azureml-infra:workspace.containerRegistry.sku: Standard cannot take a private endpoint, which "
        "network.privateEndpoints creates for the registry: only the Premium tier can; set Premium",
        "azureml-infra:workspace.imageBuildCompute: is required with network.privateEndpoints: behind a private "
        "endpoint the registry cannot build environment images itself, so the workspace builds them on a compute "
        "cluster; name one of computes (cpu), e.g. imageBuildCompute: cpu",
    ])


# --- accepted forms ------------------------------------------------------------------------


def test_the_data_lake_needs_two_more_endpoints_which_a_28_no_longer_holds():
    # 9 endpoints, 12 addresses: workspace 3, storage blob, file, queue and table 4 (computes in your
    # network run batch jobs), vault 1, registry 2, and the lake's blob and dfs 2.
    config = private(vnet={"privateEndpointSubnet": "10.20.1.0/28"}, dataStorage={"containers": ["raw"]})
    assert_refused(config, [
        f"{PE}.vnet.privateEndpointSubnet: 10.20.1.0/28 leaves 11 usable addresses (Azure reserves 5 in every "
        "subnet), but the stack's 9 private endpoints need 12: use a /27 or larger",
    ])
    wider = private(vnet={"privateEndpointSubnet": "10.20.1.0/27"}, dataStorage={"containers": ["raw"]})
    assert accepted(wider).network.private_endpoints.vnet.private_endpoint_subnet == "10.20.1.0/27"


def test_a_training_subnet_that_holds_every_node_is_accepted():
    # 4 nodes + 5 reserved = 9 addresses: a /28 (16).
    config = private(vnet={"trainingSubnet": "10.20.2.0/28"}, computes=[{**CLUSTER, "subnetId": "training"}])
    parsed = accepted(config)
    assert (parsed.network.training_subnet, parsed.computes[0].subnet_id) == ("10.20.2.0/28", "training")


def test_no_public_ip_without_a_subnet_is_accepted_under_a_managed_network():
    config = managed("AllowInternetOutbound") | {"azureml-infra:computes": [{**CLUSTER, "nodePublicIp": False}]}
    (cluster,) = accepted(config).computes
    assert (cluster.node_public_ip, cluster.subnet_id) == (False, None)


def test_subresource_and_rule_forms_that_are_accepted():
    rules = [
        {"name": "shared-data", "privateEndpoint": {"resourceId": STORAGE_ID, "subresource": "BLOB"}},
        {"name": "pypi", "fqdn": "pypi.org"},
        {"name": "wheels", "fqdn": "*.pythonhosted.org"},
        {"name": "fd", "serviceTag": {"tag": "AzureFrontDoor.FrontEnd", "protocol": "TCP", "ports": "80, 8080-8089"}},
        {"name": "any", "serviceTag": {"tag": "Storage.WestEurope", "protocol": "*", "ports": "*"}},
    ]
    parsed = accepted(managed(outboundRules=rules, firewallSku="Standard")).network
    assert [r.name for r in parsed.outbound_rules] == [r["name"] for r in rules]
    assert parsed.firewall_sku == "Standard"


def test_existing_subnet_with_some_zones_given_is_accepted():
    config = private(pe={"subnetId": SUBNET_ID, "dnsZones": {z: zone_id(z) for z in privatelink.WORKSPACE_ZONES}})
    endpoints = accepted(config).network.private_endpoints
    assert (endpoints.subnet_id, sorted(endpoints.dns_zones)) == (SUBNET_ID, sorted(privatelink.WORKSPACE_ZONES))


# --- pure helpers --------------------------------------------------------------------------


def test_every_endpoint_kind_has_its_documented_zones():
    # private-endpoint-dns.md: one row per service; the workspace has two zones.
    assert {g: k.zones for g, k in privatelink.ENDPOINT_KINDS.items()} == {
        "amlworkspace": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
        "blob": ("privatelink.blob.core.windows.net",),
        "file": ("privatelink.file.core.windows.net",),
        "dfs": ("privatelink.dfs.core.windows.net",),
        "queue": ("privatelink.queue.core.windows.net",),
        "table": ("privatelink.table.core.windows.net",),
        "vault": ("privatelink.vaultcore.azure.net",),
        "registry": ("privatelink.azurecr.io",),
        # "Foundry Tools (Microsoft.CognitiveServices/accounts) | account": three zones.
        "account": ("privatelink.cognitiveservices.azure.com", "privatelink.openai.azure.com",
                    "privatelink.services.ai.azure.com"),
        # "Azure Machine Learning registry (...registries) | amlregistry | privatelink.api.azureml.ms".
        "amlregistry": ("privatelink.api.azureml.ms",),
        # "Azure Monitor (Microsoft.Insights/privateLinkScopes) | azuremonitor": five zones.
        "azuremonitor": ("privatelink.monitor.azure.com", "privatelink.oms.opinsights.azure.com",
                         "privatelink.ods.opinsights.azure.com", "privatelink.agentsvc.azure-automation.net",
                         "privatelink.blob.core.windows.net"),
    }


def test_required_zones_follow_the_endpoints():
    assert privatelink.required_zones(False) == [
        "privatelink.api.azureml.ms", "privatelink.notebooks.azure.net", "privatelink.blob.core.windows.net",
        "privatelink.file.core.windows.net", "privatelink.vaultcore.azure.net", "privatelink.azurecr.io",
    ]
    assert privatelink.required_zones(True) == [*privatelink.required_zones(False), "privatelink.dfs.core.windows.net"]
    assert privatelink.endpoint_groups(True) == ["amlworkspace", "blob", "file", "vault", "registry", "blob", "dfs"]
    # A Foundry account (foundry) adds its endpoint and its three zones, last.
    assert privatelink.endpoint_groups(False, foundry=True) == ["amlworkspace", "blob", "file", "vault", "registry",
                                                                 "account"]
    assert privatelink.required_zones(False, foundry=True) == [
        *privatelink.required_zones(False), "privatelink.cognitiveservices.azure.com", "privatelink.openai.azure.com",
        "privatelink.services.ai.azure.com"]
    # Computes in your network run batch jobs: the default storage's queue and table too.
    assert privatelink.endpoint_groups(False, batch=True) == [
        "amlworkspace", "blob", "file", "queue", "table", "vault", "registry"]
    assert privatelink.required_zones(False, batch=True) == [
        "privatelink.api.azureml.ms", "privatelink.notebooks.azure.net", "privatelink.blob.core.windows.net",
        "privatelink.file.core.windows.net", "privatelink.queue.core.windows.net",
        "privatelink.table.core.windows.net", "privatelink.vaultcore.azure.net", "privatelink.azurecr.io",
    ]


def test_vnet_of_an_existing_subnet():
    settings = cfg.PrivateEndpointSettings.model_validate({"subnetId": SUBNET_ID})
    assert settings.vnet_id_of_subnet == VNET_ID


@pytest.mark.parametrize("subnet_id, problem", [
    ("training", None),
    ("train", "is not a subnet's ARM id; expected /subscriptions/<subscription-guid>/resourceGroups/<group>"
              "/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>, or training for the training "
              "subnet this stack creates"),
])
def test_computes_and_serverless_compute_take_the_same_training_keyword(subnet_id, problem):
    # One type (config.base.SubnetIdOrTraining) for both: the keyword and its message cannot drift.
    from pydantic import ValidationError

    from azureml_infra.config import workspace as workspace_cfg

    def refusal(model: type, data: dict[str, Any]) -> str | None:
        try:
            model.model_validate(data)
        except ValidationError as error:
            return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        return None

    cluster = {"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2, "subnetId": subnet_id}
    assert refusal(compute_cfg.ComputeCluster, cluster) == problem
    assert refusal(workspace_cfg.ServerlessComputeSettings, {"subnetId": subnet_id}) == problem


def test_the_stack_file_schema_accepts_subnet_training_and_the_network_section():
    import jsonschema

    from tools import stack_schema

    validator = jsonschema.Draft7Validator(stack_schema.render_schema())
    config = private(vnet={"trainingSubnet": "10.20.2.0/24"}, computes=[{**CLUSTER, "subnetId": "training"}])
    assert accepted(config).network.training_subnet == "10.20.2.0/24"
    assert [e.message for e in validator.iter_errors({"config": config})] == []
    bad = stack({"azureml-infra:computes": [{**CLUSTER, "subnetId": "snet-training"}]})
    assert [e.message for e in validator.iter_errors({"config": bad})] != []
