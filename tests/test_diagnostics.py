"""Diagnostic settings (`diagnostics`): what each resource sends, to which Log Analytics workspace.

One setting per resource the stack creates: the workspace, key vault and registry by category
group, the storage account's logs on its blob service and its metrics on the account, the data
lake likewise. Reused resources get none. Dev's deployment depth does not grow.

End to end: the dev plan, the second-workspace example's (a destination given by id, no Log
Analytics of its own) and one variant plan of this file (REUSED: a destination given by id beside
the stack's own Log Analytics, reused dependencies and a data lake). The logs and metrics another
stack file asks for are resolved from its config (azureml_infra.resolve) and built into the
Diagnostics component alone.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from azureml_infra.deployment import Deployment
from azureml_infra.resolve import resolve
from components.diagnostics import Diagnostics, DiagnosticsArgs
from tests.conftest import accepted, plan, run_file, stack
from tools.graph import deployment_depth, nodes_from_registrations
from tools.harness import ROOT, SUBSCRIPTION_ID, Run, run_component

DIAG = "azure-native:monitor:DiagnosticSetting"
LOG = "azure-native:operationalinsights:Workspace"
RG = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-mlops-dev/providers"
LOG_ID = f"{RG}/Microsoft.OperationalInsights/workspaces/log-mlops-dev"
CENTRAL = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-monitoring/providers/"
           "Microsoft.OperationalInsights/workspaces/log-central")
SHARED = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-shared/providers"
STORAGE = f"{RG}/Microsoft.Storage/storageAccounts/stmlopsdevt0k7"
LAKE = f"{RG}/Microsoft.Storage/storageAccounts/stmlopsdevdatat0k7"
AUDIT = [{"categoryGroup": "audit", "enabled": True}]
ALL_LOGS = [{"categoryGroup": "allLogs", "enabled": True}]
# Supported logs for Microsoft.Storage/storageAccounts/blobServices: StorageRead/Write/Delete.
BLOB_AUDIT = [{"category": "StorageWrite", "enabled": True}, {"category": "StorageDelete", "enabled": True}]
METRICS = [{"category": "AllMetrics", "enabled": True}]


def settings(run: Run) -> dict[str, dict]:
    return {r.name: r.inputs for r in run.of_type(DIAG)}


def test_dev_sends_audit_logs_and_metrics_of_each_resource_to_its_log_analytics(dev_run):
    found = settings(dev_run)
    assert {name: s["resourceUri"] for name, s in found.items()} == {
        "workspace-diagnostics": f"{RG}/Microsoft.MachineLearningServices/workspaces/mlw-mlops-dev",
        "key-vault-diagnostics": f"{RG}/Microsoft.KeyVault/vaults/kv-mlops-dev-t0k7",
        "storage-account-blob-diagnostics": f"{STORAGE}/blobServices/default",
        "storage-account-diagnostics": STORAGE,
        "container-registry-diagnostics": f"{RG}/Microsoft.ContainerRegistry/registries/crmlopsdevt0k7",
    }
    assert {s["workspaceId"] for s in found.values()} == {LOG_ID}
    assert {s["name"] for s in found.values()} == {"azureml-infra"}
    for name in ("workspace-diagnostics", "key-vault-diagnostics", "container-registry-diagnostics"):
        assert (found[name]["logs"], found[name]["metrics"]) == (AUDIT, METRICS), name
    assert (found["storage-account-blob-diagnostics"]["logs"],
            found["storage-account-blob-diagnostics"]["metrics"]) == (BLOB_AUDIT, METRICS)
    # The account itself has metrics only; its logs are the blob service's.
    assert "logs" not in found["storage-account-diagnostics"]
    assert found["storage-account-diagnostics"]["metrics"] == METRICS


def test_each_setting_waits_for_its_resource_and_the_log_analytics_workspace(dev_run):
    log = dev_run.one(LOG).urn
    resource_of = {"workspace-diagnostics": "workspace", "key-vault-diagnostics": "key-vault",
                   "storage-account-blob-diagnostics": "storage-account",
                   "storage-account-diagnostics": "storage-account",
                   "container-registry-diagnostics": "container-registry"}
    by_name = {r.name: r for r in dev_run.registrations if r.custom}
    for name, resource in resource_of.items():
        setting = dev_run.one(DIAG, name)
        assert {by_name[resource].urn, log} <= set(setting.dependencies), name


def test_dev_depth_does_not_grow(dev_run):
    # A setting waits for its resource and Log Analytics; the workspace's is in the cluster's wave.
    depth = deployment_depth(nodes_from_registrations(dev_run.registrations))
    assert depth.waves == 5, depth.text()


# The ARM id of each kind of target the stack creates, as the mocks make it.
TARGET_PATHS = {"workspace": "Microsoft.MachineLearningServices/workspaces", "keyVault": "Microsoft.KeyVault/vaults",
                "storageAccount": "Microsoft.Storage/storageAccounts",
                "containerRegistry": "Microsoft.ContainerRegistry/registries",
                "dataStorage": "Microsoft.Storage/storageAccounts"}


def built(config: dict[str, Any]) -> tuple[Deployment, Run]:
    """The config's resolved deployment, and its Diagnostics spec built into the component alone
    with the ids the program would hand it (the recipe sends to the workspace id given, else to the
    stack's own Log Analytics: REUSED's plan and the dev plan show it)."""
    d = resolve(accepted(config))
    assert d.diagnostics is not None
    diagnostics = d.diagnostics
    ids = {dep.kind: dep.existing_id or f"{RG}/{TARGET_PATHS[dep.kind]}/{dep.name}"
           for dep in d.dependencies if dep.kind in TARGET_PATHS}
    destination = diagnostics.workspace_id or LOG_ID

    def build() -> dict[str, Any]:
        made = Diagnostics("diagnostics", DiagnosticsArgs(diagnostics, ids, destination))
        return {"settings": sorted(made.settings)}

    return d, run_component(build).record()


# All logs to a workspace given by id, with a data lake: resolved and built into the component.
ALL_LOGS_TO_CENTRAL = stack({"azureml-infra:diagnostics": {"logs": "allLogs", "workspaceId": CENTRAL},
                             "azureml-infra:dataStorage": {"containers": ["raw"]}})


@pytest.fixture(scope="module")
def all_logs() -> tuple[Deployment, Run]:
    return built(ALL_LOGS_TO_CENTRAL)


@pytest.fixture(scope="module")
def no_metrics() -> tuple[Deployment, Run]:
    return built(stack({"azureml-infra:diagnostics": {"metrics": False}}))


# The file's one variant plan: a workspace id given beside the stack's own Log Analytics; the
# storage account, key vault and registry reused by id; a data lake audited (the default logs).
REUSED = stack({
    "azureml-infra:diagnostics": {"workspaceId": CENTRAL},
    "azureml-infra:workspace": {
        "storageAccount": {"id": f"{SHARED}/Microsoft.Storage/storageAccounts/stshared"},
        "keyVault": {"id": f"{SHARED}/Microsoft.KeyVault/vaults/kv-shared"},
        "containerRegistry": {"id": f"{SHARED}/Microsoft.ContainerRegistry/registries/crshared"},
    },
    "azureml-infra:dataStorage": {"containers": ["raw"]},
})


@pytest.fixture(scope="module")
def reused() -> Run:
    return plan(REUSED)


@pytest.fixture(scope="module")
def second_workspace() -> Run:
    """examples/Pulumi.second-workspace.yaml (shared): Application Insights reused, diagnostics to
    dev's Log Analytics by id."""
    return run_file(ROOT / "examples" / "Pulumi.second-workspace.yaml")


def test_all_logs(all_logs):
    d, run = all_logs
    assert d.diagnostics is not None and d.diagnostics.logs == "allLogs"
    found = settings(run)
    assert {name: s.get("logs") for name, s in found.items()} == {
        "workspace-diagnostics": ALL_LOGS, "key-vault-diagnostics": ALL_LOGS,
        "storage-account-blob-diagnostics": ALL_LOGS, "container-registry-diagnostics": ALL_LOGS,
        "storage-account-diagnostics": None,
        "data-storage-blob-diagnostics": ALL_LOGS, "data-storage-diagnostics": None,
    }


def test_without_metrics_the_account_has_no_setting(no_metrics):
    d, run = no_metrics
    assert d.diagnostics is not None and d.diagnostics.metrics is False
    found = settings(run)
    assert sorted(found) == ["container-registry-diagnostics", "key-vault-diagnostics",
                             "storage-account-blob-diagnostics", "workspace-diagnostics"]
    assert all("metrics" not in s for s in found.values())


def test_off_means_none():
    run = plan(stack({"azureml-infra:diagnostics": {"enabled": False}}))  # shared with tests/test_identity.py
    assert run.of_type(DIAG) == [] and run.of_type("azureml-infra:diagnostics:Diagnostics") == []


def test_a_given_workspace_id_is_the_destination(all_logs, reused):
    d, run = all_logs
    assert d.diagnostics is not None and d.diagnostics.workspace_id == CENTRAL
    assert {s["workspaceId"] for s in settings(run).values()} == {CENTRAL}
    # The program sends to the id given, not to the Log Analytics workspace it creates.
    assert reused.one(LOG).inputs["workspaceName"] == "log-mlops-dev"
    assert settings(reused) and {s["workspaceId"] for s in settings(reused).values()} == {CENTRAL}


def test_a_reused_log_analytics_is_the_destination():
    """No workspace id given and Log Analytics reused: resolve names it the stack's Log Analytics; the
    workspace component hands its id on as ids["logAnalytics"] (tests/test_components.py,
    test_plain_workspace_application_insights_uses_the_log_analytics_given), and the recipe sends
    there when no workspace id is given (the dev plan, test_dev_sends_...)."""
    d = resolve(accepted(stack({"azureml-infra:workspace": {"logAnalytics": {"id": CENTRAL}}})))
    assert d.diagnostics is not None and d.diagnostics.workspace_id is None
    log_analytics = d.dependency("logAnalytics")
    assert log_analytics is not None and log_analytics.existing_id == CENTRAL


def test_reused_application_insights_with_a_workspace_id(second_workspace):
    assert second_workspace.of_type(LOG) == []
    assert second_workspace.of_type("azure-native:applicationinsights:Component") == []
    given = f"{RG}/Microsoft.OperationalInsights/workspaces/log-mlops-dev"
    assert {s["workspaceId"] for s in settings(second_workspace).values()} == {given}


def test_reused_application_insights_without_a_diagnostics_key_warns_and_sets_nothing(caplog):
    # Stack files from before diagnostics keep working: no Log Analytics here, so no settings.
    # Runs of its own (shared=False): the warning is logged while the program runs.
    run = plan(stack({
        "azureml-infra:workspace": {"applicationInsights": {"id": f"{SHARED}/Microsoft.Insights/components/appi"}},
    }), shared=False)
    assert run.of_type(DIAG) == [] and run.of_type(LOG) == []
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(w.startswith("no diagnostic settings: this stack reuses Application Insights") for w in warnings)
    # The program warns exactly when resolve says it has nowhere to send them: not for a stack of
    # its own Log Analytics.
    assert resolve(accepted(stack())).diagnostics_without_destination is False


def test_reused_resources_get_no_setting(reused):
    # A diagnostic setting on someone else's resource would change it: their owner decides.
    assert sorted(settings(reused)) == ["data-storage-blob-diagnostics", "data-storage-diagnostics",
                                        "workspace-diagnostics"]


@pytest.mark.parametrize("logs,blob", [("audit", BLOB_AUDIT), ("allLogs", ALL_LOGS)])
def test_the_data_lake_is_audited_too(logs, blob, all_logs, reused):
    # audit: the file's variant plan; allLogs: its resolved spec built into the component.
    found = settings(reused if logs == "audit" else all_logs[1])
    assert found["data-storage-blob-diagnostics"]["resourceUri"] == f"{LAKE}/blobServices/default"
    assert found["data-storage-blob-diagnostics"]["logs"] == blob
    assert found["data-storage-diagnostics"]["resourceUri"] == LAKE
    assert "logs" not in found["data-storage-diagnostics"]


# --- the policy pack's prod rule, over the real plan --------------------------------------------


def test_prod_without_diagnostics_fails_the_policy_pack(tmp_path):
    """policy/rules.py prod-diagnostics: each audited resource of the plan has its setting. The
    shipped prod passes every rule (test_policy_stacks.py::test_prod_is_private_and_passes_without_a_finding)."""
    from tests.test_policy_stacks import export_plan, findings, run_policy
    from tools.harness import ROOT

    def policy(path) -> set:
        result = run_policy(export_plan.policy_plan(path), "--environment", "prod")
        return {(rule, name) for level, rule, name in findings(result.stdout) if level == "mandatory"}

    shipped = (ROOT / "Pulumi.prod.yaml").read_text()
    assert "  azureml-infra:diagnostics:\n    enabled: true\n" in shipped
    # The rule reads the audited resources of the plan, which every stack has: the smallest stack,
    # named prod, with diagnostics off (a plan of prod's seventy resources cost about 1 s).
    off = tmp_path / "Pulumi.prod.yaml"
    off.write_text(yaml.safe_dump({"config": stack({"azureml-infra:diagnostics": {"enabled": False}})}))
    assert {name for rule, name in policy(off) if rule == "prod-diagnostics"} == {
        "workspace", "key-vault", "storage-account", "container-registry"}
