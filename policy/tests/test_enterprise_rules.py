"""Issue 21's rules: prod-workspace-cmk (advisory in prod, mandatory where the prod stack file sets
workspace.encryption) and prod-registry-private (a private prod stack's Azure ML registry is private)."""

from __future__ import annotations

import rules
from compliant import WORKSPACE, good

T_WORKSPACE = rules.ML_WORKSPACE
URN = "urn:pulumi:prod::azureml-infra::{type}::{name}"
ENCRYPTED = good(WORKSPACE, encryption={"status": "Enabled", "keyVaultProperties": {
    "keyVaultArmId": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
    "keyIdentifier": "https://kv.vault.azure.net/keys/k"}})


def cmk(props: dict) -> list[str]:
    return rules.BY_NAME["prod-workspace-cmk"].violations(T_WORKSPACE, props, True)


def test_a_workspace_with_a_customer_managed_key_passes():
    assert cmk(ENCRYPTED) == []
    assert cmk(good(WORKSPACE, encryption={"status": "output<string>"})) == []


def test_a_workspace_without_one_is_reported():
    message = [
        "encryption is not set: the workspace's data is encrypted with Microsoft-managed keys; set "
        "azureml-infra:workspace.encryption (a customer-managed key) when the workspace is created, it cannot be "
        "added later (docs/encryption.md)"
    ]
    assert cmk(WORKSPACE) == message
    assert cmk(good(WORKSPACE, encryption={"status": "Disabled"})) == message
    assert rules.BY_NAME["prod-workspace-cmk"].violations(rules.STORAGE, {}, True) == []


def test_cmk_is_advisory_in_prod_and_mandatory_where_the_stack_file_sets_it():
    assert rules.pack_config("prod")["prod-workspace-cmk"]["enforcementLevel"] == "advisory"
    assert rules.pack_config("prod", encrypted=True)["prod-workspace-cmk"]["enforcementLevel"] == "mandatory"
    # Only in prod; the stack file raises nothing else.
    assert rules.pack_config("test", encrypted=True)["prod-workspace-cmk"]["enforcementLevel"] == "disabled"
    assert rules.pack_config("prod", encrypted=True)["storage-secure-transfer"] == (
        rules.pack_config("prod")["storage-secure-transfer"])


def test_a_stack_file_sets_encryption():
    assert rules.sets_encryption({"azureml-infra:workspace": {"encryption": {"keyVaultId": "x", "keyUri": "y"}}})
    assert not rules.sets_encryption({"azureml-infra:workspace": {"hbi": True}})
    assert not rules.sets_encryption({})


def resource(type_: str, name: str, props: dict) -> rules.StackResource:
    return rules.StackResource(URN.format(type=type_, name=name), type_, name, props, {})


def registry_rule(resources: list[rules.StackResource]) -> list[tuple[str, str]]:
    return [(r.name, m) for r, m in rules.BY_NAME["prod-registry-private"].violations(resources)]


def test_a_private_stacks_public_registry_is_refused():
    private_ws = resource(T_WORKSPACE, "workspace", {"publicNetworkAccess": "Disabled"})
    public = resource(rules.ML_REGISTRY, "ml-registry", {"publicNetworkAccess": "Enabled"})
    assert registry_rule([private_ws, public]) == [(
        "ml-registry",
        "publicNetworkAccess is Enabled: in a private prod stack the Azure ML registry is reached through its private "
        "endpoint only; set azureml-infra:registry.create.publicNetworkAccess: Disabled (docs/registry.md)",
    )]


def test_a_private_registry_or_a_public_stack_passes():
    private_ws = resource(T_WORKSPACE, "workspace", {"publicNetworkAccess": "Disabled"})
    public_ws = resource(T_WORKSPACE, "workspace", {"publicNetworkAccess": "Enabled"})
    private = resource(rules.ML_REGISTRY, "ml-registry", {"publicNetworkAccess": "Disabled"})
    public = resource(rules.ML_REGISTRY, "ml-registry", {"publicNetworkAccess": "Enabled"})
    assert registry_rule([private_ws, private]) == []
    assert registry_rule([public_ws, public]) == []
    assert registry_rule([private_ws]) == []
