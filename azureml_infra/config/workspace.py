"""Config of the workspace and the resources it depends on (key ``workspace``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import Field, field_validator, model_validator

from azureml_infra.config.base import (
    ApplicationInsightsName,
    ContainerRegistryName,
    KeyVaultName,
    LogAnalyticsName,
    Model,
    ResourceGroupName,
    Reusable,
    StorageAccountName,
    SubnetIdOrTraining,
    UserAssignedIdentityId,
    WorkspaceName,
    arm_id_of,
    key_error,
)

KEY_VAULT_TYPE = "Microsoft.KeyVault/vaults"
KeyVaultId = Annotated[str, arm_id_of(KEY_VAULT_TYPE)]
# A Key Vault key's identifier: https://<vault>.vault.azure.net/keys/<name>[/<version>] ("Azure Key
# Vault keys, secrets and certificates overview", azure-docs key-vault/general/about-keys-secrets-
# certificates.md: "Object identifiers"; key names 1-127 letters, digits and dashes).
KEY_URI_RE = re.compile(
    r"https://(?P<vault>[A-Za-z0-9-]{3,24})\.vault\.azure\.net/keys/(?P<name>[A-Za-z0-9-]{1,127})"
    r"(?:/(?P<version>[A-Za-z0-9]{32}))?/?"
)


class ResourceGroupSettings(Model):
    """Where everything goes: a group this stack creates, or an existing one by name."""

    name: ResourceGroupName | None = Field(
        None, description="Resource group name. Default: rg-<prefix>-<environment>."
    )
    existing: bool = Field(
        False, description="true: use the existing group `name` and never create or delete it."
    )

    @model_validator(mode="after")
    def _existing_needs_name(self) -> Self:
        if self.existing and self.name is None:
            raise key_error("name", "is required when existing is true (the group to deploy into)")
        return self


class StorageAccountSettings(Reusable):
    """The workspace's default storage (artifacts, logs, notebooks)."""

    RESOURCE_TYPE: ClassVar[str] = "Microsoft.Storage/storageAccounts"
    name: StorageAccountName | None = Field(
        None, description="Globally unique. Default: st<prefix><environment><suffix>."
    )
    # Premium and zone-less legacy kinds are not supported as a workspace's default storage.
    sku: Literal[
        "Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS", "Standard_RAGZRS"
    ] = Field("Standard_LRS", description="Replication.")
    kind: Literal["StorageV2"] = Field(
        "StorageV2", description="Only general-purpose v2 is supported as a workspace's storage."
    )
    access_tier: Literal["Hot", "Cool", "Cold"] = Field("Hot", description="Default blob access tier.")
    allow_shared_key_access: bool = Field(
        True,
        description="Account-key access. The workspace's system datastores use the key unless "
        "their auth mode is identity, so the default keeps it on.",
    )
    https_only: bool = Field(True, description="Refuse plain HTTP.")
    min_tls_version: Literal["TLS1_2", "TLS1_3"] = Field(
        "TLS1_2", description="Oldest TLS accepted (Azure no longer accepts 1.0 and 1.1)."
    )
    allow_blob_public_access: bool = Field(False, description="Anonymous read access to blobs.")


class KeyVaultSettings(Reusable):
    """Holds the workspace's secrets; soft delete is always on, RBAC authorization unless `accessPolicies`."""

    RESOURCE_TYPE: ClassVar[str] = "Microsoft.KeyVault/vaults"
    name: KeyVaultName | None = Field(
        None, description="Globally unique. Default: kv-<prefix>-<environment>-<suffix>."
    )
    sku: Literal["standard", "premium"] = Field("standard", description="premium adds HSM-backed keys.")
    purge_protection: bool = Field(
        True,
        description="Deleted vaults and secrets cannot be purged during the retention period. "
        "Once on, Azure never lets it be turned off.",
    )
    soft_delete_retention_in_days: int = Field(90, ge=7, le=90, description="7-90 days.")
    authorization: Literal["rbac", "accessPolicies"] = Field(
        "rbac",
        description="rbac: Azure RBAC roles decide who reads secrets. accessPolicies: the vault's access "
        "policies do (a legacy vault; the program never rewrites them). Switching a vault from access "
        "policies to rbac revokes every policy, the workspace's included: grant roles first.",
    )
    enabled_for_template_deployment: bool = Field(
        False, description="ARM template deployments may read secrets from the vault (the legacy template's true)."
    )


class LogAnalyticsSettings(Reusable):
    """Backs the workspace-based Application Insights."""

    RESOURCE_TYPE: ClassVar[str] = "Microsoft.OperationalInsights/workspaces"
    name: LogAnalyticsName | None = Field(
        None, description="Default: log-<prefix>-<environment>."
    )
    retention_in_days: int = Field(30, ge=30, le=730, description="30-730 days (PerGB2018).")


class ApplicationInsightsSettings(Reusable):
    """Workspace-based Application Insights, kind web (classic can no longer be created)."""

    RESOURCE_TYPE: ClassVar[str] = "Microsoft.Insights/components"
    name: ApplicationInsightsName | None = Field(
        None, description="Default: appi-<prefix>-<environment>."
    )


class ContainerRegistrySettings(Reusable):
    """Images of the workspace's environments."""

    RESOURCE_TYPE: ClassVar[str] = "Microsoft.ContainerRegistry/registries"
    name: ContainerRegistryName | None = Field(
        None, description="Globally unique. Default: cr<prefix><environment><suffix>."
    )
    sku: Literal["Basic", "Standard", "Premium"] = Field(
        "Basic", description="Premium is required with network.privateEndpoints (only Premium takes one)."
    )
    admin_user_enabled: bool = Field(
        False, description="Legacy username/password login. Off: the workspace uses its identity."
    )
    zone_redundant: bool = Field(
        False,
        description="true: the registry spreads over the region's availability zones (Premium only). Set when "
        "the registry is created: Azure cannot convert an existing one.",
    )

    @model_validator(mode="after")
    def _zones_need_premium(self) -> Self:
        # "Zone redundancy is a feature of the Premium container registry service tier" (azure-docs
        # container-registry/zone-redundancy.md); it is chosen at creation only ("Region conversions
        # to availability zones aren't currently supported", same page).
        if self.zone_redundant and self.sku != "Premium":
            raise key_error("zoneRedundant", f"true needs the Premium tier (sku is {self.sku}): set sku: Premium")
        return self


class WorkspaceIdentity(Model):
    """The workspace's managed identity: `systemAssigned`, or `{type: userAssigned[, id: <ARM id>]}`."""

    type: Literal["systemAssigned", "userAssigned"] = Field(
        "systemAssigned",
        description="systemAssigned: created and deleted with the workspace. userAssigned: an identity of "
        "its own (id-<prefix>-<environment>, or `id`), granted its roles before the workspace exists.",
    )
    id: UserAssignedIdentityId | None = Field(
        None,
        description="ARM id of an existing user-assigned identity (Microsoft.ManagedIdentity/"
        "userAssignedIdentities) to use instead of creating one; its owner grants its roles.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if value in ("systemAssigned", "userAssigned"):
            return {"type": value}
        if isinstance(value, dict):
            return value
        raise ValueError("must be systemAssigned, userAssigned, or {type: userAssigned, id: <ARM id>}")

    @model_validator(mode="after")
    def _id_only_for_user_assigned(self) -> Self:
        if self.id is not None and self.type != "userAssigned":
            raise key_error("id", "is only for type: userAssigned (a system-assigned identity has no id to give)")
        return self

    @property
    def user_assigned(self) -> bool:
        return self.type == "userAssigned"

    @property
    def reused(self) -> bool:
        return self.id is not None


class WorkspaceEncryption(Model):
    """A customer-managed key for the workspace's data (the workspace's `encryption`): chosen when the
    workspace is created, never after (docs/encryption.md)."""

    key_vault_id: KeyVaultId = Field(
        description="ARM id of the key vault (Microsoft.KeyVault/vaults) that holds the key; it must have soft "
        "delete and purge protection. The stack's own vault (workspace.keyVault) or another one."
    )
    key_uri: str = Field(
        description="The key's identifier in that vault: https://<vault>.vault.azure.net/keys/<name>/<version> "
        "(an RSA key; the version may be left out)."
    )
    service_side: bool = Field(
        False,
        description="true: service-side encryption (enableServiceSideCMKEncryption): Azure ML keeps the encrypted "
        "metadata in its own subscription instead of a Cosmos DB, Search and storage account in a managed resource "
        "group of yours.",
    )

    @field_validator("key_uri")
    @classmethod
    def _key_uri(cls, value: str) -> str:
        if not KEY_URI_RE.fullmatch(value):
            raise ValueError(
                "must be a Key Vault key URI such as https://<vault>.vault.azure.net/keys/<name>/<version>"
            )
        return value

    @model_validator(mode="after")
    def _key_in_the_vault(self) -> Self:
        match = KEY_URI_RE.fullmatch(self.key_uri)
        assert match is not None  # checked by the field validator
        vault = self.key_vault_id.rstrip("/").rsplit("/", 1)[-1]
        if match["vault"].lower() != vault.lower():
            raise key_error(
                "keyUri",
                f"is a key of the vault '{match['vault']}', but keyVaultId names the vault '{vault}': give the key of "
                "that vault, or that key's vault",
            )
        return self

    @property
    def vault_name(self) -> str:
        return self.key_vault_id.rstrip("/").rsplit("/", 1)[-1]


class ServerlessComputeSettings(Model):
    """Where serverless compute (jobs with no compute named) runs: a subnet of yours, and whether its
    nodes get public IPs (the workspace's serverlessComputeSettings)."""

    subnet_id: SubnetIdOrTraining = Field(
        description="`training` (the stack's network.privateEndpoints.vnet.trainingSubnet) or the ARM id of a "
        "subnet (Microsoft.Network/virtualNetworks/subnets). Not under a managed network, where serverless "
        "compute runs in it already."
    )
    no_public_ip: bool = Field(
        False,
        description="true: the nodes get no public IP addresses (serverlessComputeNoPublicIP); the subnet then "
        "needs outbound access of its own (a NAT gateway or a firewall).",
    )


class WorkspaceSettings(Model):
    """The Azure Machine Learning workspace and its five dependencies."""

    name: WorkspaceName | None = Field(
        None, description="Default: mlw-<prefix>-<environment>."
    )
    identity: WorkspaceIdentity = Field(
        default_factory=WorkspaceIdentity,
        json_schema_extra={"defaultText": "`systemAssigned`"},
        description="systemAssigned (default), {type: userAssigned} (an identity created for the stack) or "
        "{type: userAssigned, id: <ARM id>} (an existing one). Choose before the first deployment.",
    )
    public_network_access: Literal["Enabled", "Disabled"] = Field(
        "Enabled",
        description="Disabled: reachable only through private endpoints. network.privateEndpoints turns it "
        "off by itself (on the workspace and its dependencies); Disabled without them leaves only endpoints "
        "made outside this stack.",
    )
    storage_account: StorageAccountSettings = Field(default_factory=StorageAccountSettings)
    key_vault: KeyVaultSettings = Field(default_factory=KeyVaultSettings)
    log_analytics: LogAnalyticsSettings = Field(default_factory=LogAnalyticsSettings)
    application_insights: ApplicationInsightsSettings = Field(default_factory=ApplicationInsightsSettings)
    container_registry: ContainerRegistrySettings = Field(default_factory=ContainerRegistrySettings)
    image_build_compute: str | None = Field(
        None,
        description="Name of a compute cluster of `computes` that builds environment images (CPU only). "
        "Required with network.privateEndpoints: a private registry cannot build images itself. "
        "Default: Azure ML's serverless image builds.",
    )
    data_isolation: bool = Field(
        False,
        description="true: the workspace keeps its data, secrets and images apart from other workspaces that "
        "share its storage, key vault and registry (enableDataIsolation: container, secret and image names "
        "prefixed with the workspace's id). For a new workspace on another stack's dependencies; set when the "
        "workspace is created, never after.",
    )

    encryption: WorkspaceEncryption | None = Field(
        None,
        description="A customer-managed key for the workspace's data: {keyVaultId, keyUri, serviceSide}. Needs "
        "identity: userAssigned (the identity that reads the key). Only when the workspace is created "
        "(docs/encryption.md).",
    )
    hbi: bool = Field(
        False,
        description="true: a high business impact workspace (hbiWorkspace): Microsoft collects less diagnostic data, "
        "compute scratch disks are encrypted and cleaned between jobs. Only when the workspace is created.",
    )
    serverless_compute: ServerlessComputeSettings | None = Field(
        None,
        description="Serverless compute in a subnet of yours: {subnetId: training | <ARM id>, noPublicIp}. Default: "
        "Azure ML's own network (or the managed network).",
    )

    @property
    def datastores_use_identity(self) -> bool:
        """The workspace's own datastores reach its storage with identities, not its key: the storage
        is created here without shared keys (systemDatastoresAuthMode Identity)."""
        return not self.storage_account.reused and not self.storage_account.allow_shared_key_access

    @model_validator(mode="after")
    def _encryption_needs_a_user_assigned_identity(self) -> Self:
        # The workspace reads its key as the identity named in encryption.identity.userAssignedIdentity
        # (ARM schema 2025-12-01, Microsoft.MachineLearningServices.json, IdentityForCmk); this program
        # gives it the workspace's user-assigned identity.
        if self.encryption is not None and not self.identity.user_assigned:
            raise key_error(
                "encryption",
                "needs identity: userAssigned (the identity that reads the key from the vault, granted Key Vault "
                "Crypto Service Encryption User before the workspace exists); identity is systemAssigned, which "
                "exists only once the workspace does: set identity: userAssigned",
            )
        return self

    @model_validator(mode="after")
    def _log_analytics_only_for_new_insights(self) -> Self:
        # Log Analytics exists here only to back a new Application Insights.
        if self.application_insights.reused and self.is_set("log_analytics") and not self.log_analytics.reused:
            raise key_error(
                "logAnalytics",
                "has no effect when applicationInsights reuses an existing resource "
                "(it only backs a new Application Insights): remove it",
            )
        return self

    @model_validator(mode="after")
    def _created_identity_needs_an_rbac_vault(self) -> Self:
        # A created identity gets Key Vault Administrator (how-to-identity-based-service-authentication,
        # "when using RBAC permission model"); with access policies it would need a policy, which
        # this program never writes.
        if self.identity.user_assigned and not self.identity.reused and not self.key_vault.reused and (
            self.key_vault.authorization == "accessPolicies"
        ):
            raise key_error(
                "identity",
                "userAssigned creates an identity that gets its key vault access as RBAC roles, but "
                "keyVault.authorization is accessPolicies, and this program writes no access policies: use "
                "keyVault.authorization: rbac, or give an existing identity an access policy and reuse it "
                "with identity: {type: userAssigned, id: <ARM id>}",
            )
        return self
