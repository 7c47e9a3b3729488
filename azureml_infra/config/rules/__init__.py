"""Rules that span sections of the config, run once every section has parsed on its own.

One module per concern, each with its own list ``CHECKS`` of functions (StackConfig) -> problems.
They import the stack model and the sections; no section imports them back.
"""

from __future__ import annotations

from azureml_infra.config.base import Problem
from azureml_infra.config.rules import (
    access,
    adopt,
    compute,
    datastores,
    diagnostics,
    encryption,
    foundry,
    kubernetes,
    network,
    registry,
)
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig

# The order of the problems in a ConfigError.
CHECKS: list[Check] = [
    *compute.CHECKS, *datastores.CHECKS, *access.CHECKS, *diagnostics.CHECKS, *kubernetes.CHECKS, *registry.CHECKS,
    *network.CHECKS, *adopt.CHECKS, *foundry.CHECKS, *encryption.CHECKS,
]


def cross_checks(config: StackConfig) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(config)]
