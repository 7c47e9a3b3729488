"""`adopt: true`: import ids on the first `pulumi up`, the plan's change list, and the refusals.

Expected ids and changes are written out by hand from the legacy templates
(shared/seed/arm-templates) and Azure's id format, never computed by the code under test.
"""

from __future__ import annotations

import copy

import pytest

from azureml_infra import adoption, facts
from tests.conftest import assert_refused, plan, shipped_plan, stack
from tests.test_adopt import LEGACY_DEV
from tools.harness import SUBSCRIPTION_ID
from tools.plan import plan_document, render_text

SUB = "5b1f3a9e-2c4d-4e6f-8a7b-9c0d1e2f3a4b"
GROUP = f"/subscriptions/{SUB}/resourceGroups/mlopsexample-dev"

# What `make adopt` writes for the legacy dev environment (tests/test_adopt.py), plus the
# subscription a user adds.
ADOPTED: dict = {**LEGACY_DEV, "azure-native:subscriptionId": SUB}

EXPECTED_IMPORTS = {
    "resource-group": GROUP,
    "storage-account": f"{GROUP}/providers/Microsoft.Storage/storageAccounts/mlopssadev",
    "key-vault": f"{GROUP}/providers/Microsoft.KeyVault/vaults/mlops-kv-dev",
    "application-insights": f"{GROUP}/providers/Microsoft.Insights/components/mlops-ain-dev",
    "container-registry": f"{GROUP}/providers/Microsoft.ContainerRegistry/registries/mlopscrdev",
    "workspace": f"{GROUP}/providers/Microsoft.MachineLearningServices/workspaces/mlops-mls-dev",
    "cpu-compute": f"{GROUP}/providers/Microsoft.MachineLearningServices/workspaces/mlops-mls-dev/computes/cpu-compute",
}


def adopted(changes: dict | None = None) -> dict:
    config = copy.deepcopy(ADOPTED)
    for key, value in (changes or {}).items():
        config[key] = value
    return config


@pytest.fixture(scope="module")
def adopted_run():
    return plan(adopted(), stack_name="legacy-dev", preview=True)


def test_every_resource_the_legacy_templates_deployed_is_imported_by_its_exact_arm_id(adopted_run):
    imports = {r.name: r.import_id for r in adopted_run.registrations if r.import_id}
    assert imports == EXPECTED_IMPORTS


def test_resources_the_legacy_templates_never_had_are_created(adopted_run):
    log_analytics = adopted_run.one(facts.LOG_ANALYTICS)
    assert log_analytics.import_id == "" and log_analytics.azure_name == "log-mlops-dev"


def test_without_a_configured_subscription_the_signed_in_one_is_named():
    config = adopted()
    del config["azure-native:subscriptionId"]
    run = plan(config, stack_name="legacy-dev", preview=True)
    assert run.one(facts.STORAGE_ACCOUNT).import_id == (
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/mlopsexample-dev"
        "/providers/Microsoft.Storage/storageAccounts/mlopssadev"
    )


def test_an_existing_group_and_reused_resources_are_not_imported():
    registry = "/subscriptions/" + SUB + "/resourceGroups/shared/providers/Microsoft.ContainerRegistry/registries/crshared"
    workspace = copy.deepcopy(ADOPTED["azureml-infra:workspace"])
    workspace["containerRegistry"] = {"id": registry}
    run = plan(
        adopted({"azureml-infra:resourceGroup": {"name": "mlopsexample-dev", "existing": True},
                 "azureml-infra:workspace": workspace}),
        stack_name="legacy-dev",
        preview=True,
    )
    imported = {r.name for r in run.registrations if r.import_id}
    assert imported == set(EXPECTED_IMPORTS) - {"resource-group", "container-registry"}


def test_a_stack_without_adopt_imports_nothing():
    assert [r.name for r in shipped_plan("dev").registrations if r.import_id] == []


def test_a_legacy_vault_keeps_its_access_policies_unless_the_stack_asks_for_rbac(adopted_run):
    vault = adopted_run.one(facts.KEY_VAULT)
    assert vault.inputs["properties"]["enableRbacAuthorization"] is False
    assert vault.inputs["properties"]["enabledForTemplateDeployment"] is True
    assert vault.ignore_changes == ["properties.accessPolicies"]

    workspace = copy.deepcopy(ADOPTED["azureml-infra:workspace"])
    workspace["keyVault"]["authorization"] = "rbac"
    vault = plan(adopted({"azureml-infra:workspace": workspace}), preview=True).one(facts.KEY_VAULT)
    assert vault.inputs["properties"]["enableRbacAuthorization"] is True
    assert vault.ignore_changes == []


# --- the change list -------------------------------------------------------------------


def changes_by_resource(run) -> dict[str, list[tuple]]:
    doc = plan_document(run, "Pulumi.legacy-dev.yaml")
    return {
        r["name"]: [(c["property"], c["legacy"], c["ours"]) for c in r["adoptionChanges"]]
        for r in doc["resources"]
        if r["import"]
    }


TAGS = {"environment": "dev", "managedBy": "pulumi"}


def test_the_plan_lists_every_setting_adoption_changes_from_legacy_to_ours(adopted_run):
    changes = changes_by_resource(adopted_run)
    assert changes["storage-account"] == [("minimumTlsVersion", "TLS1_0", "TLS1_2"), ("tags", {}, TAGS)]
    assert changes["application-insights"] == [
        ("ingestionMode", "ApplicationInsights", "LogAnalytics"),
        ("tags", {}, TAGS),
        ("workspaceResourceId", None, "output<string>"),
    ]
    assert changes["container-registry"] == [("tags", {}, TAGS)]
    assert changes["workspace"] == [("friendlyName", None, "mlops-mls-dev"), ("tags", {}, TAGS)]
    assert changes["cpu-compute"] == [
        ("properties.properties.remoteLoginPortPublicAccess", "NotSpecified", "Disabled"),
        ("tags", {}, TAGS),
    ]


def test_changing_a_kept_legacy_setting_shows_in_the_change_list():
    workspace = copy.deepcopy(ADOPTED["azureml-infra:workspace"])
    workspace["containerRegistry"]["adminUserEnabled"] = False
    workspace["keyVault"]["authorization"] = "rbac"
    workspace["keyVault"]["purgeProtection"] = True
    computes = [{**ADOPTED["azureml-infra:computes"][0], "identity": "systemAssigned", "disableLocalAuth": True}]
    run = plan(adopted({"azureml-infra:workspace": workspace, "azureml-infra:computes": computes}), preview=True)
    changes = changes_by_resource(run)
    assert ("adminUserEnabled", True, False) in changes["container-registry"]
    assert ("properties.enableRbacAuthorization", False, True) in changes["key-vault"]
    assert ("properties.enablePurgeProtection", None, True) in changes["key-vault"]
    assert ("identity.type", None, "SystemAssigned") in changes["cpu-compute"]
    assert ("properties.disableLocalAuth", False, True) in changes["cpu-compute"]
    text = render_text(plan_document(run, "Pulumi.legacy-dev.yaml"))
    assert "      properties.enablePurgeProtection: not set -> true  [one-way: cannot be undone]" in text


def test_the_text_plan_marks_adopted_resources_and_prints_the_changes(adopted_run):
    text = render_text(plan_document(adopted_run, "Pulumi.legacy-dev.yaml"))
    assert "  = storage-account (azure-native:storage:StorageAccount)  name: mlopssadev" in text
    assert f"      import: {EXPECTED_IMPORTS['storage-account']}" in text
    assert "  + log-analytics (azure-native:operationalinsights:Workspace)  name: log-mlops-dev" in text
    assert "Adoption (adopt: true): 7 resources the legacy templates deployed are imported by ARM id;" in text
    assert "      minimumTlsVersion: TLS1_0 (Azure's default: not set by the template) -> TLS1_2" in text
    assert "      ingestionMode: ApplicationInsights (classic: no Log Analytics workspace) -> LogAnalytics" in text
    assert "    = 7 to import" in text


def test_change_list_of_hand_made_inputs():
    inputs = {
        "accountName": "mlopssadev", "resourceGroupName": "rg", "location": "westeurope", "kind": "StorageV2",
        "sku": {"name": "Standard_LRS"}, "enableHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False, "isHnsEnabled": True, "tags": {},
    }
    assert [c.text() for c in adoption.changes(facts.STORAGE_ACCOUNT, inputs)] == [
        "allowBlobPublicAccess: true (Azure's default: not set by the template) -> false",
        "allowSharedKeyAccess: true (Azure's default: not set by the template) -> not set",
        "isHnsEnabled: false (Azure's default: not set by the template) -> true  [Azure cannot change this in place]",
        "minimumTlsVersion: TLS1_0 (Azure's default: not set by the template) -> TLS1_2",
    ]


# --- refusals --------------------------------------------------------------------------


def test_adopt_needs_the_deployed_names():
    assert_refused(
        stack({"azureml-infra:adopt": True}),
        [
            "azureml-infra:resourceGroup.name: must be set when adopt is true: the resource group is imported by "
            "its deployed name, and the generated name rg-mlops-dev would import nothing; set the name the "
            "legacy templates deployed (make adopt writes it)",
            "azureml-infra:workspace.name: must be set when adopt is true: the workspace is imported by its "
            "deployed name, and the generated name mlw-mlops-dev would import nothing; set the name the legacy "
            "templates deployed (make adopt writes it)",
            "azureml-infra:workspace.storageAccount.name: must be set when adopt is true: the storage account is "
            "imported by its deployed name, and the generated name stmlopsdevt0k7 would import nothing; set the "
            "name the legacy templates deployed (make adopt writes it)",
            "azureml-infra:workspace.keyVault.name: must be set when adopt is true: the key vault is imported by "
            "its deployed name, and the generated name kv-mlops-dev-t0k7 would import nothing; set the name the "
            "legacy templates deployed (make adopt writes it)",
            "azureml-infra:workspace.applicationInsights.name: must be set when adopt is true: the Application "
            "Insights is imported by its deployed name, and the generated name appi-mlops-dev would import "
            "nothing; set the name the legacy templates deployed (make adopt writes it)",
            "azureml-infra:workspace.containerRegistry.name: must be set when adopt is true: the container "
            "registry is imported by its deployed name, and the generated name crmlopsdevt0k7 would import "
            "nothing; set the name the legacy templates deployed (make adopt writes it)",
            "azureml-infra:workspace.keyVault.authorization: must be set when adopt is true: the legacy vault "
            "authorizes with access policies; set accessPolicies to keep them (make adopt writes it), or rbac to "
            "switch, which revokes every access policy, the workspace's included (grant RBAC roles first); keep "
            "it set after adopt is removed",
        ],
    )


def test_adopt_refuses_a_soft_delete_retention_azure_cannot_change():
    workspace = copy.deepcopy(ADOPTED["azureml-infra:workspace"])
    workspace["keyVault"]["softDeleteRetentionInDays"] = 7
    assert_refused(
        adopted({"azureml-infra:workspace": workspace}),
        [
            "azureml-infra:workspace.keyVault.softDeleteRetentionInDays: is 7, but the adopted vault keeps the 90 "
            "days Azure gave it and refuses any change to it: set 90 or remove the key",
        ],
        stack_name="legacy-dev",
    )
