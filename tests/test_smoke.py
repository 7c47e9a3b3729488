"""The smoke test (make smoke) against a fake Azure ML client: no Azure, no azure-ai-ml needed.

The fake records every call, in order, and runs on a clock of its own: each call takes the
seconds given for it (1 by default), so shares of the budget and timeouts are exact.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from tests.conftest import planned_file
from tools import smoke
from tools.smoke import SmokeError, SmokeTimeout

ROOT = Path(__file__).resolve().parent.parent
SUB = "00000000-0000-0000-0000-000000000000"
RUN_ID = "20260102030405"

_spec = importlib.util.spec_from_file_location("export_plan", ROOT / "policy" / "export_plan.py")
export_plan = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(export_plan)


def outputs(**extra) -> dict:
    """What `pulumi stack output --json` prints after `pulumi up` of the dev stack."""
    return {
        "resourceGroupName": "rg-mlops-dev",
        "workspaceName": "mlw-mlops-dev",
        "workspaceId": f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev/providers/"
                       "Microsoft.MachineLearningServices/workspaces/mlw-mlops-dev",
        "storageAccountName": "stmlopsdev1a2b",
        "containerRegistryLoginServer": "crmlopsdev1a2b.azurecr.io",
        "computes": {"cpu-compute": {"id": "...", "identityPrincipalId": "..."}},
        "datastores": {},
        **extra,
    }


def compute(name: str, kind: str = "AmlCompute", parent: str = "urn:cluster") -> dict:
    return {"type": smoke.COMPUTE, "name": name, "custom": True, "parent": parent,
            "inputs": {"computeName": name, "properties": {"computeType": kind}}}


def workspace(**inputs) -> dict:
    return {"type": smoke.WORKSPACE, "name": "workspace", "custom": True,
            "inputs": {"workspaceName": "mlw-mlops-dev", **inputs}}


# The dev stack's plan as the smoke test reads it: the workspace and one cluster.
DEV_PLAN = {"stack": "dev", "resources": [workspace(), compute("cpu-compute")]}


class FakeClient:
    """Azure ML that does what it is told: ``failures`` maps (method, target) or method to the
    SmokeError it raises; ``seconds`` maps them to the time a call takes on the fake's clock."""

    def __init__(self, failures: dict | None = None, seconds: dict | None = None, no_credential: bool = False):
        self.failures, self.seconds, self.no_credential = failures or {}, seconds or {}, no_credential
        self.calls: list[tuple[str, str]] = []
        self.now = 1000.0
        self.jobs: dict[str, str] = {}  # job name -> cluster
        self.endpoints: dict[str, str] = {}  # endpoint name -> Kubernetes compute
        self.timeouts: list[tuple[str, float]] = []  # (method, the timeout it was given)

    def clock(self) -> float:
        return self.now

    def _call(self, method: str, target: str, timeout: float | None = None) -> None:
        self.calls.append((method, target))
        took = self.seconds.get((method, target), self.seconds.get(method, 1.0))
        if timeout is not None:
            self.timeouts.append((method, timeout))
            if took > timeout:  # as the real client does: it stops waiting and says so
                self.now += timeout
                raise SmokeTimeout(f"{method} {target} not done after {timeout:.0f} s")
        self.now += took
        error = self.failures.get((method, target)) or self.failures.get(method)
        if error is not None:
            raise error

    def identity(self) -> str:
        if self.no_credential:
            raise smoke.NoCredential("DefaultAzureCredential failed to retrieve a token from the included credentials")
        return "user ml@contoso.com"

    def create_environment(self, *, name, version, conda_file, image):
        assert conda_file == smoke.ASSETS / "conda.yaml" and conda_file.exists()
        self._call("create_environment", f"{name}:{version}")
        return f"azureml:{name}:{version}"

    def archive_environment(self, *, name, version):
        self._call("archive_environment", f"{name}:{version}")

    def submit_job(self, *, name, compute, environment, command, code, output):
        assert environment == f"azureml:azureml-infra-smoke:{RUN_ID}"
        assert code is None or (code / "smoke_job.py").exists()
        self._call("submit_job", compute)
        self.jobs[name] = compute
        return name

    def wait_job(self, name, *, timeout):
        self._call("wait_job", self.jobs[name], timeout)

    def cancel_job(self, name):
        self._call("cancel_job", name)

    def list_datastore(self, name):
        self._call("list_datastore", name)
        return 3

    def register_model(self, *, registry, name, version, path):
        assert (path / "smoke-model.json").exists()
        self._call("register_model", registry or "workspace")

    def fetch_model(self, *, registry, name, version, into):
        self._call("fetch_model", registry or "workspace")
        (into / name).mkdir(parents=True)
        (into / name / "smoke-model.json").write_text(json.dumps({"answer": self.seconds.get("answer", 42)}))

    def archive_model(self, *, registry, name, version):
        self._call("archive_model", registry or "workspace")

    def create_endpoint(self, *, name, compute, timeout):
        self.endpoints[name] = compute
        self._call("create_endpoint", compute, timeout)

    def deploy(self, *, endpoint, deployment, model, environment, code, scoring_script, timeout):
        assert (code / scoring_script).exists() and model == f"azureml:azureml-infra-smoke:{RUN_ID}"
        self._call("deploy", self.endpoints[endpoint], timeout)

    def score(self, *, endpoint, deployment, request):
        assert json.loads(request.read_text()) == {"data": [[1, 2, 3]]}
        self._call("score", self.endpoints[endpoint])
        return json.dumps({"answer": 42, "rows": 1})

    def delete_endpoint(self, name):
        self._call("delete_endpoint", name)


def run(tmp_path: Path, client: FakeClient, *args: str, plan: dict = DEV_PLAN, outs: dict | None = None) -> int:
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    (tmp_path / "outputs.json").write_text(json.dumps(outputs() if outs is None else outs))
    return smoke.main(["--outputs", str(tmp_path / "outputs.json"), "--plan", str(tmp_path / "plan.json"), *args],
                      client=client, clock=client.clock, run_id=RUN_ID)


def stack(plan: dict = DEV_PLAN, **extra) -> smoke.Stack:
    return smoke.stack_facts(plan, outputs(**extra))


# --- what the stack offers ---------------------------------------------------------------------


def test_the_dev_stack_offers_its_datastore_the_environment_and_a_job_on_its_cluster():
    assert smoke.journeys(stack()) == [
        smoke.Journey("datastore", "workspaceblobstore"),
        smoke.Journey("environment", "cpu-compute"),
        smoke.Journey("job", "cpu-compute"),
    ]


@pytest.fixture(scope="module")
def prod_plan() -> dict:
    path = ROOT / "Pulumi.prod.yaml"
    return export_plan.policy_plan(path, planned_file(path))


def test_prod_builds_images_on_its_cluster_behind_approved_outbound(prod_plan):
    facts = smoke.stack_facts(prod_plan, outputs())
    assert (facts.name, facts.clusters, facts.image_build_compute, facts.build_cluster) == (
        "prod", ("cpu-compute",), "cpu-compute", "cpu-compute")
    assert facts.approved_outbound_only and facts.registry_private
    assert "pypi.org" in facts.outbound_fqdns
    assert [(j.kind, j.target) for j in smoke.journeys(facts)] == [
        ("datastore", "workspaceblobstore"), ("environment", "cpu-compute"), ("job", "cpu-compute")]


def test_kubernetes_computes_with_inference_get_an_endpoint_journey_with_endpoints_only():
    path = ROOT / "examples" / "Pulumi.aks-inference.yaml"
    facts = smoke.stack_facts(export_plan.policy_plan(path, planned_file(path)), outputs())
    assert facts.kubernetes == ("myaks",) and facts.clusters == ()
    assert smoke.journeys(facts)[1:] == [smoke.Journey("endpoint", "myaks", "not run: add --endpoints")]
    assert smoke.journeys(facts, endpoints=True)[1:] == [smoke.Journey("endpoint", "myaks")]


def test_a_training_only_kubernetes_compute_gets_no_endpoint_journey():
    extension = {"type": smoke.EXTENSION, "name": "x", "custom": True, "parent": "urn:train",
                 "inputs": {"configurationSettings": {"enableInference": "False", "enableTraining": "True"}}}
    plan = {"stack": "dev", "resources": [workspace(), compute("train", "Kubernetes", "urn:train"), extension,
                                          compute("serve", "Kubernetes", "urn:serve")]}
    assert stack(plan).kubernetes == ("serve",)


def test_datastores_come_from_the_plan_and_the_outputs_with_workspaceblobstore_first():
    datastore = {"type": smoke.DATASTORE, "name": "curated", "custom": True, "inputs": {
        "name": "curated", "properties": {"datastoreType": "AzureDataLakeGen2", "accountName": "output<string>"}}}
    plan = {"stack": "dev", "resources": [workspace(), datastore]}
    facts = stack(plan, datastores={"raw": {"kind": "AzureFile", "accountName": "stmlopsdata", "container": "raw"},
                                    "curated": {"kind": "AzureDataLakeGen2", "accountName": "stmlopslake"}})
    assert list(facts.datastores.items()) == [
        ("workspaceblobstore", smoke.Datastore("AzureBlob", "stmlopsdev1a2b")),
        ("curated", smoke.Datastore("AzureDataLakeGen2", "stmlopslake")),
        ("raw", smoke.Datastore("AzureFile", "stmlopsdata")),
    ]


def test_the_environment_is_built_on_the_image_build_cluster_else_the_first():
    clusters = [compute("a-cluster"), compute("builder")]
    assert stack({"resources": [workspace(imageBuildCompute="builder"), *clusters]}).build_cluster == "builder"
    assert stack({"resources": [workspace(), *clusters]}).build_cluster == "a-cluster"
    # An image-build compute that is not a cluster of the stack (an instance): the first cluster runs the job.
    assert stack({"resources": [workspace(imageBuildCompute="my-instance"), *clusters]}).build_cluster == "a-cluster"


def test_outbound_rules_are_read_inline_and_as_rule_resources():
    network = {"isolationMode": "AllowOnlyApprovedOutbound", "outboundRules": {
        "pypi": {"type": "FQDN", "destination": "pypi.org", "category": "UserDefined"},
        "lake": {"type": "PrivateEndpoint", "destination": {"serviceResourceId": "/x", "subresourceTarget": "dfs"}}}}
    rule = {"type": smoke.OUTBOUND_RULE, "name": "conda", "custom": True,
            "inputs": {"properties": {"type": "FQDN", "destination": "*.anaconda.org"}}}
    facts = stack({"resources": [workspace(managedNetwork=network), rule]})
    assert facts.approved_outbound_only and facts.outbound_fqdns == ("*.anaconda.org", "pypi.org")


def test_a_registry_in_the_outputs_adds_the_registry_journey():
    assert smoke.journeys(stack(registryName="mlr-mlops"))[1] == smoke.Journey("registry", "mlr-mlops")


# --- a run that passes -------------------------------------------------------------------------


def test_a_healthy_dev_stack_passes(tmp_path, capsys):
    client = FakeClient()
    assert run(tmp_path, client, "--budget", "1600") == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "smoke dev: workspace mlw-mlops-dev as user ml@contoso.com, 3 journeys within 1600 s",
        "JOURNEY      TARGET              RESULT  SECONDS  LIMIT  HINT",
        "datastore    workspaceblobstore  pass          1    100  -",
        "environment  cpu-compute         pass          3   1066  -",
        "job          cpu-compute         pass          2   1596  -",
        "cleanup: archived environment azureml-infra-smoke:20260102030405",
        "smoke: all 3 journeys passed",
    ]
    assert client.calls == [
        ("list_datastore", "workspaceblobstore"),
        ("create_environment", f"azureml-infra-smoke:{RUN_ID}"),
        ("submit_job", "cpu-compute"), ("wait_job", "cpu-compute"),
        ("submit_job", "cpu-compute"), ("wait_job", "cpu-compute"),
        ("archive_environment", f"azureml-infra-smoke:{RUN_ID}"),
    ]
    assert list(client.jobs) == [f"smoke-{RUN_ID}-env-cpu-compute", f"smoke-{RUN_ID}-job-cpu-compute"]


def test_the_job_writes_to_workspaceblobstore_and_the_environment_job_imports_its_packages(tmp_path):
    commands = {}

    class Recording(FakeClient):
        def submit_job(self, *, name, compute, environment, command, code, output):
            commands[name] = (command, code, output)
            return super().submit_job(name=name, compute=compute, environment=environment, command=command,
                                      code=code, output=output)

    assert run(tmp_path, Recording()) == 0
    assert commands == {
        f"smoke-{RUN_ID}-env-cpu-compute": (
            'python -c "import mlflow, azureml.mlflow, azureml_inference_server_http"', None, None),
        f"smoke-{RUN_ID}-job-cpu-compute": (
            f"python smoke_job.py --out ${{{{outputs.out}}}} --text {RUN_ID}", smoke.ASSETS / "job",
            f"azureml://datastores/workspaceblobstore/paths/azureml-infra-smoke/{RUN_ID}/cpu-compute/"),
    }


def test_every_journey_with_endpoints_and_a_registry_as_json(tmp_path, capsys):
    plan = {"stack": "dev", "resources": [*DEV_PLAN["resources"], compute("myaks", "Kubernetes", "urn:aks")]}
    client = FakeClient()
    code = run(tmp_path, client, "--endpoints", "--format", "json", "--budget", "2800", plan=plan,
               outs=outputs(registryName="mlr-mlops"))
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert [(j["journey"], j["target"], j["result"], j["seconds"], j["limitSeconds"], j["made"])
            for j in document["journeys"]] == [
        ("datastore", "workspaceblobstore", "pass", 1.0, 100.0, "3 item(s) listed"),
        ("registry", "mlr-mlops", "pass", 2.0, 207.3, f"azureml-infra-smoke:{RUN_ID}"),
        ("environment", "cpu-compute", "pass", 3.0, 1118.4, f"smoke-{RUN_ID}-env-cpu-compute"),
        ("job", "cpu-compute", "pass", 2.0, 931.0, f"smoke-{RUN_ID}-job-cpu-compute"),
        ("endpoint", "myaks", "pass", 4.0, 2791.0, f"smoke-{RUN_ID}-1"),
    ]
    assert document["journeys"][0] == {
        "journey": "datastore", "target": "workspaceblobstore", "result": "pass", "seconds": 1.0,
        "limitSeconds": 100.0, "made": "3 item(s) listed", "step": None, "error": None, "errorKind": None,
        "hint": None}
    assert {k: document[k] for k in ("stack", "workspace", "identity", "runId", "budgetSeconds", "failed",
                                      "summary")} == {
        "stack": "dev", "workspace": "mlw-mlops-dev", "identity": "user ml@contoso.com", "runId": RUN_ID,
        "budgetSeconds": 2800.0, "failed": [], "summary": "smoke: all 5 journeys passed"}
    # Each journey's own leftovers at once; the environment and the workspace's model at the end.
    assert document["cleanup"] == [
        {"action": "archive", "what": "model", "name": f"azureml-infra-smoke:{RUN_ID}", "registry": "mlr-mlops",
         "ok": True, "error": None},
        {"action": "delete", "what": "endpoint", "name": f"smoke-{RUN_ID}-1", "registry": None, "ok": True,
         "error": None},
        {"action": "archive", "what": "environment", "name": f"azureml-infra-smoke:{RUN_ID}", "registry": None,
         "ok": True, "error": None},
        {"action": "archive", "what": "model", "name": f"azureml-infra-smoke:{RUN_ID}", "registry": None,
         "ok": True, "error": None},
    ]
    assert client.calls[-7:] == [
        ("register_model", "workspace"), ("create_endpoint", "myaks"), ("deploy", "myaks"), ("score", "myaks"),
        ("delete_endpoint", f"smoke-{RUN_ID}-1"),
        ("archive_environment", f"azureml-infra-smoke:{RUN_ID}"), ("archive_model", "workspace")]


def test_a_run_leaves_no_temporary_files(tmp_path, monkeypatch):
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    plan = {"stack": "dev", "resources": [*DEV_PLAN["resources"], compute("myaks", "Kubernetes", "urn:aks")]}
    assert run(tmp_path, FakeClient(), "--endpoints", plan=plan, outs=outputs(registryName="mlr-mlops")) == 0
    assert list(temp.iterdir()) == []


# --- each kind of failure: the row, the hint, the exit code, and the cleanup ------------------------


def failed_rows(out: str) -> list[str]:
    return [line for line in out.splitlines() if "  FAIL  " in line or "  skip  " in line]


def test_a_job_that_cannot_write_workspaceblobstore_names_the_compute_identity_role(tmp_path, capsys):
    denied = SmokeError("job failed: UserError: ScriptExecution.StreamAccess.Authentication",
                        detail='{"code": "UserError", "message": "ScriptExecution.StreamAccess.Authentication: '
                               'AuthorizationPermissionMismatch"}', code="Failed", phase="Running")

    class TheJobFails(FakeClient):  # the environment's job passes, the smoke job fails
        def wait_job(self, name, *, timeout):
            super().wait_job(name, timeout=timeout)
            if "-job-" in name:
                raise denied

    client = TheJobFails()
    assert run(tmp_path, client) == 1
    out = capsys.readouterr().out
    assert failed_rows(out) == [
        "job          cpu-compute         FAIL          2   1796  the compute identity of cpu-compute needs "
        "Storage Blob Data Contributor on the workspace storage stmlopsdev1a2b"]
    assert ("job cpu-compute: run: job failed: UserError: ScriptExecution.StreamAccess.Authentication "
            f"[smoke-{RUN_ID}-job-cpu-compute]") in out.splitlines()
    assert not [c for c in client.calls if c[0] == "cancel_job"]  # the job ended: nothing to cancel
    assert out.splitlines()[-1] == "smoke: 1 of 3 journeys FAILED: job cpu-compute"
    assert client.calls[-1] == ("archive_environment", f"azureml-infra-smoke:{RUN_ID}")


# A private stack like prod: approved outbound with PyPI's rules, and the cluster builds images.
PRIVATE_PLAN = {"stack": "prod", "resources": [
    workspace(imageBuildCompute="cpu-compute", managedNetwork={
        "isolationMode": "AllowOnlyApprovedOutbound",
        "outboundRules": {"pypi": {"type": "FQDN", "destination": "pypi.org"},
                          "pythonhosted": {"type": "FQDN", "destination": "*.pythonhosted.org"}}}),
    compute("cpu-compute")]}


def test_an_image_build_that_cannot_reach_conda_names_the_missing_outbound_rules(tmp_path, capsys):
    conda = SmokeError("job Failed: UserError: Image build failed",
                       detail="CondaHTTPError: HTTP 000 CONNECTION FAILED for url "
                              "<https://conda.anaconda.org/conda-forge/linux-64/repodata.json>",
                       code="Failed", phase="Preparing")
    client = FakeClient(failures={("wait_job", "cpu-compute"): conda})
    assert run(tmp_path, client, plan=PRIVATE_PLAN) == 1
    out = capsys.readouterr().out
    assert failed_rows(out) == [
        "environment  cpu-compute         FAIL          3   1199  the image build cannot reach conda's hosts: add "
        "FQDN outbound rules for anaconda.com, *.anaconda.com, *.anaconda.org (network.outboundRules: approved "
        "outbound only)",
        "job          cpu-compute         skip          -      -  not run: the environment journey failed",
    ]
    assert out.splitlines()[-1] == "smoke: 1 of 2 journeys FAILED: environment cpu-compute (1 not run)"
    # The environment is archived though its image never built; no job ran after it.
    assert client.calls[-1] == ("archive_environment", f"azureml-infra-smoke:{RUN_ID}")
    assert [c for c in client.calls if c[0] == "submit_job"] == [("submit_job", "cpu-compute")]


def test_an_image_build_that_fails_while_preparing_points_at_the_build(tmp_path, capsys):
    failed = SmokeError("job Failed: SystemError", code="Failed", phase="Preparing")
    acr = {"type": smoke.CONTAINER_REGISTRY, "name": "container-registry", "custom": True,
           "inputs": {"publicNetworkAccess": "Disabled"}}
    plan = {"stack": "dev", "resources": [*DEV_PLAN["resources"], acr]}
    assert run(tmp_path, FakeClient(failures={("wait_job", "cpu-compute"): failed}), plan=plan) == 1
    assert failed_rows(capsys.readouterr().out)[0].endswith(
        "the environment image was not built by Azure ML's serverless image build: a container registry behind "
        "private endpoints cannot build images: set workspace.imageBuildCompute")


@pytest.mark.parametrize("code,detail,hint", [
    ("AuthorizationPermissionMismatch",
     "This request is not authorized to perform this operation using this permission.",
     "the signed-in identity needs Storage Blob Data Reader on the storage account stmlopsdev1a2b "
     "(identity-based datastore)"),
    ("AuthorizationFailure", "This request is not authorized to perform this operation.",
     "the storage account stmlopsdev1a2b refused this machine (most often its firewall: public access off): run "
     "smoke from a network that reaches its private endpoints"),
    ("KeyBasedAuthenticationNotPermitted", "Key based authentication is not permitted on this storage account.",
     "shared keys are off on stmlopsdev1a2b: the datastore workspaceblobstore must use identity (no stored key)"),
])
def test_a_datastore_refused_with_403_names_the_role_or_the_network(tmp_path, capsys, code, detail, hint):
    refused = SmokeError(f"HttpResponseError: {detail}", detail=detail, code=code, status=403)
    client = FakeClient(failures={("list_datastore", "workspaceblobstore"): refused})
    assert run(tmp_path, client) == 1
    out = capsys.readouterr().out
    assert failed_rows(out) == [f"datastore    workspaceblobstore  FAIL          1    112  {hint}"]
    assert f"datastore workspaceblobstore: list: HttpResponseError: {detail}" in out.splitlines()
    assert out.splitlines()[-1] == "smoke: 1 of 3 journeys FAILED: datastore workspaceblobstore"
    assert ("wait_job", "cpu-compute") in client.calls  # the other journeys still ran


def test_a_registry_that_refuses_the_model_names_the_registry_role_and_still_archives(tmp_path, capsys):
    detail = ("(AuthorizationFailed) The client 'ml@contoso.com' with object id '1' does not have authorization to "
              "perform action 'Microsoft.MachineLearningServices/registries/assets/write' over scope '/x'")
    refused = SmokeError(f"HttpResponseError: {detail}", detail=detail, code="AuthorizationFailed", status=403)
    client = FakeClient(failures={("register_model", "mlr-mlops"): refused})
    assert run(tmp_path, client, outs=outputs(registryName="mlr-mlops")) == 1
    out = capsys.readouterr().out
    assert failed_rows(out) == [
        "registry     mlr-mlops           FAIL          1    212  the signed-in identity needs AzureML Registry User "
        "on the registry mlr-mlops (refused: Microsoft.MachineLearningServices/registries/assets/write)"]
    assert "cleanup: archived model azureml-infra-smoke:20260102030405 in registry mlr-mlops" in out
    assert client.calls[1:3] == [("register_model", "mlr-mlops"), ("archive_model", "mlr-mlops")]


def test_a_model_fetched_back_different_fails_the_registry_journey(tmp_path, capsys):
    client = FakeClient(seconds={"answer": 41})
    assert run(tmp_path, client, outs=outputs(registryName="mlr-mlops")) == 1
    assert "registry mlr-mlops: fetch: the model fetched back is not the one registered" in capsys.readouterr().out


def test_an_endpoint_that_cannot_be_scored_is_deleted_and_says_why(tmp_path, capsys):
    plan = {"stack": "dev", "resources": [workspace(), compute("myaks", "Kubernetes", "urn:aks")]}
    unreachable = SmokeError("ServiceRequestError: <urllib3.connection.HTTPSConnection>: Failed to establish a new "
                             "connection: [Errno 111] Connection refused")
    client = FakeClient(failures={("score", "myaks"): unreachable})
    assert run(tmp_path, client, "--endpoints", plan=plan) == 1
    out = capsys.readouterr().out
    assert failed_rows(out) == [
        "endpoint   myaks               FAIL          5   1799  this machine cannot reach the scoring address of "
        "myaks: an internal load balancer or an https.cname without DNS serves its own network only "
        "(kubernetesComputes[].inferenceRouter, https)"]
    assert client.calls[-3:] == [("delete_endpoint", f"smoke-{RUN_ID}-1"),
                                 ("archive_environment", f"azureml-infra-smoke:{RUN_ID}"),
                                 ("archive_model", "workspace")]
    assert out.splitlines()[-1] == "smoke: 1 of 2 journeys FAILED: endpoint myaks"


def test_an_endpoint_that_answers_wrong_fails(tmp_path, capsys):
    class Wrong(FakeClient):
        def score(self, **kwargs):
            super().score(**kwargs)
            return "<html>default backend - 404</html>"

    plan = {"stack": "dev", "resources": [workspace(), compute("myaks", "Kubernetes", "urn:aks")]}
    assert run(tmp_path, Wrong(), "--endpoints", plan=plan) == 1
    out = capsys.readouterr().out
    assert (f"endpoint myaks: score: scored, but the answer was '<html>default backend - 404</html>' "
            f"[smoke-{RUN_ID}-1]") in out.splitlines()
    assert failed_rows(out)[0].endswith("the deployment answered without the model's answer: the model or scoring "
                                        "script did not load")


def test_a_job_past_its_share_times_out_and_is_cancelled(tmp_path, capsys):
    class SlowSecondJob(FakeClient):
        def wait_job(self, name, *, timeout):
            self.seconds[("wait_job", "cpu-compute")] = 2000 if "-job-" in name else 1
            super().wait_job(name, timeout=timeout)

    client = SlowSecondJob()
    assert run(tmp_path, client, "--budget", "1600") == 1
    out = capsys.readouterr().out
    # The job's share: what the datastore and the environment left, 5 parts of 5; the wait gets
    # what the submission left of it, and the client stops there.
    assert failed_rows(out) == [
        "job          cpu-compute         FAIL       1596   1596  the job did not finish within the share: a cluster "
        "at 0 nodes needs minutes to start (minNodes, quota); raise --budget"]
    assert client.timeouts[-1] == ("wait_job", 1595.0)
    assert client.calls[-2:] == [("cancel_job", f"smoke-{RUN_ID}-job-cpu-compute"),
                                 ("archive_environment", f"azureml-infra-smoke:{RUN_ID}")]
    assert "cleanup: cancelled job smoke-20260102030405-job-cpu-compute" in out
    assert out.splitlines()[-1] == "smoke: 1 of 3 journeys FAILED: job cpu-compute"


def test_a_step_that_leaves_nothing_of_the_share_stops_the_journey_before_the_next(tmp_path, capsys):
    # Creating the environment took the whole share of the environment journey: no job is sent.
    client = FakeClient(seconds={"create_environment": 1200})
    assert run(tmp_path, client, "--budget", "1600") == 1
    out = capsys.readouterr().out
    assert "environment cpu-compute: submit: exceeded its share of 1066 s" in out.splitlines()
    assert [c[0] for c in client.calls] == ["list_datastore", "create_environment", "archive_environment"]


def test_endpoints_are_not_run_without_the_flag(tmp_path, capsys):
    plan = {"stack": "dev", "resources": [workspace(), compute("myaks", "Kubernetes", "urn:aks")]}
    client = FakeClient()
    assert run(tmp_path, client, plan=plan) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "smoke dev: workspace mlw-mlops-dev as user ml@contoso.com, 1 journey within 1800 s"
    assert "endpoint   myaks               skip          -      -  not run: add --endpoints" in out.splitlines()
    assert out.splitlines()[-1] == "smoke: the 1 journey passed (1 not run)"
    assert client.calls == [("list_datastore", "workspaceblobstore")]


def test_a_job_whose_status_cannot_be_read_is_cancelled(tmp_path, capsys):
    lost = SmokeError("ServiceRequestError: Connection reset by peer")

    class Lost(FakeClient):
        def wait_job(self, name, *, timeout):
            super().wait_job(name, timeout=timeout)
            if "-job-" in name:
                raise lost

    client = Lost()
    assert run(tmp_path, client) == 1
    assert client.calls[-2:] == [("cancel_job", f"smoke-{RUN_ID}-job-cpu-compute"),
                                 ("archive_environment", f"azureml-infra-smoke:{RUN_ID}")]


def test_a_call_that_overruns_its_share_is_a_timeout_too(tmp_path, capsys):
    # A datastore listing that takes 150 s of its 100 s share: the client gives it no timeout.
    client = FakeClient(seconds={("list_datastore", "workspaceblobstore"): 150})
    assert run(tmp_path, client, "--budget", "1600") == 1
    row = failed_rows(capsys.readouterr().out)
    assert row == ["datastore    workspaceblobstore  FAIL        150    100  Azure did not answer within the share: "
                   "check the network path to stmlopsdev1a2b"]


def test_no_credential_exits_2_before_anything_is_made(tmp_path, capsys):
    client = FakeClient(no_credential=True)
    assert run(tmp_path, client) == 2
    assert capsys.readouterr() == ("", "error: no Azure credential: DefaultAzureCredential failed to retrieve a token "
                                       "from the included credentials\n")
    assert client.calls == []


def test_a_cleanup_that_fails_fails_the_run(tmp_path, capsys):
    client = FakeClient(failures={"archive_environment": SmokeError("HttpResponseError: (Conflict) busy")})
    assert run(tmp_path, client) == 1
    out = capsys.readouterr().out
    assert "cleanup: FAILED to archive environment azureml-infra-smoke:20260102030405: HttpResponseError: " \
           "(Conflict) busy" in out.splitlines()
    assert out.splitlines()[-1] == ("smoke: all 3 journeys passed; cleanup FAILED: archive environment "
                                    "azureml-infra-smoke:20260102030405")


def test_outputs_without_a_workspace_exit_2(tmp_path, capsys):
    outs = {k: v for k, v in outputs().items() if k != "workspaceId"}
    assert run(tmp_path, FakeClient(), outs=outs) == 2
    assert capsys.readouterr().err == "error: the stack outputs have no workspaceId/workspaceName: was `pulumi up` run?\n"


def test_a_budget_of_zero_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        run(tmp_path, FakeClient(), "--budget", "0")
    assert exited.value.code == 2
    assert "argument --budget: must be a number of seconds above 0 (got 0)" in capsys.readouterr().err


# --- the hints, rule by rule ----------------------------------------------------------------------

PROD_LIKE = smoke.Stack(name="prod", workspace="mlw-mlops-prod", storage_account="stmlopsprod",
                        container_registry="crmlopsprod.azurecr.io", registry_private=True, registry="mlr-mlops",
                        clusters=("cpu-compute",), kubernetes=("myaks",), image_build_compute="cpu-compute",
                        approved_outbound_only=True, outbound_fqdns=("pypi.org", "anaconda.com"),
                        datastores={"raw": smoke.Datastore("AzureFile", "stmlopsdata")}, foundry="aif-mlops-prod")

HINT_CASES = [
    ("environment", "run", "CondaHTTPError for url https://conda.anaconda.org/x", None,
     "conda-host", "the image build cannot reach conda's hosts: add FQDN outbound rules for *.anaconda.com, "
                   "*.anaconda.org (network.outboundRules: approved outbound only)"),
    ("job", "run", "ERROR: Could not find a version that satisfies the requirement mlflow-skinny==3.15.0", None,
     "pypi-host", "the image build cannot reach PyPI: add FQDN outbound rules for *.pythonhosted.org "
                  "(network.outboundRules: approved outbound only)"),
    ("job", "run", "Failed to pull image crmlopsprod.azurecr.io/azureml/azureml_abc", None,
     "image-pull", "the compute identity of cpu-compute needs AcrPull on the workspace's container registry "
                   "crmlopsprod.azurecr.io (Azure ML grants it to a cluster created after the registry)"),
    ("endpoint", "deploy", "Back-off pulling image: ImagePullBackOff", None,
     "image-pull", "the identity of the Kubernetes compute myaks needs AcrPull on the workspace's container "
                   "registry crmlopsprod.azurecr.io (docs/kubernetes.md)"),
    ("environment", "run", "SystemError", "Preparing",
     "image-build", "the environment image was not built by imageBuildCompute cpu-compute: read the image build "
                    "log in the job's outputs and logs"),
    ("datastore", "list", "AuthorizationFailure", None,
     "storage-network", "the storage account stmlopsdata refused this machine (most often its firewall: public "
                        "access off): run smoke from a network that reaches its private endpoints"),
    ("job", "run", "This request is not authorized to perform this operation.", None,
     "storage-network", "cpu-compute cannot reach the workspace storage stmlopsprod: its network needs the "
                        "storage's private endpoints (or DNS for them)"),
    ("job", "submit", "AuthorizationFailure", None,
     "storage-network", "the workspace storage stmlopsprod refused this machine (most often its firewall: public "
                        "access off; code and model uploads): run smoke from a network that reaches its private "
                        "endpoints"),
    ("datastore", "list", "AuthorizationPermissionMismatch", None,
     "storage-permission", "the signed-in identity needs Storage File Data Privileged Reader on the storage "
                           "account stmlopsdata (identity-based datastore)"),
    ("job", "run", "Unable to mount data store workspaceblobstore. Give either an account key or SAS token", None,
     "storage-permission", "the compute identity of cpu-compute needs Storage Blob Data Contributor on the "
                           "workspace storage stmlopsprod"),
    ("job", "submit", "AuthorizationPermissionMismatch", None,
     "storage-permission", "the signed-in identity needs Storage Blob Data Contributor on the workspace storage "
                           "stmlopsprod (code and model uploads to identity-based datastores)"),
    ("datastore", "list", "KeyBasedAuthenticationNotPermitted", None,
     "shared-key-off", "shared keys are off on stmlopsdata: the datastore raw must use identity (no stored key)"),
    ("registry", "fetch", "AuthorizationFailed", None,
     "azure-ml-permission", "the signed-in identity needs AzureML Registry User on the registry mlr-mlops"),
    ("job", "submit", "does not have authorization to perform action 'Microsoft.MachineLearningServices/"
                      "workspaces/jobs/write' over scope", None,
     "azure-ml-permission", "the signed-in identity needs AzureML Data Scientist on the workspace mlw-mlops-prod "
                            "(refused: Microsoft.MachineLearningServices/workspaces/jobs/write)"),
    ("registry", "register", "(ResourceNotFound) The Resource 'mlr-mlops' was not found", None,
     "registry-missing", "the registry mlr-mlops was not found: check the registryName output and the signed-in "
                         "identity's tenant"),
    ("endpoint", "deploy", "InstanceTypeNotFound: defaultinstancetype", None,
     "instance-type", "the Kubernetes compute myaks has no instance type to deploy to: the azureml extension "
                      "creates defaultinstancetype; check the extension (kubectl get instancetype)"),
    ("endpoint", "score", "getaddrinfo failed", None,
     "score-unreachable", "this machine cannot reach the scoring address of myaks: an internal load balancer or "
                          "an https.cname without DNS serves its own network only "
                          "(kubernetesComputes[].inferenceRouter, https)"),
    ("endpoint", "score", "SSLError: CERTIFICATE_VERIFY_FAILED", None,
     "score-certificate", "the scoring certificate of myaks is not trusted for its address: https.cname must be "
                          "the scoring host and the certificate must cover it"),
    ("endpoint", "score", "(502) Bad Gateway", None,
     "score-error", "the deployment on myaks answered with an error: read its logs "
                    "(ml_client.online_deployments.get_logs)"),
    ("endpoint", "score", "wrong-answer", None,
     "wrong-answer", "the deployment answered without the model's answer: the model or scoring script did not load"),
    ("chat", "chat", "(403) Public access is disabled. Please configure private endpoint.", None,
     "foundry-network", "the Foundry account aif-mlops-prod refused this machine (public access off): run smoke from "
                        "a network that reaches its private endpoint"),
    ("chat", "chat", "(PermissionDenied) The principal lacks the required data action", None,
     "foundry-permission", "the signed-in identity needs Cognitive Services OpenAI User (or Azure AI User: "
                           "access[].persona dataScientist) on the Foundry account aif-mlops-prod (docs/foundry.md, "
                           "Roles); roles take minutes to apply"),
    ("chat", "chat", "(DeploymentNotFound) The API deployment for this resource does not exist.", None,
     "foundry-deployment", "the deployment gpt-4o-mini was not found on aif-mlops-prod: check the stack's "
                           "foundry.create.deployments and that `pulumi up` made it"),
    ("chat", "chat", "(429) Requests to the ChatCompletions_Create Operation have exceeded the token rate limit", None,
     "foundry-quota", "the deployment gpt-4o-mini was throttled: its capacity (foundry.create.deployments[].sku."
                      "capacity) is too small or in use; try again later"),
    ("job", "run", "UserError: exit code 2", None, "other", ""),
]
TARGETS = {"environment": "cpu-compute", "job": "cpu-compute", "endpoint": "myaks", "datastore": "raw",
           "registry": "mlr-mlops", "chat": "gpt-4o-mini"}


@pytest.mark.parametrize("journey,step,detail,phase,kind,hint", HINT_CASES)
def test_hint(journey, step, detail, phase, kind, hint):
    error = SmokeError("x", detail="" if detail == "wrong-answer" else detail,
                       code="wrong-answer" if detail == "wrong-answer" else None, phase=phase)
    assert smoke.diagnose(PROD_LIKE, smoke.Journey(journey, TARGETS[journey]), step, error) == (kind, hint)


def test_every_hint_rule_has_a_case():
    used = set()
    for journey, step, detail, phase, _, _ in HINT_CASES:
        error = SmokeError("x", detail=detail, code="wrong-answer" if detail == "wrong-answer" else None, phase=phase)
        used |= {i for i, rule in enumerate(smoke.HINTS) if rule.matches(journey, step, error)}
        first = next((i for i, rule in enumerate(smoke.HINTS) if rule.matches(journey, step, error)), None)
        used.add(first)
    assert used >= set(range(len(smoke.HINTS)))


def test_conda_hints_outside_a_managed_network_name_the_builder():
    open_stack = smoke.Stack(name="dev", workspace="mlw", storage_account="st")
    error = SmokeError("x", detail="CondaHTTPError", phase="Preparing")
    assert smoke.diagnose(open_stack, smoke.Journey("environment", "cpu-compute"), "run", error) == (
        "conda-host", "the image build cannot reach conda's hosts: let Azure ML's serverless image build reach "
                      "anaconda.com, *.anaconda.com, *.anaconda.org")


@pytest.mark.parametrize("journey", smoke.ORDER)
def test_every_journey_has_a_timeout_hint(journey):
    kind, hint = smoke.diagnose(PROD_LIKE, smoke.Journey(journey, TARGETS[journey]), "x", SmokeTimeout("late"))
    assert kind == "timeout" and hint


# --- the azure-ai-ml adapter's pure parts, on objects shaped like the SDK's ------------------------


def test_token_identity_reads_the_claims():
    def token(claims: dict) -> str:
        import base64

        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        return f"header.{body}.signature"

    assert smoke.token_identity(token({"upn": "ml@contoso.com", "oid": "1"})) == "user ml@contoso.com"
    assert smoke.token_identity(token({"appid": "2f1c", "oid": "1"})) == "app 2f1c"
    assert smoke.token_identity("not a token") == "an unknown identity"


def test_job_error_text_reads_the_run_error_from_the_job_exception():
    text = 'Exception : \n {\n    "error": {\n        "code": "UserError",\n        "message": "Image build failed"\n    }\n} '
    assert smoke.job_error_text(text) == "UserError: Image build failed"
    assert smoke.job_error_text("the job ended Canceled\nmore") == "the job ended Canceled"


def test_smoke_error_keeps_the_codes_of_storage_and_arm_errors():
    class HttpResponseError(Exception):
        status_code = 403
        error_code = SimpleNamespace(value="AuthorizationPermissionMismatch")  # a StorageErrorCode member

    error = smoke.smoke_error(HttpResponseError("This request is not authorized\nRequestId:1"))
    assert (error.message, error.code, error.status) == (
        "HttpResponseError: This request is not authorized", "AuthorizationPermissionMismatch", 403)
    arm = Exception("(AuthorizationFailed) no")
    arm.error = SimpleNamespace(code="AuthorizationFailed")
    assert smoke.smoke_error(arm).code == "AuthorizationFailed"


def adapter(statuses: list[str], stream_error: str = "") -> smoke.AzureMLClient:
    """The real client over a stub MLClient whose job goes through ``statuses``."""
    client = object.__new__(smoke.AzureMLClient)
    seen = iter(statuses)

    def stream(name):
        print("logs that must not reach stdout")
        if stream_error:
            raise RuntimeError(stream_error)

    client._ml = SimpleNamespace(jobs=SimpleNamespace(get=lambda name: SimpleNamespace(status=next(seen)),
                                                      stream=stream))
    client.POLL_SECONDS = 0.0
    return client


def test_the_adapter_waits_for_a_job_and_reports_its_error_and_phase(capsys):
    adapter(["Queued", "Running", "Completed"]).wait_job("j", timeout=60)
    with pytest.raises(SmokeError) as failed:
        adapter(["Preparing", "Failed"], 'Exception : \n {"error": {"code": "UserError", "message": "Image build '
                                         'failed"}}').wait_job("j", timeout=60)
    assert (failed.value.message, failed.value.phase) == ("job j Failed: UserError: Image build failed", "Preparing")
    assert "Image build failed" in failed.value.detail
    with pytest.raises(SmokeTimeout):
        adapter(["Running"] * 10).wait_job("j", timeout=0)
    assert capsys.readouterr().out == ""


# --- the assets that run in Azure: the job, the scoring script, the environment -------------------


def test_the_job_script_writes_reads_back_and_logs_the_metric(tmp_path, monkeypatch, capsys):
    logged = []
    monkeypatch.setitem(sys.modules, "mlflow", SimpleNamespace(log_metric=lambda k, v: logged.append((k, v))))
    job = _load(smoke.ASSETS / "job" / "smoke_job.py")
    assert job.main(["--out", str(tmp_path / "out"), "--text", RUN_ID]) == 0
    assert (tmp_path / "out" / "smoke.txt").read_text() == RUN_ID
    assert logged == [("smoke", 1)]


def test_the_scoring_script_answers_with_the_model(monkeypatch):
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(smoke.ASSETS / "model"))
    score = _load(smoke.ASSETS / "score" / "score.py")
    score.init()
    assert score.run(json.dumps({"data": [[1, 2, 3]]})) == {"answer": smoke.MODEL_ANSWER, "rows": 1}


def test_the_environment_pins_what_the_job_and_the_scoring_server_import():
    import yaml

    conda = yaml.safe_load((smoke.ASSETS / "conda.yaml").read_text())
    assert conda["channels"] == ["conda-forge", "nodefaults"]
    pip = next(d["pip"] for d in conda["dependencies"] if isinstance(d, dict))
    assert all("==" in requirement for requirement in pip)
    assert {r.split("==")[0] for r in pip} == {"mlflow-skinny", "azureml-mlflow", "azureml-inference-server-http"}


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"smoke_asset_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- make smoke -----------------------------------------------------------------------------------


def make_smoke_recipe(*variables: str) -> list[str]:
    """The commands `make smoke` runs (make -n), after its setup checks."""
    return subprocess.run(["make", "-n", "--no-print-directory", "smoke", *variables], cwd=ROOT,
                          capture_output=True, text=True, check=True, env={**os.environ, "MAKEFLAGS": ""}
                          ).stdout.splitlines()[-4:]


def test_make_smoke_reads_the_outputs_and_the_plan_then_runs_in_the_verify_venv():
    assert make_smoke_recipe("STACK=dev") == [
        "mkdir -p build",
        "pulumi stack output --stack dev --json > build/outputs.dev.json",
        ".venv/bin/python policy/export_plan.py --stack dev > build/smoke-plan.dev.json",
        ".venv-verify/bin/python -m tools.smoke --outputs build/outputs.dev.json --plan build/smoke-plan.dev.json ",
    ]
    assert make_smoke_recipe("STACK=prod", "SMOKE_ARGS=--endpoints --format json --budget 900")[-1] == (
        ".venv-verify/bin/python -m tools.smoke --outputs build/outputs.prod.json --plan build/smoke-plan.prod.json "
        "--endpoints --format json --budget 900")


def test_importing_smoke_needs_no_azure_package():
    assert "azure.ai.ml" not in sys.modules
    assert "azure.identity" not in sys.modules
    assert "azure.storage.blob" not in sys.modules
