"""What a rule across sections is: a function of the whole StackConfig that yields problems."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.stack import StackConfig

# Each rules module lists its own in CHECKS; cross_checks (this package) runs them once every
# section has parsed on its own.
Check = Callable[[StackConfig], Iterable[Problem]]
