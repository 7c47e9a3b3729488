"""Pulumi ComponentResources, one per concern. Resource code only: config parsing,
validation and naming live in the pure ``azureml_infra`` package."""
