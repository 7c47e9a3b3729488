"""Issue 21's enterprise controls, as the config and resolve see them: every bad input refused with one
problem line naming its key and nothing registered; what resolve decides for each control (pure, no
plan). The example that plans them all is tests/test_enterprise.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from azureml_infra.keys import reused_key
from azureml_infra.resolve import resolve
from azureml_infra.roles import Role
from tests.conftest import accepted, assert_refused, stack

SUB = "00000000-0000-0000-0000-000000000000"
OTHER_SUB = "11111111-2222-3333-4444-555555555555"
VAULT_ID = f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-cmk"
KEY_URI = "https://kv-cmk.vault.azure.net/keys/mlw-key/0123456789abcdef0123456789abcdef"
SUBNET_ID = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet-jobs"
HUB_ZONE = f"/subscriptions/{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms"
RULE_ID = f"/subscriptions/{SUB}/resourceGroups/rg-siem/providers/Microsoft.EventHub/namespaces/evhns/authorizationRules/send"
REGISTRY_ID = f"/subscriptions/{OTHER_SUB}/resourceGroups/rg-shared/providers/Microsoft.MachineLearningServices/registries/mlr-x"

WORKSPACE = "azureml-infra:workspace"
NETWORK = "azureml-infra:network"
VNET = {"addressSpace": "10.20.0.0/16", "privateEndpointSubnet": "10.20.1.0/24", "trainingSubnet": "10.20.2.0/24"}
# What every private stack needs besides the endpoints (config.rules.network).
PRIVATE = {
    WORKSPACE: {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu"},
    "azureml-infra:computes": [{"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2, "subnetId": "training"}],
}


def cmk(**encryption: Any) -> dict[str, Any]:
    return {"keyVaultId": VAULT_ID, "keyUri": KEY_URI, **encryption}


def workspace(**settings: Any) -> dict[str, Any]:
    return stack({WORKSPACE: settings})


def private(pe: dict[str, Any] | None = None, network: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    config = stack({**PRIVATE, NETWORK: {"privateEndpoints": {"vnet": VNET, **(pe or {})}, **(network or {})}})
    for key, value in extra.items():
        config[f"azureml-infra:{key}"] = value if key != "workspace" else {**config[WORKSPACE], **value}
    return config


# --- customer-managed key --------------------------------------------------------------------------


def test_encryption_with_a_system_assigned_identity():
    assert_refused(workspace(encryption=cmk()), [
        "azureml-infra:workspace.encryption: needs identity: userAssigned (the identity that reads the key from the "
        "vault, granted Key Vault Crypto Service Encryption User before the workspace exists); identity is "
        "systemAssigned, which exists only once the workspace does: set identity: userAssigned",
    ])


@pytest.mark.parametrize("uri", [
    "https://kv-cmk.vault.azure.net/secrets/mlw-key/0123456789abcdef0123456789abcdef",  # a secret, not a key
    "http://kv-cmk.vault.azure.net/keys/mlw-key",  # not https
    "https://kv-cmk.managedhsm.azure.net/keys/mlw-key",  # a managed HSM, not a vault
    "https://kv-cmk.vault.azure.net/keys/mlw-key/v1",  # not a key version
])
def test_a_key_uri_that_is_not_a_key_vault_key_uri(uri):
    assert_refused(workspace(identity="userAssigned", encryption=cmk(keyUri=uri)), [
        "azureml-infra:workspace.encryption.keyUri: must be a Key Vault key URI such as "
        f'https://<vault>.vault.azure.net/keys/<name>/<version> (got "{uri}")',
    ])


def test_a_key_uri_of_another_vault():
    assert_refused(workspace(identity="userAssigned",
                             encryption=cmk(keyUri="https://kv-other.vault.azure.net/keys/mlw-key")), [
        "azureml-infra:workspace.encryption.keyUri: is a key of the vault 'kv-other', but keyVaultId names the vault "
        "'kv-cmk': give the key of that vault, or that key's vault",
    ])


def test_a_key_vault_id_that_is_not_a_vaults():
    assert_refused(workspace(identity="userAssigned", encryption=cmk(keyVaultId=SUBNET_ID)), [
        "azureml-infra:workspace.encryption.keyVaultId: is the id of a Microsoft.Network/virtualNetworks/subnets, "
        f'not of a Microsoft.KeyVault/vaults (got "{SUBNET_ID}")',
    ])


def test_the_stacks_own_vault_must_keep_purge_protection():
    own = "/subscriptions/{s}/resourceGroups/rg-mlops-dev/providers/Microsoft.KeyVault/vaults/{v}"
    config = workspace(identity="userAssigned", keyVault={"purgeProtection": False})
    vault = resolve(accepted(config)).names.key_vault
    config[WORKSPACE]["encryption"] = {"keyVaultId": own.format(s=SUB, v=vault),
                                       "keyUri": f"https://{vault}.vault.azure.net/keys/mlw-key"}
    assert_refused(config, [
        "azureml-infra:workspace.keyVault.purgeProtection: must be true: the workspace's customer-managed key "
        "(encryption.keyUri) is in this vault, and a key's vault needs soft delete and purge protection, or a purged "
        "key would lose the workspace's data; remove purgeProtection: false",
    ])


@pytest.mark.parametrize("key", ["encryption", "hbi"])
def test_encryption_and_hbi_on_an_adopted_workspace(key):
    from tests.test_day_one_config import adopted

    value = cmk() if key == "encryption" else True
    config = adopted(**({key: value} | ({"identity": "userAssigned"} if key == "encryption" else {})))
    config[WORKSPACE]["keyVault"]["authorization"] = "rbac"  # a created identity needs an RBAC vault
    assert_refused(config, [
        f"azureml-infra:workspace.{key}: can only be chosen when a workspace is created, and adopt is true imports "
        "the workspace the legacy templates deployed: remove it",
    ])


def test_the_key_grant_on_another_vault_names_its_subscription():
    deployment = resolve(accepted(workspace(identity="userAssigned", encryption=cmk(serviceSide=True), hbi=True)))
    ws = deployment.workspace
    assert ws.encryption is not None and (ws.encryption.key_vault_id, ws.encryption.key_uri) == (VAULT_ID, KEY_URI)
    assert ws.encryption.service_side and ws.hbi
    assert ws.identity is not None and ws.identity.key_grant is not None
    key = ws.identity.key_grant
    assert key.vault_id == VAULT_ID
    assert key.grant.role_id == Role.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER.id == "e147488a-f6f5-4113-8e2d-b22465e65bf6"
    assert key.grant.subscription_id == OTHER_SUB
    assert key.grant.logical_name == "identity-cmk-key-vault-crypto-service-encryption-user"


def test_the_key_grant_on_the_stacks_own_vault_waits_for_it():
    vault = resolve(accepted(stack())).names.key_vault
    own = f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev/providers/Microsoft.KeyVault/vaults/{vault}"
    deployment = resolve(accepted(workspace(identity="userAssigned", encryption={
        "keyVaultId": own, "keyUri": f"https://{vault}.vault.azure.net/keys/mlw-key"})))
    identity = deployment.workspace.identity
    assert identity is not None and identity.key_grant is not None
    assert identity.key_grant.vault_id is None  # the stack's vault: the component takes its id
    assert identity.key_grant.grant.subscription_id is None
    vault_key = next(d.key for d in deployment.dependencies if d.kind == "keyVault")
    other = resolve(accepted(workspace(identity="userAssigned", encryption=cmk()))).workspace.identity
    assert other is not None and other.key_grant is not None
    # Named from the vault's key: the stack's own, or the reused id's.
    assert identity.key_grant.grant.name != other.key_grant.grant.name
    assert vault_key != reused_key(VAULT_ID)


def test_a_reused_identity_is_granted_nothing_on_the_key():
    identity_id = (f"/subscriptions/{SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/"
                   "userAssignedIdentities/id-shared")
    deployment = resolve(accepted(workspace(identity={"type": "userAssigned", "id": identity_id}, encryption=cmk())))
    assert deployment.workspace.identity is not None and deployment.workspace.identity.key_grant is None
    assert deployment.workspace.encryption is not None


# --- serverless compute --------------------------------------------------------------------------


def test_serverless_compute_under_a_managed_network():
    assert_refused(stack({WORKSPACE: {"serverlessCompute": {"subnetId": SUBNET_ID}},
                          NETWORK: {"isolation": "AllowInternetOutbound"}}), [
        "azureml-infra:workspace.serverlessCompute.subnetId: serverless compute cannot join a subnet of yours under "
        "network.isolation AllowInternetOutbound: it runs in the workspace's managed network; remove serverlessCompute",
    ])


def test_serverless_compute_in_training_without_a_training_subnet():
    assert_refused(workspace(serverlessCompute={"subnetId": "training"}), [
        "azureml-infra:workspace.serverlessCompute.subnetId: 'training' names the training subnet this stack creates, "
        "and network.privateEndpoints.vnet.trainingSubnet is not set: add it, or give a subnet's ARM id",
    ])


def test_serverless_compute_in_a_subnet_that_is_not_one():
    assert_refused(workspace(serverlessCompute={"subnetId": VAULT_ID}), [
        "azureml-infra:workspace.serverlessCompute.subnetId: is the id of a Microsoft.KeyVault/vaults, not of a "
        f'Microsoft.Network/virtualNetworks/subnets (got "{VAULT_ID}")',
    ])


def test_serverless_compute_resolves_to_a_subnet():
    by_id = resolve(accepted(workspace(serverlessCompute={"subnetId": SUBNET_ID, "noPublicIp": True}))).workspace
    assert by_id.serverless_subnet is not None and by_id.serverless_subnet.id == SUBNET_ID
    assert by_id.serverless_no_public_ip
    training = resolve(accepted(private(workspace={"serverlessCompute": {"subnetId": "training"}}))).workspace
    assert training.serverless_subnet is not None and training.serverless_subnet.training
    assert not training.serverless_no_public_ip
    assert resolve(accepted(stack())).workspace.serverless_subnet is None


# --- DNS by policy, the Azure Monitor private link scope ---------------------------------------------


def test_dns_zone_groups_off_with_dns_zones():
    assert_refused(private({"dnsZoneGroups": False, "dnsZones": {"privatelink.api.azureml.ms": HUB_ZONE}}), [
        "azureml-infra:network.privateEndpoints.dnsZones: has no use with dnsZoneGroups: false, which writes no "
        "records into any zone (the tenant's policy does): remove dnsZones, or set dnsZoneGroups: true",
    ])


def test_monitor_without_private_endpoints():
    # monitor is a key of privateEndpoints: without a network for the endpoints, there are none.
    assert_refused(stack({NETWORK: {"privateEndpoints": {"monitor": True}}}), [
        "azureml-infra:network.privateEndpoints: needs exactly one of vnet (a network created for the stack) or "
        "subnetId (an existing subnet)",
    ])


def test_dns_by_policy_makes_no_zone_and_no_zone_group():
    deployment = resolve(accepted(private({"dnsZoneGroups": False})))
    assert deployment.network is not None and deployment.network.zones_to_create == ()
    assert deployment.endpoints and all(e.zones == () for e in deployment.endpoints)
    with_groups = resolve(accepted(private()))
    assert with_groups.network is not None and "privatelink.api.azureml.ms" in with_groups.network.zones_to_create


def test_the_monitor_scope_gets_an_endpoint_and_its_zones():
    deployment = resolve(accepted(private({"monitor": True})))
    assert deployment.network is not None and deployment.network.monitor_scope == "ampls-mlops-dev"
    monitor = next(e for e in deployment.endpoints if e.group_id == "azuremonitor")
    assert (monitor.key, monitor.name, monitor.target) == ("monitor", "pe-ampls-mlops-dev-azuremonitor", "monitorScope")
    assert monitor.zones == ("privatelink.monitor.azure.com", "privatelink.oms.opinsights.azure.com",
                             "privatelink.ods.opinsights.azure.com", "privatelink.agentsvc.azure-automation.net",
                             "privatelink.blob.core.windows.net")
    assert {*monitor.zones} <= {*deployment.network.zones_to_create}
    assert deployment.workspace.monitor_private
    assert not resolve(accepted(private())).workspace.monitor_private


def test_the_endpoint_subnet_must_hold_the_scopes_and_the_registrys_endpoints():
    # 9 endpoints: the workspace's 3 addresses, 2 for the container registry, 4 for the ML registry, 12 for
    # the scope, 1 each for the storage's four and the vault: 26, more than a /28 holds.
    assert_refused(private({"vnet": {**VNET, "privateEndpointSubnet": "10.20.1.0/28"}, "monitor": True},
                           registry={"id": REGISTRY_ID}), [
        "azureml-infra:network.privateEndpoints.vnet.privateEndpointSubnet: 10.20.1.0/28 leaves 11 usable addresses "
        "(Azure reserves 5 in every subnet), but the stack's 9 private endpoints need 26: use a /27 or larger",
    ])


# --- the private registry ---------------------------------------------------------------------------


def test_a_private_registry_in_a_private_stack_is_accepted():
    config = accepted(private(registry={"create": {"name": "mlr-mlops", "regions": ["westeurope"],
                                                   "publicNetworkAccess": "Disabled"}}))
    deployment = resolve(config)
    assert deployment.registry is not None and deployment.registry.public_network_access == "Disabled"
    endpoint = next(e for e in deployment.endpoints if e.target == "registry")
    assert (endpoint.key, endpoint.name, endpoint.group_id, endpoint.zones) == (
        "ml-registry", "pe-mlr-mlops-amlregistry", "amlregistry", ("privatelink.api.azureml.ms",))


def test_a_consuming_workspace_under_a_managed_network_gets_a_rule_to_the_registry():
    config = accepted(stack({NETWORK: {"isolation": "AllowInternetOutbound"},
                             "azureml-infra:registry": {"id": REGISTRY_ID}}))
    rules = resolve(config).outbound_rules
    assert rules is not None
    rule = next(r for r in rules.rules if r.target == "registry")
    assert (rule.name, rule.type, rule.subresource, rule.needs_approval) == (
        "ml-registry-amlregistry", "PrivateEndpoint", "amlregistry", True)
    approval = next(a for a in rules.approvals if a.target == "registry")
    assert approval.grant.role_id == Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER.id
    assert approval.grant.subscription_id == OTHER_SUB
    # Without a managed network: no rule.
    assert resolve(accepted(stack({"azureml-infra:registry": {"id": REGISTRY_ID}}))).outbound_rules is None


def test_the_registry_rules_name_is_the_stacks():
    assert_refused(stack({NETWORK: {"isolation": "AllowInternetOutbound", "outboundRules": [
        {"name": "ml-registry-amlregistry", "privateEndpoint": {"resourceId": REGISTRY_ID, "subresource": "amlregistry"}},
    ]}, "azureml-infra:registry": {"id": REGISTRY_ID}}), [
        "azureml-infra:network.outboundRules[0].name: 'ml-registry-amlregistry' is the name of the rule this stack "
        "adds for the Azure ML registry in the managed network; choose another name",
    ])


# --- diagnostics to an event hub ----------------------------------------------------------------------


def test_diagnostics_to_an_event_hub_resolve():
    config = accepted(stack({"azureml-infra:diagnostics": {"eventHub": {"authorizationRuleId": RULE_ID,
                                                                         "name": "aml-audit"}}}))
    diagnostics = resolve(config).diagnostics
    assert diagnostics is not None and diagnostics.event_hub == (RULE_ID, "aml-audit")
    assert resolve(accepted(stack())).diagnostics.event_hub is None  # type: ignore[union-attr]


def test_an_event_hub_with_diagnostics_off():
    assert_refused(stack({"azureml-infra:diagnostics": {"enabled": False, "eventHub": {
        "authorizationRuleId": RULE_ID, "name": "aml-audit"}}}), [
        "azureml-infra:diagnostics.eventHub: has no effect when enabled is false: remove it, or set enabled: true",
    ])


def test_an_event_hub_rule_id_and_name_that_are_not():
    assert_refused(stack({"azureml-infra:diagnostics": {"eventHub": {
        "authorizationRuleId": VAULT_ID, "name": "-audit"}}}), [
        "azureml-infra:diagnostics.eventHub.authorizationRuleId: is the id of a Microsoft.KeyVault/vaults, not of a "
        f'Microsoft.EventHub/namespaces/authorizationRules (got "{VAULT_ID}")',
        "azureml-infra:diagnostics.eventHub.name: must be 1-256 letters, digits, periods, hyphens and underscores, "
        'starting and ending with a letter or digit (got "-audit")',
    ])
