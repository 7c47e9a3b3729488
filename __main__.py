"""azureml-infra: one Azure Machine Learning environment per stack.

The program: load the stack config (validated as a whole: an invalid config stops the program
here, before any resource is registered), resolve it into a deployment (every name, key and
decision, as plain values), then run the recipe (azureml_package/recipe.py: each component in
dependency order) and export its outputs. The package's MlEnvironment component runs the same
recipe (azureml_package/environment.py), so the program and the package cannot drift.
"""

from __future__ import annotations

import pulumi

from azureml_infra.config import load_stack_config
from azureml_infra.resolve import resolve
from azureml_package.recipe import build

deployment = resolve(load_stack_config())
# Every secret a component takes, read once from the stack's secret config keys.
secrets = {key: pulumi.Config().require_secret(key) for key in deployment.secret_keys}
built = build(deployment, secrets)
computes = built.computes
# Stack outputs, camelCase, for downstream ML pipelines (StackReference.get_output).
for key, value in built.outputs.items():
    pulumi.export(key, value)
