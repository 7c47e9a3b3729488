"""Config of compute clusters and compute instances (keys ``computes``, ``computeInstances``).

Skeleton: the compute issue completes these models.
"""

from __future__ import annotations

from azureml_infra.config.base import Model


class ComputeCluster(Model):
    name: str


class ComputeInstance(Model):
    name: str
