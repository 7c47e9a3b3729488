"""Issue 18's bad input, each refused with one exact problem line naming its key and nothing
registered; and what the same keys accept: personas in ``access`` and the registry scope,
``network.outboundPresets``, ``workspace.dataIsolation``, ``containerRegistry.zoneRedundant`` and
the registry's regional data zone in ``dnsZones``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import accepted, assert_refused, stack

SUB = "00000000-0000-0000-0000-000000000000"
GROUP = "6f1c1c43-2b1e-4a52-9e2a-0c2a3f1c7d11"
OTHER_GROUP = "0b5e2a1d-9c1f-4a8e-b0c4-2e7d5c9a1f22"
REGISTRY_ID = f"/subscriptions/{SUB}/resourceGroups/rg-shared/providers/Microsoft.MachineLearningServices/registries/mlr-x"
NET = f"/subscriptions/{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network"
STORAGE_ID = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stshared"
CR_ID = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.ContainerRegistry/registries/crshared"

ACCESS = "azureml-infra:access"
NETWORK = "azureml-infra:network"
WORKSPACE = "azureml-infra:workspace"


def person(persona: str | None = "dataScientist", principal: str = GROUP, **keys: str) -> dict[str, str]:
    entry = {"principalId": principal, "principalType": "Group", **keys}
    return {**entry, "persona": persona} if persona else entry


def access(*entries: dict, **extra: Any) -> dict[str, Any]:
    return stack({ACCESS: list(entries), **extra})


def approved_only(**network: Any) -> dict[str, Any]:
    return stack({NETWORK: {"isolation": "AllowOnlyApprovedOutbound", **network}})


KEYLESS = {WORKSPACE: {"storageAccount": {"allowSharedKeyAccess": False}}}

# A stack file as `make adopt` writes one: every name the legacy templates deployed.
ADOPTED: dict[str, Any] = {
    "azureml-infra:adopt": True,
    "azureml-infra:resourceGroup": {"name": "mlopsexample-dev"},
    WORKSPACE: {
        "name": "mlops-mls-dev",
        "storageAccount": {"name": "mlopssadev"},
        "keyVault": {"name": "mlops-kv-dev", "authorization": "accessPolicies", "softDeleteRetentionInDays": 90},
        "applicationInsights": {"name": "mlops-ain-dev"},
        "containerRegistry": {"name": "mlopscrdev", "sku": "Premium"},
    },
}


def adopted(**workspace: Any) -> dict[str, Any]:
    config = stack(ADOPTED)
    for key, value in workspace.items():
        current = config[WORKSPACE].get(key)
        config[WORKSPACE][key] = {**current, **value} if isinstance(current, dict) else value
    return config


def private(dns_zones: dict[str, str]) -> dict[str, Any]:
    return stack({
        WORKSPACE: {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu"},
        NETWORK: {"isolation": "AllowInternetOutbound", "privateEndpoints": {
            "vnet": {"addressSpace": "10.20.0.0/16", "privateEndpointSubnet": "10.20.1.0/24"}, "dnsZones": dns_zones}},
        "azureml-infra:computes": [{"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2}],
    })


def zone(name: str) -> dict[str, str]:
    return {name: f"{NET}/privateDnsZones/{name}"}


# --- access: personas and the registry scope, refused -------------------------------------------

BESIDE_PERSONA = (
    "cannot stand beside persona: the persona reader gives its own roles on their own scopes (docs/access.md, "
    "Personas); remove role and scope, or remove persona"
)
REQUIRED = "is required: give role and scope, or a persona (dataScientist, mlEngineer, reader)"


def test_an_unknown_persona():
    assert_refused(access(person("dataEngineer")), [
        "azureml-infra:access[0].persona: input should be 'dataScientist', 'mlEngineer' or 'reader' "
        '(got "dataEngineer")',
    ])


@pytest.mark.parametrize("keys, named", [
    ({"role": "Reader"}, "role"),
    ({"scope": "workspace"}, "scope"),
    # Both: the first is named, once.
    ({"role": "Reader", "scope": "workspace"}, "role"),
])
def test_a_persona_entry_that_also_names_a_role_or_a_scope(keys, named):
    assert_refused(access(person("reader", **keys)), [f"azureml-infra:access[0].{named}: {BESIDE_PERSONA}"])


def test_an_entry_with_neither_role_and_scope_nor_persona():
    assert_refused(access(person(None)), [f"azureml-infra:access[0].role: {REQUIRED}"])
    # A role alone is not enough either: the scope is named.
    assert_refused(access(person(None, role="Reader")), [f"azureml-infra:access[0].scope: {REQUIRED}"])


def test_the_registry_scope_in_a_stack_without_a_registry():
    assert_refused(access(person("reader"), person(None, OTHER_GROUP, role="AzureML Registry User", scope="registry")), [
        "azureml-infra:access[1].scope: is registry, but this stack uses no Azure ML registry (azureml-infra:registry "
        "is not set): choose another scope, or remove the entry",
    ])


SAME = "gives the same principal the same role on the same scope as access[0]"
KEEP_ONE = "Azure keeps one such assignment: remove one of the two"


def test_a_persona_and_a_role_entry_with_the_same_role_for_the_same_principal():
    # Either order; the message says which persona gives the role.
    assert_refused(access(person("dataScientist"), person(None, role="AzureML Data Scientist", scope="workspace")), [
        f"azureml-infra:access[1]: {SAME} (the persona dataScientist gives AzureML Data Scientist on workspace); "
        f"{KEEP_ONE}",
    ])
    assert_refused(access(person(None, role="reader", scope="resourceGroup"), person("reader")), [
        f"azureml-infra:access[1]: {SAME} (the persona reader gives Reader on resourceGroup); {KEEP_ONE}",
    ])


def test_a_role_entry_by_guid_duplicates_a_personas_role_too():
    data_scientist = "F6C7C914-8DB3-469D-8CA1-694A8F32E121"
    assert_refused(access(person("mlEngineer"), person(None, role=data_scientist, scope="workspace")), [
        f"azureml-infra:access[1]: {SAME} (the persona mlEngineer gives f6c7c914-8db3-469d-8ca1-694a8f32e121 on "
        f"workspace); {KEEP_ONE}",
    ])


def test_two_personas_for_one_principal_that_share_a_role():
    assert_refused(access(person("dataScientist"), person("mlEngineer")), [
        f"azureml-infra:access[1]: {SAME} (the persona dataScientist gives AzureML Data Scientist on workspace; the "
        f"persona mlEngineer gives AzureML Data Scientist on workspace); {KEEP_ONE}",
    ])


def test_a_duplicate_only_in_the_stack_where_the_persona_gives_that_role():
    # dataScientist gives Storage Blob Data Contributor on the storage only when it takes no keys.
    entries = (person("dataScientist"), person(None, role="Storage Blob Data Contributor", scope="storageAccount"))
    assert [e.scope for e in accepted(access(*entries)).access] == [None, "storageAccount"]
    assert_refused(access(*entries, **KEYLESS), [
        f"azureml-infra:access[1]: {SAME} (the persona dataScientist gives Storage Blob Data Contributor on "
        f"storageAccount); {KEEP_ONE}",
    ])


# --- access: accepted ----------------------------------------------------------------------------


def test_a_persona_entry_alone_is_accepted_without_role_or_scope():
    (entry,) = accepted(access(person("mlEngineer"))).access
    assert (entry.persona, entry.role, entry.scope, entry.principal_id) == ("mlEngineer", None, None, GROUP)


def test_each_persona_for_another_principal_is_accepted():
    config = accepted(access(person("dataScientist"), person("mlEngineer", OTHER_GROUP),
                             person("reader", "4a9d2c7e-8b1f-4d3a-9e6c-5b0a1f2e3d73"), **KEYLESS))
    assert [e.persona for e in config.access] == ["dataScientist", "mlEngineer", "reader"]


def test_the_registry_scope_with_a_registry():
    config = accepted(access(person(None, role="AzureML Registry User", scope="registry"),
                             **{"azureml-infra:registry": {"id": REGISTRY_ID}}))
    assert [(e.role, e.scope) for e in config.access] == [("AzureML Registry User", "registry")]


# --- network.outboundPresets ----------------------------------------------------------------------


def test_an_unknown_outbound_preset():
    assert_refused(approved_only(outboundPresets=["pypi", "npm"]), [
        "azureml-infra:network.outboundPresets[1]: input should be 'pypi', 'conda' or 'huggingface' (got \"npm\")",
    ])


@pytest.mark.parametrize("isolation", ["Disabled", "AllowInternetOutbound"])
def test_presets_without_approved_only_isolation(isolation):
    assert_refused(stack({NETWORK: {"isolation": isolation, "outboundPresets": ["conda"]}}), [
        "azureml-infra:network.outboundPresets[0]: 'conda' is a set of fqdn rules, which are only valid with isolation "
        f"AllowOnlyApprovedOutbound (under {isolation} the managed network reaches them already): remove outboundPresets",
    ])


def test_presets_without_isolation_at_all():
    assert_refused(stack({NETWORK: {"outboundPresets": ["pypi"]}}), [
        "azureml-infra:network.outboundPresets[0]: 'pypi' is a set of fqdn rules, which are only valid with isolation "
        "AllowOnlyApprovedOutbound (under Disabled the managed network reaches them already): remove outboundPresets",
    ])


def test_a_preset_listed_twice():
    assert_refused(approved_only(outboundPresets=["pypi", "conda", "pypi"]), [
        "azureml-infra:network.outboundPresets[2]: lists 'pypi' more than once",
    ])


def test_a_preset_whose_rule_name_an_outbound_rule_already_uses():
    # Rule names are compared ignoring case, as Azure does.
    rules = [{"name": "Anaconda-Org", "fqdn": "conda.anaconda.org"}]
    assert_refused(approved_only(outboundPresets=["pypi", "conda"], outboundRules=rules), [
        "azureml-infra:network.outboundPresets[1]: adds the rule 'anaconda-org', which outboundRules already has: "
        "remove that rule (the preset has it) or rename it",
    ])


@pytest.mark.parametrize("name, what", [
    ("storage-account-queue", "the default storage's queue (batch endpoints)"),
    ("Storage-Account-Table", "the default storage's table (batch endpoints)"),
])
def test_a_user_rule_named_as_a_rule_of_this_stack_under_a_managed_network(name, what):
    rule = {"name": name, "privateEndpoint": {"resourceId": STORAGE_ID, "subresource": "queue"}}
    assert_refused(stack({NETWORK: {"isolation": "AllowInternetOutbound", "outboundRules": [rule]}}), [
        f"azureml-infra:network.outboundRules[0].name: '{name}' is the name of the rule this stack adds for {what} in "
        "the managed network; choose another name",
    ])


def test_presets_under_approved_only_are_accepted_in_their_order():
    config = accepted(approved_only(outboundPresets=["huggingface", "conda", "pypi"],
                                    outboundRules=[{"name": "github", "fqdn": "github.com"}]))
    assert config.network.outbound_presets == ["huggingface", "conda", "pypi"]
    # A firewall SKU has an effect with presets alone: their rules are fqdn rules.
    assert accepted(approved_only(outboundPresets=["pypi"], firewallSku="Basic")).network.firewall_sku == "Basic"


# --- workspace.dataIsolation, containerRegistry.zoneRedundant ------------------------------------


def test_the_adopted_stack_file_is_accepted():
    assert accepted(stack(ADOPTED)).adopt


def test_data_isolation_on_an_adopted_workspace():
    assert_refused(adopted(dataIsolation=True), [
        "azureml-infra:workspace.dataIsolation: can only be chosen when a workspace is created, and adopt is true "
        "imports the workspace the legacy templates deployed: remove it",
    ])
    # What the legacy workspace has, said out loud, is no change.
    assert not accepted(adopted(dataIsolation=False)).workspace.data_isolation


def test_a_zone_redundant_registry_on_an_adopted_stack():
    assert_refused(adopted(containerRegistry={"zoneRedundant": True}), [
        "azureml-infra:workspace.containerRegistry.zoneRedundant: can only be chosen when a registry is created, and "
        "adopt is true imports the registry the legacy templates deployed: remove it",
    ])


@pytest.mark.parametrize("sku", ["Basic", "Standard"])
def test_a_zone_redundant_registry_below_premium(sku):
    assert_refused(stack({WORKSPACE: {"containerRegistry": {"sku": sku, "zoneRedundant": True}}}), [
        f"azureml-infra:workspace.containerRegistry.zoneRedundant: true needs the Premium tier (sku is {sku}): "
        "set sku: Premium",
    ])
    # The default tier is Basic.
    assert_refused(stack({WORKSPACE: {"containerRegistry": {"zoneRedundant": True}}}), [
        "azureml-infra:workspace.containerRegistry.zoneRedundant: true needs the Premium tier (sku is Basic): "
        "set sku: Premium",
    ])


def test_data_isolation_and_zone_redundancy_on_a_new_workspace_are_accepted():
    config = accepted(stack({WORKSPACE: {"dataIsolation": True, "storageAccount": {"id": STORAGE_ID},
                                         "containerRegistry": {"sku": "Premium", "zoneRedundant": True}}}))
    assert config.workspace.data_isolation and config.workspace.container_registry.zone_redundant


# --- the registry's regional data zone in dnsZones ------------------------------------------------


def test_a_registry_data_zone_of_another_region():
    assert_refused(private(zone("northeurope.data.privatelink.azurecr.io")), [
        "azureml-infra:network.privateEndpoints.dnsZones: 'northeurope.data.privatelink.azurecr.io' is the registry's "
        "data zone of another region: the stack's registry is in westeurope, whose data zone is "
        "westeurope.data.privatelink.azurecr.io",
    ])


def test_the_stacks_own_regions_data_zone_is_accepted():
    zones = {**zone("westeurope.data.privatelink.azurecr.io"), **zone("privatelink.azurecr.io")}
    pe = accepted(private(zones)).network.private_endpoints
    assert pe is not None and pe.dns_zones == zones
