"""The budget component and a compute instance's schedules, each built alone from a hand-made spec
(tools.harness.run_component): the inputs the engine receives, and how a schedule change deploys."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from azureml_infra.deployment import BudgetNotificationSpec, BudgetSpec, InstanceSpec, ScheduleSpec
from components.budget import Budget, BudgetArgs
from components.compute import SCHEDULES_PATH, ComputesArgs, create_computes
from components.placement import Placement
from tools.harness import Run, run_component

BUDGET = "azure-native:consumption:Budget"
COMPUTE = "azure-native:machinelearningservices:Compute"
GROUP_ID = "/subscriptions/44444444-4444-4444-4444-444444444444/resourceGroups/rg-ml-test"
ACTION_GROUP = f"{GROUP_ID}/providers/Microsoft.Insights/actionGroups/ag-ml"
USER = "4f1c2a9e-8d3b-4c6a-9e7f-2b5d8a1c3e60"
TENANT = "55555555-5555-5555-5555-555555555555"


class Holder(pulumi.ComponentResource):
    """Stands in for the workspace component the program parents these to."""

    def __init__(self) -> None:
        super().__init__("tests:components:Holder", "holder")


def budget_spec(**overrides: Any) -> BudgetSpec:
    return BudgetSpec(
        name="budget-ml-test", amount=700.0, start_date="2027-01-01",
        notifications=(BudgetNotificationSpec("actual-80", 80, "Actual"),
                       BudgetNotificationSpec("forecasted-100", 100, "Forecasted")),
        contact_emails=("ml-platform-team@example.com",), **overrides,
    )


@pytest.fixture(scope="module")
def budget() -> Run:
    def build() -> dict[str, Any]:
        made = Budget("budget", BudgetArgs(budget_spec(contact_groups=(ACTION_GROUP,), contact_roles=("Owner",)),
                                           GROUP_ID), pulumi.ResourceOptions(parent=Holder()))
        return {"id": made.budget_id}

    return run_component(build).record()


def test_the_budget_is_a_monthly_cost_budget_on_the_group_given(budget):
    made = budget.one(BUDGET)
    assert (made.name, budget.by_urn(made.parent).name) == ("budget-ml-test", "budget")
    notification = {"enabled": True, "operator": "GreaterThan", "contactEmails": ["ml-platform-team@example.com"],
                    "contactGroups": [ACTION_GROUP], "contactRoles": ["Owner"]}
    assert made.inputs == {
        "budgetName": "budget-ml-test",
        "scope": GROUP_ID,
        "amount": 700.0,
        "category": "Cost",
        "timeGrain": "Monthly",
        "timePeriod": {"startDate": "2027-01-01T00:00:00Z"},
        "notifications": {
            "actual-80": {**notification, "threshold": 80, "thresholdType": "Actual"},
            "forecasted-100": {**notification, "threshold": 100, "thresholdType": "Forecasted"},
        },
    }
    assert budget.outputs["id"].known


def test_a_budget_without_groups_or_roles_sends_neither():
    def build() -> dict[str, Any]:
        Budget("budget", BudgetArgs(budget_spec(), GROUP_ID))
        return {}

    notification = run_component(build).one(BUDGET).inputs["notifications"]["actual-80"]
    assert "contactGroups" not in notification and "contactRoles" not in notification
    assert notification["contactEmails"] == ["ml-platform-team@example.com"]


# --- compute instance schedules ----------------------------------------------------------------


def instance(*schedules: ScheduleSpec) -> InstanceSpec:
    return InstanceSpec("ci-alice", "Standard_DS3_v2", USER, "PT60M", None, True, schedules)


@pytest.fixture(scope="module")
def instances() -> Run:
    def build() -> dict[str, Any]:
        create_computes(ComputesArgs(
            (), (instance(ScheduleSpec("Start", "0 8 * * 1-5", "W. Europe Standard Time"),
                          ScheduleSpec("Stop", "0 19 * * 1-5", "W. Europe Standard Time")),),
            Placement("rg-ml-test", "mlw-ml-test", "westeurope", {}), TENANT,
        ), parent=Holder())
        return {}

    return run_component(build).record()


def test_an_instance_gets_its_schedules_as_enabled_cron_triggers(instances):
    props = instances.one(COMPUTE).inputs["properties"]["properties"]
    assert props["schedules"] == {"computeStartStop": [
        {"action": "Start", "triggerType": "Cron", "status": "Enabled",
         "cron": {"expression": "0 8 * * 1-5", "timeZone": "W. Europe Standard Time"}},
        {"action": "Stop", "triggerType": "Cron", "status": "Enabled",
         "cron": {"expression": "0 19 * * 1-5", "timeZone": "W. Europe Standard Time"}},
    ]}


def test_a_schedule_change_replaces_the_instance_deleting_it_first(instances):
    # Azure has no update for an instance's schedules (components/compute.py says why): a change
    # of them, adding or removing one included, is a replacement, and the fixed name means the old
    # instance goes first.
    made = instances.one(COMPUTE)
    assert SCHEDULES_PATH == "properties.properties.schedules"
    assert (made.replace_on_changes, made.delete_before_replace) == ([SCHEDULES_PATH], True)


def test_an_instance_without_schedules_sends_none():
    def build() -> dict[str, Any]:
        create_computes(ComputesArgs((), (instance(),), Placement("rg", "mlw", "westeurope", {}), TENANT),
                        parent=Holder())
        return {}

    made = run_component(build).one(COMPUTE)
    assert "schedules" not in made.inputs["properties"]["properties"]
    assert made.replace_on_changes == [SCHEDULES_PATH]
