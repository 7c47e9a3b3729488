"""azureml-infra: one Azure Machine Learning environment per stack.

The stack config is parsed and validated as a whole first; an invalid config stops the
program here, before any resource is registered. Then each component gets the part of the
config it needs, as typed arguments, in the order their dependencies run: the workspace and its
dependencies, the network, computes, data, then what points at all of those (private endpoints,
the registry's and people's role assignments, diagnostic settings).
"""

import pulumi
from pulumi_azure_native import authorization

from azureml_infra import adoption, arm
from azureml_infra.config import load_stack_config
from azureml_infra.config.rules.diagnostics import diagnostics_on
from azureml_infra.naming import identity_name, network_names
from components.access import Access, AccessArgs, access_scopes, principals_of, workspace_principal_key
from components.compute import Placement, computes_output, create_computes
from components.datastores import DatastoresArgs, create_data_storage, create_datastores, datastores_output
from components.diagnostics import Diagnostics, DiagnosticsArgs, diagnostic_targets
from components.kubernetes import create_kubernetes_computes
from components.ml_registry import MachineLearningRegistry, MachineLearningRegistryArgs
from components.network import (
    Network,
    NetworkArgs,
    PrivateEndpoints,
    PrivateEndpointsArgs,
    data_storage_outbound_rules,
    endpoint_targets,
)
from components.workspace import MachineLearningWorkspace, WorkspaceArgs

config = load_stack_config()
names = config.names()
tags = config.resource_tags()
# adopt: true - the first `pulumi up` imports what the legacy ARM templates deployed, by ARM id
# (docs/migration.md). The ids name azure-native:subscriptionId, else the signed-in subscription,
# which is the one azure-native deploys to.
import_ids = (
    adoption.import_ids(
        config,
        pulumi.Config("azure-native").get("subscriptionId") or authorization.get_client_config().subscription_id,
    )
    if config.adopt
    else {}
)

# The deployment's subscription (role definition ids and scopes are built in it).
subscription_id = authorization.get_client_config_output().subscription_id

workspace = MachineLearningWorkspace(
    "workspace",
    WorkspaceArgs(
        location=config.location,
        names=names,
        settings=config.workspace,
        create_resource_group=not config.resource_group.existing,
        protect=config.protect,
        tags=tags,
        import_ids=import_ids,
        identity_name=identity_name(config.prefix, config.environment),
        network=config.network,
    ),
)
# Private endpoints (network.privateEndpoints): the VNet (or an existing subnet) and the DNS zones
# first; the endpoints themselves once what they point at exists (below).
private_endpoints = config.network.private_endpoints
network = (
    Network(
        "network",
        NetworkArgs.of(
            private_endpoints,
            network_names(config.prefix, config.environment),
            workspace.resource_group_name,
            config.location,
            has_data_storage=config.data_storage is not None,
            tags=tags,
        ),
    )
    if private_endpoints is not None
    else None
)
computes = create_computes(
    config.computes,
    config.compute_instances,
    Placement(
        workspace.resource_group_name,
        workspace.workspace_name,
        config.location,
        tags,
        import_ids=import_ids,
        training_subnet_id=network.training_subnet_id if network else None,
    ),
    parent=workspace,
)
# Kubernetes computes join the same map: they are computes of the workspace (the `computes`
# output), and their identities read datastores and the registry like the clusters' do.
computes.update(
    create_kubernetes_computes(
        config.kubernetes_computes,
        Placement(workspace.resource_group_name, workspace.workspace_name, config.location, tags),
        {k.name: k.cluster_name(config.prefix, config.environment) for k in config.kubernetes_computes},
        parent=workspace,
        # A created cluster goes in the stack's training subnet when the stack has a network.
        subnet_id=network.training_subnet_id if network else None,
        subnet_key=f"{names.resource_group}/{network_names(config.prefix, config.environment).vnet}/training".lower(),
        subscription_id=subscription_id,
    )
)
identity = config.workspace.identity
datastores_args = DatastoresArgs(
    datastores=config.datastores,
    data_storage=config.data_storage,
    data_storage_account_name=names.data_storage,
    workspace_key=names.ml_workspace,
    workspace_resource_group_key=names.resource_group,
    location=config.location,
    protect=config.protect,
    tags=tags,
    # Data roles follow whichever identity the workspace has (docs/access.md).
    workspace_identity_key=(identity.id or identity_name(config.prefix, config.environment))
    if identity.user_assigned else None,
    private_network=private_endpoints is not None,
)
data_storage = create_data_storage(datastores_args, workspace)
datastores = create_datastores(datastores_args, workspace, computes, data_storage)

lake_name = datastores_args.data_storage_account_name
workspace_principal = workspace_principal_key(names.ml_workspace, datastores_args.workspace_identity_key)
if data_storage is not None and config.network.managed:
    data_storage_outbound_rules(names, workspace, data_storage, lake_name, workspace_principal, subscription_id)

endpoints = None
if network is not None:
    endpoints = PrivateEndpoints(
        "private-endpoints",
        PrivateEndpointsArgs(
            resource_group_name=workspace.resource_group_name,
            location=config.location,
            subnet_id=network.private_endpoint_subnet_id,
            zone_ids=network.zone_ids,
            targets=endpoint_targets(names, workspace, data_storage, lake_name),
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=network),
    )

registry = None
if config.registry is not None:
    # A role definition id lives in the subscription of the scope: the existing registry's, or
    # the deployment's for one created here.
    existing = arm.parse_resource_id(config.registry.id) if config.registry.id else None
    registry = MachineLearningRegistry(
        "ml-registry",
        MachineLearningRegistryArgs(
            settings=config.registry,
            resource_group_name=workspace.resource_group_name,
            location=config.location,
            readers=principals_of(
                names.ml_workspace, workspace.principal_id, computes, datastores_args.workspace_identity_key
            ),
            subscription_id=existing.subscription_id if existing else subscription_id,
            protect=config.protect,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=workspace),
    )

if config.access:
    Access(
        "access",
        AccessArgs(
            entries=config.access,
            scopes=access_scopes(names, workspace, subscription_id, data_storage, lake_name),
            stack_key=f"{config.prefix}-{config.environment}",
            subscription_id=subscription_id,
        ),
        opts=pulumi.ResourceOptions(parent=workspace),
    )

if config.diagnostics.enabled and not diagnostics_on(config):
    pulumi.log.warn(
        "no diagnostic settings: this stack reuses Application Insights, so it has no Log Analytics "
        "workspace to send them to; set azureml-infra:diagnostics.workspaceId to turn them on, or "
        "diagnostics.enabled: false to silence this warning (docs/access.md, Diagnostics)"
    )
if diagnostics_on(config):
    destination = config.diagnostics.workspace_id or workspace.log_analytics_id
    assert destination is not None, "config.diagnostics checks that logs have somewhere to go"
    Diagnostics(
        "diagnostics",
        DiagnosticsArgs(
            targets=diagnostic_targets(config.workspace, workspace, data_storage),
            workspace_id=destination,
            logs=config.diagnostics.logs,
            metrics=config.diagnostics.metrics,
        ),
        opts=pulumi.ResourceOptions(parent=workspace),
    )

# Stack outputs, camelCase, for downstream ML pipelines (StackReference.get_output).
pulumi.export("resourceGroupName", workspace.resource_group_name)
pulumi.export("location", config.location)
pulumi.export("workspaceName", workspace.workspace_name)
pulumi.export("workspaceId", workspace.workspace_id)
# The workspace's managed identity: what consumers grant access to (as the verified modules export).
pulumi.export("workspacePrincipalId", workspace.principal_id)
if workspace.user_assigned_identity is not None:
    # The user-assigned identity: its ARM id (to attach it elsewhere) and client id (AZURE_CLIENT_ID).
    pulumi.export("workspaceIdentityId", workspace.user_assigned_identity.id)
    pulumi.export("workspaceIdentityClientId", workspace.identity_client_id())
pulumi.export("storageAccountName", workspace.storage_account_name)
pulumi.export("keyVaultUri", workspace.key_vault_uri)
pulumi.export("containerRegistryLoginServer", workspace.container_registry_login_server)
pulumi.export("applicationInsightsId", workspace.application_insights_id)
pulumi.export("computes", computes_output(computes))
pulumi.export("datastores", datastores_output(datastores))
if registry is not None:
    # For the stacks that use the registry: registry.id is this stack's registryId output.
    pulumi.export("registryId", registry.registry_id)
    pulumi.export("registryName", registry.registry_name)
if network is not None and endpoints is not None:
    # For whoever connects to the private workspace: peer or link this VNet, reuse the zones.
    pulumi.export("vnetId", network.vnet_id)
    pulumi.export("privateEndpointSubnetId", network.private_endpoint_subnet_id)
    if network.training_subnet_id is not None:
        pulumi.export("trainingSubnetId", network.training_subnet_id)
    pulumi.export("privateDnsZoneIds", network.zone_ids)
    pulumi.export("privateEndpointIds", {key: pe.id for key, pe in endpoints.endpoints.items()})
