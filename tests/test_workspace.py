"""The workspace component: what the engine receives for each resource, under mocks."""

from __future__ import annotations

import pytest

from tests.conftest import mock_principal, plan, shipped_plan, stack
from tools.harness import run_program

SUB = "00000000-0000-0000-0000-000000000000"
RG = "azure-native:resources:ResourceGroup"
SA = "azure-native:storage:StorageAccount"
KV = "azure-native:keyvault:Vault"
LOG = "azure-native:operationalinsights:Workspace"
APPI = "azure-native:applicationinsights:Component"
CR = "azure-native:containerregistry:Registry"
MLW = "azure-native:machinelearningservices:Workspace"
COMPONENT = "azureml-infra:workspace:MachineLearningWorkspace"
STATEFUL = [RG, SA, KV, LOG, APPI, CR, MLW]


def rid(provider_type: str, name: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/rg-shared/providers/{provider_type}/{name}"


@pytest.fixture(scope="module")
def dev():
    return shipped_plan("dev")


def test_storage_is_secure_by_default(dev):
    inputs = dev.one(SA).inputs
    assert inputs["enableHttpsTrafficOnly"] is True
    assert inputs["minimumTlsVersion"] == "TLS1_2"
    assert inputs["allowBlobPublicAccess"] is False
    assert inputs["isHnsEnabled"] is False


def test_storage_carries_the_seed_settings_in_dev(dev):
    inputs = dev.one(SA).inputs
    assert (inputs["sku"]["name"], inputs["kind"], inputs["accessTier"]) == ("Standard_RAGRS", "StorageV2", "Hot")


def test_key_vault_uses_rbac_and_soft_delete(dev):
    props = dev.one(KV).inputs["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["softDeleteRetentionInDays"] == 7  # dev keeps a deleted vault's name for a week only
    assert props["sku"] == {"family": "A", "name": "standard"}
    assert props["tenantId"] == "11111111-1111-1111-1111-111111111111"  # from getClientConfig


def test_purge_protection_is_left_out_when_off_because_azure_refuses_false(dev):
    assert "enablePurgeProtection" not in dev.one(KV).inputs["properties"]


def test_purge_protection_and_90_days_of_soft_delete_by_default():
    props = plan(stack()).one(KV).inputs["properties"]
    assert props["enablePurgeProtection"] is True
    assert props["softDeleteRetentionInDays"] == 90


def test_registry_has_no_admin_user(dev):
    inputs = dev.one(CR).inputs
    assert inputs["adminUserEnabled"] is False
    assert inputs["sku"]["name"] == "Basic"


def test_application_insights_is_workspace_based(dev):
    inputs = dev.one(APPI).inputs
    assert inputs["kind"] == "web" and inputs["applicationType"] == "web"
    assert inputs["ingestionMode"] == "LogAnalytics"
    assert inputs["workspaceResourceId"].endswith("/Microsoft.OperationalInsights/workspaces/log-mlops-dev")
    assert dev.one(LOG).urn in dev.one(APPI).property_dependencies["workspaceResourceId"]


def test_workspace_links_its_four_dependencies_by_id(dev):
    inputs = dev.one(MLW).inputs
    deps = dev.one(MLW).property_dependencies
    for key, type_, suffix in [
        ("storageAccount", SA, "/Microsoft.Storage/storageAccounts/stmlopsdevt0k7"),
        ("keyVault", KV, "/Microsoft.KeyVault/vaults/kv-mlops-dev-t0k7"),
        ("applicationInsights", APPI, "/Microsoft.Insights/components/appi-mlops-dev"),
        ("containerRegistry", CR, "/Microsoft.ContainerRegistry/registries/crmlopsdevt0k7"),
    ]:
        assert inputs[key].endswith(suffix), key
        assert deps[key] == [dev.one(type_).urn], key


# Workspace settings whose inputs no test here reads together, in one run (a run per test cost
# about 0.3 s each): public access off, shared keys off, and the legacy registry admin user and
# blob public access.
SETTINGS = stack({"azureml-infra:workspace": {
    "publicNetworkAccess": "Disabled",
    "containerRegistry": {"adminUserEnabled": True},
    "storageAccount": {"allowSharedKeyAccess": False, "allowBlobPublicAccess": True},
}})


def test_workspace_has_a_system_assigned_identity_and_public_access_as_configured(dev):
    inputs = dev.one(MLW).inputs
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert inputs["publicNetworkAccess"] == "Enabled"
    assert inputs["workspaceName"] == "mlw-mlops-dev"
    disabled = plan(SETTINGS)
    assert disabled.one(MLW).inputs["publicNetworkAccess"] == "Disabled"


def test_every_resource_is_in_the_group_and_region_with_the_tags(dev):
    group = dev.one(RG)
    assert group.inputs["resourceGroupName"] == "rg-mlops-dev"
    for type_ in [RG, SA, KV, LOG, APPI, CR, MLW]:
        reg = dev.one(type_)
        if type_ != RG:
            assert reg.inputs["resourceGroupName"] == "rg-mlops-dev", reg.name
            assert group.urn in reg.dependencies, reg.name
        assert reg.inputs["location"] == "westeurope", reg.name
        assert reg.inputs["tags"] == {"environment": "dev", "managedBy": "pulumi", "owner": "ml-platform"}, reg.name


def test_all_workspace_resources_are_children_of_the_component(dev):
    component = dev.one(COMPONENT)
    assert component.parent.endswith("pulumi:pulumi:Stack::azureml-infra-dev")
    for type_ in [RG, SA, KV, LOG, APPI, CR, MLW]:
        assert dev.one(type_).parent == component.urn, type_


def test_nothing_is_protected_in_dev(dev):
    assert not any(r.protect or r.retain_on_delete for r in dev.registrations)


def test_protect_true_protects_and_retains_every_stateful_resource():
    prod = shipped_plan("prod")
    for type_ in STATEFUL:
        reg = prod.one(type_)
        assert reg.protect and reg.retain_on_delete, type_


def test_shared_key_access_off_switches_system_datastores_to_identity():
    run = plan(SETTINGS)
    assert run.one(SA).inputs["allowSharedKeyAccess"] is False
    assert run.one(MLW).inputs["systemDatastoresAuthMode"] == "Identity"


def test_legacy_behaviour_only_when_asked_for():
    run = plan(SETTINGS)
    assert run.one(CR).inputs["adminUserEnabled"] is True
    assert run.one(SA).inputs["allowBlobPublicAccess"] is True


REUSE = {
    "storageAccount": (SA, "Microsoft.Storage/storageAccounts", "storageAccount"),
    "keyVault": (KV, "Microsoft.KeyVault/vaults", "keyVault"),
    "applicationInsights": (APPI, "Microsoft.Insights/components", "applicationInsights"),
    "containerRegistry": (CR, "Microsoft.ContainerRegistry/registries", "containerRegistry"),
}


@pytest.mark.parametrize("key", sorted(REUSE))
def test_reusing_a_dependency_creates_nothing_for_it_and_links_the_id(key):
    type_, arm_type, workspace_input = REUSE[key]
    existing = rid(arm_type, "shared1")
    run = plan(stack({"azureml-infra:workspace": {key: {"id": existing}}}))
    assert run.of_type(type_) == []
    assert run.one(MLW).inputs[workspace_input] == existing


def test_reusing_application_insights_creates_no_log_analytics_either():
    # The same config as test_reusing_a_dependency_..._links_the_id[applicationInsights]: one run.
    run = plan(stack({"azureml-infra:workspace": {"applicationInsights": {"id": rid("Microsoft.Insights/components",
                                                                                    "shared1")}}}))
    assert run.of_type(LOG) == [] and run.of_type(APPI) == []


def test_reusing_log_analytics_backs_the_new_application_insights():
    existing = rid("Microsoft.OperationalInsights/workspaces", "log-shared")
    run = plan(stack({"azureml-infra:workspace": {"logAnalytics": {"id": existing}}}))
    assert run.of_type(LOG) == []
    assert run.one(APPI).inputs["workspaceResourceId"] == existing


def test_outputs_of_reused_resources_come_from_their_ids():
    run = plan(
        stack(
            {
                "azureml-infra:workspace": {
                    "storageAccount": {"id": rid("Microsoft.Storage/storageAccounts", "stshared")},
                    "keyVault": {"id": rid("Microsoft.KeyVault/vaults", "kv-shared")},
                    "containerRegistry": {"id": rid("Microsoft.ContainerRegistry/registries", "crShared")},
                }
            }
        )
    )
    assert run.outputs["storageAccountName"].value == "stshared"
    assert run.outputs["keyVaultUri"].value == "https://kv-shared.vault.azure.net/"
    assert run.outputs["containerRegistryLoginServer"].value == "crshared.azurecr.io"


# An existing group and a name suffix, which its tests read apart: one run.
EXISTING_GROUP_AND_SUFFIX = stack({"azureml-infra:resourceGroup": {"name": "rg-shared-ml", "existing": True},
                                   "azureml-infra:nameSuffix": "x01"})


def test_an_existing_resource_group_is_used_and_never_created():
    run = plan(EXISTING_GROUP_AND_SUFFIX)
    assert run.of_type(RG) == []
    assert run.one(SA).inputs["resourceGroupName"] == "rg-shared-ml"
    assert run.outputs["resourceGroupName"].value == "rg-shared-ml"


def test_explicit_names_override_generated_ones():
    run = plan(
        stack(
            {
                "azureml-infra:resourceGroup": {"name": "rg-legacy"},
                "azureml-infra:workspace": {
                    "name": "mlops-mls-dev",
                    "storageAccount": {"name": "mlopssadev"},
                    "keyVault": {"name": "mlops-kv-dev"},
                    "containerRegistry": {"name": "mlopscrdev"},
                    "applicationInsights": {"name": "mlops-ain-dev"},
                },
            }
        )
    )
    assert run.one(RG).inputs["resourceGroupName"] == "rg-legacy"
    assert run.one(MLW).inputs["workspaceName"] == "mlops-mls-dev"
    assert run.one(SA).inputs["accountName"] == "mlopssadev"
    assert run.one(KV).inputs["vaultName"] == "mlops-kv-dev"
    assert run.one(CR).inputs["registryName"] == "mlopscrdev"
    assert run.one(APPI).inputs["resourceName"] == "mlops-ain-dev"


def test_name_suffix_overrides_the_derived_suffix():
    run = plan(EXISTING_GROUP_AND_SUFFIX)
    assert run.one(SA).inputs["accountName"] == "stmlopsdevx01"
    assert run.one(KV).inputs["vaultName"] == "kv-mlops-dev-x01"


def test_logical_names_do_not_depend_on_the_config():
    a = plan(stack())
    b = plan(stack({"azureml-infra:prefix": "other", "azureml-infra:workspace": {"name": "mlw-x"}}), stack_name="qa")
    assert sorted(r.name for r in a.registrations) == sorted(r.name for r in b.registrations)


def test_stack_outputs_for_downstream_pipelines(dev):
    expected = {
        "resourceGroupName": "rg-mlops-dev",
        "location": "westeurope",
        "workspaceName": "mlw-mlops-dev",
        "workspaceId": f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev/providers/"
        "Microsoft.MachineLearningServices/workspaces/mlw-mlops-dev",
        "storageAccountName": "stmlopsdevt0k7",
        "keyVaultUri": "https://kv-mlops-dev-t0k7.vault.azure.net/",
        "containerRegistryLoginServer": "crmlopsdevt0k7.azurecr.io",
        "applicationInsightsId": f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev/providers/"
        "Microsoft.Insights/components/appi-mlops-dev",
    }
    for key, value in expected.items():
        assert dev.outputs[key].value == value, key
        assert not dev.outputs[key].secret, key


def test_the_workspace_identity_is_an_output(dev):
    # What consumers grant access to (the verified modules export it too): the principal the
    # mock gave the workspace's system-assigned identity.
    workspace = dev.one("azure-native:machinelearningservices:Workspace")
    assert workspace.inputs["identity"] == {"type": "SystemAssigned"}
    assert dev.outputs["workspacePrincipalId"].value == mock_principal("mlw-mlops-dev")
    assert dev.outputs["workspacePrincipalId"].known


def _snapshot(run):
    return sorted((r.urn, repr(r.inputs), tuple(sorted(r.dependencies)), r.protect) for r in run.registrations)


def test_two_runs_give_identical_inputs():
    assert _snapshot(run_program("test")) == _snapshot(run_program("test"))


def test_prod_storage_takes_no_account_keys():
    # No credential-based access in prod: the workspace's own datastores use its identity.
    prod = shipped_plan("prod")
    storage = prod.one("azure-native:storage:StorageAccount", "storage-account")
    workspace = prod.one("azure-native:machinelearningservices:Workspace")
    assert storage.inputs["allowSharedKeyAccess"] is False
    assert workspace.inputs["systemDatastoresAuthMode"] == "Identity"
