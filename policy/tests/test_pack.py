"""The CrossGuard wrappers, called the way the analyzer calls them, and the per-stack config files."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
import rules
import yaml
from compliant import CLUSTER, STORAGE, VAULT, WORKSPACE, good
from pulumi_policy import EnforcementLevel, PolicyResourceOptions, ResourceValidationArgs

POLICY_DIR = Path(__file__).resolve().parent.parent
URN = "urn:pulumi:{stack}::azureml-infra::azureml-infra:workspace:MachineLearningWorkspace${type}::{name}"


def validate(policy_name: str, resource_type: str, props: dict, stack: str = "prod", protect: bool = False,
             config: dict | None = None) -> list[str]:
    """Run one wrapped policy on a resource as the analyzer would; return the reported messages."""
    policy = next(p for p in rules.policies() if p.name == policy_name)
    opts = PolicyResourceOptions(protect, [], None, [], None, [], None)
    args = ResourceValidationArgs(resource_type, props, URN.format(stack=stack, type=resource_type, name="r"),
                                  "r", opts, None, config)
    reported: list[str] = []
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_every_rule_is_a_policy_with_its_default_level():
    policies = rules.policies()
    assert [p.name for p in policies] == [r.name for r in (*rules.RULES, *rules.STACK_RULES)]
    levels = {p.name: p.enforcement_level for p in policies}
    assert levels["storage-secure-transfer"] == EnforcementLevel.MANDATORY
    assert levels["prod-workspace-private"] == EnforcementLevel.MANDATORY


def test_wrapper_reports_the_rule_message():
    assert validate("storage-secure-transfer", rules.STORAGE, good(STORAGE, allowBlobPublicAccess=True)) == [
        "allowBlobPublicAccess is true: anonymous read access to blobs must stay off; set false"
    ]


def test_wrapper_passes_a_compliant_resource():
    assert validate("storage-secure-transfer", rules.STORAGE, STORAGE) == []


def test_wrapper_reads_protect_from_the_resource_options():
    assert validate("prod-protect-stateful", rules.ML_WORKSPACE, WORKSPACE, protect=True) == []
    assert len(validate("prod-protect-stateful", rules.ML_WORKSPACE, WORKSPACE, protect=False)) == 1


def test_wrapper_takes_the_environment_from_the_stack_in_the_urn():
    no_purge = good(VAULT, properties__enablePurgeProtection=None)
    assert validate("keyvault-purge-protection", rules.VAULT, no_purge, stack="dev") == []
    assert len(validate("keyvault-purge-protection", rules.VAULT, no_purge, stack="test")) == 1


def test_wrapper_prefers_the_environment_in_the_policy_config():
    always_on = good(CLUSTER, properties__properties__scaleSettings={"minNodeCount": 2.0})
    # A stack named "ml-prod" is not "prod" by name; the config file says it is.
    assert len(validate("compute-scales-to-zero", rules.ML_COMPUTE, always_on, stack="ml-prod")) == 1
    assert validate("compute-scales-to-zero", rules.ML_COMPUTE, always_on, stack="ml-prod",
                    config={"environment": "prod"}) == []


def test_importing_rules_does_not_load_the_policy_sdk():
    code = "import sys, rules; print('pulumi_policy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=POLICY_DIR, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("stack", ["dev", "test", "prod"])
def test_config_file_is_current(stack):
    """The --policy-pack-config file a pipeline passes for a stack is what pack_config generates."""
    from write_config import stack_encrypted

    path = POLICY_DIR / "config" / f"{stack}.json"
    assert json.loads(path.read_text()) == rules.pack_config(stack, stack_encrypted(stack)), (
        f"regenerate with: .venv-policy/bin/python policy/write_config.py {stack}")


def test_prod_config_makes_the_private_network_rules_mandatory():
    config = json.loads((POLICY_DIR / "config" / "prod.json").read_text())
    assert config["prod-workspace-private"] == {"enforcementLevel": "mandatory", "environment": "prod"}
    assert config["prod-dependencies-private"] == {"enforcementLevel": "mandatory", "environment": "prod"}
    assert config["prod-protect-stateful"]["enforcementLevel"] == "mandatory"
    assert config["compute-scales-to-zero"]["enforcementLevel"] == "disabled"


def test_main_builds_the_pack_from_rules_without_being_imported():
    tree = ast.parse((POLICY_DIR / "__main__.py").read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "PolicyPack"]
    assert len(calls) == 1
    keywords = {k.arg: k.value for k in calls[0].keywords}
    assert ast.unparse(keywords["policies"]) == "policies()"


def test_policy_project_file_points_at_the_policy_venv():
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    venv = (POLICY_DIR / project["runtime"]["options"]["virtualenv"]).resolve()
    assert venv == POLICY_DIR.parent / ".venv-policy"
