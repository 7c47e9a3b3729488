"""The delivery pipelines and the project file: valid against their published schemas, and shaped
as the roll-out needs (stage order, main-only deploys, approvals, path filters, preview on PRs,
identities, nightly drift, pinned actions, the secrets provider check).

Schemas: check-jsonschema's vendored Azure Pipelines and GitHub workflow schemas, and the
Pulumi project schema copied into schemas/ (CI has no writable shared/). The vendored Azure
Pipelines schema knows in-box tasks only, so the Pulumi@1 marketplace task is added to it from
schemas/azure-pipelines-pulumi-task.json before validating.

Nothing here runs a pipeline. What can run locally does: the shell of the GitHub jobs that
decide (which files changed, the aggregate check) and of the Azure DevOps token step, under bash
and git; the GitHub scripts (pipelines/github/*.js) under node with a fake GitHub client;
pipelines/stack_secrets.py; zizmor over the workflows.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from tests.conftest import SHIPPED_STACK_FILES
from tests.schema_cli import check_jsonschema as check_jsonschema_cli
from tests.schema_cli import refused

ROOT = Path(__file__).resolve().parent.parent
ADO = ROOT / "pipelines" / "azure-pipelines.yml"
ADO_TEMPLATE = ROOT / "pipelines" / "templates" / "deploy-stack.yml"
ADO_TOKEN = ROOT / "pipelines" / "templates" / "federated-token.yml"
ADO_DRIFT = ROOT / "pipelines" / "drift.yml"
GHA = ROOT / ".github" / "workflows" / "infra.yml"
GHA_DEPLOY = ROOT / ".github" / "workflows" / "deploy-stack.yml"
GHA_DRIFT = ROOT / ".github" / "workflows" / "drift.yml"
WORKFLOWS = [GHA, GHA_DEPLOY, GHA_DRIFT]
STACKS = ["dev", "test", "prod"]
ON_MAIN = "eq(variables['Build.SourceBranch'], 'refs/heads/main')"
TOKEN_FILE = "$(Agent.TempDirectory)/azure-federated-token"
# Infrastructure files that must trigger the pipelines, at every depth; ML code and docs must not.
INFRA_FILES = ["__main__.py", "Pulumi.yaml", "Pulumi.prod.yaml", "azureml_infra/naming.py",
               "azureml_infra/config/base.py", "azureml_infra/config/rules/network.py",
               "components/workspace.py", "azureml_package/recipe.py", "policy/rules.py", "policy/config/prod.json",
               "tools/preflight/__init__.py", "tests/fixtures/legacy-flat/template.json",
               "pipelines/templates/deploy-stack.yml", "requirements.txt", "requirements-verify.txt"]
NOT_INFRA = ["src/train.py", "notebooks/explore.ipynb", "docs/delivery.md", "README.md",
             "examples/Pulumi.datastores.yaml", "CHANGELOG.md"]

# Every action the workflows use, pinned to the commit of a release tag. Each was read at its
# source (fetched repository, `git rev-parse <tag>^{commit}`; action.yml at that commit):
# runs.using is node24 for all, the runtime GitHub's runners use since Node 20 was removed
# (actions/runner#3948, the Node 20 -> 24 migration).
PINNED = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "azure/login": ("f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca", "v3.0.1"),
    "pulumi/actions": ("8e5e406f4007fca908480587cb9893c07090f58d", "v7.0.0"),
    "actions/github-script": ("ed597411d8f924073f98dfc5c65a23a2325f34cd", "v8.0.0"),
}
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)\s*(#.*)?$")


def check_jsonschema(*args: str):
    # Python regexes: the vendored Azure Pipelines schema has patterns that check-jsonschema's
    # default ECMA-262 engine refuses to compile ("Invalid character escape").
    return check_jsonschema_cli("--regex-variant", "python", *args)


@functools.cache
def load(path: Path) -> dict:
    """A pipeline file, parsed once per test process: shared, so never changed by a test."""
    return yaml.safe_load(path.read_text())


def bash(script: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], env={"PATH": os.environ["PATH"], **env},
                          cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def ado_schema(tmp_path_factory) -> Path:
    """check-jsonschema's vendored Azure Pipelines schema plus the Pulumi@1 task."""
    vendored = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "azure-pipelines.json"
    schema = json.loads(vendored.read_text())
    fragment = json.loads((ROOT / "schemas" / "azure-pipelines-pulumi-task.json").read_text())
    task = schema["definitions"]["task"]
    task["properties"]["task"]["anyOf"].append(fragment["name"])
    task["anyOf"].append(fragment["step"])
    path = tmp_path_factory.mktemp("schema") / "azure-pipelines-with-pulumi.json"
    path.write_text(json.dumps(schema))
    return path


# --- schemas ---------------------------------------------------------------------------


ADO_FILES = [ADO, ADO_TEMPLATE, ADO_TOKEN, ADO_DRIFT]


def test_azure_pipeline_files_validate(mistakes_checked):
    """Checked in the same call as the mistakes below: none of the real files is named."""
    _, result = mistakes_checked
    for path in ADO_FILES:
        assert f"{path}::" not in result.output, result.output


def test_the_vendored_azure_schema_alone_rejects_the_pulumi_task(tmp_path):
    """Why the schema is extended: a marketplace task is unknown to the published schema."""
    step = tmp_path / "step.yml"
    step.write_text("steps:\n  - task: Pulumi@1\n    inputs:\n      command: up\n      stack: dev\n")
    assert refused(check_jsonschema("--builtin-schema", "vendor.azure-pipelines", str(step)))


MISTAKES = {
    "unknown top-level key": (ADO, "stages:", "stagez:"),
    "misspelled Pulumi@1 input": (ADO, "createPrComment: true", "createPRComment: true"),
    "not a Pulumi command": (ADO, "command: preview", "command: previewz"),
    "misspelled AzureCLI@2 input": (ADO_TOKEN, "addSpnToEnvironment: true", "addSpnToEnviroment: true"),
    "a schedule's unknown key": (ADO_DRIFT, "    always: 'true'", "    allways: 'true'"),
}


@pytest.fixture(scope="module")
def mistakes_checked(ado_schema, tmp_path_factory):
    """Each mistake in a copy of its pipeline file of its own, checked in one call with the real
    files (loading the schema is most of a call's time): the copies and the result."""
    folder = tmp_path_factory.mktemp("mistakes")
    copies = {}
    for index, (name, (path, good, bad)) in enumerate(MISTAKES.items()):
        text = path.read_text()
        assert good in text, name
        copies[name] = folder / f"pipeline-{index}.yml"
        copies[name].write_text(text.replace(good, bad, 1))
    files = [*map(str, ADO_FILES), *map(str, copies.values())]
    return copies, check_jsonschema("--schemafile", str(ado_schema), *files)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_azure_schema_catches_mistakes(mistakes_checked, mistake):
    copies, result = mistakes_checked
    assert refused(result)
    assert f"{copies[mistake]}::" in result.output  # how check-jsonschema names a file with errors


def test_github_workflows_validate():
    result = check_jsonschema("--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS))
    assert result.exit_code == 0, result.output


def test_github_schema_catches_mistakes(tmp_path):
    bad = tmp_path / "infra.yml"
    bad.write_text(GHA.read_text().replace("    steps:", "    stepz:", 1))
    assert refused(check_jsonschema("--builtin-schema", "vendor.github-workflows", str(bad)))


def test_project_file_validates_against_the_copied_schema():
    result = check_jsonschema("--schemafile", str(ROOT / "schemas" / "pulumi-project.schema.json"),
                              str(ROOT / "Pulumi.yaml"))
    assert result.exit_code == 0, result.output


def test_copied_project_schema_rejects_an_unknown_config_declaration_key(tmp_path):
    bad = tmp_path / "Pulumi.yaml"
    bad.write_text(ROOT.joinpath("Pulumi.yaml").read_text()
                   + "config:\n  prefix:\n    type: string\n    required: true\n")
    assert refused(check_jsonschema("--schemafile", str(ROOT / "schemas" / "pulumi-project.schema.json"),
                            str(bad)))


def test_copied_project_schema_is_the_shared_one_when_shared_is_there():
    shared = ROOT.parent / "shared" / "schemas" / "pulumi-project.schema.json"
    if not shared.exists():  # a CI clone has ../shared too; a bare clone may not
        pytest.skip("no ../shared/ beside this clone")
    assert json.loads(shared.read_text()) == json.loads((ROOT / "schemas" / "pulumi-project.schema.json").read_text())


# --- the stack files' secrets provider (pipelines/stack_secrets.py) ---------------------


def _stack_secrets():
    spec = importlib.util.spec_from_file_location("stack_secrets", ROOT / "pipelines" / "stack_secrets.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["stack_secrets"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


stack_secrets = _stack_secrets()
KEY_VAULT = "azurekeyvault://kv-pulumi-state.vault.azure.net/keys/pulumi"


@pytest.mark.parametrize("path", SHIPPED_STACK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_stack_files_with_secrets_name_their_secrets_provider(path):
    """A stack file whose secure: values are committed commits what decrypts them too."""
    assert stack_secrets.committed_provider_problems(stack_secrets.StackFile.read(path)) == []


@pytest.mark.parametrize("path", SHIPPED_STACK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_stack_secrets_reader_agrees_with_yaml(path):
    """The check runs before any venv (no PyYAML): its line reader must see what YAML sees."""
    document = yaml.safe_load(path.read_text())

    def has_secure(value) -> bool:
        if isinstance(value, dict):
            return "secure" in value or any(has_secure(v) for v in value.values())
        return isinstance(value, list) and any(has_secure(v) for v in value)

    read = stack_secrets.StackFile.read(path)
    assert read.has_secure_values == has_secure(document.get("config"))
    assert read.lines == {k: document[k] for k in stack_secrets.PROVIDER_KEYS if k in document}


def test_a_stack_file_with_secure_values_and_no_secrets_provider_is_refused(tmp_path):
    text = (ROOT / "examples" / "Pulumi.compute-vnet-ssh.yaml").read_text()
    assert f"\nsecretsprovider: {KEY_VAULT}\n" in text
    copy = tmp_path / "Pulumi.compute-vnet-ssh.yaml"
    copy.write_text(text.replace(f"\nsecretsprovider: {KEY_VAULT}\n", "\n"))
    assert stack_secrets.committed_provider_problems(stack_secrets.StackFile.read(copy)) == [
        "Pulumi.compute-vnet-ssh.yaml has secure: values but no secretsprovider: (or encryptionsalt:) line: "
        "the secrets cannot be decrypted from the repository alone"
    ]


def _stack_file(tmp_path: Path, head: str, config: str = "  azureml-infra:prefix: mlops\n") -> Path:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(f"# yaml-language-server: $schema=schemas/stack-config.schema.json\n{head}config:\n{config}")
    return path


CI_CASES = {
    # name: (top-level lines, backend, env, exit status)
    "azblob, no provider lines": ("", "azblob://state", {}, 1),
    "Pulumi Cloud, no provider lines": ("", "", {}, 0),
    "azblob, key vault with its data key": (f"secretsprovider: {KEY_VAULT}\nencryptedkey: a2V5\n",
                                            "azblob://state", {}, 0),
    "azblob, key vault without its data key": (f"secretsprovider: {KEY_VAULT}\n", "azblob://state", {}, 1),
    "azblob, passphrase without a passphrase": ("encryptionsalt: v1:c2FsdA==:v1:abc:def\n", "azblob://state", {}, 1),
    "azblob, passphrase with one": ("encryptionsalt: v1:c2FsdA==:v1:abc:def\n", "azblob://state",
                                    {"PULUMI_CONFIG_PASSPHRASE": "x"}, 0),
}


@pytest.mark.parametrize("case", CI_CASES)
def test_the_pipelines_secrets_check_stops_what_the_cli_could_not_open(tmp_path, capsys, case):
    head, backend, env, status = CI_CASES[case]
    path = _stack_file(tmp_path, head)
    assert stack_secrets.main(["--stack-file", str(path), "--backend", backend], env=env) == status
    if status:
        assert "pulumi stack init dev --secrets-provider=" in capsys.readouterr().err


def test_the_secrets_check_reads_the_backend_as_the_cli_and_the_task_do(tmp_path, capsys):
    path = _stack_file(tmp_path, "")
    assert stack_secrets.main(["--stack-file", str(path)], env={"PULUMI_BACKEND_URL": "azblob://state"}) == 1
    # Azure DevOps: Pulumi@1 logs in to azblob://<container> when AZURE_STORAGE_CONTAINER is set.
    assert stack_secrets.main(["--stack-file", str(path)], env={"AZURE_STORAGE_CONTAINER": "state"}) == 1
    assert stack_secrets.main(["--stack-file", str(path)], env={"PULUMI_ACCESS_TOKEN": "pul-x"}) == 0
    err = capsys.readouterr().err
    assert ("error: Pulumi.dev.yaml has no secretsprovider: and encryptedkey: lines, so with the state in "
            "azblob://state the Pulumi CLI would fall back to a passphrase and stop") in err


def test_the_shipped_stacks_stop_early_on_an_azblob_backend(capsys):
    """What a first run on a fresh azblob backend does until the README's step is followed."""
    assert stack_secrets.main(["--stack", "dev"], env={"PULUMI_BACKEND_URL": "azblob://state"}) == 1
    assert "commit what it writes into Pulumi.dev.yaml" in capsys.readouterr().err


def _first(steps: list[dict], predicate) -> int:
    return next(i for i, step in enumerate(steps) if predicate(step))


def _is_secrets_check(step: dict) -> bool:
    return "pipelines/stack_secrets.py --stack" in (step.get("run") or step.get("script") or "")


def _gha_uses(step: dict, action: str) -> bool:
    return step.get("uses", "").startswith(f"{action}@")


def _jobs_using_pulumi() -> list[tuple[str, list[dict], int]]:
    """(where, steps, index of the first step that signs in or runs the CLI) of every pipeline job."""
    jobs = []
    for path, job in ((GHA, "preview"), (GHA_DEPLOY, "up"), (GHA_DRIFT, "drift")):
        steps = load(path)["jobs"][job]["steps"]
        jobs.append((f"{path.name}:{job}", steps, _first(steps, lambda s: _gha_uses(s, "azure/login"))))
    ado_jobs = [("preview", load(ADO)["stages"][1]["jobs"][0]["steps"]),
                ("deploy", load(ADO_TEMPLATE)["jobs"][0]["strategy"]["runOnce"]["deploy"]["steps"]),
                ("drift", load(ADO_DRIFT)["jobs"][0]["steps"])]
    for where, steps in ado_jobs:
        jobs.append((where, steps, _first(steps, lambda s: "template" in s or s.get("task") == "Pulumi@1")))
    return jobs


def test_every_pipeline_checks_the_secrets_provider_before_it_signs_in():
    for where, steps, first_azure in _jobs_using_pulumi():
        assert _first(steps, _is_secrets_check) < first_azure, where
        assert _first(steps, _is_secrets_check) == 1, where  # right after the checkout


# --- Azure DevOps: shape ---------------------------------------------------------------


def _glob_matches(pattern: str, path: str) -> bool:
    """Azure DevOps and GitHub path filters: ** crosses folders, * and ? do not."""
    regex = "".join(
        ".*" if part == "**" else "[^/]*" if part == "*" else "[^/]" if part == "?" else re.escape(part)
        for part in re.split(r"(\*\*|\*|\?)", pattern)
    )
    return re.fullmatch(regex, path) is not None


def test_the_path_matcher_tells_one_level_from_all():
    """Why the filters use **: azureml_infra/* missed azureml_infra/config/ (issue 19)."""
    assert _glob_matches("azureml_infra/*", "azureml_infra/naming.py")
    assert not _glob_matches("azureml_infra/*", "azureml_infra/config/base.py")
    assert _glob_matches("azureml_infra/**", "azureml_infra/config/rules/network.py")
    assert not _glob_matches("Pulumi.*.yaml", "examples/Pulumi.datastores.yaml")


def test_ado_triggers_on_main_for_infrastructure_files_at_every_depth():
    trigger = load(ADO)["trigger"]
    assert trigger["branches"]["include"] == ["main"]
    patterns = trigger["paths"]["include"]
    for path in INFRA_FILES:
        assert any(_glob_matches(p, path) for p in patterns), path
    for path in NOT_INFRA:
        assert not any(_glob_matches(p, path) for p in patterns), path
    assert not [p for p in patterns if p.endswith("/*")]  # a folder's direct children only


def test_ado_pull_requests_come_from_the_branch_policy():
    """Azure Repos ignores pr:; the build validation policy of main runs the pipeline."""
    assert load(ADO)["pr"] == "none"


def test_both_systems_watch_the_same_files():
    ado = set(load(ADO)["trigger"]["paths"]["include"])
    github = set(_gha_on(load(GHA))["push"]["paths"])
    assert ado == github - {".github/workflows/infra.yml", ".github/workflows/deploy-stack.yml",
                            ".github/workflows/drift.yml"}


def test_ado_stage_order_and_main_only_deploys():
    stages = {s["stage"]: s for s in load(ADO)["stages"]}
    assert list(stages) == ["Validate", "Preview", "Dev", "Test", "Prod"]
    assert [stages[s]["dependsOn"] for s in ("Preview", "Dev", "Test", "Prod")] == [
        "Validate", "Validate", "Dev", "Test"]
    for name in ("Dev", "Test", "Prod"):
        condition = stages[name]["condition"]
        assert condition.startswith("and(succeeded(),"), name  # a failed stage stops the later ones
        assert ON_MAIN in condition, name
        assert "ne(variables['Build.Reason'], 'PullRequest')" in condition, name
        assert stages[name]["jobs"] == [{"template": "templates/deploy-stack.yml",
                                         "parameters": {"stack": name.lower()}}]
    assert "eq(variables['Build.Reason'], 'PullRequest')" in stages["Preview"]["condition"]


def test_ado_validate_runs_lint_tests_plans_and_policy():
    scripts = " ".join(s.get("script", "") for s in load(ADO)["stages"][0]["jobs"][0]["steps"])
    assert "make lint test" in scripts
    assert "for stack in dev test prod" in scripts
    assert "make plan STACK=$stack" in scripts and "make policy STACK=$stack" in scripts


def _ado_variables(path: Path) -> dict[str, str]:
    return {v["name"]: v["value"] for v in load(path)["variables"] if "name" in v}


def _token_then_pulumi(steps: list[dict], connection: str) -> dict:
    """The Pulumi@1 step, checked to follow the token step of the same service connection and to
    get the token file the template writes."""
    pulumi = _first(steps, lambda s: s.get("task") == "Pulumi@1")
    # The path is relative to the file that names it: pipelines/ or pipelines/templates/.
    assert steps[pulumi - 1]["template"] in ("templates/federated-token.yml", "federated-token.yml")
    assert steps[pulumi - 1]["parameters"] == {"serviceConnection": connection}
    task = steps[pulumi]
    assert task["inputs"]["azureSubscription"] == connection
    assert task["env"]["AZURE_FEDERATED_TOKEN_FILE"] == TOKEN_FILE
    return task


def test_ado_preview_runs_pulumi_with_the_policy_pack_the_preview_identity_and_comments():
    preview = load(ADO)["stages"][1]["jobs"][0]
    assert sorted(v["stack"] for v in preview["strategy"]["matrix"].values()) == sorted(STACKS)
    task = _token_then_pulumi(preview["steps"], "$(previewServiceConnection)")
    inputs = task["inputs"]
    assert (inputs["command"], inputs["stack"], inputs["createPrComment"]) == ("preview", "$(stack)", True)
    assert "--policy-pack policy --policy-pack-config policy/config/$(stack).json" in inputs["args"]
    assert task["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
    variables = _ado_variables(ADO)
    assert variables["previewServiceConnection"] != variables["deployServiceConnection"]


def test_ado_deploy_template_is_an_environment_gated_up_then_verify_then_smoke():
    template = load(ADO_TEMPLATE)
    assert template["parameters"][0]["values"] == STACKS
    job = template["jobs"][0]
    assert job["environment"] == "azureml-infra-${{ parameters.stack }}"  # approvals live there
    assert job["pool"] == "${{ parameters.pool }}"  # prod: a self-hosted pool in its network
    assert int(job["timeoutInMinutes"]) >= 120  # up, verify and smoke share the job
    steps = job["strategy"]["runOnce"]["deploy"]["steps"]
    task = _token_then_pulumi(steps, "$(deployServiceConnection)")
    up = steps.index(task)
    assert task["inputs"]["command"] == "up"
    assert "--policy-pack policy --policy-pack-config policy/config/${{ parameters.stack }}.json" in \
        task["inputs"]["args"]
    verify = up + 1
    assert steps[verify]["task"] == "AzureCLI@2"
    assert steps[verify]["inputs"]["inlineScript"] == "make verify STACK=${{ parameters.stack }}"
    assert steps[verify]["inputs"]["azureSubscription"] == "$(deployServiceConnection)"
    # The task renews its az session while the step runs (the federated token lasts minutes).
    assert steps[verify]["inputs"]["keepAzSessionActive"] is True
    # The smoke test right after verify, signed in and configured as verify is (the last step of
    # the deployment job, so the next stage starts only after it passed).
    smoke = verify + 1
    assert len(steps) == smoke + 1
    assert steps[smoke]["task"] == "AzureCLI@2"
    assert steps[smoke]["inputs"] == {**steps[verify]["inputs"],
                                      "inlineScript": "make smoke STACK=${{ parameters.stack }}"}
    assert steps[smoke]["env"] == steps[verify]["env"]
    preflight = template["jobs"][1]["steps"][-1]
    assert preflight["inputs"]["azureSubscription"] == "$(deployServiceConnection)"


def test_ado_token_step_writes_the_file_the_pulumi_steps_read(tmp_path):
    """The inline script of templates/federated-token.yml, as the agent would run it."""
    template = load(ADO_TOKEN)
    step = template["steps"][0]
    assert (step["task"], step["inputs"]["addSpnToEnvironment"]) == ("AzureCLI@2", True)
    script = (step["inputs"]["inlineScript"]
              .replace("$(Agent.TempDirectory)", str(tmp_path))
              .replace("${{ parameters.serviceConnection }}", "azureml-infra-preview"))
    assert TOKEN_FILE.replace("$(Agent.TempDirectory)", str(tmp_path)) == str(tmp_path / "azure-federated-token")
    written = bash(script, {"idToken": "eyJ.token.sig"})
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "azure-federated-token").read_text() == "eyJ.token.sig"
    assert oct((tmp_path / "azure-federated-token").stat().st_mode & 0o777) == "0o600"
    # A service connection with a secret has no idToken: stop, naming it.
    refused_run = bash(script, {})
    assert refused_run.returncode == 1
    assert "azureml-infra-preview is not a workload identity federation service connection" in refused_run.stdout


def test_ado_drift_is_a_nightly_pipeline_of_its_own_with_the_preview_identity():
    drift = load(ADO_DRIFT)
    assert (drift["trigger"], drift["pr"]) == ("none", "none")
    (schedule,) = drift["schedules"]
    assert schedule["branches"]["include"] == ["main"]
    assert schedule["always"] == "true"  # every night, changed or not
    assert len(schedule["cron"].split()) == 5
    job = drift["jobs"][0]
    assert sorted(v["stack"] for v in job["strategy"]["matrix"].values()) == sorted(STACKS)
    task = _token_then_pulumi(job["steps"], "$(previewServiceConnection)")
    assert (task["inputs"]["command"], task["inputs"]["stack"]) == ("preview", "$(stack)")
    assert "createPrComment" not in task["inputs"]
    assert task["inputs"]["args"] == _make_drift_args().replace("$(STACK)", "$(stack)")
    assert _ado_variables(ADO_DRIFT)["previewServiceConnection"] == _ado_variables(ADO)["previewServiceConnection"]
    assert "schedules" not in load(ADO)  # never on the roll-out pipeline


# --- make drift --------------------------------------------------------------------------


def _make_recipe(target: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def _make_drift_args() -> str:
    (command,) = _make_recipe("drift")
    prefix = "pulumi preview --stack $(STACK) "
    assert command.startswith(prefix)
    return command.removeprefix(prefix).replace(" --non-interactive", "")


def test_make_drift_is_a_refresh_preview_that_expects_no_changes_with_the_policy_pack():
    args = _make_drift_args().split()
    assert {"--refresh", "--expect-no-changes", "--diff"} <= set(args)
    assert args[args.index("--policy-pack") + 1] == "policy"
    assert args[args.index("--policy-pack-config") + 1] == "policy/config/$(STACK).json"
    assert "up" not in args and "--yes" not in args  # reads only
    assert (ROOT / "Makefile").read_text().split("\ndrift:", 1)[1].split("\n", 1)[0].strip() == \
        "setup setup-policy"  # the program's venv and the policy pack's


# --- GitHub Actions: shape -------------------------------------------------------------


def _gha_on(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # PyYAML reads the bare key `on` as True


def test_gha_pushes_trigger_on_main_for_infrastructure_files_only():
    on = _gha_on(load(GHA))
    assert on["push"]["branches"] == ["main"]
    patterns = on["push"]["paths"]
    for path in INFRA_FILES:
        assert any(_glob_matches(p, path) for p in patterns), path
    for path in NOT_INFRA:
        assert not any(_glob_matches(p, path) for p in patterns), path


def test_gha_pull_requests_have_no_path_filter():
    """A workflow skipped by paths leaves its required checks pending: the changes job decides."""
    on = _gha_on(load(GHA))
    assert on["pull_request"] == {"branches": ["main"]}
    changes = load(GHA)["jobs"]["changes"]
    assert changes["env"]["INFRA_PATHS"].split() == on["push"]["paths"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


@pytest.mark.parametrize("changed, infra", [
    ("azureml_infra/config/base.py", "true"), ("pipelines/templates/deploy-stack.yml", "true"),
    ("Pulumi.prod.yaml", "true"), ("docs/delivery.md", "false"), ("examples/Pulumi.datastores.yaml", "false"),
])
def test_gha_changes_job_decides_from_the_files_of_the_pull_request(tmp_path, changed, infra):
    """The job's shell, run in a repository whose HEAD is a PR's merge commit over its base."""
    job = load(GHA)["jobs"]["changes"]
    (step,) = [s for s in job["steps"] if s.get("id") == "diff"]
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "README.md").write_text("base\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    (repo / changed).parent.mkdir(parents=True, exist_ok=True)
    (repo / changed).write_text("changed\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "pull request")
    output = tmp_path / "output"
    run = bash(step["run"], {"EVENT": "pull_request", "INFRA_PATHS": job["env"]["INFRA_PATHS"],
                             "GITHUB_OUTPUT": str(output)}, cwd=repo)
    assert run.returncode == 0, run.stderr
    assert output.read_text() == f"infra={infra}\n"
    push = bash(step["run"], {"EVENT": "push", "INFRA_PATHS": "", "GITHUB_OUTPUT": str(output)}, cwd=repo)
    assert push.returncode == 0 and output.read_text().endswith("infra=true\n")


def test_gha_job_chain_and_main_only_deploys():
    jobs = load(GHA)["jobs"]
    assert list(jobs) == ["changes", "checks", "preview", "required", "deploy-dev", "deploy-test", "deploy-prod"]
    assert [jobs[j]["needs"] for j in ("checks", "preview", "deploy-dev", "deploy-test", "deploy-prod")] == [
        "changes", ["changes", "checks"], "checks", "deploy-dev", "deploy-test"]
    for stack in STACKS:
        job = jobs[f"deploy-{stack}"]
        assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
        assert job["uses"] == "./.github/workflows/deploy-stack.yml"
        assert job["with"]["stack"] == stack
        assert job["permissions"]["id-token"] == "write"
        # The reusable workflow declares what it takes: no `secrets: inherit`.
        assert job["secrets"] == {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}
    assert jobs["deploy-prod"]["with"]["runner"] == "${{ vars.PROD_RUNNER || 'ubuntu-latest' }}"
    assert "make lint test" in [s.get("run") for s in jobs["checks"]["steps"]]


@pytest.mark.parametrize("changes, checks, preview, passes", [
    ("success", "success", "success", True),
    ("success", "skipped", "skipped", True),   # no infrastructure file changed
    ("success", "success", "skipped", True),   # a fork: no OIDC token, no preview
    ("success", "success", "failure", False),  # a preview failed (a mandatory policy, say)
    ("success", "success", "cancelled", False),
    ("success", "failure", "skipped", False),  # the checks failed, so the previews never ran
    ("failure", "skipped", "skipped", False),  # could not tell what changed
])
def test_gha_required_check_passes_on_skipped_previews_and_fails_on_failed_ones(changes, checks, preview, passes):
    job = load(GHA)["jobs"]["required"]
    assert job["needs"] == ["changes", "checks", "preview"]
    assert job["if"] == "${{ always() && github.event_name == 'pull_request' }}"
    assert job["env"] == {"CHANGES": "${{ needs.changes.result }}", "CHECKS": "${{ needs.checks.result }}",
                          "PREVIEW": "${{ needs.preview.result }}"}
    run = bash(job["steps"][0]["run"], {"CHANGES": changes, "CHECKS": checks, "PREVIEW": preview})
    assert (run.returncode == 0) is passes, run.stdout


def test_gha_preview_uses_the_read_only_identity_and_the_policy_pack():
    job = load(GHA)["jobs"]["preview"]
    assert job["strategy"]["matrix"]["stack"] == STACKS
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]  # no forks
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert job["env"]["ARM_USE_OIDC"] == "true"
    assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
    steps = job["steps"]
    login = steps[_first(steps, lambda s: _gha_uses(s, "azure/login"))]
    assert login["with"] == {"client-id": "${{ vars.AZURE_PREVIEW_CLIENT_ID }}",
                             "tenant-id": "${{ vars.AZURE_TENANT_ID }}",
                             "subscription-id": "${{ vars.AZURE_SUBSCRIPTION_ID }}"}  # no client secret
    assert "AZURE_CLIENT_ID" not in json.dumps(job)  # the deployer's
    installer = steps[_first(steps, lambda s: _gha_uses(s, "pulumi/actions"))]
    assert installer["with"] == {"pulumi-version": "3.272.0"}  # the CLI only
    preview = next(s for s in steps if s.get("id") == "preview")
    assert preview["shell"] == "bash"  # -eo pipefail: a failed preview fails through tee
    command = " ".join(preview["run"].replace("\\\n", " ").split())
    assert command.startswith('pulumi preview --stack "$STACK" --diff --non-interactive')
    assert '--policy-pack policy --policy-pack-config "policy/config/$STACK.json"' in command
    assert command.endswith('| tee "$RUNNER_TEMP/preview.txt"')


def test_gha_preview_is_posted_whether_it_passed_or_failed():
    steps = load(GHA)["jobs"]["preview"]["steps"]
    post = steps[_first(steps, lambda s: _gha_uses(s, "actions/github-script"))]
    assert post["if"] == ("${{ !cancelled() && (steps.preview.outcome == 'success' || "
                          "steps.preview.outcome == 'failure') }}")
    assert post["env"] == {"OUTCOME": "${{ steps.preview.outcome }}", "OUTPUT_FILE": "${{ runner.temp }}/preview.txt"}
    assert "require('./pipelines/github/preview_comment.js')" in post["with"]["script"]


def _deploy_steps() -> list[dict]:
    return load(GHA_DEPLOY)["jobs"]["up"]["steps"]


def test_gha_deploy_runs_in_the_stack_environment_then_verifies_then_smokes():
    workflow = load(GHA_DEPLOY)
    assert list(_gha_on(workflow)) == ["workflow_call"]
    call = _gha_on(workflow)["workflow_call"]
    assert set(call["secrets"]) == {"PULUMI_ACCESS_TOKEN"}  # declared, not inherited
    assert call["inputs"]["runner"]["default"] == "ubuntu-latest"
    job = workflow["jobs"]["up"]
    assert job["environment"] == "${{ inputs.stack }}"  # required reviewers gate test and prod
    assert job["runs-on"] == "${{ inputs.runner }}"
    assert job["concurrency"] == {"group": "pulumi-${{ inputs.stack }}", "cancel-in-progress": False}
    assert job["env"]["STACK"] == "${{ inputs.stack }}"
    assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}"  # the deployer
    steps = job["steps"]
    runs = [s.get("run", "") for s in steps]
    up = _first(steps, lambda s: s.get("run", "").startswith('pulumi up --stack "$STACK" --yes'))
    verify = runs.index('make verify STACK="$STACK"')
    smoke = runs.index('make smoke STACK="$STACK"')
    assert _first(steps, lambda s: _gha_uses(s, "azure/login")) < runs.index('make preflight STACK="$STACK"') < up
    assert '--policy-pack policy --policy-pack-config "policy/config/$STACK.json"' in steps[up]["run"]
    # A fresh sign-in right before verify and right before smoke (the az session of a federated
    # login cannot renew itself: Azure/azure-cli#28708); smoke is the last step.
    assert up < verify < smoke == len(steps) - 1
    for step in (verify, smoke):
        assert _gha_uses(steps[step - 1], "azure/login")
        assert steps[step - 1]["with"]["client-id"] == "${{ vars.AZURE_CLIENT_ID }}"
        assert "client-secret" not in steps[step - 1]["with"]
        assert set(steps[step]) == {"name", "run"}


def test_gha_drift_is_a_nightly_workflow_of_its_own_with_the_read_only_identity():
    workflow = load(GHA_DRIFT)
    on = _gha_on(workflow)
    assert set(on) == {"schedule", "workflow_dispatch"}
    assert len(on["schedule"][0]["cron"].split()) == 5
    job = workflow["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == STACKS
    assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "issues": "write"}
    # The same group as a roll-out of the stack: a drift preview holds the stack's lock.
    assert job["concurrency"] == {"group": "pulumi-${{ matrix.stack }}", "cancel-in-progress": False}
    steps = job["steps"]
    drift = next(s for s in steps if s.get("id") == "drift")
    assert drift["run"] == 'make drift STACK="$STACK" 2>&1 | tee "$RUNNER_TEMP/drift.txt"'
    assert drift["shell"] == "bash"
    assert _first(steps, lambda s: _gha_uses(s, "azure/login")) < steps.index(drift)
    report = steps[_first(steps, lambda s: _gha_uses(s, "actions/github-script"))]
    assert "steps.drift.outcome == 'failure'" in report["if"]
    assert "require('./pipelines/github/drift_issue.js')" in report["with"]["script"]
    assert "schedule" not in _gha_on(load(GHA))  # never on the roll-out workflow


# --- GitHub Actions: pinned actions, injection, credentials ------------------------------


def _uses_lines() -> list[tuple[str, str, str]]:
    found = []
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            match = USES.match(line)
            if match:
                found.append((path.name, match.group(1), match.group(2) or ""))
    return found


def test_every_action_is_pinned_to_the_commit_of_a_checked_release():
    uses = _uses_lines()
    assert {ref.split("@")[0] for _, ref, _ in uses if not ref.startswith("./")} == set(PINNED)
    for where, ref, comment in uses:
        if ref.startswith("./"):
            continue  # this repository's reusable workflow, at the caller's commit
        action, _, sha = ref.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", sha), (where, ref)
        assert (sha, comment) == (PINNED[action][0], f"# {PINNED[action][1]}"), (where, ref)


def test_no_expression_is_expanded_into_a_shell_script():
    """Inputs, matrix values and contexts reach run: through env: only (zizmor: template-injection)."""
    for path in WORKFLOWS:
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in step.get("run", ""), (path.name, step.get("name"))
                assert "${{" not in step.get("with", {}).get("script", ""), (path.name, step.get("name"))


def test_checkouts_keep_no_credentials_and_nothing_inherits_secrets():
    for path in WORKFLOWS:
        assert "secrets: inherit" not in path.read_text(), path.name
        for job in load(path)["jobs"].values():
            for step in job.get("steps", []):
                if _gha_uses(step, "actions/checkout"):
                    assert step["with"]["persist-credentials"] is False, path.name


def test_workflows_grant_nothing_by_default():
    for path in WORKFLOWS:
        assert load(path)["permissions"] == {}, path.name


ZIZMOR = Path(sys.executable).parent / "zizmor"


def test_zizmor_finds_nothing_at_medium_severity_and_above():
    """What `make lint` runs (requirements-dev.txt installs zizmor into the program's venv)."""
    result = subprocess.run([str(ZIZMOR), "--offline", "--min-severity", "medium", *map(str, WORKFLOWS)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_catches_an_unpinned_action_and_an_expanded_input(tmp_path):
    bad = tmp_path / "deploy-stack.yml"
    text = GHA_DEPLOY.read_text()
    text = text.replace("azure/login@f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca # v3.0.1", "azure/login@v3", 1)
    text = text.replace('run: make verify STACK="$STACK"', "run: make verify STACK=${{ inputs.stack }}", 1)
    bad.write_text(text)
    result = subprocess.run([str(ZIZMOR), "--offline", "--min-severity", "medium", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout and "template-injection" in result.stdout


# --- the GitHub scripts (pipelines/github/*.js), under node with a fake client -----------

NODE = shutil.which("node")
FAKE_GITHUB = """
const calls = [];
const state = JSON.parse(process.env.FAKE_STATE);
const github = {
  paginate: async (fn, args) => fn(args),
  rest: {
    issues: {
      listComments: async () => state.comments,
      listForRepo: async () => state.issues,
      createComment: async (a) => { calls.push(['createComment', a]); return {data: {id: 99}}; },
      updateComment: async (a) => { calls.push(['updateComment', a]); },
      create: async (a) => { calls.push(['create', a]); return {data: {number: 7}}; },
      update: async (a) => { calls.push(['update', a]); },
    },
  },
};
const summary = {text: '', addRaw(t) { this.text += t; return this; },
                 addHeading(t) { this.text += t + '\\n'; return this; }, async write() {}};
const core = {summary, failed: null, setFailed(m) { this.failed = m; }};
const context = {repo: {owner: 'o', repo: 'r'}, serverUrl: 'https://github.com', runId: 42, sha: 'abc',
                 payload: state.payload};
require(process.env.SCRIPT)({github, context, core}).then((result) => {
  console.log(JSON.stringify({result, calls, summary: summary.text, failed: core.failed}));
});
"""


def run_script(tmp_path: Path, script: str, outcome: str, output: str, state: dict) -> dict:
    if NODE is None:
        pytest.fail("node is needed to run the GitHub scripts")
    (tmp_path / "out.txt").write_text(output)
    (tmp_path / "fake.js").write_text(FAKE_GITHUB)
    env = {"PATH": os.environ["PATH"], "STACK": "prod", "OUTCOME": outcome, "OUTPUT_FILE": str(tmp_path / "out.txt"),
           "SCRIPT": str(ROOT / "pipelines" / "github" / script), "FAKE_STATE": json.dumps(state)}
    run = subprocess.run([NODE, str(tmp_path / "fake.js")], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


PR = {"pull_request": {"number": 5, "head": {"sha": "headsha"}}}
POLICY_FAILURE = ("Previewing update (prod):\n~ azure-native:storage:StorageAccount st update\n"
                  "Policies:\n    [mandatory]  prod-dependencies-private\n error: preview failed\n")


def test_a_failed_preview_is_posted_on_the_pull_request_with_its_policy_findings(tmp_path):
    done = run_script(tmp_path, "preview_comment.js", "failure", POLICY_FAILURE, {"comments": [], "payload": PR})
    ((call, args),) = done["calls"]
    assert call == "createComment" and args["issue_number"] == 5
    assert args["body"].startswith("<!-- azureml-infra: pulumi preview prod -->")
    assert "FAILED" in args["body"] and "[mandatory]  prod-dependencies-private" in args["body"]
    assert done["summary"] == args["body"]


def test_a_later_preview_edits_the_stacks_comment(tmp_path):
    mine = {"id": 11, "user": {"type": "Bot"}, "body": "<!-- azureml-infra: pulumi preview prod -->\nold"}
    other = {"id": 12, "user": {"type": "Bot"}, "body": "<!-- azureml-infra: pulumi preview dev -->\nold"}
    done = run_script(tmp_path, "preview_comment.js", "success", "Resources:\n    12 unchanged\n",
                      {"comments": [other, mine], "payload": PR})
    ((call, args),) = done["calls"]
    assert call == "updateComment" and args["comment_id"] == 11
    assert "passed" in args["body"] and "12 unchanged" in args["body"]


def test_a_long_preview_keeps_its_start_and_its_end_within_githubs_limit(tmp_path):
    output = "DIFF-START\n" + "x" * 200_000 + "\nPOLICY-FINDINGS-AT-THE-END\n"
    done = run_script(tmp_path, "preview_comment.js", "failure", output, {"comments": [], "payload": PR})
    body = done["calls"][0][1]["body"]
    assert len(body) < 65_536
    assert "DIFF-START" in body and "POLICY-FINDINGS-AT-THE-END" in body and "characters cut here" in body


def test_drift_opens_an_issue_then_updates_it_then_closes_it(tmp_path):
    opened = run_script(tmp_path, "drift_issue.js", "failure", "~ tags changed in the portal\n",
                        {"issues": [], "payload": {}})
    ((call, args),) = opened["calls"]
    assert call == "create" and args["title"] == "Drift in stack prod"
    assert "tags changed in the portal" in args["body"] and opened["failed"]
    existing = {"number": 7, "body": args["body"]}
    a_pr = {"number": 8, "pull_request": {}, "body": args["body"]}
    updated = run_script(tmp_path, "drift_issue.js", "failure", "~ still different\n",
                         {"issues": [a_pr, existing], "payload": {}})
    assert [c for c, _ in updated["calls"]] == ["update", "createComment"]
    assert updated["calls"][0][1]["issue_number"] == 7 and "still different" in updated["calls"][0][1]["body"]
    closed = run_script(tmp_path, "drift_issue.js", "success", "no changes\n", {"issues": [existing], "payload": {}})
    assert [c for c, _ in closed["calls"]] == ["createComment", "update"]
    assert closed["calls"][1][1] == {"owner": "o", "repo": "r", "issue_number": 7, "state": "closed"}
    assert "no drift" in closed["summary"]
    quiet = run_script(tmp_path, "drift_issue.js", "success", "no changes\n", {"issues": [], "payload": {}})
    assert quiet["calls"] == [] and quiet["failed"] is None


# --- both ------------------------------------------------------------------------------


def test_every_deployed_stack_has_a_policy_config_and_a_stack_file():
    for stack in STACKS:
        assert (ROOT / "policy" / "config" / f"{stack}.json").exists()
        assert (ROOT / f"Pulumi.{stack}.yaml").exists()


def test_no_pipeline_uses_the_key_vault_variable_that_does_nothing():
    """gocloud.dev stopped reading AZURE_KEYVAULT_AUTH_VIA_CLI (google/go-cloud #3202)."""
    for path in [*WORKFLOWS, ADO, ADO_TEMPLATE, ADO_TOKEN, ADO_DRIFT]:
        assert "AZURE_KEYVAULT_AUTH_VIA_CLI:" not in path.read_text(), path.name


def test_no_pipeline_reads_a_storage_account_key():
    """The identities sign in to the state container; a key would bypass the read-only preview."""
    for path in [*WORKFLOWS, ADO, ADO_TEMPLATE, ADO_DRIFT]:
        assert "AZURE_STORAGE_KEY" not in path.read_text(), path.name


def test_the_globs_agree_with_fnmatch_where_fnmatch_is_right():
    for path in INFRA_FILES + NOT_INFRA:
        if "/" not in path:
            for pattern in ("Pulumi.*.yaml", "requirements*.txt", "Makefile"):
                assert _glob_matches(pattern, path) == fnmatch.fnmatch(path, pattern)
