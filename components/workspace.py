"""The Azure Machine Learning workspace and everything it depends on.

Creates, in a resource group it creates (or an existing one): storage, key vault, Log
Analytics with a workspace-based Application Insights, container registry, and the workspace
with a system-assigned identity linking all four. Each dependency can instead be an existing
resource given by ARM id, in which case nothing is created for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import (
    applicationinsights,
    authorization,
    containerregistry,
    keyvault,
    operationalinsights,
    resources,
    storage,
)
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra.config.workspace import WorkspaceSettings
from azureml_infra.naming import ResourceNames
from components.locks import lock_against_deletion
from components.options import stateful


@dataclass(frozen=True)
class WorkspaceArgs:
    location: str
    names: ResourceNames
    settings: WorkspaceSettings
    create_resource_group: bool = True
    # Protect (and, in Azure, lock) what holds data, secrets or history.
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class MachineLearningWorkspace(pulumi.ComponentResource):
    """An Azure ML workspace with its storage, key vault, monitoring and registry."""

    resource_group_name: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    storage_account_name: pulumi.Output[str]
    key_vault_uri: pulumi.Output[str]
    container_registry_login_server: pulumi.Output[str]
    application_insights_id: pulumi.Output[str]

    def __init__(self, name: str, args: WorkspaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:workspace:MachineLearningWorkspace", name, None, opts)
        self._args = args
        self._common = {"location": args.location, "tags": args.tags}

        self.resource_group_name = self._resource_group()
        storage_id, self.storage_account_name = self._storage_account()
        key_vault_id, self.key_vault_uri = self._key_vault()
        self.application_insights_id = self._application_insights()
        registry_id, self.container_registry_login_server = self._container_registry()
        self.workspace = self._workspace(storage_id, key_vault_id, self.application_insights_id, registry_id)

        self.workspace_name = self.workspace.name
        self.workspace_id = self.workspace.id
        self.principal_id = self.workspace.identity.apply(lambda i: i.principal_id if i else None)
        self.register_outputs(
            {
                "resourceGroupName": self.resource_group_name,
                "workspaceName": self.workspace_name,
                "workspaceId": self.workspace_id,
                "principalId": self.principal_id,
                "storageAccountName": self.storage_account_name,
                "keyVaultUri": self.key_vault_uri,
                "containerRegistryLoginServer": self.container_registry_login_server,
                "applicationInsightsId": self.application_insights_id,
            }
        )

    def _stateful(self, **extra) -> pulumi.ResourceOptions:
        return stateful(self, self._args.protect, **extra)

    def _locked(self, name: str, resource: pulumi.CustomResource, what: str) -> None:
        """With protect on, an Azure lock too: protect stops Pulumi, not a person or a script."""
        if self._args.protect:
            lock_against_deletion(name, resource, what, parent=self)

    def _resource_group(self) -> pulumi.Output[str]:
        names = self._args.names
        if not self._args.create_resource_group:
            return pulumi.Output.from_input(names.resource_group)
        group = resources.ResourceGroup(
            "resource-group",
            resource_group_name=names.resource_group,
            **self._common,
            opts=self._stateful(),
        )
        return group.name

    def _workspace(
        self,
        storage_id: pulumi.Input[str],
        key_vault_id: pulumi.Input[str],
        application_insights_id: pulumi.Input[str],
        registry_id: pulumi.Input[str],
    ) -> ml.Workspace:
        names, s = self._args.names, self._args.settings
        workspace = ml.Workspace(
            "workspace",
            workspace_name=names.ml_workspace,
            resource_group_name=self.resource_group_name,
            friendly_name=names.ml_workspace,
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            storage_account=storage_id,
            key_vault=key_vault_id,
            application_insights=application_insights_id,
            container_registry=registry_id,
            public_network_access=s.public_network_access,
            # Without shared keys the workspace's own datastores must use its identity.
            system_datastores_auth_mode=(
                None if s.storage_account.reused or s.storage_account.allow_shared_key_access else "Identity"
            ),
            **self._common,
            opts=self._stateful(),
        )
        return workspace

    def _storage_account(self) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        s = self._args.settings.storage_account
        if s.reused:
            return s.id, s.existing_name
        account = storage.StorageAccount(
            "storage-account",
            account_name=self._args.names.storage_account,
            resource_group_name=self.resource_group_name,
            sku=storage.SkuArgs(name=s.sku),
            kind=s.kind,
            access_tier=s.access_tier,
            enable_https_traffic_only=s.https_only,
            minimum_tls_version=s.min_tls_version,
            allow_blob_public_access=s.allow_blob_public_access,
            allow_shared_key_access=s.allow_shared_key_access,
            # The workspace's default storage cannot have a hierarchical namespace.
            is_hns_enabled=False,
            **self._common,
            opts=self._stateful(),
        )
        self._locked("storage-account", account, "the workspace's storage (artifacts, logs, notebooks)")
        return account.id, account.name

    def _key_vault(self) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        s = self._args.settings.key_vault
        if s.reused:
            return s.id, f"https://{s.existing_name.lower()}.vault.azure.net/"
        tenant_id = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self)).tenant_id
        vault = keyvault.Vault(
            "key-vault",
            vault_name=self._args.names.key_vault,
            resource_group_name=self.resource_group_name,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=tenant_id,
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=s.sku),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=s.soft_delete_retention_in_days,
                # Azure refuses enablePurgeProtection=false: leave it out instead.
                enable_purge_protection=True if s.purge_protection else None,
            ),
            **self._common,
            opts=self._stateful(),
        )
        self._locked("key-vault", vault, "the workspace's key vault and its secrets")
        return vault.id, vault.properties.apply(lambda p: p.vault_uri)

    def _application_insights(self) -> pulumi.Input[str]:
        s, logs = self._args.settings.application_insights, self._args.settings.log_analytics
        if s.reused:
            return s.id
        if logs.reused:
            logs_id: pulumi.Input[str] = logs.id
        else:
            logs_id = operationalinsights.Workspace(
                "log-analytics",
                workspace_name=self._args.names.log_analytics,
                resource_group_name=self.resource_group_name,
                sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
                retention_in_days=logs.retention_in_days,
                **self._common,
                opts=self._stateful(),
            ).id
        insights = applicationinsights.Component(
            "application-insights",
            resource_name_=self._args.names.application_insights,
            resource_group_name=self.resource_group_name,
            kind="web",
            application_type="web",
            workspace_resource_id=logs_id,
            ingestion_mode="LogAnalytics",
            **self._common,
            # The workspace keeps pointing at it: it must outlive a destroy just as the workspace.
            opts=self._stateful(),
        )
        return insights.id

    def _container_registry(self) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        s = self._args.settings.container_registry
        if s.reused:
            return s.id, f"{s.existing_name.lower()}.azurecr.io"
        registry = containerregistry.Registry(
            "container-registry",
            registry_name=self._args.names.container_registry,
            resource_group_name=self.resource_group_name,
            sku=containerregistry.SkuArgs(name=s.sku),
            admin_user_enabled=s.admin_user_enabled,
            **self._common,
            opts=self._stateful(),
        )
        self._locked("container-registry", registry, "the registry and the environments' images")
        return registry.id, registry.login_server
