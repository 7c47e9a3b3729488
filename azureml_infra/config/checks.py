"""Rules that span sections of the config, run once every section has parsed on its own.

Each section module keeps its own list ``CHECKS`` of functions (StackConfig) -> problems.
"""

from __future__ import annotations

from azureml_infra.config import (
    access,
    adopt,
    compute,
    datastores,
    diagnostics,
    kubernetes,
    network,
    registry,
)
from azureml_infra.config.stack import StackConfig

CHECKS = [
    *compute.CHECKS, *datastores.CHECKS, *access.CHECKS, *diagnostics.CHECKS, *kubernetes.CHECKS, *registry.CHECKS,
    *network.CHECKS, *adopt.CHECKS,
]


def cross_checks(config: StackConfig) -> list:
    return [problem for check in CHECKS for problem in check(config)]
