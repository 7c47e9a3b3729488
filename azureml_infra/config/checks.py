"""Rules that span sections of the config (run once every section parsed on its own)."""

from __future__ import annotations

from typing import Callable, Iterable

from azureml_infra.config.stack import StackConfig

Check = Callable[[StackConfig], Iterable["Problem"]]  # noqa: F821

# Each section's module appends its cross-section rules here.
CHECKS: list[Check] = []


def cross_checks(config: StackConfig) -> list:
    return [problem for check in CHECKS for problem in check(config)]
