"""Budgets and compute instance schedules in the stack file: every bad input of issue 22 refused
with its exact problem line and nothing registered, the accepted forms, and what resolve makes of
them."""

from __future__ import annotations

from typing import Any

import pytest

from azureml_infra.deployment import BudgetNotificationSpec, BudgetSpec, ScheduleSpec
from azureml_infra.resolve import resolve
from azureml_infra.time_zones import TIME_ZONES
from tests.conftest import accepted, assert_refused, stack

USER = "4f1c2a9e-8d3b-4c6a-9e7f-2b5d8a1c3e60"
ACTION_GROUP = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ops/providers/"
                "microsoft.insights/actionGroups/ag-ml-platform")
FORM = "five fields: minute hour day-of-month month day-of-week, such as 0 19 * * 1-5"
TIME_ZONE_RULE = ("a schedule's time zone is a Windows time zone name such as W. Europe Standard Time or UTC "
                  "(docs/compute.md, Schedules, lists them)")


def budget(**settings: Any) -> dict:
    document = {"amount": 700, "startDate": "2027-01-01", "thresholds": [{"percent": 80}],
                "contactEmails": ["ml-platform-team@example.com"], **settings}
    return stack({"azureml-infra:budget": {k: v for k, v in document.items() if v is not None}})


def instance(*schedules: dict) -> dict:
    return stack({"azureml-infra:computeInstances": [
        {"name": "ci-analyst1", "vmSize": "STANDARD_DS3_V2", "assignedUserObjectId": USER, "schedules": list(schedules)}
    ]})


def schedule(action: str = "Stop", cron: str = "0 19 * * 1-5", **extra: Any) -> dict:
    return {"action": action, "cron": cron, **extra}


# The bad inputs the issue names, each: (config, the one problem line).
REFUSED = {
    "budget amount 0": (
        budget(amount=0),
        "azureml-infra:budget.amount: must be more than 0 (the monthly amount in the billing currency; got 0)",
    ),
    "budget amount below 0": (
        budget(amount=-50.5),
        "azureml-infra:budget.amount: must be more than 0 (the monthly amount in the billing currency; got -50.5)",
    ),
    "start date not the first of a month": (
        budget(startDate="2027-01-15"),
        "azureml-infra:budget.startDate: must be the first day of a month as YYYY-MM-01, such as 2027-01-01: a "
        'monthly budget starts on the 1st (got "2027-01-15")',
    ),
    "start date not a date": (
        budget(startDate="January 2027"),
        "azureml-infra:budget.startDate: must be the first day of a month as YYYY-MM-01, such as 2027-01-01: a "
        'monthly budget starts on the 1st (got "January 2027")',
    ),
    "roles only": (
        budget(contactEmails=[], contactRoles=["Owner"]),
        "azureml-infra:budget.contactEmails: a budget on a resource group needs at least one contact email or "
        "action group (contactGroups): Azure does not take contactRoles alone",
    ),
    "threshold 0 %": (
        budget(thresholds=[{"percent": 0}]),
        "azureml-infra:budget.thresholds[0].percent: must be between 1 and 1000 (a percentage of the amount; got 0)",
    ),
    "threshold above 1000 %": (
        budget(thresholds=[{"percent": 80}, {"percent": 1200, "type": "Forecasted"}]),
        "azureml-infra:budget.thresholds[1].percent: must be between 1 and 1000 (a percentage of the amount; "
        "got 1200)",
    ),
    "unknown threshold type": (
        budget(thresholds=[{"percent": 80, "type": "Estimated"}]),
        "azureml-infra:budget.thresholds[0].type: input should be 'Actual' or 'Forecasted' (got \"Estimated\")",
    ),
    "bad cron": (
        instance(schedule(cron="0 25 * * 1-5")),
        "azureml-infra:computeInstances[0].schedules[0].cron: not a cron expression Azure ML takes: hour 25 is out "
        f'of range 0-23; {FORM} (got "0 25 * * 1-5")',
    ),
    "cron with four fields": (
        instance(schedule(cron="0 19 * *")),
        "azureml-infra:computeInstances[0].schedules[0].cron: not a cron expression Azure ML takes: it has 4 "
        f'fields; {FORM} (got "0 19 * *")',
    ),
    "unknown time zone": (
        instance(schedule(timeZone="CET")),
        f"azureml-infra:computeInstances[0].schedules[0].timeZone: is not a time zone Azure ML schedules take: "
        f'{TIME_ZONE_RULE} (got "CET")',
    ),
    "time zone misspelt": (
        instance(schedule(timeZone="W Europe Standard Time")),
        "azureml-infra:computeInstances[0].schedules[0].timeZone: is not a time zone Azure ML schedules take (did "
        f"you mean 'W. Europe Standard Time'?): {TIME_ZONE_RULE} (got \"W Europe Standard Time\")",
    ),
    "two schedules with the same action and time": (
        instance(schedule(), schedule(action="Start", cron="0 8 * * 1-5"), schedule(cron="0 19 * * MON-FRI")),
        "azureml-infra:computeInstances[0].schedules[2]: the same Stop schedule as schedules[0] (0 19 * * MON-FRI "
        "in UTC): remove one",
    ),
    "a schedule on a cluster": (
        stack({"azureml-infra:computes": [
            {"name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 3, "schedules": [schedule()]}]}),
        "azureml-infra:computes[0].schedules: schedules are for compute instances (computeInstances[].schedules); "
        "a cluster costs nothing idle when it scales to zero: minNodes: 0 (the default) and idleTimeBeforeScaleDown",
    ),
    # Beyond the list: what Azure would refuse too.
    "more than five thresholds": (
        budget(thresholds=[{"percent": p} for p in (50, 60, 70, 80, 90, 100)]),
        "azureml-infra:budget.thresholds: at most 5 (Azure allows five notifications a budget; got 6)",
    ),
    "the same threshold twice": (
        budget(thresholds=[{"percent": 80}, {"percent": 100}, {"percent": 80, "type": "Actual"}]),
        "azureml-infra:budget.thresholds[2]: the same threshold as thresholds[0] (80 % Actual): remove one",
    ),
    "no start date": (
        budget(startDate=None),
        "azureml-infra:budget.startDate: is required",
    ),
    "an email that is not one": (
        budget(contactEmails=["ml-platform-team"]),
        'azureml-infra:budget.contactEmails[0]: must be an email address such as ml-platform@example.com (got '
        '"ml-platform-team")',
    ),
    "a cron that never fires": (
        instance(schedule(cron="0 19 31 2 *")),
        "azureml-infra:computeInstances[0].schedules[0].cron: not a cron expression Azure ML takes: it never fires "
        f'(no date matches its day of month, month and day of week); {FORM} (got "0 19 31 2 *")',
    ),
    "day of week 7": (
        instance(schedule(cron="0 19 * * 7")),
        "azureml-infra:computeInstances[0].schedules[0].cron: not a cron expression Azure ML takes: day of week 7 "
        f'is out of range 0-6 (0 is Sunday); {FORM} (got "0 19 * * 7")',
    ),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_each_bad_input_is_refused_naming_its_key_and_nothing_is_registered(case):
    config, line = REFUSED[case]
    assert_refused(config, [line])


@pytest.mark.parametrize("cron", ["0 19 * * 1-5", "*/30 8-18 * * MON-FRI", "15 7 1,15 * *", "0 0 * JAN-MAR SUN",
                                  "0 22 * * 0,6", "0 8-20/4 * * *", "0 8 29 2 *"])
def test_cron_forms_azure_ml_takes(cron):
    assert accepted(instance(schedule(cron=cron))).compute_instances[0].schedules[0].cron == cron


def test_every_time_zone_of_azures_list_is_taken():
    schedules = [schedule(cron=f"{i % 60} {i // 60} * * *", timeZone=zone) for i, zone in enumerate(TIME_ZONES)]
    assert len(accepted(instance(*schedules)).compute_instances[0].schedules) == len(TIME_ZONES)


def test_the_same_time_in_another_time_zone_or_for_the_other_action_is_another_schedule():
    config = accepted(instance(schedule(), schedule(timeZone="W. Europe Standard Time"),
                               schedule(action="Start")))
    assert [(s.action, s.time_zone) for s in config.compute_instances[0].schedules] == [
        ("Stop", "UTC"), ("Stop", "W. Europe Standard Time"), ("Start", "UTC")]


def test_resolve_makes_the_budget_a_notification_per_threshold():
    config = accepted(budget(amount=1250.5, thresholds=[{"percent": 80}, {"percent": 100, "type": "Forecasted"},
                                                        {"percent": 112.5}],
                             contactGroups=[ACTION_GROUP], contactRoles=["Owner"]))
    assert resolve(config).budget == BudgetSpec(
        name="budget-mlops-dev",
        amount=1250.5,
        start_date="2027-01-01",
        notifications=(
            BudgetNotificationSpec("actual-80", 80, "Actual"),
            BudgetNotificationSpec("forecasted-100", 100, "Forecasted"),
            BudgetNotificationSpec("actual-112_5", 112.5, "Actual"),
        ),
        contact_emails=("ml-platform-team@example.com",),
        contact_groups=(ACTION_GROUP,),
        contact_roles=("Owner",),
    )


def test_an_action_group_alone_is_a_contact():
    assert accepted(budget(contactEmails=[], contactGroups=[ACTION_GROUP])).budget is not None


def test_no_budget_by_default():
    assert resolve(accepted(stack())).budget is None


def test_resolve_keeps_the_schedules_in_order():
    config = accepted(instance(schedule(action="Start", cron="0 8 * * 1-5", timeZone="W. Europe Standard Time"),
                               schedule(timeZone="W. Europe Standard Time")))
    assert resolve(config).instances[0].schedules == (
        ScheduleSpec("Start", "0 8 * * 1-5", "W. Europe Standard Time"),
        ScheduleSpec("Stop", "0 19 * * 1-5", "W. Europe Standard Time"),
    )


def test_the_compute_docs_list_every_time_zone_a_schedule_takes():
    from tools.harness import ROOT

    text = (ROOT / "docs" / "compute.md").read_text()
    assert [zone for zone in TIME_ZONES if f"{zone} (UTC" not in text] == []
