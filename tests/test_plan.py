"""The offline plan (`make plan`): what it prints for a stack, and how it refuses bad config."""

from __future__ import annotations

import gc
import io
import json
import os
import re
import runpy
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.conftest import SHIPPED_STACK_FILES, planned_file, stack
from tools import config_reference
from tools.harness import ROOT, config_from_yaml
from tools.plan import main, make_plan, render_text


def plan_text(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_dev_plan_shows_the_tree_names_settings_and_outputs(capsys):
    code, out, _ = plan_text(capsys, "--stack", "dev")
    assert code == 0
    assert " +   pulumi:pulumi:Stack" in out and "azureml-infra-dev" in out
    assert re.search(r"^ \+   └─ azureml-infra:workspace:MachineLearningWorkspace +workspace$", out, re.M)
    assert re.search(r"^ \+      [├└]─ azure-native:storage:StorageAccount +storage-account$", out, re.M)
    assert "  + storage-account (azure-native:storage:StorageAccount)  name: stmlopsdevt0k7" in out
    assert "      minimumTlsVersion: TLS1_2" in out
    assert "      depends on: application-insights, container-registry, key-vault, resource-group, storage-account" in out
    # what only Azure knows is shown as in `pulumi preview`
    assert "    workspaceId: output<string>" in out
    assert "    workspaceName: mlw-mlops-dev" in out
    # The resource count, then the monthly cost table last (tests/test_cost.py has its lines).
    resources, cost = out.split("\nMonthly cost at most: ", 1)
    assert resources.rstrip().endswith("to create")
    assert cost.rstrip().endswith("    - taxes and support plans")


def test_json_plan_is_the_same_plan_for_machines(capsys):
    code, out, _ = plan_text(capsys, "--stack", "test", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["stack"] == "test" and doc["stackFile"] == "Pulumi.test.yaml"
    storage = next(r for r in doc["resources"] if r["name"] == "storage-account")
    assert storage["azureName"].startswith("stmlopstest")
    assert storage["dependsOn"] == ["resource-group"]
    assert doc["summary"]["create"] == len(doc["resources"]) + 1  # + the stack itself


def test_prod_plan_marks_protected_resources(capsys):
    _, out, _ = plan_text(capsys, "--stack", "prod")
    assert "  + key-vault (azure-native:keyvault:Vault)  name: kv-mlops-prod-" in out
    assert "[protect, retainOnDelete]" in out


BAD_STACK = """\
config:
  azure-native:location: westeurope
  azureml-infra:prefix: mlops
  azureml-infra:workspace:
    storageAccount:
      name: My_Storage
    keyValt:
      sku: standard
"""


def test_bad_stack_file_prints_every_problem_registers_nothing_and_exits_2(tmp_path, capsys):
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(BAD_STACK)
    code, out, err = plan_text(capsys, "--stack-file", str(path))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        "Invalid configuration for stack 'bad' (Pulumi.bad.yaml): 2 problems. Nothing was deployed.",
        '  - azureml-infra:workspace.storageAccount.name: a storage account name may contain only '
        'lowercase letters and digits (got "My_Storage")',
        "  - azureml-infra:workspace.keyValt: unknown key; did you mean 'keyVault'? (known keys: name, identity, "
        "publicNetworkAccess, storageAccount, keyVault, logAnalytics, applicationInsights, containerRegistry, "
        "imageBuildCompute, dataIsolation, encryption, hbi, serverlessCompute)",
        "(0 resources registered)",
    ]


CLUSTER = {"name": "cpu", "vmSize": "STANDARD_D3_V2", "minNodes": 0, "maxNodes": 2}


class Pipe(io.RawIOBase):
    """The far end of a pipe: the bytes that reached it."""

    def __init__(self):
        super().__init__()
        self.received = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.received += data
        return len(data)


def plan_command(monkeypatch, *args: str) -> tuple[int, bytes, str]:
    """`python -m tools.plan *args`, its own __main__ block run in this process: stdout is a
    block-buffered pipe (as when piped with PYTHONUNBUFFERED unset) and os._exit is patched to
    raise. Returns the status it left with, the bytes that had reached the pipe by then (what a
    real os._exit keeps: it skips every flush), and stderr."""
    pipe, err, left = Pipe(), io.StringIO(), {}

    def leave(status: int):
        left.update(status=status, out=bytes(pipe.received))
        raise SystemExit(status)

    monkeypatch.setattr(sys, "argv", ["tools/plan.py", *args])
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(pipe, buffer_size=8192), encoding="utf-8"))
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(os, "_exit", leave)
    collecting = gc.isenabled()
    try:
        with pytest.raises(SystemExit):
            runpy.run_path(str(ROOT / "tools" / "plan.py"), run_name="__main__")
    finally:
        if collecting:  # the command pauses the collector for its one-shot process
            gc.enable()
    return left["status"], left["out"], err.getvalue()


def test_the_plan_command_flushes_everything_before_it_leaves(tmp_path, monkeypatch):
    # It leaves with os._exit (tearing the interpreter down took longer than the plan): output
    # larger than the pipe's buffer arrives whole only if it flushes first.
    path = tmp_path / "Pulumi.perf.yaml"
    path.write_text(yaml.safe_dump({"config": stack({"azureml-infra:computes": [CLUSTER]})}))
    status, out, err = plan_command(monkeypatch, "--stack-file", str(path), "--format", "json")
    assert (status, err) == (0, "")
    assert len(out) > 8192
    assert json.loads(out)["depth"]["waves"] == 5


def test_the_plan_command_leaves_with_mains_status_and_message(tmp_path, monkeypatch):
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text(BAD_STACK)
    status, out, err = plan_command(monkeypatch, "--stack-file", str(path))
    assert (status, out) == (2, b"")
    assert err.startswith("Invalid configuration for stack 'bad' (Pulumi.bad.yaml): 2 problems.")
    assert err.endswith("(0 resources registered)\n")


def test_secure_values_are_masked_and_marked_secret():
    raw, secrets = config_from_yaml(
        {"azureml-infra:pw": {"secure": "v1:AAAAencrypted=="}, "azureml-infra:ssh": {"key": {"secure": "x"}}}
    )
    assert raw["azureml-infra:pw"] == "[secret]"
    assert json.loads(raw["azureml-infra:ssh"]) == {"key": "[secret]"}
    assert secrets == {"azureml-infra:pw", "azureml-infra:ssh"}
    assert "AAAAencrypted" not in json.dumps(raw)


def test_a_secret_input_is_shown_masked(tmp_path, capsys):
    # A secret flowing into a resource input must never be printed in clear.
    import pulumi.runtime.rpc as rpc

    from tools.harness import is_secret_value
    from tools.plan import display_value

    wrapped = {rpc._special_sig_key: rpc._special_secret_sig, "value": "hunter2"}
    assert is_secret_value(wrapped)
    assert display_value({"a": {"b": wrapped}}) == {"a": {"b": "[secret]"}}


@pytest.mark.parametrize("stack_file", SHIPPED_STACK_FILES, ids=lambda p: p.name)
def test_every_shipped_stack_file_plans(stack_file: Path):
    # The command itself is run on dev above; here the shared plan of each file is rendered.
    run, doc = make_plan(stack_file, planned_file(stack_file))
    assert run.error is None, run.error
    assert "to create" in render_text(doc)


def test_config_reference_is_current():
    assert config_reference.TARGET.read_text() == config_reference.render(), (
        "docs/config-reference.md is stale: run `make docs`"
    )


def test_readme_states_the_two_fresh_clone_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make plan" in readme and "make test" in readme
    assert textwrap.dedent("make test").strip() in (ROOT / ".ci" / "run").read_text() or "make lint test" in (
        ROOT / ".ci" / "run"
    ).read_text()
