"""Rules of ``diagnostics`` across sections: the logs need a Log Analytics workspace to go to.

``diagnostics_on`` (whether the stack gets diagnostic settings at all) is also what __main__.py
asks before it creates them.
"""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig


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
