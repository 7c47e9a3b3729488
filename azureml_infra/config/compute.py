"""Config of compute clusters and compute instances (keys ``computes``, ``computeInstances``).

Skeleton: the compute issue completes these models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from azureml_infra.config.base import Model

if TYPE_CHECKING:
    from azureml_infra.config.loader import Problem
    from azureml_infra.config.stack import StackConfig


class ComputeCluster(Model):
    name: str


class ComputeInstance(Model):
    name: str


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Callable[[StackConfig], Iterable[Problem]]] = []
