"""The delivery pipelines and the project file: valid against their published schemas, and shaped
as the roll-out needs (stage order, main-only deploys, approvals, path filters, preview on PRs).

Schemas: check-jsonschema's vendored Azure Pipelines and GitHub workflow schemas, and the
Pulumi project schema copied into schemas/ (CI has no writable shared/). The vendored Azure
Pipelines schema knows in-box tasks only, so the Pulumi@1 marketplace task is added to it from
schemas/azure-pipelines-pulumi-task.json before validating.
"""

from __future__ import annotations

import importlib.util
import json
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
GHA = ROOT / ".github" / "workflows" / "infra.yml"
GHA_DEPLOY = ROOT / ".github" / "workflows" / "deploy-stack.yml"
STACKS = ["dev", "test", "prod"]
ON_MAIN = "eq(variables['Build.SourceBranch'], 'refs/heads/main')"
# Infrastructure files that must trigger the pipelines; ML code must not.
INFRA_FILES = ["__main__.py", "Pulumi.yaml", "Pulumi.prod.yaml", "azureml_infra/naming.py",
               "components/workspace.py", "policy/rules.py", "requirements.txt"]
NOT_INFRA = ["src/train.py", "notebooks/explore.ipynb", "docs/delivery.md", "README.md"]


def check_jsonschema(*args: str):
    # Python regexes: the vendored Azure Pipelines schema has patterns that check-jsonschema's
    # default ECMA-262 engine refuses to compile ("Invalid character escape").
    return check_jsonschema_cli("--regex-variant", "python", *args)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


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


def test_azure_pipeline_files_validate(ado_schema):
    result = check_jsonschema("--schemafile", str(ado_schema), str(ADO), str(ADO_TEMPLATE))
    assert result.exit_code == 0, result.output


def test_the_vendored_azure_schema_alone_rejects_the_pulumi_task(tmp_path):
    """Why the schema is extended: a marketplace task is unknown to the published schema."""
    step = tmp_path / "step.yml"
    step.write_text("steps:\n  - task: Pulumi@1\n    inputs:\n      command: up\n      stack: dev\n")
    assert refused(check_jsonschema("--builtin-schema", "vendor.azure-pipelines", str(step)))


MISTAKES = {
    "unknown top-level key": ("stages:", "stagez:"),
    "misspelled Pulumi@1 input": ("createPrComment: true", "createPRComment: true"),
    "not a Pulumi command": ("command: preview", "command: previewz"),
}


@pytest.fixture(scope="module")
def mistakes_checked(ado_schema, tmp_path_factory):
    """Each mistake in a copy of the pipeline of its own, all checked in one call (loading the
    schema is most of a call's time): the copies and the result."""
    folder, text = tmp_path_factory.mktemp("mistakes"), ADO.read_text()
    copies = {}
    for index, (name, (good, bad)) in enumerate(MISTAKES.items()):
        assert good in text, name
        copies[name] = folder / f"azure-pipelines-{index}.yml"
        copies[name].write_text(text.replace(good, bad, 1))
    return copies, check_jsonschema("--schemafile", str(ado_schema), *map(str, copies.values()))


@pytest.mark.parametrize("mistake", MISTAKES)
def test_azure_schema_catches_mistakes(mistakes_checked, mistake):
    copies, result = mistakes_checked
    assert refused(result)
    assert f"{copies[mistake]}::" in result.output  # how check-jsonschema names a file with errors


def test_github_workflows_validate():
    result = check_jsonschema("--builtin-schema", "vendor.github-workflows", str(GHA), str(GHA_DEPLOY))
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


# --- Azure DevOps: shape ---------------------------------------------------------------


def _ado_path_matches(pattern: str, path: str) -> bool:
    # Azure DevOps path filters: a prefix, or a wildcard pattern.
    import fnmatch

    return fnmatch.fnmatch(path, pattern) or path.startswith(pattern.rstrip("*"))


def test_ado_triggers_on_main_and_prs_for_infrastructure_files_only():
    pipeline = load(ADO)
    for key in ("trigger", "pr"):
        assert pipeline[key]["branches"]["include"] == ["main"]
        patterns = pipeline[key]["paths"]["include"]
        for path in INFRA_FILES:
            assert any(_ado_path_matches(p, path) for p in patterns), (key, path)
        for path in NOT_INFRA:
            assert not any(_ado_path_matches(p, path) for p in patterns), (key, path)
    assert pipeline["trigger"]["paths"] == pipeline["pr"]["paths"]


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


def test_ado_preview_runs_pulumi_with_the_policy_pack_and_comments_on_the_pr():
    preview = load(ADO)["stages"][1]["jobs"][0]
    assert sorted(v["stack"] for v in preview["strategy"]["matrix"].values()) == sorted(STACKS)
    task = next(s for s in preview["steps"] if s.get("task") == "Pulumi@1")
    inputs = task["inputs"]
    assert (inputs["command"], inputs["stack"], inputs["createPrComment"]) == ("preview", "$(stack)", True)
    assert "--policy-pack policy --policy-pack-config policy/config/$(stack).json" in inputs["args"]
    assert inputs["azureSubscription"] == "$(serviceConnection)"
    assert task["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"


def test_ado_deploy_template_is_an_environment_gated_up_then_verify_then_smoke():
    template = load(ADO_TEMPLATE)
    assert template["parameters"][0]["values"] == STACKS
    job = template["jobs"][0]
    assert job["environment"] == "azureml-infra-${{ parameters.stack }}"  # approvals live there
    steps = job["strategy"]["runOnce"]["deploy"]["steps"]
    names = [s.get("task") or s.get("script") or s.get("checkout") for s in steps]
    up = names.index("Pulumi@1")
    verify = names.index("AzureCLI@2")
    assert up < verify
    assert steps[up]["inputs"]["command"] == "up"
    assert "--policy-pack policy --policy-pack-config policy/config/${{ parameters.stack }}.json" in \
        steps[up]["inputs"]["args"]
    assert steps[verify]["inputs"]["inlineScript"] == "make verify STACK=${{ parameters.stack }}"
    assert steps[verify]["inputs"]["azureSubscription"] == "$(serviceConnection)"
    # The smoke test right after verify, signed in and configured as verify is (the last step of
    # the deployment job, so the next stage starts only after it passed).
    smoke = verify + 1
    assert len(steps) == smoke + 1
    assert steps[smoke]["task"] == "AzureCLI@2"
    assert steps[smoke]["inputs"] == {**steps[verify]["inputs"],
                                      "inlineScript": "make smoke STACK=${{ parameters.stack }}"}
    assert steps[smoke]["env"] == steps[verify]["env"]


# --- GitHub Actions: shape -------------------------------------------------------------


def _gha_on(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # PyYAML reads the bare key `on` as True


def test_gha_triggers_on_main_and_prs_for_infrastructure_files_only():
    import fnmatch

    on = _gha_on(load(GHA))
    for event in ("push", "pull_request"):
        assert on[event]["branches"] == ["main"]
        patterns = on[event]["paths"]
        # GitHub globs: ** crosses folders, * does not; fnmatch's * crosses both, fine for these.
        for path in INFRA_FILES:
            assert any(fnmatch.fnmatch(path, p) for p in patterns), (event, path)
        for path in NOT_INFRA:
            assert not any(fnmatch.fnmatch(path, p) for p in patterns), (event, path)
    assert on["push"]["paths"] == on["pull_request"]["paths"]


def test_gha_job_chain_and_main_only_deploys():
    jobs = load(GHA)["jobs"]
    assert list(jobs) == ["checks", "preview", "deploy-dev", "deploy-test", "deploy-prod"]
    assert [jobs[j]["needs"] for j in ("preview", "deploy-dev", "deploy-test", "deploy-prod")] == [
        "checks", "checks", "deploy-dev", "deploy-test"]
    for stack in STACKS:
        job = jobs[f"deploy-{stack}"]
        assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
        assert job["uses"] == "./.github/workflows/deploy-stack.yml"
        assert job["with"] == {"stack": stack}
        assert job["permissions"]["id-token"] == "write"
    assert "make lint test" in [s.get("run") for s in jobs["checks"]["steps"]]


def test_gha_preview_uses_oidc_and_the_policy_pack_and_comments():
    job = load(GHA)["jobs"]["preview"]
    assert job["strategy"]["matrix"]["stack"] == STACKS
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert job["env"]["ARM_USE_OIDC"] == "true"
    login = next(s for s in job["steps"] if s.get("uses", "").startswith("azure/login@"))
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}  # no client secret
    pulumi = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["policyPackConfigs"] == "policy/config/${{ matrix.stack }}.json"


def test_gha_deploy_runs_in_the_stack_environment_then_verifies_then_smokes():
    workflow = load(GHA_DEPLOY)
    assert list(_gha_on(workflow)) == ["workflow_call"]
    job = workflow["jobs"]["up"]
    assert job["environment"] == "${{ inputs.stack }}"  # required reviewers gate test and prod
    assert job["env"]["ARM_USE_OIDC"] == "true"
    uses = [s.get("uses", s.get("run", "")) for s in job["steps"]]
    login = next(i for i, u in enumerate(uses) if u.startswith("azure/login@"))
    up = next(i for i, u in enumerate(uses) if u.startswith("pulumi/actions@"))
    verify = uses.index("make verify STACK=${{ inputs.stack }}")
    assert login < up < verify
    # The smoke test right after verify, the last step: in the same azure/login session and job
    # env (no env or with of its own), so the next stack's job starts only after it passed.
    smoke = uses.index("make smoke STACK=${{ inputs.stack }}")
    assert smoke == verify + 1 == len(uses) - 1
    assert set(job["steps"][smoke]) == set(job["steps"][verify]) == {"name", "run"}
    assert job["steps"][up]["with"]["command"] == "up"
    assert job["steps"][up]["with"]["policyPackConfigs"] == "policy/config/${{ inputs.stack }}.json"
    assert "client-secret" not in job["steps"][login]["with"]


def test_every_deployed_stack_has_a_policy_config_and_a_stack_file():
    for stack in STACKS:
        assert (ROOT / "policy" / "config" / f"{stack}.json").exists()
        assert (ROOT / f"Pulumi.{stack}.yaml").exists()
