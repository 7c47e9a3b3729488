"""Outside prod an instance stops by idling or on a schedule; the stack's cost ceiling stays within
its budget (advisory everywhere), on its own and through the CrossGuard wrapper."""

from __future__ import annotations

import rules
from compliant import CLUSTER, INSTANCE, good
from pulumi_policy import PolicyResource, PolicyResourceOptions, StackValidationArgs

from azureml_infra.pricing import load_snapshot

T_COMPUTE = rules.ML_COMPUTE
URN = "urn:pulumi:{stack}::azureml-infra::azureml-infra:workspace:MachineLearningWorkspace${type}::{name}"
STOP = {"action": "Stop", "triggerType": "Cron", "status": "Enabled",
        "cron": {"expression": "0 19 * * 1-5", "timeZone": "W. Europe Standard Time"}}


def scale_check(props: dict) -> list[str]:
    return rules.BY_NAME["compute-scales-to-zero"].violations(T_COMPUTE, props, False)


def test_an_instance_idling_a_day_passes_with_a_stop_schedule():
    props = good(INSTANCE, properties__properties__idleTimeBeforeShutdown="P1D",
                 properties__properties__schedules={"computeStartStop": [STOP]})
    assert scale_check(props) == []


def test_a_disabled_or_start_only_schedule_does_not_stop_an_instance():
    for schedule in ({**STOP, "status": "Disabled"}, {**STOP, "action": "Start"}):
        props = good(INSTANCE, properties__properties__idleTimeBeforeShutdown=None,
                     properties__properties__schedules={"computeStartStop": [schedule]})
        assert scale_check(props) == [
            "idleTimeBeforeShutdown is not set and no Stop schedule: outside prod a compute instance must shut down "
            "within 2 hours of idling or stop on a schedule; set idleTimeBeforeShutdown: PT2H or less, or add a "
            "Stop schedule (computeInstances[].schedules)"
        ]


# --- cost-within-budget ---------------------------------------------------------------------------


def stack(*resources: tuple[str, str, dict], stack_name: str = "dev") -> list[rules.StackResource]:
    return [rules.StackResource(URN.format(stack=stack_name, type=t, name=n), t, n, p, {}) for t, n, p in resources]


def cluster(nodes: int) -> tuple[str, str, dict]:
    props = good(CLUSTER, properties__properties__scaleSettings__maxNodeCount=float(nodes))
    return T_COMPUTE, "cpu-cluster", {**props, "location": "westeurope"}


def budget(amount: float) -> tuple[str, str, dict]:
    return rules.BUDGET, "budget", {"budgetName": "budget-mlops-dev", "amount": amount, "timeGrain": "Monthly"}


def ceiling(nodes: int) -> float:
    """A STANDARD_D3_V2 cluster's line, from the committed snapshot (the rule reads the same one)."""
    price = load_snapshot().find("vm", "westeurope", "STANDARD_D3_V2/Dedicated")
    assert price is not None
    return round(nodes * 730 * price.unit_price, 2)


def budget_check(resources: list[rules.StackResource]) -> list[tuple[str, str]]:
    return [(r.name, message) for r, message in rules.BY_NAME["cost-within-budget"].violations(resources)]


def test_a_ceiling_above_the_budget_is_reported_on_the_budget():
    assert budget_check(stack(cluster(4), budget(500))) == [(
        "budget",
        f"the monthly cost ceiling, {ceiling(4):,.2f} USD at the prices of {load_snapshot().date}, is above this "
        "budget's amount, 500.00: lower maxNodes, VM sizes or instance hours, or raise azureml-infra:budget.amount "
        "(docs/cost.md)",
    )]


def test_a_ceiling_within_the_budget_or_no_budget_passes():
    assert budget_check(stack(cluster(1), budget(ceiling(1)))) == []
    assert budget_check(stack(cluster(40))) == []


def test_an_unknown_price_makes_the_ceiling_incomplete():
    gpu = good(CLUSTER, properties__properties__vmSize="Standard_ND96isr_H100_v5")
    (_, message), = budget_check(stack(cluster(4), (T_COMPUTE, "gpu", {**gpu, "location": "westeurope"}), budget(5)))
    assert message.startswith(f"the monthly cost ceiling, {ceiling(4):,.2f} USD (and more: some prices are unknown) at")


def test_the_budget_rule_is_advisory_everywhere():
    rule = rules.BY_NAME["cost-within-budget"]
    assert [rule.level_in(env) for env in ("dev", "test", "prod")] == ["advisory"] * 3
    assert rules.pack_config("prod")["cost-within-budget"]["enforcementLevel"] == "advisory"


def test_the_wrapper_reports_the_budget_by_urn():
    policy = next(p for p in rules.policies() if p.name == "cost-within-budget")
    resources = stack(cluster(4), budget(500), stack_name="prod")
    opts = PolicyResourceOptions(False, [], None, [], None, [], None)
    args = StackValidationArgs(
        [PolicyResource(r.type, r.props, r.urn, r.name, opts, None, None, [], {}) for r in resources], None)
    reported: list[tuple[str, str]] = []
    policy.validate(args, lambda message, urn=None: reported.append((urn, message)))
    assert [urn for urn, _ in reported] == [resources[1].urn]
