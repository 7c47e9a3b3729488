"""The building blocks a team composes itself: the workspace with its dependencies, a compute
cluster, a compute instance, people's access. Each takes the stack file's section for what it
makes (validated by the same models and rules as a stack file's, messages at the block's input
paths) and the ids of what it does not make, given by hand or by another block's outputs, and
registers the program's own component for it, and nothing else.

As in environment.py: annotations are read at run time by the SDK's analyzer (no ``from
__future__ import annotations``), and every input and output has a docstring.
"""

import re
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
from pulumi.errors import InputPropertyErrorDetails
from pulumi_azure_native import authorization

from azureml_infra.deployment import DependencyKind, Deployment
from azureml_package.environment import PACKAGE, invalid_inputs, validated
from components import access as access_component
from components import compute as compute_components
from components import datastores as datastore_components
from components import network as network_components
from components import workspace as workspace_component
from components.options import child
from components.placement import Placement

# What every block takes to name and tag its resources as a stack would (MlEnvironmentArgs' names).
NAMING = ("location", "prefix", "environment", "name_suffix", "tags")


def _naming(args: Mapping[str, Any], *more: str) -> dict[str, Any]:
    """The inputs that name and tag, and ``more``, as given."""
    return {key: args[key] for key in (*NAMING, *more) if key in args}


def _renamed(section: str, block_input: str) -> Any:
    """A stack-file path in ``section``'s first entry (computes[0].maxNodes) as the block's input
    path (cluster.maxNodes)."""
    pattern = re.compile(rf"^{re.escape(section)}\[0\]")
    return lambda path: pattern.sub(block_input, path)


def _ids(
    component: str, name: str, given: Mapping[str, pulumi.Input[str]], needs: Mapping[DependencyKind, str]
) -> dict[DependencyKind, pulumi.Input[str]]:
    """The dependency ids a block's grants need, from its dependencyIds input; each missing one
    refused at dependencyIds.<kind>, saying what needs it."""
    missing: list[InputPropertyErrorDetails] = [
        {"property_path": f"dependencyIds.{kind}", "reason": f"is required: {why} (the Workspace block's "
                                                                f"dependencyIds output has it)"}
        for kind, why in needs.items()
        if kind not in given
    ]
    if missing:
        raise invalid_inputs(component, name, missing)
    return {kind: given[kind] for kind in needs}


class WorkspaceBlockArgs(TypedDict):
    """The inputs of a Workspace block."""

    location: str
    """Azure region of every resource, e.g. westeurope."""
    prefix: str
    """Workload name in every resource name: 2-10 lowercase letters or digits."""
    environment: NotRequired[str]
    """dev, test, prod...: 1-8 lowercase letters or digits, in names and tags. Default: the stack name."""
    name_suffix: NotRequired[str]
    """1-4 lowercase letters or digits appended to globally unique names. Default: derived from prefix and environment."""
    tags: NotRequired[dict[str, str]]
    """Tags merged over the environment and managedBy tags on every resource."""
    protect: NotRequired[bool]
    """true: protect and retain-on-delete every stateful resource."""
    resource_group: NotRequired[dict[str, Any]]
    """The resource group: {name, existing}, as a stack file's azureml-infra:resourceGroup."""
    workspace: NotRequired[dict[str, Any]]
    """The workspace and its dependencies (storageAccount, keyVault, containerRegistry, applicationInsights, logAnalytics, identity...), as a stack file's azureml-infra:workspace."""
    computes: NotRequired[list[dict[str, Any]]]
    """The environment's clusters, as given to their ComputeCluster blocks, when the workspace settings name one (imageBuildCompute); this block does not make them."""


class Workspace(pulumi.ComponentResource):
    """The Azure ML workspace with its dependencies: the resource group (or an existing one), storage account, key vault, Log Analytics, Application Insights and container registry (each created or reused by id), the workspace and its identity, as the azureml-infra program makes them."""

    resource_group_name: pulumi.Output[str]
    """The resource group's name."""
    workspace_name: pulumi.Output[str]
    """The Azure ML workspace's name."""
    workspace_id: pulumi.Output[str]
    """The workspace's ARM id."""
    workspace_principal_id: pulumi.Output[str]
    """The principal id of the workspace's managed identity."""
    storage_account_name: pulumi.Output[str]
    """The workspace's storage account."""
    key_vault_uri: pulumi.Output[str]
    """The workspace's key vault URI."""
    container_registry_login_server: pulumi.Output[str]
    """The workspace's container registry login server."""
    application_insights_id: pulumi.Output[str]
    """The workspace's Application Insights ARM id."""
    dependency_ids: pulumi.Output[dict[str, str]]
    """The ARM id of each resource by kind (resourceGroup, workspace, storageAccount, keyVault, logAnalytics, applicationInsights, containerRegistry): the dependencyIds the other blocks take."""

    def __init__(self, name: str, args: WorkspaceBlockArgs, opts: pulumi.ResourceOptions | None = None):
        deployment = validated("Workspace", name, args)  # the computes: for the rules only
        super().__init__(f"{PACKAGE}:index:Workspace", name, None, opts)
        client = authorization.get_client_config_output()
        workspace = workspace_component.MachineLearningWorkspace(
            "workspace",
            workspace_component.WorkspaceArgs(deployment.workspace, client.tenant_id, client.subscription_id),
            opts=child(self),
        )
        self.resource_group_name = workspace.resource_group_name
        self.workspace_name = workspace.workspace_name
        self.workspace_id = workspace.workspace_id
        self.workspace_principal_id = workspace.principal_id
        self.storage_account_name = pulumi.Output.from_input(workspace.storage_account_name)
        self.key_vault_uri = pulumi.Output.from_input(workspace.key_vault_uri)
        self.container_registry_login_server = pulumi.Output.from_input(workspace.container_registry_login_server)
        self.application_insights_id = pulumi.Output.from_input(workspace.application_insights_id)
        self.dependency_ids = pulumi.Output.all(**workspace.ids)
        self.register_outputs({"workspaceId": self.workspace_id, "dependencyIds": self.dependency_ids})


class ComputeClusterBlockArgs(TypedDict):
    """The inputs of a ComputeCluster block."""

    location: str
    """Azure region of the cluster (the workspace's), e.g. westeurope."""
    prefix: str
    """Workload name, as the workspace's: 2-10 lowercase letters or digits."""
    environment: NotRequired[str]
    """dev, test, prod...: 1-8 lowercase letters or digits, in tags. Default: the stack name."""
    name_suffix: NotRequired[str]
    """The workspace's name suffix, if it has one."""
    tags: NotRequired[dict[str, str]]
    """Tags merged over the environment and managedBy tags."""
    workspace: NotRequired[dict[str, Any]]
    """The workspace's settings, as given to its Workspace block: they decide the cluster identity's roles (on keyless storage it reads and writes with its own identity) and their names."""
    cluster: dict[str, Any]
    """The cluster, as an entry of a stack file's azureml-infra:computes ({name, vmSize, minNodes, maxNodes, identity, ssh...})."""
    resource_group_name: pulumi.Input[str]
    """The workspace's resource group."""
    workspace_name: pulumi.Input[str]
    """The Azure ML workspace the cluster belongs to."""
    training_subnet_id: NotRequired[pulumi.Input[str]]
    """The subnet the nodes join, for a cluster in a VNet."""
    dependency_ids: NotRequired[dict[str, pulumi.Input[str]]]
    """The ARM id of each resource the cluster's identity gets a role on, by kind (storageAccount, containerRegistry...): the Workspace block's dependencyIds."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """The secret the cluster names (ssh.passwordSecret): secret name -> value."""


class ComputeCluster(pulumi.ComponentResource):
    """An AmlCompute cluster in an existing workspace, with its identity's roles on the workspace's resources, as the azureml-infra program makes it."""

    compute_id: pulumi.Output[str]
    """The compute's ARM id."""
    principal_id: pulumi.Output[str] | None
    """The principal id of the cluster's system-assigned identity, when it has one."""

    def __init__(self, name: str, args: ComputeClusterBlockArgs, opts: pulumi.ResourceOptions | None = None):
        sections = _naming(args) | {"workspace": args.get("workspace") or {}, "computes": [args["cluster"]],
                                    "secrets": args.get("secrets") or {}}
        deployment = validated("ComputeCluster", name, sections, _renamed("computes", "cluster"))
        spec = deployment.clusters[0]
        scope_ids = _ids("ComputeCluster", name, args.get("dependency_ids") or {},
                         {g.target: f"the cluster's identity has a role on it ({g.grant.description})" for g in spec.grants})
        super().__init__(f"{PACKAGE}:index:ComputeCluster", name, None, opts)
        client = authorization.get_client_config_output()
        secrets = {key: pulumi.Output.secret(value) for key, value in (args.get("secrets") or {}).items()}
        cluster = compute_components.create_computes(
            compute_components.ComputesArgs(
                (spec,), (), _placement(args, deployment), client.tenant_id, args.get("training_subnet_id"),
                secrets, {}, scope_ids, client.subscription_id,
            ),
            parent=self,
        )[spec.name]
        self.compute_id = cluster.compute_id
        self.principal_id = cluster.principal_id
        self.register_outputs({"computeId": self.compute_id})


def _placement(args: Mapping[str, Any], deployment: Deployment) -> Placement:
    return Placement(args["resource_group_name"], args["workspace_name"], deployment.location, deployment.tags)


class ComputeInstanceBlockArgs(TypedDict):
    """The inputs of a ComputeInstance block."""

    location: str
    """Azure region of the instance (the workspace's), e.g. westeurope."""
    prefix: str
    """Workload name, as the workspace's: 2-10 lowercase letters or digits."""
    environment: NotRequired[str]
    """dev, test, prod...: 1-8 lowercase letters or digits, in tags. Default: the stack name."""
    name_suffix: NotRequired[str]
    """The workspace's name suffix, if it has one."""
    tags: NotRequired[dict[str, str]]
    """Tags merged over the environment and managedBy tags."""
    instance: dict[str, Any]
    """The instance, as an entry of a stack file's azureml-infra:computeInstances ({name, vmSize, assignedUser, schedules...})."""
    resource_group_name: pulumi.Input[str]
    """The workspace's resource group."""
    workspace_name: pulumi.Input[str]
    """The Azure ML workspace the instance belongs to."""
    training_subnet_id: NotRequired[pulumi.Input[str]]
    """The subnet the instance joins, for an instance in a VNet."""


class ComputeInstance(pulumi.ComponentResource):
    """A personal compute instance in an existing workspace, as the azureml-infra program makes it."""

    compute_id: pulumi.Output[str]
    """The compute's ARM id."""

    def __init__(self, name: str, args: ComputeInstanceBlockArgs, opts: pulumi.ResourceOptions | None = None):
        sections = _naming(args) | {"compute_instances": [args["instance"]]}
        deployment = validated("ComputeInstance", name, sections, _renamed("computeInstances", "instance"))
        spec = deployment.instances[0]
        super().__init__(f"{PACKAGE}:index:ComputeInstance", name, None, opts)
        client = authorization.get_client_config_output()
        instance = compute_components.create_computes(
            compute_components.ComputesArgs(
                (), (spec,), _placement(args, deployment), client.tenant_id, args.get("training_subnet_id"),
            ),
            parent=self,
        )[spec.name]
        self.compute_id = instance.compute_id
        self.register_outputs({"computeId": self.compute_id})


class AccessBlockArgs(TypedDict):
    """The inputs of an Access block."""

    location: str
    """Azure region of the environment, e.g. westeurope."""
    prefix: str
    """Workload name, as the workspace's: 2-10 lowercase letters or digits."""
    environment: NotRequired[str]
    """dev, test, prod...: as the workspace's. Default: the stack name."""
    access: list[dict[str, Any]]
    """Role assignments for people and applications ({principalId, principalType, role or persona, scope}), as a stack file's azureml-infra:access."""
    dependency_ids: dict[str, pulumi.Input[str]]
    """The ARM id of each scope the entries name, by kind (resourceGroup, workspace, storageAccount...): the Workspace block's dependencyIds."""


class Access(pulumi.ComponentResource):
    """People's and applications' roles on an environment's resources (the access entries and the roles each persona needs), as the azureml-infra program assigns them."""

    role_assignment_ids: pulumi.Output[dict[str, str]]
    """The ARM id of each role assignment, by its logical name."""

    def __init__(self, name: str, args: AccessBlockArgs, opts: pulumi.ResourceOptions | None = None):
        sections = {key: args[key] for key in ("location", "prefix", "environment") if key in args}
        deployment = validated("Access", name, sections | {"access": args["access"]})
        scope_ids = _ids("Access", name, args["dependency_ids"],
                         {g.scope: f"an access entry gives a role on it ({g.grant.description})" for g in deployment.access})
        super().__init__(f"{PACKAGE}:index:Access", name, None, opts)
        client = authorization.get_client_config_output()
        access = access_component.Access(
            "access", access_component.AccessArgs(deployment.access, scope_ids, client.subscription_id),
            opts=child(self),
        )
        self.role_assignment_ids = pulumi.Output.all(**{key: a.id for key, a in access.assignments.items()})
        self.register_outputs({"roleAssignmentIds": self.role_assignment_ids})


class DatastoresBlockArgs(TypedDict):
    """The inputs of a Datastores block."""

    location: str
    """Azure region of the workspace, e.g. westeurope."""
    prefix: str
    """Workload name, as the workspace's: 2-10 lowercase letters or digits."""
    environment: NotRequired[str]
    """dev, test, prod...: as the workspace's. Default: the stack name."""
    name_suffix: NotRequired[str]
    """The workspace's name suffix, if it has one."""
    workspace: NotRequired[dict[str, Any]]
    """The workspace's settings, as given to its Workspace block (they name the identities' roles)."""
    computes: NotRequired[list[dict[str, Any]]]
    """The clusters whose identities read the identity-based datastores, as given to their ComputeCluster blocks (each gets a data role on each such datastore)."""
    datastores: list[dict[str, Any]]
    """The datastores, as a stack file's azureml-infra:datastores (existing storage accounts; the data lake a stack creates is MlEnvironment's)."""
    resource_group_name: pulumi.Input[str]
    """The workspace's resource group."""
    workspace_name: pulumi.Input[str]
    """The Azure ML workspace the datastores belong to."""
    workspace_principal_id: NotRequired[pulumi.Input[str]]
    """The workspace identity's principal id (the Workspace block's workspacePrincipalId): it reads the identity-based datastores."""
    compute_principal_ids: NotRequired[dict[str, pulumi.Input[str]]]
    """Each cluster's identity principal id, by compute name (the ComputeCluster blocks' principalId)."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """The credentials the datastores name (datastores[].secret): secret name -> value."""


class Datastores(pulumi.ComponentResource):
    """Datastores of an existing workspace on existing storage, each with the data roles its readers need when it authenticates with identities, as the azureml-infra program attaches them."""

    datastores: pulumi.Output[dict[str, Any]]
    """Each datastore by name: {kind, accountName, container, default}."""

    def __init__(self, name: str, args: DatastoresBlockArgs, opts: pulumi.ResourceOptions | None = None):
        sections: dict[str, Any] = {key: args[key] for key in ("location", "prefix", "environment", "name_suffix")
                                    if key in args}
        sections |= {"workspace": args.get("workspace") or {}, "computes": args.get("computes") or [],
                     "datastores": args["datastores"], "secrets": args.get("secrets") or {}}
        deployment = validated("Datastores", name, sections)
        given: dict[str, pulumi.Input[str]] = dict(args.get("compute_principal_ids") or {})
        if "workspace_principal_id" in args:
            given[""] = args["workspace_principal_id"]
        readers = {r.compute or "": r.compute for s in deployment.datastores for r in s.grants}
        missing: list[InputPropertyErrorDetails] = [
            {"property_path": f"computePrincipalIds.{key}" if key else "workspacePrincipalId",
             "reason": "is required: that identity reads the identity-based datastores"}
            for key in readers if key not in given
        ]
        if missing:
            raise invalid_inputs("Datastores", name, missing)
        super().__init__(f"{PACKAGE}:index:Datastores", name, None, opts)
        client = authorization.get_client_config_output()
        secrets = {key: pulumi.Output.secret(value) for key, value in (args.get("secrets") or {}).items()}
        attached = datastore_components.create_datastores(
            datastore_components.DatastoresArgs(
                deployment.datastores, args["workspace_name"], args["resource_group_name"], client.subscription_id,
                {compute: given[key] for key, compute in readers.items()}, secrets,
            ),
            parent=self,
        )
        self.datastores = pulumi.Output.from_input(datastore_components.datastores_output(attached))
        self.register_outputs({"datastores": self.datastores})


class PrivateEndpointsBlockArgs(TypedDict):
    """The inputs of a PrivateEndpoints block."""

    location: str
    """Azure region of the environment, e.g. westeurope."""
    prefix: str
    """Workload name, as the workspace's: 2-10 lowercase letters or digits."""
    environment: NotRequired[str]
    """dev, test, prod...: as the workspace's. Default: the stack name."""
    name_suffix: NotRequired[str]
    """The workspace's name suffix, if it has one."""
    tags: NotRequired[dict[str, str]]
    """Tags merged over the environment and managedBy tags."""
    resource_group: NotRequired[dict[str, Any]]
    """The resource group settings, as given to the Workspace block."""
    workspace: NotRequired[dict[str, Any]]
    """The workspace's settings, as given to its Workspace block: they decide which resources get endpoints, and their names."""
    computes: NotRequired[list[dict[str, Any]]]
    """The environment's clusters, as given to their ComputeCluster blocks, when the workspace settings name one (imageBuildCompute); this block does not make them."""
    network: dict[str, Any]
    """The network section, as a stack file's azureml-infra:network, whose privateEndpoints name an existing subnet (subnetId) and the ARM id of every DNS zone the endpoints need (dnsZones)."""
    resource_group_name: pulumi.Input[str]
    """The resource group the endpoints go in (the workspace's)."""
    dependency_ids: dict[str, pulumi.Input[str]]
    """The ARM id of each resource an endpoint connects to, by kind (workspace, storageAccount, keyVault, containerRegistry): the Workspace block's dependencyIds."""
    workspace_principal_id: NotRequired[pulumi.Input[str]]
    """The workspace identity's principal id: it reads storage through the storage endpoints (Azure ML studio)."""


class PrivateEndpoints(pulumi.ComponentResource):
    """A private endpoint per group of each of the workspace's resources, in an existing subnet, each with a DNS zone group of existing zones (and the workspace identity's Reader on the storage endpoints), as the azureml-infra program makes them."""

    private_endpoint_ids: pulumi.Output[dict[str, str]]
    """The ARM id of each private endpoint, by target (storage-account-blob, key-vault, workspace...)."""

    def __init__(self, name: str, args: PrivateEndpointsBlockArgs, opts: pulumi.ResourceOptions | None = None):
        deployment = validated("PrivateEndpoints", name, _naming(args, "resource_group", "workspace", "computes", "network"))
        spec = deployment.network
        problems: list[InputPropertyErrorDetails] = []
        if spec is None or spec.subnet_id is None:
            problems.append({"property_path": "network.privateEndpoints.subnetId", "reason": (
                "is required: this block makes the endpoints in an existing subnet (MlEnvironment makes a VNet)")})
        elif spec.zones_to_create:
            problems.append({"property_path": "network.privateEndpoints.dnsZones", "reason": (
                f"needs the ARM id of {', '.join(spec.zones_to_create)}: this block makes no DNS zone "
                "(MlEnvironment does)")})
        if any(e.reader for e in deployment.endpoints) and "workspace_principal_id" not in args:
            problems.append({"property_path": "workspacePrincipalId", "reason": (
                "is required: the workspace identity reads storage through its endpoints")})
        if problems:
            raise invalid_inputs("PrivateEndpoints", name, problems)
        assert spec is not None and spec.subnet_id is not None
        target_ids = _ids("PrivateEndpoints", name, args["dependency_ids"],
                          {e.target: f"the private endpoint {e.name} connects to it" for e in deployment.endpoints})
        super().__init__(f"{PACKAGE}:index:PrivateEndpoints", name, None, opts)
        client = authorization.get_client_config_output()
        endpoints = network_components.PrivateEndpoints(
            "private-endpoints",
            network_components.PrivateEndpointsArgs(
                deployment.endpoints, target_ids, args["resource_group_name"], deployment.location, spec.subnet_id,
                spec.given_zones, deployment.tags, args.get("workspace_principal_id", ""), client.subscription_id,
            ),
            opts=child(self),
        )
        self.private_endpoint_ids = pulumi.Output.all(**{key: pe.id for key, pe in endpoints.endpoints.items()})
        self.register_outputs({"privateEndpointIds": self.private_endpoint_ids})
