"""Stack config: typed models (one module per section), the loader, and cross-section rules.

Imports run one way: ``base`` <- section modules <- ``stack`` <- ``checks`` <- ``loader``.
"""

from azureml_infra.config.base import Problem
from azureml_infra.config.loader import ConfigError, load_stack_config, parse_config
from azureml_infra.config.stack import StackConfig

__all__ = ["ConfigError", "Problem", "StackConfig", "load_stack_config", "parse_config"]
