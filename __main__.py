"""azureml-infra: one Azure Machine Learning environment per stack.

The stack config is parsed and validated as a whole first; an invalid config stops the
program here, before any resource is registered. Then each component gets the part of the
config it needs, as typed arguments.
"""

import pulumi
from pulumi_azure_native import authorization

from azureml_infra import adoption, arm
from azureml_infra.config import load_stack_config
from azureml_infra.config.diagnostics import diagnostics_on
from azureml_infra.config.workspace import user_assigned_identity_name
from azureml_infra.roles import Role
from components.access import Access, AccessArgs, AccessScope, Grant, principals_of, workspace_principal_key
from components.compute import Placement, computes_output, create_computes
from components.datastores import DatastoresArgs, create_data_storage, create_datastores, datastores_output
from components.diagnostics import Diagnostics, DiagnosticsArgs, Target, blob_service_id
from components.kubernetes import create_kubernetes_computes
from components.ml_registry import MachineLearningRegistry, MachineLearningRegistryArgs
from components.network import (
    DataStorageOutboundRules,
    DataStorageRulesArgs,
    EndpointTarget,
    Network,
    NetworkArgs,
    PrivateEndpoints,
    PrivateEndpointsArgs,
    network_names,
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
        identity_name=user_assigned_identity_name(config.prefix, config.environment),
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
        subscription_id=authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=workspace))
        .subscription_id,
    )
)
identity = config.workspace.identity
datastores_args = DatastoresArgs(
    datastores=config.datastores,
    data_storage=config.data_storage,
    data_storage_account_name=config.data_storage.account_name(config) if config.data_storage else None,
    workspace_key=names.ml_workspace,
    workspace_resource_group_key=names.resource_group,
    location=config.location,
    protect=config.protect,
    tags=tags,
    # Data roles follow whichever identity the workspace has (docs/access.md).
    workspace_identity_key=(identity.id or user_assigned_identity_name(config.prefix, config.environment))
    if identity.user_assigned else None,
    private_network=private_endpoints is not None,
)
data_storage = create_data_storage(datastores_args, workspace)
datastores = create_datastores(datastores_args, workspace, computes, data_storage)

if data_storage is not None and config.network.managed:
    # Jobs in the managed network reach the data lake through private endpoints Azure ML creates.
    lake_name = datastores_args.data_storage_account_name
    DataStorageOutboundRules(
        "data-storage-outbound",
        DataStorageRulesArgs(
            resource_group_name=workspace.resource_group_name,
            workspace_name=workspace.workspace_name,
            account_id=data_storage.account.id,
            approver=Grant(
                role=Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER,
                scope=data_storage.account.id,
                scope_key=f"{names.resource_group}/storageaccounts/{lake_name}".lower(),
                principal_id=workspace.principal_id,
                # The same key as the workspace identity's data roles (components/datastores.py).
                principal_key=workspace_principal_key(names.ml_workspace, datastores_args.workspace_identity_key),
                subscription_id=authorization.get_client_config_output(
                    opts=pulumi.InvokeOutputOptions(parent=workspace)
                ).subscription_id,
                description="azureml-infra: the workspace approves its managed network's endpoints to the data lake",
            ),
        ),
        opts=pulumi.ResourceOptions(parent=workspace),
    )

endpoints = None
if network is not None:
    # A dependency reused by id still gets its endpoint; its own network settings stay its owner's.
    endpoint_targets = [
        EndpointTarget("workspace", names.ml_workspace, workspace.workspace_id, "amlworkspace"),
        EndpointTarget("storage-account-blob", names.storage_account, workspace.storage_account_id, "blob"),
        EndpointTarget("storage-account-file", names.storage_account, workspace.storage_account_id, "file"),
        EndpointTarget("key-vault", names.key_vault, workspace.key_vault_id, "vault"),
        EndpointTarget("container-registry", names.container_registry, workspace.container_registry_id, "registry"),
    ]
    if data_storage is not None:
        lake = datastores_args.data_storage_account_name
        endpoint_targets += [
            EndpointTarget("data-storage-blob", lake, data_storage.account.id, "blob"),
            EndpointTarget("data-storage-dfs", lake, data_storage.account.id, "dfs"),
        ]
    endpoints = PrivateEndpoints(
        "private-endpoints",
        PrivateEndpointsArgs(
            resource_group_name=workspace.resource_group_name,
            location=config.location,
            subnet_id=network.private_endpoint_subnet_id,
            zone_ids=network.zone_ids,
            targets=endpoint_targets,
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
            subscription_id=existing.subscription_id
            if existing
            else authorization.get_client_config_output(
                opts=pulumi.InvokeOutputOptions(parent=workspace)
            ).subscription_id,
            protect=config.protect,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=workspace),
    )

# Role assignments of the stack file's `access` entries, on this stack's own resources (the
# config checks refuse a scope the stack does not own). Keys are config values only: they name
# the assignments (components/access.py).
rg_key = names.resource_group.lower()
subscription_id = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=workspace)).subscription_id
if config.access:
    access_scopes = {
        "workspace": AccessScope(workspace.workspace_id, f"{rg_key}/workspaces/{names.ml_workspace}".lower()),
        "resourceGroup": AccessScope(
            pulumi.Output.concat("/subscriptions/", subscription_id, "/resourceGroups/", workspace.resource_group_name),
            f"resourcegroups/{rg_key}",
        ),
        "storageAccount": AccessScope(workspace.storage_account_id, f"{rg_key}/storageaccounts/{names.storage_account}"),
        "keyVault": AccessScope(workspace.key_vault_id, f"{rg_key}/vaults/{names.key_vault}".lower()),
        "containerRegistry": AccessScope(
            workspace.container_registry_id, f"{rg_key}/registries/{names.container_registry}"
        ),
    }
    if workspace.log_analytics_id is not None:
        access_scopes["logAnalytics"] = AccessScope(
            workspace.log_analytics_id, f"{rg_key}/loganalytics/{names.log_analytics}".lower()
        )
    if data_storage is not None:
        access_scopes["dataStorage"] = AccessScope(
            data_storage.account.id, f"{rg_key}/storageaccounts/{datastores_args.data_storage_account_name}"
        )
    Access(
        "access",
        AccessArgs(
            entries=config.access,
            scopes=access_scopes,
            stack_key=f"{config.prefix}-{config.environment}",
            subscription_id=subscription_id,
        ),
        opts=pulumi.ResourceOptions(parent=workspace),
    )

# Diagnostic settings of what this stack creates (a reused resource is its owner's to change),
# to diagnostics.workspaceId or the stack's Log Analytics (config.diagnostics: when there is none).
if config.diagnostics.enabled and not diagnostics_on(config):
    pulumi.log.warn(
        "no diagnostic settings: this stack reuses Application Insights, so it has no Log Analytics "
        "workspace to send them to; set azureml-infra:diagnostics.workspaceId to turn them on, or "
        "diagnostics.enabled: false to silence this warning (docs/access.md, Diagnostics)"
    )
if diagnostics_on(config):
    ws_settings = config.workspace
    targets = [Target("workspace", workspace.workspace_id)]
    if not ws_settings.key_vault.reused:
        targets.append(Target("key-vault", workspace.key_vault_id))
    if not ws_settings.storage_account.reused:
        targets += [Target("storage-account-blob", blob_service_id(workspace.storage_account_id), "blob"),
                    Target("storage-account", workspace.storage_account_id, "metrics")]
    if not ws_settings.container_registry.reused:
        targets.append(Target("container-registry", workspace.container_registry_id))
    if data_storage is not None:
        targets += [Target("data-storage-blob", blob_service_id(data_storage.account.id), "blob"),
                    Target("data-storage", data_storage.account.id, "metrics")]
    destination = config.diagnostics.workspace_id or workspace.log_analytics_id
    assert destination is not None, "config.diagnostics checks that logs have somewhere to go"
    Diagnostics(
        "diagnostics",
        DiagnosticsArgs(
            targets=targets,
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
