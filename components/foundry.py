"""The Foundry resource: a Cognitive Services account of kind AIServices with project management,
its model deployments and projects (created here, or the account reused by id), the ML
workspace's connections to it and to the services of ``connections``, and the roles the
workspace's and the computes' identities need to call the deployments.

- The account: a system-assigned identity, local (key) authentication off unless its spec allows
  it, public network access off in a private stack (its private endpoint and the managed network's
  rule to it are made by components/network.py, as for the workspace's own dependencies),
  protected, retained and locked as the stack's other stateful resources are. Its custom
  subdomain is its name: Entra ID authentication and projects need one ("Custom subdomain names
  are required to enable features like Microsoft Entra ID", azure-ai-docs articles/ai-services/
  cognitive-services-custom-subdomains.md).
- Deployments one after another: the resource provider refuses a write to an account while
  another is under way on it ("RequestConflict: Another operation is being performed on the parent
  resource", hashicorp/terraform-provider-azurerm#22607, Azure/bicep#11211; "ARM schedules those
  independent children concurrently. The Microsoft.CognitiveServices resource provider rejects the
  concurrent writes with RequestConflict", Azure/azure-dev#9398). Projects one after another too,
  beside the deployments, as Microsoft's own template makes a project and a deployment at once
  (microsoft-foundry/foundry-samples, infrastructure-setup-bicep/40-basic-agent-setup/main.bicep).
- Connections with Entra ID (authType AAD) and no key: category AIServices to the account, its
  endpoint as target and its id in the metadata, as Azure ML's client writes one
  (azureml_infra.foundry_catalog).

Inputs checked against Azure/azure-resource-manager-schemas schemas/2025-06-01/
Microsoft.CognitiveServices.json (accounts, accounts_deployments, accounts_projects: the API
version of pulumi-azure-native 3.29's cognitiveservices module) and schemas/2025-12-01/
Microsoft.MachineLearningServices.json (workspaces_connections); tests/test_foundry.py validates
the examples' resources against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import cognitiveservices as cs
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra.deployment import ConnectionSpec, FoundryAccountSpec, FoundrySpec
from azureml_infra.foundry_catalog import ACCOUNT_KIND, ACCOUNT_SKU, API_TYPE, API_TYPE_KEY, RESOURCE_ID_KEY
from components.locks import lock_against_deletion
from components.options import child, stateful
from components.role_assignments import RoleAssignments


@dataclass(frozen=True)
class FoundryArgs:
    spec: FoundrySpec
    resource_group_name: pulumi.Input[str]
    workspace_name: pulumi.Input[str]
    # The deployment's subscription: of the role definitions unless a grant names another.
    subscription_id: pulumi.Input[str]
    # The principal id of the workspace (None) and of each compute that has one, by name.
    principal_ids: Mapping[str | None, pulumi.Input[str]] = field(default_factory=dict)


class Foundry(pulumi.ComponentResource):
    """The Foundry account (created or existing), its deployments and projects, the workspace's
    connections and the identities' roles on the account."""

    account: cs.Account | None  # None: an existing account
    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    deployments: list[cs.Deployment]
    projects: dict[str, cs.Project]
    connections: dict[str, ml.WorkspaceConnection]

    def __init__(self, name: str, args: FoundryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:foundry:Foundry", name, None, opts)
        self._args = args
        spec = args.spec
        self.deployments, self.projects = [], {}
        if spec.account is None:
            assert spec.existing_id is not None
            self.account = None
            self.account_id = pulumi.Output.from_input(spec.existing_id)
            self.account_name = pulumi.Output.from_input(spec.name)
        else:
            self.account = self._account(spec.account)
            self.account_id, self.account_name = self.account.id, self.account.name
            if spec.account.lock is not None:
                lock_against_deletion("foundry-account", self.account, spec.account.lock, parent=self)
            self._children(spec.account)
        self.connections = {c.name: self._connection(c) for c in spec.connections}
        grants = RoleAssignments()
        self.role_assignments = [
            grants.assign(r.grant, args.principal_ids[r.compute], self.account_id, args.subscription_id, self)
            for r in spec.grants
        ]
        self.register_outputs(self.outputs())

    def _account(self, account: FoundryAccountSpec) -> cs.Account:
        spec = self._args.spec
        private = {"public_network_access": "Disabled",
                   "network_acls": cs.NetworkRuleSetArgs(default_action="Deny", bypass="AzureServices")}
        return cs.Account(
            "foundry-account",
            account_name=spec.name,
            resource_group_name=self._args.resource_group_name,
            kind=ACCOUNT_KIND,
            sku=cs.SkuArgs(name=ACCOUNT_SKU),
            identity=cs.IdentityArgs(type=cs.ResourceIdentityType.SYSTEM_ASSIGNED),
            properties=cs.AccountPropertiesArgs(
                allow_project_management=True,
                custom_sub_domain_name=spec.name,
                disable_local_auth=not account.local_auth,
                **(private if account.private else {"public_network_access": "Enabled"}),
            ),
            location=spec.location,
            tags=spec.tags,
            # Projects hold files, threads and agents: protected with protect: true.
            opts=stateful(self, account.protect),
        )

    def _children(self, account: FoundryAccountSpec) -> None:
        """Deployments one after another, projects one after another (see the module's notes)."""
        assert self.account is not None
        spec = self._args.spec
        previous: pulumi.Resource | None = None
        for d in account.deployments:
            previous = cs.Deployment(
                f"foundry-deployment-{d.name}",
                account_name=self.account.name,
                deployment_name=d.name,
                resource_group_name=self._args.resource_group_name,
                sku=cs.SkuArgs(name=d.sku, capacity=d.capacity),
                properties=cs.DeploymentPropertiesArgs(
                    model=cs.DeploymentModelArgs(format=d.model_format, name=d.model_name, version=d.model_version),
                ),
                tags=spec.tags,
                opts=child(self, depends_on=[previous] if previous else []),
            )
            self.deployments.append(previous)
        previous = None
        for p in account.projects:
            previous = self.projects[p.name] = cs.Project(
                f"foundry-project-{p.name}",
                account_name=self.account.name,
                project_name=p.name,
                resource_group_name=self._args.resource_group_name,
                location=spec.location,
                identity=cs.IdentityArgs(type=cs.ResourceIdentityType.SYSTEM_ASSIGNED),
                properties=cs.ProjectPropertiesArgs(description=p.description, display_name=p.display_name or p.name),
                tags=spec.tags,
                opts=stateful(self, account.protect, depends_on=[previous] if previous else []),
            )

    def _connection(self, connection: ConnectionSpec) -> ml.WorkspaceConnection:
        resource_id = connection.resource_id if connection.resource_id is not None else self.account_id
        return ml.WorkspaceConnection(
            f"connection-{connection.name}",
            connection_name=connection.name,
            resource_group_name=self._args.resource_group_name,
            workspace_name=self._args.workspace_name,
            properties=ml.AADAuthTypeWorkspaceConnectionPropertiesArgs(
                auth_type="AAD",
                category=connection.category,
                target=connection.target,
                metadata={API_TYPE_KEY: API_TYPE, RESOURCE_ID_KEY: resource_id},
            ),
            opts=child(self),
        )

    def outputs(self) -> dict[str, Any]:
        """The stack outputs, for applications that read them through StackReference."""
        spec = self._args.spec
        account = spec.account
        return {
            "foundryAccountId": self.account_id,
            "foundryAccountName": self.account_name,
            "foundryEndpoint": spec.endpoint,
            "foundryDeployments": {
                d.name: {"model": d.model_name, "version": d.model_version, "format": d.model_format, "sku": d.sku,
                         "capacity": d.capacity}
                for d in (account.deployments if account else ())
            },
            "foundryProjects": {
                p.name: {"id": self.projects[p.name].id, "endpoint": p.endpoint}
                for p in (account.projects if account else ())
            },
            "foundryConnections": sorted(self.connections),
        }
