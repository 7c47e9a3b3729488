"""The Foundry rules: local (key) authentication off on every account (mandatory in test and prod,
advisory in dev), public network access off in prod; on their own and through the CrossGuard
wrapper, and the prod lock and protect rules covering the account through facts."""

from __future__ import annotations

import copy

import pytest
import rules
from compliant import FOUNDRY_ACCOUNT as PRIVATE_ACCOUNT
from pulumi_policy import PolicyResourceOptions, ResourceValidationArgs

ACCOUNT = "azure-native:cognitiveservices:Account"
URN = "urn:pulumi:{stack}::azureml-infra::azureml-infra:foundry:Foundry${type}::foundry-account"

LOCAL_AUTH = ("properties.disableLocalAuth is {}: the account's keys would let anyone holding one call every model, "
              "past Entra ID and its roles; remove azureml-infra:foundry.create.localAuth (docs/foundry.md)")
PUBLIC = ("properties.publicNetworkAccess is {}: in prod the Foundry account must be reached through its private "
          "endpoint only; set azureml-infra:network.privateEndpoints")


def account(**properties) -> dict:
    props = copy.deepcopy(PRIVATE_ACCOUNT)
    for key, value in properties.items():
        if value is None:
            props["properties"].pop(key)
        else:
            props["properties"][key] = value
    return props


def check(rule: str, props: dict, resource_type: str = ACCOUNT) -> list[str]:
    return rules.BY_NAME[rule].violations(resource_type, props, True)


def test_the_private_account_passes_both():
    assert check("foundry-local-auth-off", PRIVATE_ACCOUNT) == []
    assert check("prod-foundry-private", PRIVATE_ACCOUNT) == []


def test_local_auth_on_or_left_to_azure_is_a_violation():
    assert check("foundry-local-auth-off", account(disableLocalAuth=False)) == [LOCAL_AUTH.format("false")]
    # Azure's default keeps the keys: not setting it is no better.
    assert check("foundry-local-auth-off", account(disableLocalAuth=None)) == [LOCAL_AUTH.format("not set")]
    assert check("foundry-local-auth-off", account(disableLocalAuth="output<string>")) == []


def test_public_access_in_prod_is_a_violation():
    assert check("prod-foundry-private", account(publicNetworkAccess="Enabled")) == [PUBLIC.format("Enabled")]
    assert check("prod-foundry-private", account(publicNetworkAccess=None)) == [PUBLIC.format("not set (Enabled)")]


def test_other_types_are_not_the_rules_business():
    storage = {"properties": {"disableLocalAuth": False, "publicNetworkAccess": "Enabled"}}
    assert check("foundry-local-auth-off", storage, "azure-native:storage:StorageAccount") == []
    assert check("prod-foundry-private", storage, "azure-native:storage:StorageAccount") == []


@pytest.mark.parametrize("environment,local_auth,private", [
    ("dev", rules.ADVISORY, rules.DISABLED),
    ("test", rules.MANDATORY, rules.DISABLED),
    ("prod", rules.MANDATORY, rules.MANDATORY),
    ("staging", rules.MANDATORY, rules.DISABLED),  # an unknown environment: the strict treatment
])
def test_levels_mandatory_in_test_and_prod(environment, local_auth, private):
    assert rules.BY_NAME["foundry-local-auth-off"].level_in(environment) == local_auth
    assert rules.BY_NAME["prod-foundry-private"].level_in(environment) == private


def validate(policy_name: str, props: dict, stack: str) -> list[str]:
    policy = next(p for p in rules.policies() if p.name == policy_name)
    opts = PolicyResourceOptions(True, [], None, [], None, [], None)
    args = ResourceValidationArgs(ACCOUNT, props, URN.format(stack=stack, type=ACCOUNT), "foundry-account", opts, None, {})
    reported: list[str] = []
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_the_wrapper_reports_in_every_environment_and_prod_only_where_it_applies():
    keys = account(disableLocalAuth=False, publicNetworkAccess="Enabled")
    assert validate("foundry-local-auth-off", keys, "dev") == [LOCAL_AUTH.format("false")]
    assert validate("prod-foundry-private", keys, "dev") == []
    assert validate("prod-foundry-private", keys, "prod") == [PUBLIC.format("Enabled")]


def test_the_account_is_stateful_and_locked_for_the_prod_rules():
    assert ACCOUNT in rules.STATEFUL_TYPES and ACCOUNT in rules.LOCKED_TYPES
    assert check("prod-protect-stateful", PRIVATE_ACCOUNT) == []
    assert rules.BY_NAME["prod-protect-stateful"].violations(ACCOUNT, PRIVATE_ACCOUNT, False) == [
        "protect is false: in prod a resource holding data, secrets or history must be protected from deletion and "
        "replacement; set azureml-infra:protect: true"]
