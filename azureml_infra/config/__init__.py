"""Stack config: typed models (one module per section), the loader, and the rules across sections.

Imports run one way: ``base`` <- section modules <- ``stack`` <- ``rules`` <- ``loader``.
A section module imports ``base`` (and a section it contains, if any), never ``stack`` or
``rules``; the rules across sections (``rules/``, one module per concern) import ``stack``.
"""

from azureml_infra.config.base import Problem
from azureml_infra.config.loader import ConfigError, load_stack_config, parse_config
from azureml_infra.config.stack import StackConfig

__all__ = ["ConfigError", "Problem", "StackConfig", "load_stack_config", "parse_config"]
