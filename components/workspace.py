"""The Azure Machine Learning workspace and everything it depends on.

Creates, in a resource group it creates (or an existing one): storage, key vault, Log
Analytics with a workspace-based Application Insights, container registry, and the workspace
linking all four. Each dependency can instead be an existing resource given by ARM id, in which
case nothing is created for it.

The workspace runs as a system-assigned identity, or as a user-assigned one
(``WorkspaceIdentity``) that holds its roles on the dependencies before the workspace is
created: Azure ML checks them when it creates the workspace. A system-assigned identity gets its
roles from Azure ML itself, so nothing is granted here for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
from pulumi_azure_native import (
    applicationinsights,
    authorization,
    containerregistry,
    keyvault,
    managedidentity,
    operationalinsights,
    resources,
    storage,
)
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra import facts
from azureml_infra.deployment import (
    ApplicationInsightsSpec,
    ContainerRegistrySpec,
    DependencyKind,
    Existing,
    KeyVaultSpec,
    ManagedNetworkSpec,
    ScopedGrant,
    StorageAccountSpec,
    WorkspaceIdentitySpec,
    WorkspaceSpec,
)
from components import private_access
from components.locks import lock_against_deletion
from components.options import child, stateful
from components.role_assignments import assign_role, principal_id_of


@dataclass(frozen=True)
class WorkspaceArgs:
    spec: WorkspaceSpec
    tenant_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]
    # adopt: true - (Pulumi type, Azure name) -> ARM id to import (azureml_infra.adoption).
    import_ids: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # serverlessCompute.subnetId: training - the training subnet's id, known once the stack's network
    # exists (a deferred output: the network is made after the workspace's resource group).
    training_subnet_id: pulumi.Input[str] | None = None


class MachineLearningWorkspace(pulumi.ComponentResource):
    """An Azure ML workspace with its storage, key vault, monitoring and registry."""

    resource_group_name: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    storage_account_name: pulumi.Input[str]
    key_vault_uri: pulumi.Input[str]
    container_registry_login_server: pulumi.Input[str]
    application_insights_id: pulumi.Input[str]
    # ARM ids by dependency kind (azureml_infra.deployment.DependencyKind): the resource group,
    # the workspace and each dependency, created or reused; logAnalytics only where Application
    # Insights is created (it backs it).
    ids: dict[DependencyKind, pulumi.Input[str]]
    # The user-assigned identity (identity: userAssigned), else None.
    user_assigned_identity: WorkspaceIdentity | None

    def __init__(self, name: str, args: WorkspaceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:workspace:MachineLearningWorkspace", name, None, opts)
        self._args = args
        spec = args.spec

        self.resource_group_name = self._resource_group()
        self.ids = {
            "resourceGroup": pulumi.Output.concat(
                "/subscriptions/", args.subscription_id, "/resourceGroups/", self.resource_group_name
            )
        }
        self.ids["storageAccount"], self.storage_account_name = self._storage_account(spec.storage_account)
        self.ids["keyVault"], self.key_vault_uri = self._key_vault(spec.key_vault)
        self.application_insights_id = self._application_insights(spec.application_insights)
        self.ids["applicationInsights"] = self.application_insights_id
        self.ids["containerRegistry"], self.container_registry_login_server = self._container_registry(
            spec.container_registry
        )
        self.user_assigned_identity = (
            WorkspaceIdentity(
                "workspace-identity",
                WorkspaceIdentityArgs(
                    spec=spec.identity,
                    resource_group_name=self.resource_group_name,
                    location=spec.location,
                    scopes=self.ids,
                    subscription_id=args.subscription_id,
                    protect=spec.protect,
                    tags=spec.tags,
                    key_vault_id=self.ids["keyVault"],
                ),
                opts=child(self),
            )
            if spec.identity is not None
            else None
        )
        self.workspace = self._workspace()

        self.workspace_name = self.workspace.name
        self.workspace_id = self.workspace.id
        self.ids["workspace"] = self.workspace_id
        self.principal_id = self._principal_id()
        if self.user_assigned_identity is not None:
            self.user_assigned_identity.grant_on_workspace(self.workspace_id)
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

    @property
    def log_analytics_id(self) -> pulumi.Input[str] | None:
        """The Log Analytics workspace behind Application Insights (None when that is reused)."""
        return self.ids.get("logAnalytics")

    def _principal_id(self) -> pulumi.Output[str]:
        """The object id the workspace acts as: its system-assigned or its user-assigned identity's."""
        uai = self.user_assigned_identity
        if uai is None:
            return principal_id_of(self.workspace.identity)
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
        identity = self._args.spec.identity
        assert identity is not None and identity.existing_id is not None
        wanted = identity.existing_id.lower()

        def pick(found_identity: ml.outputs.ManagedServiceIdentityResponse | None) -> str:
            found = {k.lower(): v for k, v in ((found_identity and found_identity.user_assigned_identities) or {}).items()}
            # Azure reports every identity the workspace was given; cast: the SDK types it optional.
            return cast(str, getattr(found[wanted], attribute) if wanted in found else None)

        return self.workspace.identity.apply(pick)

    def _identity_args(self) -> dict[str, Any]:
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

    def _stateful(self, adopt: tuple[str, str] | None = None, **extra: Any) -> pulumi.ResourceOptions:
        """``adopt``: (type, Azure name) of a resource the legacy templates may have deployed;
        with ``adopt: true`` it gets Pulumi's import option with its ARM id."""
        import_id = self._args.import_ids.get(adopt) if adopt else None
        return stateful(self, self._args.spec.protect, import_=import_id, **extra)

    def _locked(self, name: str, resource: pulumi.CustomResource, what: str | None) -> None:
        """protect stops Pulumi, not a person or a script: the dependencies resolve gives a lock
        reason (``what``) get an Azure lock too."""
        if what is not None:
            lock_against_deletion(name, resource, what, parent=self)

    def _resource_group(self) -> pulumi.Output[str]:
        spec = self._args.spec
        if not spec.create_resource_group:
            return pulumi.Output.from_input(spec.resource_group)
        group = resources.ResourceGroup(
            "resource-group",
            resource_group_name=spec.resource_group,
            location=self._args.spec.location,
            tags=self._args.spec.tags,
            opts=self._stateful((facts.RESOURCE_GROUP, spec.resource_group)),
        )
        return group.name

    def _workspace(self) -> ml.Workspace:
        spec = self._args.spec
        return ml.Workspace(
            "workspace",
            workspace_name=spec.name,
            resource_group_name=self.resource_group_name,
            friendly_name=spec.name,
            **self._identity_args(),
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            storage_account=self.ids["storageAccount"],
            key_vault=self.ids["keyVault"],
            application_insights=self.ids["applicationInsights"],
            container_registry=self.ids["containerRegistry"],
            public_network_access=spec.public_network_access,
            **self._network_args(),
            system_datastores_auth_mode=spec.system_datastores_auth_mode,
            # Sent only when asked for: Azure takes it at creation only (config.rules.adopt says why).
            enable_data_isolation=True if spec.data_isolation else None,
            **self._enterprise_args(),
            location=self._args.spec.location,
            tags=self._args.spec.tags,
            # A user-assigned identity must hold its roles on the dependencies first: Azure ML
            # checks them when it creates the workspace.
            opts=self._stateful(
                (facts.ML_WORKSPACE, spec.name),
                depends_on=list(self.user_assigned_identity.grants) if self.user_assigned_identity else [],
            ),
        )

    def _enterprise_args(self) -> dict[str, Any]:
        """A customer-managed key, high business impact and serverless compute in a subnet: each sent
        only when asked for, so a stack without them sends what it always did. Property names and
        shapes: Azure/azure-resource-manager-schemas schemas/2025-12-01/Microsoft.MachineLearningServices.json
        (the API version of machinelearningservices.Workspace), WorkspaceProperties: encryption
        (EncryptionProperty: status, keyVaultProperties {keyVaultArmId, keyIdentifier}, identity
        {userAssignedIdentity}), enableServiceSideCMKEncryption, hbiWorkspace, serverlessComputeSettings
        {serverlessComputeCustomSubnet, serverlessComputeNoPublicIP}."""
        spec = self._args.spec
        extra: dict[str, Any] = {}
        if spec.encryption is not None:
            uai = self.user_assigned_identity
            assert uai is not None  # config.workspace: encryption needs a user-assigned identity
            extra["encryption"] = ml.EncryptionPropertyArgs(
                status=ml.EncryptionStatus.ENABLED,
                key_vault_properties=ml.KeyVaultPropertiesArgs(
                    key_vault_arm_id=spec.encryption.key_vault_id, key_identifier=spec.encryption.key_uri
                ),
                identity=ml.IdentityForCmkArgs(user_assigned_identity=uai.id),
            )
            if spec.encryption.service_side:
                extra["enable_service_side_cmk_encryption"] = True
        if spec.hbi:
            extra["hbi_workspace"] = True
        if spec.serverless_subnet is not None:
            subnet = spec.serverless_subnet.id if spec.serverless_subnet.id else self._args.training_subnet_id
            assert subnet is not None  # config.rules.network: training needs the stack's training subnet
            extra["serverless_compute_settings"] = ml.ServerlessComputeSettingsArgs(
                serverless_compute_custom_subnet=subnet,
                serverless_compute_no_public_ip=spec.serverless_no_public_ip,
            )
        return extra

    def _network_args(self) -> dict[str, Any]:
        """The managed network and image builds; nothing at all without isolation (as before)."""
        spec = self._args.spec
        extra: dict[str, Any] = {}
        if spec.image_build_compute is not None:
            # A compute name, not an id (workspace.py: "The compute name for image build").
            extra["image_build_compute"] = spec.image_build_compute
        if spec.managed_network is not None:
            extra["managed_network"] = managed_network(spec.managed_network)
            # Provisioned with the workspace rather than at the first compute: online
            # deployments and serverless Spark need it provisioned (how-to-managed-network.md).
            extra["provision_network_now"] = True
        return extra

    def _storage_account(self, spec: StorageAccountSpec | Existing) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        if isinstance(spec, Existing):
            return spec.id, spec.name
        account = storage.StorageAccount(
            "storage-account",
            account_name=spec.name,
            resource_group_name=self.resource_group_name,
            sku=storage.SkuArgs(name=spec.sku),
            kind=spec.kind,
            access_tier=storage.AccessTier(spec.access_tier),
            enable_https_traffic_only=spec.https_only,
            minimum_tls_version=spec.min_tls_version,
            allow_blob_public_access=spec.allow_blob_public_access,
            allow_shared_key_access=spec.allow_shared_key_access,
            # The workspace's default storage cannot have a hierarchical namespace.
            is_hns_enabled=False,
            **private_access.storage_args(self._args.spec.private),
            location=self._args.spec.location,
            tags=self._args.spec.tags,
            opts=self._stateful((facts.STORAGE_ACCOUNT, spec.name)),
        )
        self._locked("storage-account", account, spec.lock)
        return account.id, account.name

    def _key_vault(self, spec: KeyVaultSpec | Existing) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        if isinstance(spec, Existing):
            return spec.id, f"https://{spec.name.lower()}.vault.azure.net/"
        vault = keyvault.Vault(
            "key-vault",
            vault_name=spec.name,
            resource_group_name=self.resource_group_name,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=self._args.tenant_id,
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName(spec.sku)),
                # A legacy vault keeps its access policies unless the stack asks for rbac.
                enable_rbac_authorization=spec.rbac,
                enabled_for_template_deployment=spec.enabled_for_template_deployment or None,
                enable_soft_delete=True,
                soft_delete_retention_in_days=spec.soft_delete_retention_in_days,
                # Azure refuses enablePurgeProtection=false: leave it out instead.
                enable_purge_protection=True if spec.purge_protection else None,
                **private_access.vault_args(self._args.spec.private),
            ),
            location=self._args.spec.location,
            tags=self._args.spec.tags,
            opts=self._stateful(
                (facts.KEY_VAULT, spec.name),
                # Access policies are granted outside this program (Azure ML adds the workspace's
                # own): never rewrite them.
                ignore_changes=None if spec.rbac else ["properties.accessPolicies"],
            ),
        )
        self._locked("key-vault", vault, spec.lock)
        return vault.id, vault.properties.apply(lambda p: p.vault_uri)

    def _monitor_access(self) -> dict[str, Any]:
        """network.privateEndpoints.monitor: Log Analytics and Application Insights take ingestion and
        queries only through the stack's Azure Monitor private link scope (publicNetworkAccessForIngestion
        and publicNetworkAccessForQuery of both: ARM schemas 2023-09-01 Microsoft.OperationalInsights.json
        and 2020-02-02 Microsoft.Insights.Application.json). Left out otherwise, as before."""
        if not self._args.spec.monitor_private:
            return {}
        return {"public_network_access_for_ingestion": "Disabled", "public_network_access_for_query": "Disabled"}

    def _application_insights(self, spec: ApplicationInsightsSpec | Existing) -> pulumi.Input[str]:
        if isinstance(spec, Existing):
            return spec.id
        logs = spec.log_analytics
        if isinstance(logs, Existing):
            self.ids["logAnalytics"] = logs.id
        else:
            self.ids["logAnalytics"] = operationalinsights.Workspace(
                "log-analytics",
                workspace_name=logs.name,
                resource_group_name=self.resource_group_name,
                sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
                retention_in_days=logs.retention_in_days,
                **self._monitor_access(),
                location=self._args.spec.location,
            tags=self._args.spec.tags,
                opts=self._stateful(),
            ).id
        insights = applicationinsights.Component(
            "application-insights",
            resource_name_=spec.name,
            resource_group_name=self.resource_group_name,
            kind="web",
            application_type="web",
            workspace_resource_id=self.ids["logAnalytics"],
            ingestion_mode="LogAnalytics",
            **self._monitor_access(),
            location=self._args.spec.location,
            tags=self._args.spec.tags,
            # The workspace keeps pointing at it: it must outlive a destroy just as the workspace.
            opts=self._stateful((facts.APPLICATION_INSIGHTS, spec.name)),
        )
        return insights.id

    def _container_registry(
        self, spec: ContainerRegistrySpec | Existing
    ) -> tuple[pulumi.Input[str], pulumi.Input[str]]:
        if isinstance(spec, Existing):
            return spec.id, f"{spec.name.lower()}.azurecr.io"
        registry = containerregistry.Registry(
            "container-registry",
            registry_name=spec.name,
            resource_group_name=self.resource_group_name,
            sku=containerregistry.SkuArgs(name=spec.sku),
            admin_user_enabled=spec.admin_user_enabled,
            # Chosen at creation only; without it the SDK sends its default, Disabled, as always.
            zone_redundancy=containerregistry.ZoneRedundancy.ENABLED if spec.zone_redundant else None,
            **private_access.registry_args(self._args.spec.private),
            location=self._args.spec.location,
            tags=self._args.spec.tags,
            opts=self._stateful((facts.CONTAINER_REGISTRY, spec.name)),
        )
        self._locked("container-registry", registry, spec.lock)
        return registry.id, registry.login_server


def managed_network(spec: ManagedNetworkSpec) -> ml.ManagedNetworkSettingsArgs:
    """The workspace's managed network: its isolation mode and firewall. Azure adds its required
    rules itself; the stack's own are resources of their own (components/network.py,
    OutboundRules, says why), never inline here."""
    return ml.ManagedNetworkSettingsArgs(isolation_mode=spec.isolation, firewall_sku=spec.firewall_sku)


# --- the user-assigned identity ------------------------------------------------------------------


@dataclass(frozen=True)
class WorkspaceIdentityArgs:
    spec: WorkspaceIdentitySpec
    resource_group_name: pulumi.Input[str]
    location: str
    # The ARM id of each dependency kind its grants name (the workspace's is added once it exists).
    scopes: Mapping[DependencyKind, pulumi.Input[str]]
    subscription_id: pulumi.Input[str]
    protect: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    # The stack's own key vault (a customer-managed key there waits for it).
    key_vault_id: pulumi.Input[str] | None = None


class WorkspaceIdentity(pulumi.ComponentResource):
    """A user-assigned identity for the workspace: created and granted its roles, or reused as is.

    The roles are those Azure ML documents for a workspace's user-assigned identity
    (azureml_infra.resolve). A reused identity is someone else's: it is used, never changed,
    and nothing is granted to it (docs/access.md says what its owner grants).
    """

    id: pulumi.Output[str]
    principal_id: pulumi.Output[str] | None  # None for a reused identity until the workspace reports it
    client_id: pulumi.Output[str] | None
    grants: list[authorization.RoleAssignment]

    def __init__(self, name: str, args: WorkspaceIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:identity:WorkspaceIdentity", name, None, opts)
        self._args = args
        self.grants = []
        spec = args.spec
        if spec.existing_id is not None:
            self.id = pulumi.Output.from_input(spec.existing_id)
            self.principal_id = self.client_id = None
        else:
            # Stateful although it holds no data: replacing it gives a new principal id, and every
            # grant to the old one (here, on shared data, anywhere else) is lost with it.
            identity = managedidentity.UserAssignedIdentity(
                "workspace-identity",
                resource_name_=spec.name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=args.tags,
                opts=stateful(self, args.protect),
            )
            self.id = identity.id
            self.principal_id = identity.principal_id
            self.client_id = identity.client_id
            self.grants = [self._grant(g, args.scopes[g.target]) for g in spec.grants if g.target != "workspace"]
            if spec.key_grant is not None:
                # Before the workspace exists: Azure ML reads the key as this identity when it creates it.
                vault = spec.key_grant.vault_id or args.key_vault_id
                assert vault is not None
                self.grants.append(assign_role(spec.key_grant.grant, identity.principal_id, vault,
                                               args.subscription_id, parent=self))
        self.register_outputs({"id": self.id})

    def _grant(self, grant: ScopedGrant, scope: pulumi.Input[str]) -> authorization.RoleAssignment:
        assert self.principal_id is not None
        return assign_role(grant.grant, self.principal_id, scope, self._args.subscription_id, parent=self)

    def grant_on_workspace(self, workspace_id: pulumi.Input[str]) -> None:
        """Its roles on the workspace itself, once it exists (nothing for a reused identity)."""
        if self.principal_id is None:
            return
        self.grants += [self._grant(g, workspace_id) for g in self._args.spec.grants if g.target == "workspace"]
