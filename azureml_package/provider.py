"""The component provider the plugin hosts (``azureml_package/__main__.py``) and the schema it
serves, the one ``make package-schema`` writes to schemas/package.json.

The SDK's ComponentProvider (pulumi.provider.experimental) infers the schema from the
components' type annotations and maps the engine's inputs to their ``args``. One change: it
wraps every exception a component raises in ComponentInitError, which the provider server
reports as a crash with a traceback; an InputPropertiesError (an input the stack file's rules
refuse) is handed to the engine as invalid inputs instead, each message at its input's path.
"""

import json
from typing import Any

import pulumi
from pulumi.errors import InputPropertiesError
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError

from azureml_package.blocks import (
    Access,
    ComputeCluster,
    ComputeInstance,
    Datastores,
    PrivateEndpoints,
    Workspace,
)
from azureml_package.environment import PACKAGE, MlEnvironment

# The package's version in its schema; a release is the git tag v<VERSION> (README, Use from
# another Pulumi program; CHANGELOG.md).
VERSION = "0.1.0"

COMPONENTS: list[type[pulumi.ComponentResource]] = [
    MlEnvironment, Workspace, ComputeCluster, ComputeInstance, Datastores, PrivateEndpoints, Access,
]


class AzuremlProvider(ComponentProvider):
    """The SDK's component provider, refusing invalid inputs as the engine expects."""

    def __init__(self, version: str = VERSION) -> None:
        super().__init__(COMPONENTS, PACKAGE, None, version)

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        try:
            return super().construct(name, resource_type, inputs, options)
        except ComponentInitError as error:
            if isinstance(error.inner, InputPropertiesError):
                raise error.inner from None
            raise


def package_schema(version: str = VERSION) -> dict[str, Any]:
    """The package schema the plugin serves, as data."""
    text = AzuremlProvider(version).schema
    assert text is not None
    schema: dict[str, Any] = json.loads(text)
    return schema
