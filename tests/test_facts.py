"""Facts written once (azureml_infra/facts.py) and a config package whose imports run one way."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

from azureml_infra import facts
from tests.conftest import plan, stack
from tools import config_reference
from tools.harness import ROOT

CONFIG_PACKAGE = ROOT / "azureml_infra" / "config"
# Every module of the package below azureml_infra.config, by its dotted name (rules.access) and file.
CONFIG_FILES = {
    ".".join(p.relative_to(CONFIG_PACKAGE).with_suffix("").parts).removesuffix(".__init__"): p
    for p in CONFIG_PACKAGE.rglob("*.py")
    if p != CONFIG_PACKAGE / "__init__.py"
}
CONFIG_MODULES = sorted(CONFIG_FILES)


# --- the config package ------------------------------------------------------------------


# No circle between the config modules (nor anywhere in the project): the import contract in
# pyproject.toml ([tool.importlinter], exhaustive layers of azureml_infra.config, TYPE_CHECKING
# and function-level imports included), which `make lint` runs in CI. Until issue 17 a test
# here imported each config module first in a fresh interpreter, 3.5 s of `make test` for what
# the layers already forbid.


def function_level_imports(path: Path) -> list[str]:
    """``module:function`` for every import statement inside a function of ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    found.append(f"{path.stem}:{node.name}")
    return found


def test_no_import_is_deferred_into_a_function_in_the_config_package():
    assert [hit for m in CONFIG_MODULES for hit in function_level_imports(CONFIG_FILES[m])] == []


def test_the_import_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from os import path\n    return path\n")
    assert function_level_imports(module) == ["m:f"]


def test_no_module_imports_another_modules_private_names():
    private = []
    for path in [*CONFIG_PACKAGE.glob("*.py"), *(ROOT / "components").glob("*.py"), *(ROOT / "tools").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(("azureml_infra", "components")):
                private += [f"{path.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert private == []


# --- one definition of each fact ----------------------------------------------------------


def test_the_project_name_is_the_one_in_pulumi_yaml():
    assert yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["name"] == facts.PROJECT


def test_the_policy_pack_reads_the_same_stateful_types_and_duration_grammar():
    sys.path.insert(0, str(ROOT / "policy"))
    try:
        import rules
    finally:
        sys.path.remove(str(ROOT / "policy"))
    assert rules.STATEFUL_TYPES is facts.STATEFUL_TYPES
    assert rules.LOCKED_TYPES is facts.LOCKED_TYPES
    assert rules.duration_seconds("P1DT1H30M15S") == 91815
    assert rules.duration_seconds("pt30m") is None  # the config refuses lower case too


def arm_type_of_path(path: str) -> str:
    """An id path's ARM type, after its last ``providers/`` (an extension resource's is under
    another resource): ``Microsoft.X/a/{a}/b/default/c/{c}`` -> ``Microsoft.X/a/b/c``."""
    namespace, *rest = path.rsplit("providers/", 1)[-1].split("/")
    return "/".join([namespace, *rest[0::2]])


def test_each_arm_type_is_the_one_its_id_path_names():
    assert arm_type_of_path(
        "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{containerName}"
    ) == "Microsoft.Storage/storageAccounts/blobServices/containers"
    assert {t: arm.type for t, arm in facts.ARM_TYPES.items()
            if arm.path and arm_type_of_path(arm.path) != arm.type} == {}


def test_each_id_path_takes_exactly_the_name_and_parent_inputs():
    assert {
        t: arm.path for t, arm in facts.ARM_TYPES.items()
        if arm.path and set(re.findall(r"{(\w+)}", arm.path)) != {arm.name_input, arm.parent_input} - {None}
    } == {}


def test_resource_ids_from_the_inputs():
    group = "/subscriptions/s/resourceGroups/rg"
    assert facts.resource_id(facts.RESOURCE_GROUP, "s", "rg", {"resourceGroupName": "rg"}) == group
    assert facts.resource_id(facts.ML_COMPUTE, "s", "rg", {"workspaceName": "mlw", "computeName": "cpu"}) == (
        f"{group}/providers/Microsoft.MachineLearningServices/workspaces/mlw/computes/cpu")
    vault = f"{group}/providers/Microsoft.KeyVault/vaults/kv"
    assert facts.resource_id(facts.DIAGNOSTIC_SETTING, "s", "rg", {"resourceUri": vault, "name": "audit"}) == (
        f"{vault}/providers/Microsoft.Insights/diagnosticSettings/audit")
    with pytest.raises(KeyError):
        facts.resource_id(facts.ML_COMPUTE, "s", "rg", {"computeName": "cpu"})  # no workspace
    with pytest.raises(KeyError):
        facts.resource_id(facts.MANAGEMENT_LOCK, "s", "rg", {})  # no path written


# A stack that creates every stateful resource the program knows: the five dependencies,
# the resource group, a data lake with a container, an Azure ML registry, a Foundry account and project.
EVERYTHING_PROTECTED = stack({
    "azureml-infra:protect": True,
    "azureml-infra:dataStorage": {"containers": ["raw"]},
    "azureml-infra:datastores": [{"name": "raw", "kind": "adlsGen2", "accountName": "dataStorage", "container": "raw"}],
    "azureml-infra:registry": {"create": {"name": "mlr-mlops", "regions": ["westeurope"]}},
    # The workspace's user-assigned identity: replacing it would lose every grant to it.
    "azureml-infra:workspace": {"identity": "userAssigned"},
    # A Foundry account and a project: the projects' files and threads.
    "azureml-infra:foundry": {"create": {"projects": [{"name": "team-a"}]}},
})


def test_the_program_protects_exactly_the_stateful_types():
    run = plan(EVERYTHING_PROTECTED, "prod")
    custom = [r for r in run.registrations if r.custom]
    protected = {r.type for r in custom if r.protect}
    unprotected = {r.type for r in custom if not r.protect}
    assert protected == set(facts.STATEFUL_TYPES), "the program and facts.STATEFUL_TYPES disagree"
    assert not protected & unprotected
    # Protect always comes with retain-on-delete: a removal from the program leaves it in Azure.
    assert all(r.retain_on_delete for r in custom if r.protect)


def test_nothing_is_protected_without_protect():
    assert [r.name for r in plan(EVERYTHING_PROTECTED | {"azureml-infra:protect": False}, "prod").registrations
            if r.protect] == []


@pytest.mark.parametrize("text,seconds", [
    ("PT120S", 120), ("PT15M", 900), ("PT2H30M", 9000), ("P1D", 86400), ("P1DT12H", 129600),
])
def test_durations(text, seconds):
    assert facts.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["P", "PT", "PT1.5S", "pt15m", "P1Y", "P1M", "15M", "", None, 900])
def test_not_durations(text):
    assert facts.parse_duration(text) is None


# --- every key documented -----------------------------------------------------------------


def test_the_reference_generator_refuses_a_key_without_description(monkeypatch):
    from azureml_infra.config.stack import StackConfig

    field = StackConfig.model_fields["tags"]
    monkeypatch.setattr(field, "description", None)
    with pytest.raises(ValueError, match=r"azureml-infra:tags has no description"):
        config_reference.render()


def test_every_key_in_the_reference_has_a_description():
    rows = [line for line in config_reference.render().splitlines() if line.startswith("| `")]
    assert rows and all(line.rstrip(" |").split("|")[-1].strip() for line in rows)
