"""MlEnvironment: a whole Azure ML environment from inputs that mirror the stack file's sections.

One set of rules: the inputs become the config a stack file gives (``stack_file_config``), the
config models and cross-section rules validate it (azureml_infra.config.parse_config), resolve
turns it into a Deployment and the program's recipe (azureml_package.recipe) builds it. An
invalid input is refused with the message the stack file gets, at the input's path
(``refusal``); nothing is registered then.

Annotations here are read at run time by the SDK's analyzer (pulumi.provider.experimental): no
``from __future__ import annotations``; every input and output has the docstring that becomes
its description in schemas/package.json.
"""

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi.errors import InputPropertiesError, InputPropertyErrorDetails

from azureml_infra.config import ConfigError, parse_config
from azureml_infra.config.base import LOCATION_KEY
from azureml_infra.deployment import Deployment
from azureml_infra.facts import PROJECT, SECRET_PLACEHOLDER
from azureml_infra.resolve import resolve
from azureml_package.recipe import build

# The package's components are typed <package>:index:<Name>: the SDK's host serves the index
# module only (pulumi/provider/experimental/component.py, validate_resource_type).
PACKAGE = PROJECT


class MlEnvironmentArgs(TypedDict):
    """The inputs of an MlEnvironment: one per section of a stack file (README, Configuration reference), in the stack file's spelling; nested objects are validated as the stack file's are."""

    location: str
    """Azure region of every resource, e.g. westeurope (a stack file's azure-native:location)."""
    prefix: str
    """Workload name in every resource name: 2-10 lowercase letters or digits (azureml-infra:prefix)."""
    environment: NotRequired[str]
    """dev, test, prod...: 1-8 lowercase letters or digits, in names and tags. Default: the stack name."""
    name_suffix: NotRequired[str]
    """1-4 lowercase letters or digits appended to globally unique names. Default: derived from prefix and environment."""
    tags: NotRequired[dict[str, str]]
    """Tags merged over the environment and managedBy tags on every resource."""
    protect: NotRequired[bool]
    """true: protect and retain-on-delete every stateful resource."""
    adopt: NotRequired[bool]
    """true on the first deployment of an environment the legacy ARM templates made: import it by ARM id (docs/migration.md)."""
    resource_group: NotRequired[dict[str, Any]]
    """The resource group: {name, existing} (the stack file's azureml-infra:resourceGroup)."""
    workspace: NotRequired[dict[str, Any]]
    """The workspace and its dependencies: storageAccount, keyVault, containerRegistry, applicationInsights, logAnalytics, identity... (azureml-infra:workspace)."""
    computes: NotRequired[list[dict[str, Any]]]
    """AmlCompute clusters, each as an entry of azureml-infra:computes ({name, vmSize, maxNodes, ...})."""
    compute_instances: NotRequired[list[dict[str, Any]]]
    """Personal compute instances, each as an entry of azureml-infra:computeInstances."""
    data_storage: NotRequired[dict[str, Any]]
    """A data lake account created for this environment (azureml-infra:dataStorage)."""
    datastores: NotRequired[list[dict[str, Any]]]
    """Datastores to attach, each as an entry of azureml-infra:datastores."""
    kubernetes_computes: NotRequired[list[dict[str, Any]]]
    """Kubernetes computes (AKS with the Azure ML extension), each as an entry of azureml-infra:kubernetesComputes."""
    registry: NotRequired[dict[str, Any]]
    """The shared Azure ML registry, created here or an existing one by id (azureml-infra:registry)."""
    access: NotRequired[list[dict[str, Any]]]
    """Role assignments for people and applications ({principalId, principalType, role or persona, scope}), as azureml-infra:access."""
    diagnostics: NotRequired[dict[str, Any]]
    """Diagnostic settings to Log Analytics, on by default (azureml-infra:diagnostics)."""
    network: NotRequired[dict[str, Any]]
    """Network isolation: managed network, private endpoints, VNet (azureml-infra:network)."""
    foundry: NotRequired[dict[str, Any]]
    """A Foundry resource with model deployments and projects, connected to the workspace (azureml-infra:foundry)."""
    budget: NotRequired[dict[str, Any]]
    """A monthly Cost budget on the resource group with its notifications (azureml-infra:budget)."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """The secrets the settings name (ssh.passwordSecret, datastores[].secret, kubernetesComputes[].https certificateSecret and keySecret): secret name -> value, where a stack file has a secret config key."""


def stack_file_config(args: Mapping[str, Any]) -> tuple[dict[str, str], set[str]]:
    """The raw config a stack file with these inputs gives the program (key -> text, as the CLI passes it) and its secret keys: each secret's value stays out of it (a placeholder)."""
    raw: dict[str, str] = {}
    for name, value in args.items():
        if name == "secrets" or value is None:
            continue
        key = LOCATION_KEY if name == "location" else f"{PACKAGE}:{_camel(name)}"
        raw[key] = value if isinstance(value, str) else json.dumps(value)
    secret_keys = {f"{PACKAGE}:{name}" for name in args.get("secrets") or {}}
    raw |= dict.fromkeys(secret_keys, SECRET_PLACEHOLDER)
    return raw, secret_keys


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def input_path(problem_path: str, secret_names: set[str]) -> str:
    """A stack-file key of a problem (azureml-infra:computes[0].maxNodes) as the input's path (computes[0].maxNodes); a secret's key as secrets.<name>."""
    if problem_path == LOCATION_KEY:
        return "location"
    path = problem_path.removeprefix(f"{PACKAGE}:")
    first = re.split(r"[.\[]", path, maxsplit=1)[0]
    return f"secrets.{path}" if first in secret_names else path


def refusal(
    component: str, name: str, error: ConfigError, secret_names: set[str], rename: Callable[[str], str] = str
) -> InputPropertiesError:
    """The stack file's problems as the engine's invalid-inputs error: each message as the stack
    file gets it, at the input's path (``rename`` maps a stack-file path to a block's input)."""
    details: list[InputPropertyErrorDetails] = [
        {"property_path": rename(input_path(p.path, secret_names)), "reason": p.message} for p in error.problems
    ]
    return invalid_inputs(component, name, details)


def invalid_inputs(component: str, name: str, details: list[InputPropertyErrorDetails]) -> InputPropertiesError:
    count = f"{len(details)} problem{'s' if len(details) != 1 else ''}"
    lines = [f"{d['property_path']}: {d['reason']}" for d in details]
    return InputPropertiesError(
        f"Invalid inputs for {component} '{name}': {count}. Nothing was deployed.\n  - " + "\n  - ".join(lines),
        details,
    )


def validated(
    component: str, name: str, sections: Mapping[str, Any], rename: Callable[[str], str] = str
) -> Deployment:
    """The Deployment of the stack file these sections make (input names, as MlEnvironmentArgs),
    validated by the stack file's models and rules and resolved as the program resolves it;
    refused (InputPropertiesError) with the stack file's messages at the inputs' paths."""
    raw, secret_keys = stack_file_config(sections)
    secret_names = {key.partition(":")[2] for key in secret_keys}
    try:
        config = parse_config(raw, secret_keys, pulumi.get_stack(), PACKAGE)
    except ConfigError as error:
        raise refusal(component, name, error, secret_names, rename) from None
    return resolve(config)


class MlEnvironment(pulumi.ComponentResource):
    """A whole Azure Machine Learning environment, as one stack of the azureml-infra program deploys it: the resource group, workspace and its dependencies, network isolation, computes, data, registry, access, diagnostics, Foundry and budget, from inputs that mirror the stack file's sections and are validated by the same rules."""

    resource_group_name: pulumi.Output[str]
    """The resource group's name."""
    location: pulumi.Output[str]
    """The Azure region."""
    workspace_name: pulumi.Output[str]
    """The Azure ML workspace's name."""
    workspace_id: pulumi.Output[str]
    """The workspace's ARM id."""
    workspace_principal_id: pulumi.Output[str]
    """The principal id of the workspace's managed identity (what consumers grant access to)."""
    workspace_identity_id: pulumi.Output[str] | None
    """The ARM id of the workspace's user-assigned identity, when it has one."""
    workspace_identity_client_id: pulumi.Output[str] | None
    """The client id of the workspace's user-assigned identity (AZURE_CLIENT_ID), when it has one."""
    storage_account_name: pulumi.Output[str]
    """The workspace's storage account."""
    key_vault_uri: pulumi.Output[str]
    """The workspace's key vault URI."""
    container_registry_login_server: pulumi.Output[str]
    """The workspace's container registry login server."""
    application_insights_id: pulumi.Output[str]
    """The workspace's Application Insights ARM id."""
    computes: pulumi.Output[dict[str, dict[str, str]]]
    """Each compute by name: {id, identityPrincipalId}."""
    datastores: pulumi.Output[dict[str, Any]]
    """Each datastore by name: {kind, accountName, container, default}."""
    registry_id: pulumi.Output[str] | None
    """The Azure ML registry's ARM id, when the environment has one."""
    registry_name: pulumi.Output[str] | None
    """The Azure ML registry's name, when the environment has one."""
    vnet_id: pulumi.Output[str] | None
    """The VNet's ARM id, when the environment has private endpoints."""
    private_endpoint_subnet_id: pulumi.Output[str] | None
    """The private endpoints' subnet, when the environment has private endpoints."""
    training_subnet_id: pulumi.Output[str] | None
    """The computes' subnet, when the environment has one."""
    private_dns_zone_ids: pulumi.Output[dict[str, str]] | None
    """The private DNS zones by name, when the environment has private endpoints."""
    private_endpoint_ids: pulumi.Output[dict[str, str]] | None
    """The private endpoints by target, when the environment has private endpoints."""
    foundry_account_id: pulumi.Output[str] | None
    """The Foundry resource's ARM id, when the environment has one."""
    foundry_account_name: pulumi.Output[str] | None
    """The Foundry resource's name."""
    foundry_endpoint: pulumi.Output[str] | None
    """The Foundry resource's endpoint."""
    foundry_deployments: pulumi.Output[dict[str, Any]] | None
    """Each model deployment by name: {model, version, format, sku, capacity}."""
    foundry_projects: pulumi.Output[dict[str, Any]] | None
    """Each Foundry project by name: {id, endpoint}."""
    foundry_connections: pulumi.Output[list[str]] | None
    """The workspace's connections to Foundry, by name."""

    def __init__(self, name: str, args: MlEnvironmentArgs, opts: pulumi.ResourceOptions | None = None):
        deployment = validated("MlEnvironment", name, args)
        super().__init__(f"{PACKAGE}:index:MlEnvironment", name, None, opts)
        given = args.get("secrets") or {}
        secrets = {key: pulumi.Output.secret(given[key]) for key in deployment.secret_keys}
        built = build(deployment, secrets, parent=self)
        for attribute in OUTPUTS:
            setattr(self, attribute, None)
        for key, value in built.outputs.items():
            setattr(self, _snake(key), pulumi.Output.from_input(value))
        self.register_outputs(built.outputs)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# Every output an MlEnvironment declares (its annotated attributes), in Python spelling.
OUTPUTS = tuple(MlEnvironment.__annotations__)
