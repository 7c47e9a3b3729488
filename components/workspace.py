"""The Azure Machine Learning workspace and everything it depends on.

Creates, in a resource group it creates (or an existing one): storage, key vault, Log
Analytics with a workspace-based Application Insights, container registry, and the workspace
with a system-assigned identity linking all four. Each dependency can instead be an existing
resource given by ARM id, in which case nothing is created for it.

With ``workspace.identity: userAssigned`` the workspace runs as a user-assigned identity
(components/identity.py) that holds its roles on the dependencies before the workspace is
created.
"""

from __future__ import annotations

from collections.abc import Mapping
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

from azureml_infra import facts
from azureml_infra.config.network import NetworkSettings
from azureml_infra.config.workspace import WorkspaceSettings
from azureml_infra.naming import ResourceNames
from components.access import workspace_principal_key
from components.identity import DEPENDENCY_ROLES, Dependency, WorkspaceIdentity, WorkspaceIdentityArgs
from components.locks import lock_against_deletion
from components.options import child, stateful


@dataclass(frozen=True)
class WorkspaceArgs:
    location: str
    names: ResourceNames
    settings: WorkspaceSettings
    create_resource_group: bool = True
    # Protect (and, in Azure, lock) what holds data, secrets or history.
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    # The Azure name of the user-assigned identity the stack creates (identity: userAssigned).
    identity_name: str = ""
    # adopt: true - (Pulumi type, Azure name) -> ARM id to import (azureml_infra.adoption).
    import_ids: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # Network isolation: the managed network, and whether private endpoints front the workspace
    # and its dependencies (then their public network access is turned off).
    network: NetworkSettings = field(default_factory=NetworkSettings)

    @property
    def private(self) -> bool:
        return self.network.private_endpoints is not None


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
    # ARM ids of the dependencies (created or reused) and of the Log Analytics workspace behind
    # Application Insights (None when Application Insights is reused).
    storage_account_id: pulumi.Input[str]
    key_vault_id: pulumi.Input[str]
    container_registry_id: pulumi.Input[str]
    log_analytics_id: pulumi.Input[str] | None
    # The user-assigned identity (identity: userAssigned), else None.
    user_assigned_identity: WorkspaceIdentity | None

    def __init__(self, name: str, args: WorkspaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:workspace:MachineLearningWorkspace", name, None, opts)
        self._args = args
        self._common = {"location": args.location, "tags": args.tags}

        self.resource_group_name = self._resource_group()
        storage_id, self.storage_account_name = self._storage_account()
        key_vault_id, self.key_vault_uri = self._key_vault()
        self.log_analytics_id = None
        self.application_insights_id = self._application_insights()
        registry_id, self.container_registry_login_server = self._container_registry()
        self.storage_account_id, self.key_vault_id, self.container_registry_id = storage_id, key_vault_id, registry_id
        self.user_assigned_identity = self._user_assigned_identity()
        self.workspace = self._workspace(storage_id, key_vault_id, self.application_insights_id, registry_id)

        self.workspace_name = self.workspace.name
        self.workspace_id = self.workspace.id
        self.principal_id = self._principal_id()
        if self.user_assigned_identity is not None:
            self.user_assigned_identity.grant_on_workspace(
                self.workspace_id, f"{args.names.resource_group}/workspaces/{args.names.ml_workspace}".lower()
            )
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

    def _dependency_key(self, settings, kind: str, name: str) -> str:
        """Config-only key of a dependency: its ARM id when reused, else group/kind/name."""
        if settings.reused:
            return settings.id.lower()
        return f"{self._args.names.resource_group}/{kind}/{name}".lower()

    def _user_assigned_identity(self) -> WorkspaceIdentity | None:
        """The identity: userAssigned, with its grants on the dependencies (components/identity.py)."""
        args, s = self._args, self._args.settings
        if not s.identity.user_assigned:
            return None
        names = args.names
        subscription_id = authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=self)
        ).subscription_id
        dependencies = [
            Dependency("storage-account", self.storage_account_id,
                       self._dependency_key(s.storage_account, "storageAccounts", names.storage_account),
                       DEPENDENCY_ROLES["storage-account"]),
            Dependency("key-vault", self.key_vault_id,
                       self._dependency_key(s.key_vault, "vaults", names.key_vault), DEPENDENCY_ROLES["key-vault"]),
            Dependency("container-registry", self.container_registry_id,
                       self._dependency_key(s.container_registry, "registries", names.container_registry),
                       DEPENDENCY_ROLES["container-registry"]),
            Dependency("application-insights", self.application_insights_id,
                       self._dependency_key(s.application_insights, "components", names.application_insights),
                       DEPENDENCY_ROLES["application-insights"]),
        ]
        return WorkspaceIdentity(
            "workspace-identity",
            WorkspaceIdentityArgs(
                name=args.identity_name,
                existing_id=s.identity.id,
                resource_group_name=self.resource_group_name,
                location=args.location,
                # The principal's config-only key: the identity's own (a new identity is a new principal).
                principal_key=workspace_principal_key(names.ml_workspace, s.identity.id or args.identity_name),
                subscription_id=subscription_id,
                dependencies=dependencies,
                protect=args.protect,
                tags=args.tags,
            ),
            opts=child(self),
        )

    def _principal_id(self) -> pulumi.Output[str]:
        """The object id the workspace acts as: its system-assigned or its user-assigned identity's."""
        uai = self.user_assigned_identity
        if uai is None:
            return self.workspace.identity.apply(lambda i: i.principal_id if i else None)
        return uai.principal_id if uai.principal_id is not None else self._reused_identity("principal_id")

    def identity_client_id(self) -> pulumi.Output[str] | None:
        """The user-assigned identity's client (application) id; None with a system-assigned identity."""
        uai = self.user_assigned_identity
        if uai is None:
            return None
        return uai.client_id if uai.client_id is not None else self._reused_identity("client_id")

    def _reused_identity(self, attribute: str) -> pulumi.Output[str]:
        """A reused identity's principal or client id, as Azure reports it in the workspace's
        identity, keyed by the identity's ARM id (compared ignoring case, as ARM does)."""
        wanted = self._args.settings.identity.id.lower()

        def pick(identity) -> str | None:
            found = {k.lower(): v for k, v in ((identity and identity.user_assigned_identities) or {}).items()}
            return getattr(found[wanted], attribute) if wanted in found else None

        return self.workspace.identity.apply(pick)

    def _identity_args(self) -> dict:
        """The workspace's identity inputs. System-assigned: exactly what it always was."""
        uai = self.user_assigned_identity
        if uai is None:
            return {"identity": ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED)}
        return {
            # The SDK takes a list of identity ids (machinelearningservices/_inputs.py,
            # ManagedServiceIdentityArgs.user_assigned_identities: Sequence[str]); the primary one
            # is the identity the workspace acts as (workspace.py, primary_user_assigned_identity).
            "identity": ml.ManagedServiceIdentityArgs(
                type=ml.ManagedServiceIdentityType.USER_ASSIGNED, user_assigned_identities=[uai.id]
            ),
            "primary_user_assigned_identity": uai.id,
        }

    def _stateful(self, adopt: tuple[str, str] | None = None, **extra) -> pulumi.ResourceOptions:
        """``adopt``: (type, Azure name) of a resource the legacy templates may have deployed;
        with ``adopt: true`` it gets Pulumi's import option with its ARM id."""
        import_id = self._args.import_ids.get(adopt) if adopt else None
        return stateful(self, self._args.protect, import_=import_id, **extra)

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
            opts=self._stateful((facts.RESOURCE_GROUP, names.resource_group)),
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
            **self._identity_args(),
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            storage_account=storage_id,
            key_vault=key_vault_id,
            application_insights=application_insights_id,
            container_registry=registry_id,
            public_network_access="Disabled" if self._args.private else s.public_network_access,
            **self._network_args(),
            # Without shared keys the workspace's own datastores must use its identity.
            system_datastores_auth_mode=(
                None if s.storage_account.reused or s.storage_account.allow_shared_key_access else "Identity"
            ),
            **self._common,
            # A user-assigned identity must hold its roles on the dependencies first: Azure ML
            # checks them when it creates the workspace.
            opts=self._stateful(
                (facts.ML_WORKSPACE, names.ml_workspace),
                depends_on=self.user_assigned_identity.grants if self.user_assigned_identity else [],
            ),
        )
        return workspace

    def _network_args(self) -> dict:
        """The managed network and image builds; nothing at all without isolation (as before)."""
        net, s = self._args.network, self._args.settings
        extra: dict = {}
        if s.image_build_compute is not None:
            # A compute name, not an id (workspace.py: "The compute name for image build").
            extra["image_build_compute"] = s.image_build_compute
        if net.managed:
            extra["managed_network"] = managed_network(net)
            # Provisioned with the workspace rather than at the first compute: online
            # deployments and serverless Spark need it provisioned (how-to-managed-network.md).
            extra["provision_network_now"] = True
        return extra

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
            **private_storage_args(self._args.private),
            **self._common,
            opts=self._stateful((facts.STORAGE_ACCOUNT, self._args.names.storage_account)),
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
                # A legacy vault keeps its access policies unless the stack asks for rbac.
                enable_rbac_authorization=s.authorization == "rbac",
                enabled_for_template_deployment=s.enabled_for_template_deployment or None,
                enable_soft_delete=True,
                soft_delete_retention_in_days=s.soft_delete_retention_in_days,
                # Azure refuses enablePurgeProtection=false: leave it out instead.
                enable_purge_protection=True if s.purge_protection else None,
                **self._private_vault_args(),
            ),
            **self._common,
            opts=self._stateful(
                (facts.KEY_VAULT, self._args.names.key_vault),
                # Access policies are granted outside this program (Azure ML adds the workspace's
                # own): never rewrite them.
                ignore_changes=["properties.accessPolicies"] if s.authorization == "accessPolicies" else None,
            ),
        )
        self._locked("key-vault", vault, "the workspace's key vault and its secrets")
        return vault.id, vault.properties.apply(lambda p: p.vault_uri)

    def _application_insights(self) -> pulumi.Input[str]:
        s, logs = self._args.settings.application_insights, self._args.settings.log_analytics
        if s.reused:
            return s.id
        if logs.reused:
            logs_id: pulumi.Input[str] = logs.id
            self.log_analytics_id = logs_id
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
            self.log_analytics_id = logs_id
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
            opts=self._stateful((facts.APPLICATION_INSIGHTS, self._args.names.application_insights)),
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
            **self._private_registry_args(),
            **self._common,
            opts=self._stateful((facts.CONTAINER_REGISTRY, self._args.names.container_registry)),
        )
        self._locked("container-registry", registry, "the registry and the environments' images")
        return registry.id, registry.login_server

    def _private_vault_args(self) -> dict:
        if not self._args.private:
            return {}
        # Only private endpoint traffic and trusted Azure services (QS keyvault.bicep: networkAcls
        # bypass AzureServices, defaultAction Deny; the SDK's defaults would leave it open).
        return {
            "public_network_access": "disabled",
            "network_acls": keyvault.NetworkRuleSetArgs(
                default_action=keyvault.NetworkRuleAction.DENY, bypass=keyvault.NetworkRuleBypassOptions.AZURE_SERVICES
            ),
        }

    def _private_registry_args(self) -> dict:
        if not self._args.private:
            return {}
        # QS containerregistry.bicep: publicNetworkAccess Disabled, networkRuleBypassOptions
        # AzureServices ("Allow access by trusted services", how-to-secure-workspace-vnet.md),
        # networkRuleSet defaultAction Deny. Premium only (checked in config.network).
        return {
            "public_network_access": containerregistry.PublicNetworkAccess.DISABLED,
            "network_rule_bypass_options": containerregistry.NetworkRuleBypassOptions.AZURE_SERVICES,
            "network_rule_set": containerregistry.NetworkRuleSetArgs(default_action=containerregistry.DefaultAction.DENY),
        }


def private_storage_args(private: bool) -> dict:
    """A storage account behind private endpoints: public access off, deny by default, trusted Azure
    services allowed (QS storage.bicep networkAcls; how-to-secure-workspace-vnet.md, "Allow Azure
    services on the trusted services list"). Nothing without private endpoints (as before)."""
    if not private:
        return {}
    return {
        "public_network_access": storage.PublicNetworkAccess.DISABLED,
        "network_rule_set": storage.NetworkRuleSetArgs(
            default_action=storage.DefaultAction.DENY, bypass=storage.Bypass.AZURE_SERVICES
        ),
    }


def managed_network(net: NetworkSettings) -> ml.ManagedNetworkSettingsArgs:
    """The workspace's managed network with the stack's rules, keyed by rule name (the SDK's
    outbound_rules is a Mapping[str, rule], machinelearningservices/_inputs.py
    ManagedNetworkSettingsArgs). Azure adds its required rules itself."""
    rules: dict[str, object] = {}
    for rule in net.outbound_rules:
        if rule.fqdn is not None:
            rules[rule.name] = ml.FqdnOutboundRuleArgs(type="FQDN", destination=rule.fqdn, category="UserDefined")
        elif rule.private_endpoint is not None:
            rules[rule.name] = ml.PrivateEndpointOutboundRuleArgs(
                type="PrivateEndpoint",
                category="UserDefined",
                destination=ml.PrivateEndpointDestinationArgs(
                    service_resource_id=rule.private_endpoint.resource_id,
                    subresource_target=rule.private_endpoint.subresource,
                ),
            )
        else:
            tag = rule.service_tag
            rules[rule.name] = ml.ServiceTagOutboundRuleArgs(
                type="ServiceTag",
                category="UserDefined",
                destination=ml.ServiceTagDestinationArgs(
                    service_tag=tag.tag, protocol=tag.protocol, port_ranges=tag.ports, action="Allow"
                ),
            )
    return ml.ManagedNetworkSettingsArgs(
        isolation_mode=net.isolation,
        outbound_rules=rules or None,
        firewall_sku=net.firewall_sku,
    )
