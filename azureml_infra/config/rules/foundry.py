"""Rules of ``foundry`` across sections: local authentication where the policy pack allows it, and
the managed network's rule name this stack takes for the Foundry account."""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig
from azureml_infra.naming import outbound_rule_name

# The policy pack's rules only advise in this environment and are mandatory in every other one
# (policy/rules.py, "Environments"); foundry-local-auth-off is one of them (a test holds the two
# to the same environments).
ADVISORY_ENVIRONMENT = "dev"

# The managed network's private endpoint rule to the Foundry account (azureml_infra.resolve_foundry).
FOUNDRY_RULE = outbound_rule_name("foundry", "account")


def _local_auth_where_the_policy_allows_it(config: StackConfig) -> Iterable[Problem]:
    foundry = config.foundry
    if foundry is None or foundry.create is None or not foundry.create.local_auth:
        return
    if config.environment != ADVISORY_ENVIRONMENT:
        yield Problem.at(
            "foundry.create.localAuth",
            f"true is refused in environment '{config.environment}': the policy pack's foundry-local-auth-off rule "
            f"is mandatory there (it only advises in {ADVISORY_ENVIRONMENT}), as keys bypass Entra ID and every role; "
            "remove localAuth and call the deployments with Entra ID (docs/foundry.md, Roles)",
        )


def _rule_name_left_for_the_account(config: StackConfig) -> Iterable[Problem]:
    if config.foundry is None or not config.network.managed:
        return
    for index, rule in enumerate(config.network.outbound_rules):
        if rule.name.lower() == FOUNDRY_RULE:
            yield Problem.at(
                f"network.outboundRules[{index}].name",
                f"'{rule.name}' is the name of the rule this stack adds for the Foundry account's private endpoint "
                "in the managed network; choose another name",
            )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [_local_auth_where_the_policy_allows_it, _rule_name_left_for_the_account]
