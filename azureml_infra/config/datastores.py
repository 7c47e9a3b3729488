"""Config of the data lake account and the datastores (keys ``dataStorage``, ``datastores``).

Skeleton: the datastores issue completes these models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from azureml_infra.config.base import Model

if TYPE_CHECKING:
    from azureml_infra.config.loader import Problem
    from azureml_infra.config.stack import StackConfig


class DataStorageSettings(Model):
    name: str | None = None


class DatastoreSettings(Model):
    name: str


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Callable[[StackConfig], Iterable[Problem]]] = []
