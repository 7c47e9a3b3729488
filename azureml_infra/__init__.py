"""Pure code of azureml-infra: config models, validation, naming and ARM ids.

Nothing in this package creates a Pulumi resource, so all of it can be tested directly.
"""
