"""The post-deploy check against a fake Azure ML client: no Azure, no azure-ai-ml needed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tools import verify

ROOT = Path(__file__).resolve().parent.parent
SUB = "00000000-0000-0000-0000-000000000000"

_spec = importlib.util.spec_from_file_location("export_plan", ROOT / "policy" / "export_plan.py")
export_plan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(export_plan)

# What `pulumi stack output --json` prints after `pulumi up` of the dev stack.
DEV_OUTPUTS = {
    "resourceGroupName": "rg-mlops-dev",
    "location": "westeurope",
    "workspaceName": "mlw-mlops-dev",
    "workspaceId": f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev/providers/"
                   "Microsoft.MachineLearningServices/workspaces/mlw-mlops-dev",
    "computes": {"cpu-compute": {"id": "...", "identityPrincipalId": "..."}},
    "datastores": {},
}

# A datastore as the plan shows it (the datastores issue adds them to the stacks), on an
# account this stack creates: its name is an output in the plan.
BLOB_DATASTORE = {
    "type": "azure-native:machinelearningservices:Datastore", "name": "raw", "custom": True,
    "inputs": {"name": "raw", "workspaceName": "mlw-mlops-dev", "properties": {
        "datastoreType": "AzureBlob", "accountName": "output<string>", "containerName": "raw",
        "credentials": {"credentialsType": "None"}}},
}


class FakeClient:
    """Azure ML as a dict: kind -> name -> facts."""

    def __init__(self, **resources):
        self.resources = {"workspace": {}, "compute": {}, "datastore": {}, **resources}
        self.asked: list[tuple[str, str]] = []

    def _get(self, kind, name):
        self.asked.append((kind, name))
        return self.resources[kind].get(name)

    def workspace(self, name):
        return self._get("workspace", name)

    def compute(self, name):
        return self._get("compute", name)

    def datastore(self, name):
        return self._get("datastore", name)


def healthy_dev() -> FakeClient:
    return FakeClient(
        workspace={"mlw-mlops-dev": {"location": "westeurope", "publicNetworkAccess": "Enabled"}},
        # As azure-ai-ml reports it: other case, snake_case tier, seconds.
        compute={"cpu-compute": {"type": "AmlCompute", "vmSize": "Standard_D3_v2", "vmPriority": "dedicated",
                                 "minNodes": 0, "maxNodes": 3, "idleSecondsBeforeScaleDown": 900.0,
                                 "sshPublicAccess": False}},
    )


@pytest.fixture(scope="module")
def dev_plan() -> dict:
    return export_plan.policy_plan(ROOT / "Pulumi.dev.yaml")


def test_expectations_of_the_dev_stack(dev_plan):
    assert verify.expectations(dev_plan, DEV_OUTPUTS) == [
        verify.Expected("workspace", "mlw-mlops-dev", {"location": "westeurope", "publicNetworkAccess": "Enabled"}),
        verify.Expected("compute", "cpu-compute", {
            "type": "AmlCompute", "vmSize": "STANDARD_D3_V2", "vmPriority": "Dedicated", "minNodes": 0,
            "maxNodes": 3, "idleSecondsBeforeScaleDown": 900.0, "sshPublicAccess": False}),
    ]


def test_a_healthy_deployment_passes(dev_plan, tmp_path, capsys):
    code = run_main(tmp_path, dev_plan, DEV_OUTPUTS, healthy_dev())
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].split() == ["RESULT", "RESOURCE", "SETTING", "EXPECTED", "ACTUAL"]
    assert "pass    compute cpu-compute      vmSize                      STANDARD_D3_V2  Standard_D3_v2" in out
    assert out.splitlines()[-1] == "verify: all 11 checks passed"


def test_a_wrong_setting_fails(dev_plan, tmp_path, capsys):
    client = healthy_dev()
    client.resources["compute"]["cpu-compute"]["maxNodes"] = 1
    assert run_main(tmp_path, dev_plan, DEV_OUTPUTS, client) == 1
    out = capsys.readouterr().out
    assert "FAIL    compute cpu-compute      maxNodes                    3               1" in out
    assert out.splitlines()[-1] == "verify: 1 of 11 checks FAILED"


def test_a_missing_compute_fails_without_checking_its_settings(dev_plan):
    client = healthy_dev()
    del client.resources["compute"]["cpu-compute"]
    rows = verify.compare(verify.expectations(dev_plan, DEV_OUTPUTS), client)
    compute_rows = [(r.setting, r.ok) for r in rows if r.kind == "compute"]
    assert compute_rows == [("exists", False)]


def test_a_missing_workspace_fails(dev_plan):
    client = healthy_dev()
    client.resources["workspace"] = {}
    rows = verify.compare(verify.expectations(dev_plan, DEV_OUTPUTS), client)
    assert rows[0] == verify.Row("workspace", "mlw-mlops-dev", "exists", True, False, False)


def test_datastore_account_comes_from_the_outputs_when_the_plan_cannot_know_it():
    plan = {"resources": [BLOB_DATASTORE]}
    outputs = {**DEV_OUTPUTS, "computes": {},
               "datastores": {"raw": {"kind": "AzureBlob", "accountName": "stmlopsdatadev", "container": "raw"}}}
    assert verify.expectations(plan, outputs) == [
        verify.Expected("datastore", "raw", {"type": "AzureBlob", "accountName": "stmlopsdatadev", "container": "raw"})
    ]
    client = FakeClient(datastore={"raw": {"type": "AzureBlob", "accountName": "stmlopsother", "container": "raw"}})
    failed = [(r.setting, r.expected, r.actual) for r in verify.compare(verify.expectations(plan, outputs), client)
              if not r.ok]
    assert failed == [("accountName", "stmlopsdatadev", "stmlopsother")]


def test_resources_only_in_the_outputs_are_still_checked_for_existence():
    outputs = {**DEV_OUTPUTS, "computes": {"gpu": {}}, "datastores": {"curated": {}}}
    client = FakeClient()
    rows = verify.compare(verify.expectations({"resources": []}, outputs), client)
    assert [(r.kind, r.name, r.setting, r.ok) for r in rows] == [
        ("compute", "gpu", "exists", False), ("datastore", "curated", "exists", False)]


def test_outputs_without_a_workspace_id_exit_2(dev_plan, tmp_path, capsys):
    outputs = {k: v for k, v in DEV_OUTPUTS.items() if k != "workspaceId"}
    assert run_main(tmp_path, dev_plan, outputs, healthy_dev()) == 2
    assert "no workspaceId/workspaceName: was `pulumi up` run?" in capsys.readouterr().err


def test_azure_unreachable_exits_2(dev_plan, tmp_path, capsys):
    class NoCredential(FakeClient):
        def _get(self, kind, name):
            raise verify.VerifyError(f"{name}: DefaultAzureCredential failed to retrieve a token")

    assert run_main(tmp_path, dev_plan, DEV_OUTPUTS, NoCredential()) == 2
    assert capsys.readouterr().err == (
        "error: cannot read Azure ML: mlw-mlops-dev: DefaultAzureCredential failed to retrieve a token\n")


def test_workspace_scope():
    assert verify.workspace_scope(DEV_OUTPUTS) == (SUB, "rg-mlops-dev", "mlw-mlops-dev")


@pytest.mark.parametrize("text,value", [("PT15M", 900.0), ("PT2H", 7200.0), ("P1DT1S", 86401.0), (120, 120.0),
                                        ("soon", None), ("PT", None), (None, None)])
def test_seconds(text, value):
    assert verify.seconds(text) == value


# --- the azure-ai-ml adapter, on objects shaped like the SDK's entities -----------------


def test_aml_compute_facts():
    entity = SimpleNamespace(type="amlcompute", size="Standard_D3_v2", ssh_public_access_enabled=False,
                             tier="low_priority", min_instances=0, max_instances=4, idle_time_before_scale_down=120.0)
    assert verify.compute_facts(entity) == {
        "type": "AmlCompute", "vmSize": "Standard_D3_v2", "sshPublicAccess": False, "vmPriority": "low_priority",
        "minNodes": 0, "maxNodes": 4, "idleSecondsBeforeScaleDown": 120.0}
    # The SDK's snake_case tier matches the plan's vmPriority.
    assert verify.compare([verify.Expected("compute", "c", {"vmPriority": "LowPriority"})],
                          FakeClient(compute={"c": verify.compute_facts(entity)}))[-1].ok


def test_compute_instance_facts():
    entity = SimpleNamespace(type="computeinstance", size="STANDARD_DS3_V2", ssh_public_access_enabled=False,
                             idle_time_before_shutdown="PT60M")
    assert verify.compute_facts(entity) == {"type": "ComputeInstance", "vmSize": "STANDARD_DS3_V2",
                                            "sshPublicAccess": False, "idleSecondsBeforeShutdown": 3600.0}


def test_datastore_facts_read_the_enum_value():
    kind = SimpleNamespace(value="AzureDataLakeGen2")  # azure-ai-ml's DatastoreType member
    entity = SimpleNamespace(type=kind, account_name="stmlopsdatadev", filesystem="curated")
    assert verify.datastore_facts(entity) == {"type": "AzureDataLakeGen2", "accountName": "stmlopsdatadev",
                                              "container": "curated"}


def test_workspace_facts():
    entity = SimpleNamespace(location="westeurope", public_network_access="Disabled")
    assert verify.workspace_facts(entity) == {"location": "westeurope", "publicNetworkAccess": "Disabled"}


def test_importing_verify_needs_no_azure_package():
    assert "azure.ai.ml" not in sys.modules
    assert "azure.identity" not in sys.modules


def run_main(tmp_path: Path, plan: dict, outputs: dict, client: FakeClient) -> int:
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    return verify.main(["--outputs", str(tmp_path / "outputs.json"), "--plan", str(tmp_path / "plan.json")],
                       client=client)
