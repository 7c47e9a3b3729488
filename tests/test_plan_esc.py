"""The offline plan of a stack file that keeps secrets in Pulumi ESC environments (``environment:``).

Only the Pulumi CLI opens an ESC environment, so a secret key the config names (a compute admin
password, a TLS certificate and key) may be set in no file the plan reads: the plan takes it to
come from the environment, plans it with a placeholder secret and says so, instead of failing
(docs/delivery.md, Pulumi ESC). Without ``environment:`` the same file is refused as before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tools.harness import stack_environments
from tools.plan import main, make_plan, plan_stack_file

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_WITH_A_PASSWORD = {
    "name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 2,
    "ssh": {"adminUserName": "azureuser", "passwordSecret": "cpuComputeAdminPassword"},
}


def write(tmp_path: Path, name: str, document: dict) -> Path:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def esc_stack(tmp_path: Path, environment=("azureml-infra/dev",), **config) -> Path:
    document = {"environment": list(environment)} if environment else {}
    document["config"] = {"azure-native:location": "westeurope", "azureml-infra:prefix": "mlops",
                          "azureml-infra:environment": "dev", **config}
    return write(tmp_path, "escdemo", document)


def test_a_secret_kept_in_an_esc_environment_is_planned_with_a_placeholder(tmp_path):
    path = esc_stack(tmp_path, **{"azureml-infra:computes": [CLUSTER_WITH_A_PASSWORD]})
    run, doc = make_plan(path)
    assert run.error is None
    assert run.unresolved == ("azureml-infra:cpuComputeAdminPassword",)
    assert doc["esc"] == {"environments": ["azureml-infra/dev"], "unresolved": ["azureml-infra:cpuComputeAdminPassword"]}
    compute = next(r for r in doc["resources"] if r["type"] == "azure-native:machinelearningservices:Compute")
    assert compute["inputs"]["properties"] == "[secret]"  # the password made the whole input secret


def test_the_text_plan_says_which_keys_it_could_not_resolve(tmp_path, capsys):
    path = esc_stack(tmp_path, **{"azureml-infra:computes": [CLUSTER_WITH_A_PASSWORD]})
    assert main(["--stack-file", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == (f"{path} imports the Pulumi ESC environment(s) azureml-infra/dev, which only the Pulumi CLI "
                        "opens (with the Pulumi Cloud backend): keys set there alone are not read offline.")
    assert lines[3] == "Not resolved offline, planned with a placeholder secret: azureml-infra:cpuComputeAdminPassword"


def test_without_an_esc_environment_an_unset_secret_is_still_refused(tmp_path):
    path = esc_stack(tmp_path, environment=(), **{"azureml-infra:computes": [CLUSTER_WITH_A_PASSWORD]})
    run = plan_stack_file(path)
    assert [str(p) for p in run.error.problems] == [
        "azureml-infra:computes[0].ssh.passwordSecret: names the config key 'azureml-infra:cpuComputeAdminPassword', "
        "which is not set; set it with: pulumi config set --secret cpuComputeAdminPassword <value>"
    ]
    assert (run.environments, run.unresolved) == ((), ())


def test_the_tls_certificate_and_key_of_an_inference_cluster_can_live_in_esc(tmp_path):
    example = yaml.safe_load((ROOT / "examples" / "Pulumi.aks-attach.yaml").read_text())
    document = {"environment": ["azureml-infra/aks"],
                "config": {k: v for k, v in example["config"].items()
                           if k not in ("azureml-infra:sharedAksTlsCert", "azureml-infra:sharedAksTlsKey")}}
    run, doc = make_plan(write(tmp_path, "aks-attach", document))
    assert run.error is None
    assert run.unresolved == ("azureml-infra:sharedAksTlsCert", "azureml-infra:sharedAksTlsKey")
    assert "[secret]" in json.dumps([r["inputs"] for r in doc["resources"]
                                     if r["type"] == "azure-native:kubernetesconfiguration:Extension"])


def test_a_required_key_set_only_in_esc_is_named_when_the_plan_cannot_go_on(tmp_path, capsys):
    path = esc_stack(tmp_path, **{"azureml-infra:computes": [CLUSTER_WITH_A_PASSWORD]})
    document = yaml.safe_load(path.read_text())
    del document["config"]["azureml-infra:prefix"]
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    assert main(["--stack-file", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[1] == "  - azureml-infra:prefix: is required; set it with: pulumi config set azureml-infra:prefix <value>"
    assert err[-2] == "Not resolved offline, planned with a placeholder secret: azureml-infra:cpuComputeAdminPassword"
    assert err[-1] == "Not resolved offline, and needed to plan: azureml-infra:prefix"


@pytest.mark.parametrize("environment, names", [
    (["azureml-infra/common", "azureml-infra/prod"], ["azureml-infra/common", "azureml-infra/prod"]),
    ({"imports": ["azureml-infra/prod"], "values": {"pulumiConfig": {}}}, ["azureml-infra/prod"]),
    ({"values": {"pulumiConfig": {}}}, ["(an inline definition)"]),
    (None, []),
])
def test_stack_environments_reads_names_and_inline_definitions(tmp_path, environment, names):
    document = {"config": {}} if environment is None else {"environment": environment, "config": {}}
    assert stack_environments(write(tmp_path, "x", document)) == names


def test_shipped_stack_files_import_no_esc_environment():
    """The plans of the shipped files are complete: nothing in them comes from ESC."""
    for path in sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("Pulumi.*.yaml")):
        assert stack_environments(path) == [], path.name
