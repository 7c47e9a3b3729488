"""Config of the stack's cost budget (key ``budget``): a monthly Cost budget on its resource group.

What Azure requires of one (the azure-native SDK's consumption.Budget, REST API 2024-08-01, and
the Budgets REST reference, "Notification"):
- the start date "must be first of the month", on or after June 1, 2017; Azure also refuses one
  more than twelve months ahead or, when the budget is created, in a past month (only Azure's clock
  can tell: docs/cost.md);
- "Budget can have up to five notifications"; a threshold "is always percent and has to be between
  0 and 1000", and its type is Actual or Forecasted;
- at a resource group a notification "must have at least one contact email or contact group"
  (contact roles alone do not count); contact groups are action groups by ARM id.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from azureml_infra.config.base import Model, arm_id_of, key_error

ACTION_GROUP_TYPE = "Microsoft.Insights/actionGroups"
MAX_THRESHOLDS = 5
# Azure's earliest start date for a budget.
EARLIEST_START = date(2017, 6, 1)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("must be an email address such as ml-platform@example.com")
    return value


Email = Annotated[str, AfterValidator(_check_email)]
ActionGroupId = Annotated[str, arm_id_of(ACTION_GROUP_TYPE)]


def _check_start_date(value: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    try:
        start = date(*(int(part) for part in match.groups())) if match else None
    except ValueError:
        start = None
    if start is None or start.day != 1:
        raise ValueError(
            "must be the first day of a month as YYYY-MM-01, such as 2027-01-01: a monthly budget starts on the 1st"
        )
    if start < EARLIEST_START:
        raise ValueError("must be 2017-06-01 or later (Azure's earliest budget start)")
    return value


StartDate = Annotated[str, AfterValidator(_check_start_date)]


class BudgetThreshold(Model):
    """One notification: when the month's cost reaches ``percent`` of the amount."""

    percent: float = Field(description="Percent of the amount, 1-1000, e.g. 80.")
    type: Literal["Actual", "Forecasted"] = Field(
        "Actual", description="Actual: the cost so far reached it; Forecasted: the month's forecast will."
    )

    @field_validator("percent")
    @classmethod
    def _percent(cls, value: float) -> float:
        if not 1 <= value <= 1000:
            raise ValueError(f"must be between 1 and 1000 (a percentage of the amount; got {value:g})")
        return value


class BudgetSettings(Model):
    """A monthly Cost budget on the stack's resource group, with a notification per threshold."""

    amount: float = Field(
        description="The monthly amount, in the billing account's currency (the cost table's currency should be "
        "the same: docs/cost.md)."
    )
    start_date: StartDate = Field(
        description="First month the budget tracks, as YYYY-MM-01 (required: a default taken from today would change "
        "every month). Azure refuses a past month when it creates the budget, and one more than 12 months ahead."
    )
    thresholds: list[BudgetThreshold] = Field(
        min_length=1,
        description="One notification each (at most 5), e.g. [{percent: 80}, {percent: 100, type: Forecasted}].",
    )
    contact_emails: list[Email] = Field(
        default_factory=list, description="Email addresses each notification goes to."
    )
    contact_groups: list[ActionGroupId] = Field(
        default_factory=list,
        description="Action groups (ARM ids of Microsoft.Insights/actionGroups) each notification triggers.",
    )
    contact_roles: list[str] = Field(
        default_factory=list,
        description="Roles on the resource group whose holders are told too, e.g. Owner. Not enough alone: "
        "set contactEmails or contactGroups.",
    )

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: float) -> float:
        if value <= 0:
            raise ValueError(f"must be more than 0 (the monthly amount in the billing currency; got {value:g})")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.contact_emails and not self.contact_groups:
            raise key_error(
                "contactEmails",
                "a budget on a resource group needs at least one contact email or action group (contactGroups): "
                "Azure does not take contactRoles alone",
            )
        if len(self.thresholds) > MAX_THRESHOLDS:
            raise key_error(
                "thresholds", f"at most {MAX_THRESHOLDS} (Azure allows five notifications a budget; got "
                f"{len(self.thresholds)})"
            )
        seen: dict[tuple[float, str], int] = {}
        for index, threshold in enumerate(self.thresholds):
            key = (threshold.percent, threshold.type)
            if key in seen:
                raise key_error(
                    f"thresholds[{index}]",
                    f"the same threshold as thresholds[{seen[key]}] ({threshold.percent:g} % {threshold.type}): "
                    "remove one",
                )
            seen[key] = index
        return self
