"""Compute clusters and compute instances, children of the workspace.

Skeleton: the compute issue fills this in.
"""

from __future__ import annotations

import pulumi

from azureml_infra.config import StackConfig
from components.workspace import MachineLearningWorkspace


def create_computes(config: StackConfig, workspace: MachineLearningWorkspace) -> dict[str, pulumi.Resource]:
    """One component per configured cluster/instance, keyed by compute name."""
    return {}


def computes_output(computes: dict[str, pulumi.Resource]) -> pulumi.Input[dict]:
    """The ``computes`` stack output: name -> {id, identityPrincipalId}."""
    return {}
