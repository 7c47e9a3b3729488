"""The data lake account and the datastores attached to the workspace.

Skeleton: the datastores issue fills this in.
"""

from __future__ import annotations

import pulumi

from azureml_infra.config import StackConfig
from components.workspace import MachineLearningWorkspace


def create_datastores(
    config: StackConfig, workspace: MachineLearningWorkspace, computes: dict[str, pulumi.Resource]
) -> dict[str, pulumi.Resource]:
    """The data storage account (if configured) and one datastore per entry, keyed by name."""
    return {}


def datastores_output(datastores: dict[str, pulumi.Resource]) -> pulumi.Input[dict]:
    """The ``datastores`` stack output: name -> {kind, accountName, container}."""
    return {}
