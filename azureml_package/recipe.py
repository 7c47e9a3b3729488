"""The recipe: one Azure Machine Learning environment from a resolved Deployment.

The one place that builds an environment: the program (``__main__.py``, from its stack file)
and the package's ``MlEnvironment`` component (from its inputs) both call ``build``, so what a
stack deploys and what the package deploys cannot drift. Each component is made in dependency
order - the workspace and its dependencies, the network, computes, data, then what points at
all of those (private endpoints, the registry's and people's role assignments, diagnostic
settings) - and ``Built.outputs`` are the stack's outputs.

``parent`` is None for the program: its components stay top-level and keep their URNs. The
package passes its MlEnvironment, which becomes the parent of the same components.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import authorization

from azureml_infra import adoption
from azureml_infra.deployment import Deployment
from azureml_infra.journeys import unmet
from components.access import Access, AccessArgs
from components.budget import Budget, BudgetArgs
from components.compute import ComputesArgs, computes_output, create_computes
from components.datastores import (
    DataStorage,
    DataStorageArgs,
    DatastoresArgs,
    create_datastores,
    datastores_output,
)
from components.diagnostics import Diagnostics, DiagnosticsArgs
from components.foundry import Foundry, FoundryArgs
from components.kubernetes import KubernetesComputesArgs, create_kubernetes_computes
from components.ml_registry import MachineLearningRegistry, MachineLearningRegistryArgs
from components.network import (
    MonitorScope,
    MonitorScopeArgs,
    Network,
    NetworkArgs,
    OutboundRules,
    OutboundRulesArgs,
    PrivateEndpoints,
    PrivateEndpointsArgs,
)
from components.options import child
from components.placement import Placement
from components.workspace import MachineLearningWorkspace, WorkspaceArgs


@dataclass
class Built:
    """What the recipe made: the stack outputs (camelCase, in the order they are exported) and
    the computes by name (tests read their identities)."""

    outputs: dict[str, Any] = field(default_factory=dict)
    computes: dict[str, Any] = field(default_factory=dict)


def _top(parent: pulumi.Resource | None) -> pulumi.ResourceOptions | None:
    """Options of a top-level component: none for the program (URNs unchanged), else a child."""
    return child(parent) if parent is not None else None


def build(
    deployment: Deployment,
    secrets: Mapping[str, pulumi.Input[str]],
    parent: pulumi.Resource | None = None,
) -> Built:
    """Register every resource of ``deployment``; ``secrets`` holds each of its secret_keys."""
    # A day-one journey the stack offers but cannot complete (azureml_infra.journeys) is said before
    # anything is deployed; the shipped stacks have none.
    for journey, need in unmet(deployment):
        pulumi.log.warn(f"journey '{journey}' will fail: it needs {need.piece} ({need.source})")
    client = authorization.get_client_config_output()
    secrets = dict(secrets)
    # adopt: true - the first `pulumi up` imports what the legacy ARM templates deployed, by ARM id
    # (docs/migration.md). The ids name azure-native:subscriptionId, else the signed-in subscription,
    # which is the one azure-native deploys to.
    import_ids = (
        adoption.import_ids(
            deployment,
            pulumi.Config("azure-native").get("subscriptionId") or authorization.get_client_config().subscription_id,
        )
        if deployment.adopt
        else {}
    )

    # workspace.serverlessCompute.subnetId: training - the workspace takes the training subnet's id, which
    # exists once the network (made in the workspace's resource group) does: a deferred output.
    serverless = deployment.workspace.serverless_subnet
    serverless_training = serverless is not None and serverless.training
    if serverless_training and (deployment.network is None or deployment.network.vnet is None
                                or deployment.network.vnet.training_subnet is None):
        # config.rules.network refuses it; never leave the workspace waiting for a subnet that will not come.
        raise ValueError("workspace.serverlessCompute.subnetId is training, and the stack has no training subnet")
    serverless_subnet: pulumi.Output[str] | None = None
    resolve_serverless_subnet: Callable[[pulumi.Output[str]], None] | None = None
    if serverless_training:
        serverless_subnet, resolve_serverless_subnet = pulumi.deferred_output()
    workspace = MachineLearningWorkspace(
        "workspace",
        WorkspaceArgs(deployment.workspace, client.tenant_id, client.subscription_id, import_ids, serverless_subnet),
        opts=_top(parent),
    )
    ids = workspace.ids

    network = (
        Network("network", NetworkArgs(deployment.network, workspace.resource_group_name), opts=_top(parent))
        if deployment.network is not None
        else None
    )
    training_subnet_id = network.training_subnet_id if network else None
    if resolve_serverless_subnet is not None and training_subnet_id is not None:
        resolve_serverless_subnet(training_subnet_id)
    placement = Placement(workspace.resource_group_name, workspace.workspace_name, deployment.location, deployment.tags)
    # Kubernetes computes join the same map: they are computes of the workspace (the `computes`
    # output), and their identities read datastores and the registry like the clusters' do.
    computes: dict[str, Any] = create_computes(
        ComputesArgs(deployment.clusters, deployment.instances, placement, client.tenant_id, training_subnet_id,
                     secrets, import_ids, ids, client.subscription_id),
        parent=workspace,
    )
    computes |= create_kubernetes_computes(
        KubernetesComputesArgs(deployment.kubernetes, placement, training_subnet_id, client.subscription_id, secrets,
                               ids),
        parent=workspace,
    )
    # The identities that read data and models: the workspace's (None) and each compute's.
    principal_ids = {None: workspace.principal_id} | {
        name: c.principal_id for name, c in computes.items() if c.principal_id is not None
    }

    data_storage = (
        DataStorage("data-storage", DataStorageArgs(deployment.data_storage, workspace.resource_group_name),
                    opts=child(workspace))
        if deployment.data_storage is not None
        else None
    )
    if data_storage is not None:
        ids["dataStorage"] = data_storage.account_id
    datastores = create_datastores(
        DatastoresArgs(deployment.datastores, workspace.workspace_name, workspace.resource_group_name,
                       client.subscription_id, principal_ids, secrets, data_storage),
        parent=workspace,
    )
    # The Foundry resource (azureml-infra:foundry): its endpoint, outbound rule, diagnostics and people's
    # roles take its id, like the workspace's dependencies (docs/foundry.md).
    foundry = (
        Foundry("foundry", FoundryArgs(deployment.foundry, workspace.resource_group_name, workspace.workspace_name,
                                       client.subscription_id, principal_ids), opts=child(workspace))
        if deployment.foundry is not None
        else None
    )
    if foundry is not None:
        ids["foundry"] = foundry.account_id
    # The Azure ML registry: its id goes to the managed network's rule and the private endpoint to it.
    registry = (
        MachineLearningRegistry(
            "ml-registry",
            MachineLearningRegistryArgs(deployment.registry, workspace.resource_group_name, client.subscription_id,
                                        principal_ids),
            opts=child(workspace),
        )
        if deployment.registry is not None
        else None
    )
    if registry is not None:
        ids["registry"] = registry.registry_id
    if deployment.outbound_rules is not None:
        OutboundRules(
            "outbound-rules",
            OutboundRulesArgs(deployment.outbound_rules, workspace.resource_group_name, workspace.workspace_name, ids,
                              workspace.principal_id, client.subscription_id),
            opts=child(workspace),
        )

    # network.privateEndpoints.monitor: the stack's Log Analytics and Application Insights in an Azure Monitor
    # private link scope, reached through its endpoint (docs/network.md).
    if network is not None and deployment.network is not None and deployment.network.monitor_scope is not None:
        scoped = {label: ids[kind] for kind, label in (("logAnalytics", "log-analytics"),
                                                       ("applicationInsights", "application-insights")) if kind in ids}
        ids["monitorScope"] = MonitorScope(
            "monitor-scope",
            MonitorScopeArgs(deployment.network.monitor_scope, workspace.resource_group_name, scoped, deployment.tags),
            opts=child(network),
        ).scope_id

    endpoints = (
        PrivateEndpoints(
            "private-endpoints",
            PrivateEndpointsArgs(deployment.endpoints, ids, workspace.resource_group_name, deployment.location,
                                 network.private_endpoint_subnet_id, network.zone_ids, deployment.tags,
                                 workspace.principal_id, client.subscription_id),
            opts=child(network),
        )
        if network is not None
        else None
    )

    if deployment.access:
        Access("access", AccessArgs(deployment.access, ids, client.subscription_id), opts=child(workspace))

    if deployment.diagnostics_without_destination:
        pulumi.log.warn(
            "no diagnostic settings: this stack reuses Application Insights, so it has no Log Analytics "
            "workspace to send them to; set azureml-infra:diagnostics.workspaceId to turn them on, or "
            "diagnostics.enabled: false to silence this warning (docs/access.md, Diagnostics)"
        )
    if deployment.diagnostics is not None:
        # config.rules.diagnostics checks that logs have somewhere to go: workspaceId, or the stack's own.
        destination = deployment.diagnostics.workspace_id or ids["logAnalytics"]
        Diagnostics("diagnostics", DiagnosticsArgs(deployment.diagnostics, ids, destination), opts=child(workspace))

    if deployment.budget is not None:
        # A monthly Cost budget on the stack's resource group (docs/cost.md).
        Budget("budget", BudgetArgs(deployment.budget, ids["resourceGroup"]), opts=child(workspace))

    # The outputs, camelCase, for downstream ML pipelines (StackReference.get_output).
    out: dict[str, Any] = {
        "resourceGroupName": workspace.resource_group_name,
        "location": deployment.location,
        "workspaceName": workspace.workspace_name,
        "workspaceId": workspace.workspace_id,
        # The workspace's managed identity: what consumers grant access to (as the verified modules export).
        "workspacePrincipalId": workspace.principal_id,
    }
    if workspace.user_assigned_identity is not None:
        # The user-assigned identity: its ARM id (to attach it elsewhere) and client id (AZURE_CLIENT_ID).
        out["workspaceIdentityId"] = workspace.user_assigned_identity.id
        out["workspaceIdentityClientId"] = workspace.identity_client_id()
    out |= {
        "storageAccountName": workspace.storage_account_name,
        "keyVaultUri": workspace.key_vault_uri,
        "containerRegistryLoginServer": workspace.container_registry_login_server,
        "applicationInsightsId": workspace.application_insights_id,
        "computes": computes_output(computes),
        "datastores": datastores_output(datastores),
    }
    if registry is not None:
        # For the stacks that use the registry: registry.id is this stack's registryId output.
        out["registryId"] = registry.registry_id
        out["registryName"] = registry.registry_name
    if network is not None and endpoints is not None:
        # For whoever connects to the private workspace: peer or link this VNet, reuse the zones.
        out["vnetId"] = network.vnet_id
        out["privateEndpointSubnetId"] = network.private_endpoint_subnet_id
        if network.training_subnet_id is not None:
            out["trainingSubnetId"] = network.training_subnet_id
        out["privateDnsZoneIds"] = network.zone_ids
        out["privateEndpointIds"] = {key: pe.id for key, pe in endpoints.endpoints.items()}
    if foundry is not None:
        # The account's id, name and endpoint, its deployments and projects, the workspace's connections.
        out |= foundry.outputs()
    return Built(outputs=out, computes=computes)
