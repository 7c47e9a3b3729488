"""azureml-infra as a Pulumi package: the recipe the program runs, and the components any Pulumi
program (TypeScript, Go, C#, Java, YAML) can add with ``pulumi package add``.

- ``recipe``: one environment from a resolved Deployment (the program and MlEnvironment).
- ``environment``: the MlEnvironment component (inputs mirror the stack file's sections).
- ``blocks``: the building blocks a team composes itself.
- ``provider``: the component provider the plugin hosts (``__main__.py``, PulumiPlugin.yaml).
"""
