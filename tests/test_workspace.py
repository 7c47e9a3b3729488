"""The workspace component: what the engine receives for each resource, under mocks.

The shipped stacks' plans (shared across the suite) show the wiring and the defaults; a setting
of another stack file is resolved from its config (azureml_infra.resolve, pure) and its spec built
into the workspace component alone (tests/test_components.py's workspace_run): one component run
per group of settings no test reads together, instead of a program run per setting.
"""

from __future__ import annotations

import pytest

from azureml_infra.deployment import Deployment, Existing
from azureml_infra.resolve import resolve
from tests.conftest import accepted, mock_principal, plan, shipped_plan, stack
from tests.test_components import workspace_run
from tools.harness import Run

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


def test_purge_protection_and_90_days_of_soft_delete_by_default(settings):
    vault = resolve(accepted(stack())).workspace.key_vault
    assert not isinstance(vault, Existing)
    assert (vault.purge_protection, vault.soft_delete_retention_in_days) == (True, 90)
    # The spec reaches the vault (SETTINGS leaves the key vault at its defaults).
    props = settings.one(KV).inputs["properties"]
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


# Workspace settings whose inputs no test here reads together, resolved once and built into the
# workspace component once (a program run per test cost about 0.3 s each): public access off,
# shared keys off, the legacy registry admin user and blob public access, Log Analytics reused by
# id, an existing resource group and a name suffix.
SETTINGS = stack({
    "azureml-infra:workspace": {
        "publicNetworkAccess": "Disabled",
        "containerRegistry": {"adminUserEnabled": True},
        "storageAccount": {"allowSharedKeyAccess": False, "allowBlobPublicAccess": True},
        "logAnalytics": {"id": rid("Microsoft.OperationalInsights/workspaces", "log-shared")},
    },
    "azureml-infra:resourceGroup": {"name": "rg-shared-ml", "existing": True},
    "azureml-infra:nameSuffix": "x01",
})


SETTINGS_DEPLOYMENT: Deployment = resolve(accepted(SETTINGS))  # pure: a few milliseconds


@pytest.fixture(scope="module")
def settings() -> Run:
    """The workspace component built from SETTINGS' resolved spec."""
    return workspace_run(SETTINGS_DEPLOYMENT.workspace)


def test_workspace_has_a_system_assigned_identity_and_public_access_as_configured(dev, settings):
    inputs = dev.one(MLW).inputs
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert inputs["publicNetworkAccess"] == "Enabled"
    assert inputs["workspaceName"] == "mlw-mlops-dev"
    assert SETTINGS_DEPLOYMENT.workspace.public_network_access == "Disabled"
    assert settings.one(MLW).inputs["publicNetworkAccess"] == "Disabled"


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


def test_shared_key_access_off_switches_system_datastores_to_identity(settings):
    spec = SETTINGS_DEPLOYMENT.workspace
    assert not isinstance(spec.storage_account, Existing)
    assert spec.storage_account.allow_shared_key_access is False
    assert spec.system_datastores_auth_mode == "Identity"
    assert settings.one(SA).inputs["allowSharedKeyAccess"] is False
    assert settings.one(MLW).inputs["systemDatastoresAuthMode"] == "Identity"


def test_legacy_behaviour_only_when_asked_for(settings):
    spec = SETTINGS_DEPLOYMENT.workspace
    assert not isinstance(spec.container_registry, Existing) and not isinstance(spec.storage_account, Existing)
    assert (spec.container_registry.admin_user_enabled, spec.storage_account.allow_blob_public_access) == (True, True)
    assert settings.one(CR).inputs["adminUserEnabled"] is True
    assert settings.one(SA).inputs["allowBlobPublicAccess"] is True


# The workspace spec's field of each dependency.
SPEC_FIELDS = {"storageAccount": "storage_account", "keyVault": "key_vault",
               "applicationInsights": "application_insights", "containerRegistry": "container_registry"}


REUSE = {
    "storageAccount": (SA, "Microsoft.Storage/storageAccounts", "stshared"),
    "keyVault": (KV, "Microsoft.KeyVault/vaults", "kv-shared"),
    "applicationInsights": (APPI, "Microsoft.Insights/components", "appi-shared"),
    "containerRegistry": (CR, "Microsoft.ContainerRegistry/registries", "crShared"),
}
# The four dependencies the workspace links, all reused by id in one stack: each test reads its own.
REUSED = stack({"azureml-infra:workspace": {key: {"id": rid(arm_type, name)}
                                            for key, (_, arm_type, name) in REUSE.items()}})


REUSED_DEPLOYMENT: Deployment = resolve(accepted(REUSED))


@pytest.fixture(scope="module")
def reused() -> Run:
    """The workspace component built from REUSED's resolved spec."""
    return workspace_run(REUSED_DEPLOYMENT.workspace)


@pytest.mark.parametrize("key", sorted(REUSE))
def test_reusing_a_dependency_creates_nothing_for_it_and_links_the_id(key, reused):
    type_, arm_type, name = REUSE[key]
    existing = rid(arm_type, name)
    dependency = REUSED_DEPLOYMENT.dependency(key)  # type: ignore[arg-type]
    assert dependency is not None and dependency.existing_id == existing
    assert getattr(REUSED_DEPLOYMENT.workspace, SPEC_FIELDS[key]) == Existing(existing, name)
    assert reused.of_type(type_) == []
    assert reused.one(MLW).inputs[key] == existing


def test_reusing_application_insights_creates_no_log_analytics_either(reused):
    # The same stack as test_reusing_a_dependency_..._links_the_id[applicationInsights].
    assert REUSED_DEPLOYMENT.dependency("logAnalytics") is None
    assert reused.of_type(LOG) == [] and reused.of_type(APPI) == []


def test_reusing_log_analytics_backs_the_new_application_insights(settings):
    existing = rid("Microsoft.OperationalInsights/workspaces", "log-shared")
    insights = SETTINGS_DEPLOYMENT.workspace.application_insights
    assert not isinstance(insights, Existing)
    assert insights.log_analytics == Existing(existing, "log-shared")
    assert settings.of_type(LOG) == []
    assert settings.one(APPI).inputs["workspaceResourceId"] == existing


def test_outputs_of_reused_resources_come_from_their_ids(reused):
    assert reused.outputs["storage_account_name"].value == "stshared"
    assert reused.outputs["key_vault_uri"].value == "https://kv-shared.vault.azure.net/"
    assert reused.outputs["login_server"].value == "crshared.azurecr.io"


def test_an_existing_resource_group_is_used_and_never_created(settings):
    spec = SETTINGS_DEPLOYMENT.workspace
    assert (spec.resource_group, spec.create_resource_group) == ("rg-shared-ml", False)
    assert settings.of_type(RG) == []
    assert settings.one(SA).inputs["resourceGroupName"] == "rg-shared-ml"
    assert settings.outputs["resource_group_name"].value == "rg-shared-ml"


def test_explicit_names_override_generated_ones():
    # Decided from the config alone; the dev plan shows each spec name arriving as its input.
    d = resolve(accepted(
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
    ))
    spec = d.workspace
    assert (spec.resource_group, spec.create_resource_group) == ("rg-legacy", True)
    assert spec.name == "mlops-mls-dev"
    assert [getattr(spec, field).name for field in SPEC_FIELDS.values()] == [
        "mlopssadev", "mlops-kv-dev", "mlops-ain-dev", "mlopscrdev"]


def test_name_suffix_overrides_the_derived_suffix(settings):
    spec = SETTINGS_DEPLOYMENT.workspace
    assert (spec.storage_account.name, spec.key_vault.name) == ("stmlopsdevx01", "kv-mlops-dev-x01")
    assert settings.one(SA).inputs["accountName"] == "stmlopsdevx01"
    assert settings.one(KV).inputs["vaultName"] == "kv-mlops-dev-x01"


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
    # A fresh run of the smallest stack against the suite's shared one (also read above): one run rather than two.
    assert _snapshot(plan(stack(), shared=False)) == _snapshot(plan(stack()))


def test_prod_storage_takes_no_account_keys():
    # No credential-based access in prod: the workspace's own datastores use its identity.
    prod = shipped_plan("prod")
    storage = prod.one("azure-native:storage:StorageAccount", "storage-account")
    workspace = prod.one("azure-native:machinelearningservices:Workspace")
    assert storage.inputs["allowSharedKeyAccess"] is False
    assert workspace.inputs["systemDatastoresAuthMode"] == "Identity"
