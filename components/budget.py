"""The stack's cost budget: a monthly Cost budget on its resource group, notifying at each threshold.

One ``consumption.Budget`` (azure-native 3.29, REST API 2024-08-01), an extension resource at the
resource group's scope. Its notifications are a map, one entry per threshold, each sent to the
contact emails and action groups (and roles) of the spec: Azure wants at least one email or action
group at a resource group, which the config checks (``azureml_infra.config.budget``). Every
notification is greater-than: Azure's own advice ("the recommended OperatorType"; EqualTo is to be
deprecated).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import consumption

from azureml_infra.deployment import BudgetSpec
from components.options import child


@dataclass(frozen=True)
class BudgetArgs:
    spec: BudgetSpec
    # The ARM id of the stack's resource group, the budget's scope.
    resource_group_id: pulumi.Input[str]


class Budget(pulumi.ComponentResource):
    """A monthly Cost budget with one notification per threshold."""

    budget_id: pulumi.Output[str]

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:budget:Budget", name, None, opts)
        s = args.spec
        self.budget = consumption.Budget(
            s.name,
            budget_name=s.name,
            scope=args.resource_group_id,
            amount=s.amount,
            category="Cost",
            time_grain="Monthly",
            time_period=consumption.BudgetTimePeriodArgs(start_date=f"{s.start_date}T00:00:00Z"),
            notifications={
                n.key: consumption.NotificationArgs(
                    enabled=True,
                    operator="GreaterThan",
                    threshold=n.threshold,
                    threshold_type=n.threshold_type,
                    contact_emails=list(s.contact_emails),
                    contact_groups=list(s.contact_groups) or None,
                    contact_roles=list(s.contact_roles) or None,
                )
                for n in s.notifications
            },
            opts=child(self),
        )
        self.budget_id = self.budget.id
        self.register_outputs({"id": self.budget_id})
