"""Config of diagnostic settings (key ``diagnostics``): resource logs to Log Analytics.

On by default: the workspace, key vault, storage (blob service, and the account's metrics) and
container registry that this stack creates send their logs to the stack's Log Analytics
workspace, or to ``workspaceId``. Resources reused by ARM id are left alone: a diagnostic
setting is a change to someone else's resource. See docs/access.md, "Diagnostics".

A stack that reuses Application Insights has no Log Analytics workspace of its own. Without a
``diagnostics`` key it keeps working as before, with no diagnostic settings (the program warns);
a ``diagnostics`` key that asks for them there must say where to send them (``workspaceId``). That rule, and ``diagnostics_on``, are in
``config.rules.diagnostics``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from azureml_infra.config.base import Model, arm_id_of, key_error

LOG_ANALYTICS_TYPE = "Microsoft.OperationalInsights/workspaces"
LogAnalyticsId = Annotated[str, arm_id_of(LOG_ANALYTICS_TYPE)]
EVENT_HUB_RULE_TYPE = "Microsoft.EventHub/namespaces/authorizationRules"
EventHubRuleId = Annotated[str, arm_id_of(EVENT_HUB_RULE_TYPE)]
# An event hub's name: 1-256 letters, digits, periods, hyphens and underscores, starting and ending
# with a letter or digit (azure-docs azure-resource-manager/management/resource-name-rules.md,
# Microsoft.EventHub, namespaces/eventhubs).
_EVENT_HUB_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,254}[A-Za-z0-9])?")


class EventHubDestination(Model):
    """An event hub the diagnostic settings also stream to (for a SIEM), besides Log Analytics."""

    authorization_rule_id: EventHubRuleId = Field(
        description="ARM id of the event hub namespace's authorization rule (Microsoft.EventHub/namespaces/"
        "authorizationRules) with Send, e.g. .../namespaces/<ns>/authorizationRules/RootManageSharedAccessKey.",
    )
    name: str = Field(description="The event hub in that namespace, e.g. aml-audit.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _EVENT_HUB_NAME.fullmatch(value):
            raise ValueError(
                "must be 1-256 letters, digits, periods, hyphens and underscores, starting and ending with a "
                "letter or digit"
            )
        return value


class DiagnosticsSettings(Model):
    """Diagnostic settings of the stack's resources, sent to a Log Analytics workspace."""

    enabled: bool = Field(True, description="false: no diagnostic settings at all.")
    logs: Literal["audit", "allLogs"] = Field(
        "audit",
        description="audit: who did what (the audit category group; for blobs, the StorageWrite and "
        "StorageDelete categories). allLogs: every resource log, reads included (costs more).",
    )
    metrics: bool = Field(True, description="Also send the platform metrics (AllMetrics).")
    workspace_id: LogAnalyticsId | None = Field(
        None,
        description="ARM id of a Log Analytics workspace (Microsoft.OperationalInsights/workspaces) to send to. "
        "Default: the stack's own (workspace.logAnalytics).",
    )
    event_hub: EventHubDestination | None = Field(
        None,
        description="Also stream the same logs and metrics to an event hub, e.g. for a SIEM: {authorizationRuleId, "
        "name} (eventHubAuthorizationRuleId, eventHubName of each diagnostic setting).",
    )

    @model_validator(mode="after")
    def _destination_only_when_on(self) -> Self:
        if not self.enabled and self.workspace_id is not None:
            raise key_error("workspaceId", "has no effect when enabled is false: remove it, or set enabled: true")
        if not self.enabled and self.event_hub is not None:
            raise key_error("eventHub", "has no effect when enabled is false: remove it, or set enabled: true")
        return self
