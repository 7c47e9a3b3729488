"""Config of diagnostic settings (key ``diagnostics``): resource logs to Log Analytics.

On by default: the workspace, key vault, storage (blob service, and the account's metrics) and
container registry that this stack creates send their logs to the stack's Log Analytics
workspace, or to ``workspaceId``. Resources reused by ARM id are left alone: a diagnostic
setting is a change to someone else's resource. See docs/access.md, "Diagnostics".

A stack that reuses Application Insights has no Log Analytics workspace of its own. Without a
``diagnostics`` key it keeps working as before, with no diagnostic settings (the program warns);
a ``diagnostics`` key that asks for them there must say where to send them (``workspaceId``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from azureml_infra.config.base import Check, Model, Problem, arm_id_of, key_error

if TYPE_CHECKING:
    from azureml_infra.config.stack import StackConfig

LOG_ANALYTICS_TYPE = "Microsoft.OperationalInsights/workspaces"


class DiagnosticsSettings(Model):
    """Diagnostic settings of the stack's resources, sent to a Log Analytics workspace."""

    enabled: bool = Field(True, description="false: no diagnostic settings at all.")
    logs: Literal["audit", "allLogs"] = Field(
        "audit",
        description="audit: who did what (the audit category group; for blobs, the StorageWrite and "
        "StorageDelete categories). allLogs: every resource log, reads included (costs more).",
    )
    metrics: bool = Field(True, description="Also send the platform metrics (AllMetrics).")
    workspace_id: arm_id_of(LOG_ANALYTICS_TYPE) | None = Field(
        None,
        description="ARM id of a Log Analytics workspace (Microsoft.OperationalInsights/workspaces) to send to. "
        "Default: the stack's own (workspace.logAnalytics).",
    )

    @model_validator(mode="after")
    def _destination_only_when_on(self):
        if not self.enabled and self.workspace_id is not None:
            raise key_error("workspaceId", "has no effect when enabled is false: remove it, or set enabled: true")
        return self


# --- rules across sections -------------------------------------------------------------


def no_destination(config: StackConfig) -> bool:
    """Whether logs would have nowhere to go: no workspaceId, and no Log Analytics in the stack
    (Application Insights reused, so none is created, and none reused by id)."""
    d, ws = config.diagnostics, config.workspace
    return d.workspace_id is None and ws.application_insights.reused and not ws.log_analytics.reused


def diagnostics_on(config: StackConfig) -> bool:
    """Whether the stack gets diagnostic settings: asked for (by default), and somewhere to send them.

    Only a stack file without a ``diagnostics`` key can be on by default with nowhere to send:
    it keeps working as before, without settings (the check below refuses the other case).
    """
    return config.diagnostics.enabled and not no_destination(config)


def _has_destination(config: StackConfig) -> Iterable[Problem]:
    """A ``diagnostics`` key that asks for settings must have a Log Analytics workspace to send to."""
    if config.is_set("diagnostics") and config.diagnostics.enabled and no_destination(config):
        yield Problem.at(
            "diagnostics",
            "asks for diagnostic settings, but this stack has no Log Analytics workspace to send them to "
            "(workspace.applicationInsights reuses an existing resource, so none is created): set "
            "diagnostics.workspaceId to the ARM id of a Log Analytics workspace, or diagnostics.enabled: false",
        )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [_has_destination]
