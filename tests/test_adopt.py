"""`make adopt` (tools/adopt.py): the legacy parameter files become a stack file.

The expected values below are read off the legacy files by hand (shared/seed/arm-templates),
never computed by the converter.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import plan
from tools.adopt import main
from tools.harness import ROOT, is_secret_value

# An unchanged copy of shared/seed/arm-templates (tests/fixtures/legacy-arm-templates/README.md).
SEED = ROOT / "tests" / "fixtures" / "legacy-arm-templates"
FLAT = ROOT / "tests" / "fixtures" / "legacy-flat"


# What the legacy templates deployed in dev, read off the parameter files by hand: what
# `make adopt` must write (tests/test_adoption_plan.py plans it, with a subscription added).
LEGACY_DEV: dict = {
    "azure-native:location": "westeurope",
    "azureml-infra:prefix": "mlops",
    "azureml-infra:environment": "dev",
    "azureml-infra:adopt": True,
    "azureml-infra:resourceGroup": {"name": "mlopsexample-dev"},
    "azureml-infra:workspace": {
        "name": "mlops-mls-dev",
        "storageAccount": {
            "name": "mlopssadev", "sku": "Standard_RAGRS", "kind": "StorageV2", "accessTier": "Hot",
            "allowBlobPublicAccess": True, "minTlsVersion": "TLS1_2",
        },
        "keyVault": {
            "name": "mlops-kv-dev", "sku": "standard", "authorization": "accessPolicies",
            "purgeProtection": False, "softDeleteRetentionInDays": 90, "enabledForTemplateDeployment": True,
        },
        "applicationInsights": {"name": "mlops-ain-dev"},
        "containerRegistry": {"name": "mlopscrdev", "sku": "Basic", "adminUserEnabled": True},
    },
    "azureml-infra:computes": [
        {
            "name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "minNodes": 0, "maxNodes": 3,
            "idleTimeBeforeScaleDown": "PT15M", "priority": "Dedicated", "identity": "none",
            "disableLocalAuth": False,
        }
    ],
}


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A copy of the legacy folder that a test may break."""
    folder = tmp_path / "arm-templates"
    shutil.copytree(SEED, folder)
    return folder


def convert(capsys, folder: Path, out: Path, *extra: str, env: str = "dev", stack: str = "legacy") -> tuple[int, str, str]:
    code = main(["--arm", str(folder), "--env", env, "--stack", stack, "--out-dir", str(out), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def config_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text())["config"]


def set_parameter(folder: Path, file: str, name: str, value) -> None:
    path = folder / file
    document = json.loads(path.read_text())
    document["parameters"][name] = {"value": value}
    path.write_text(json.dumps(document))


def test_dev_stack_file_holds_what_the_legacy_templates_deployed(capsys, tmp_path):
    code, out, err = convert(capsys, SEED, tmp_path, stack="legacy-dev")
    assert (code, err) == (0, "")
    assert config_of(tmp_path / "Pulumi.legacy-dev.yaml") == LEGACY_DEV
    assert "Still to do:" in out and "pulumi up --stack legacy-dev; then remove azureml-infra:adopt" in out


def test_legacy_settings_that_could_break_a_consumer_are_kept_with_a_review_comment(capsys, tmp_path):
    convert(capsys, SEED, tmp_path)
    text = (tmp_path / "Pulumi.legacy.yaml").read_text()
    for line in (
        "      adminUserEnabled: true  # review: kept as deployed;",
        "      authorization: accessPolicies  # review: kept as deployed; rbac revokes every access policy",
        "      enabledForTemplateDeployment: true  # review:",
        "      allowBlobPublicAccess: true  # review:",
        "      identity: none  # review:",
    ):
        assert line in text


def test_test_environment_and_a_given_group(capsys, tmp_path):
    code, _, _ = convert(capsys, SEED, tmp_path, "--rg", "rg-legacy-ml", env="test", stack="legacy-test")
    config = config_of(tmp_path / "Pulumi.legacy-test.yaml")
    assert code == 0
    assert config["azureml-infra:resourceGroup"] == {"name": "rg-legacy-ml"}
    assert config["azureml-infra:environment"] == "test"
    assert config["azureml-infra:workspace"]["name"] == "mlops-mls-test"
    assert config["azureml-infra:workspace"]["storageAccount"]["name"] == "mlopssatest"
    assert config["azureml-infra:workspace"]["containerRegistry"]["name"] == "mlopscrtest"


@pytest.mark.parametrize("env", ["dev", "test"])
def test_converted_stack_files_pass_validation_and_plan_with_the_legacy_names(capsys, tmp_path, env):
    convert(capsys, SEED, tmp_path, env=env, stack=f"legacy-{env}")
    run = plan(config_of(tmp_path / f"Pulumi.legacy-{env}.yaml"), stack_name=f"legacy-{env}", preview=True)
    names = {r.name: r.azure_name for r in run.registrations if r.custom}
    assert names["storage-account"] == f"mlopssa{env}"
    assert names["key-vault"] == f"mlops-kv-{env}"
    assert names["application-insights"] == f"mlops-ain-{env}"
    assert names["container-registry"] == f"mlopscr{env}"
    assert names["workspace"] == f"mlops-mls-{env}"
    assert names["resource-group"] == f"mlopsexample-{env}"


def test_vnet_variant_placeholders_are_reported_with_file_and_parameter_and_never_copied(capsys, tmp_path):
    code, out, _ = convert(capsys, SEED, tmp_path, "--compute", "vnet")
    text = (tmp_path / "Pulumi.legacy.yaml").read_text()
    assert code == 0
    assert (
        "mlcompute/parameters-vnet.dev.json: parameter 'subnetId' is the placeholder "
        '"/subscriptions/xxxx/resourceGroups/yyyy/providers/Microsoft.Network/virtualNetworks/zzzz/subnets/ssss", '
        "not copied; set computes[0].subnetId to the subnet the cluster is in"
    ) in out
    assert "mlcompute/parameters-vnet.dev.json: parameter 'adminUserName' is the placeholder \"<Fill-here>\"" in out
    assert "xxxx" not in text and "Fill-here" not in text
    # The password's placeholder is not reported as one to fill in: it is never copied anyway.
    assert "'adminUserPassword'" not in out
    # The prompt form: the password never goes on a command line (shell history).
    assert "pulumi config set --secret cpuComputeAdminPassword --stack legacy (it prompts for the value)" in out
    # the stack file is still valid: the unknown parts are left as comments
    assert "subnetId" not in config_of(tmp_path / "Pulumi.legacy.yaml")["azureml-infra:computes"][0]


SUBNET = "/subscriptions/5b1f3a9e-2c4d-4e6f-8a7b-9c0d1e2f3a4b/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-ml/subnets/snet-train"


def test_vnet_variant_password_becomes_a_secret_key_and_is_never_copied(capsys, tmp_path, legacy):
    set_parameter(legacy, "mlcompute/parameters-vnet.dev.json", "subnetId", SUBNET)
    set_parameter(legacy, "mlcompute/parameters-vnet.dev.json", "adminUserName", "azureuser")
    set_parameter(legacy, "mlcompute/parameters-vnet.dev.json", "adminUserPassword", "Legacy-Pa55word!")
    code, out, _ = convert(capsys, legacy, tmp_path, "--compute", "vnet")
    path = tmp_path / "Pulumi.legacy.yaml"
    assert code == 0
    assert "Legacy-Pa55word!" not in path.read_text() and "Legacy-Pa55word!" not in out
    cluster = config_of(path)["azureml-infra:computes"][0]
    assert cluster["subnetId"] == SUBNET
    assert cluster["ssh"] == {"adminUserName": "azureuser", "passwordSecret": "cpuComputeAdminPassword"}

    # Until the user stores the password, the program says exactly what to run.
    run = plan(config_of(path), preview=True, raise_errors=False)
    assert "set it with: pulumi config set --secret cpuComputeAdminPassword <value>" in str(run.error)
    # Once stored as a secret, it plans, and the password stays a secret.
    config = {**config_of(path), "azureml-infra:cpuComputeAdminPassword": {"secure": "v1:abc"}}
    run = plan(config, preview=True)
    properties = run.one("azure-native:machinelearningservices:Compute").inputs["properties"]
    assert is_secret_value(properties)  # the password inside makes the whole object secret
    cluster = properties["value"]["properties"]
    assert cluster["userAccountCredentials"]["adminUserName"] == "azureuser"
    assert cluster["subnet"] == {"id": SUBNET}


def test_empty_value_is_reported_and_not_copied(capsys, tmp_path, legacy):
    set_parameter(legacy, "storage/parameters.dev.json", "accessTier", "")
    code, out, _ = convert(capsys, legacy, tmp_path)
    assert code == 0
    assert "storage/parameters.dev.json: parameter 'accessTier' is empty, not copied; set it in the stack file" in out
    assert "accessTier" not in config_of(tmp_path / "Pulumi.legacy.yaml")["azureml-infra:workspace"]["storageAccount"]


def test_a_folder_not_laid_out_like_the_legacy_one_is_refused_and_nothing_written(capsys, tmp_path):
    code, out, err = convert(capsys, FLAT, tmp_path)
    assert code == 2 and out == ""
    assert err.startswith(f"make adopt: {FLAT} is not laid out like the legacy arm-templates/ folder: no template.json")
    assert "storage (Microsoft.Storage/storageAccounts)" in err  # top-level files are not a per-resource folder
    assert list(tmp_path.iterdir()) == []


def test_missing_parameter_file_is_refused(capsys, tmp_path, legacy):
    (legacy / "keyvault" / "parameters.dev.json").unlink()
    code, _, err = convert(capsys, legacy, tmp_path / "out")
    assert code == 2
    assert err == (
        "make adopt: keyvault/ has template.json but no parameters.dev.json: the key vault template needs its "
        "parameters for environment 'dev'. Nothing was written.\n"
    )
    assert not (tmp_path / "out").exists()


def test_invalid_json_is_refused(capsys, tmp_path, legacy):
    (legacy / "storage" / "parameters.dev.json").write_text("{not json")
    code, _, err = convert(capsys, legacy, tmp_path / "out")
    assert code == 2 and err.startswith("make adopt: storage/parameters.dev.json is not valid JSON:")


def test_a_kind_azure_cannot_change_in_place_is_refused_with_what_to_do(capsys, tmp_path, legacy):
    set_parameter(legacy, "storage/parameters.dev.json", "kind", "Storage")
    code, _, err = convert(capsys, legacy, tmp_path / "out")
    assert code == 2
    assert "storage/parameters.dev.json: kind 'Storage': this program manages a workspace's storage as StorageV2" in err
    assert "az storage account update -g <group> -n mlopssadev --set kind=StorageV2" in err


def test_existing_stack_file_is_not_overwritten_without_force(capsys, tmp_path):
    (tmp_path / "Pulumi.legacy.yaml").write_text("keep me\n")
    code, _, err = convert(capsys, SEED, tmp_path)
    assert code == 2 and "exists; choose another STACK, or FORCE=1 to overwrite it" in err
    assert (tmp_path / "Pulumi.legacy.yaml").read_text() == "keep me\n"


def test_make_adopt_then_make_plan_shows_import_ids_and_the_change_list(capsys, tmp_path):
    from tools.plan import main as plan_main

    convert(capsys, SEED, tmp_path, env="test", stack="legacy-test")
    code = plan_main(["--stack-file", str(tmp_path / "Pulumi.legacy-test.yaml")])
    out = capsys.readouterr().out
    assert code == 0
    assert "  = storage-account (azure-native:storage:StorageAccount)  name: mlopssatest" in out
    assert (
        "      import: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mlopsexample-test"
        "/providers/Microsoft.MachineLearningServices/workspaces/mlops-mls-test"
    ) in out
    assert "  = application-insights (mlops-ain-test)" in out
    assert "      ingestionMode: ApplicationInsights (classic: no Log Analytics workspace) -> LogAnalytics" in out
    assert "    = 7 to import" in out
