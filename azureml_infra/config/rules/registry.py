"""Rules of ``registry`` across sections: a created registry's primary region is the stack's."""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig


def _primary_region_is_the_stacks(config: StackConfig) -> Iterable[Problem]:
    registry = config.registry
    if registry is None or registry.create is None:
        return
    if registry.create.regions[0] != config.location:
        yield Problem.at(
            "registry.create.regions",
            f"must start with the stack's region {config.location} (the registry's primary region, "
            f"where it is created; got {registry.create.regions[0]}): list {config.location} first",
        )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [_primary_region_is_the_stacks]
