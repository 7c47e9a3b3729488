"""The whole stack config: one typed object, parsed and validated once."""

from __future__ import annotations

import re
from typing import Protocol

from pydantic import Field, field_validator

from azureml_infra.config.access import AccessEntry
from azureml_infra.config.base import Model, Region
from azureml_infra.config.budget import BudgetSettings
from azureml_infra.config.compute import ComputeCluster, ComputeInstance
from azureml_infra.config.datastores import DataStorageSettings, DatastoreSettings
from azureml_infra.config.diagnostics import DiagnosticsSettings
from azureml_infra.config.foundry import FoundrySettings
from azureml_infra.config.kubernetes import KubernetesCompute
from azureml_infra.config.network import NetworkSettings
from azureml_infra.config.registry import RegistrySettings
from azureml_infra.config.workspace import ResourceGroupSettings, WorkspaceSettings
from azureml_infra.naming import (
    ENVIRONMENT_RE,
    PREFIX_RE,
    SUFFIX_RE,
    ResourceNames,
    generated_names,
)

_TAG_FORBIDDEN = re.compile(r"[<>%&\\?/]")


class _Dependency(Protocol):
    """What names() reads of a workspace dependency's settings (a Reusable with a name field)."""

    @property
    def name(self) -> str | None: ...

    @property
    def reused(self) -> bool: ...

    @property
    def existing_name(self) -> str: ...


class StackConfig(Model):
    """Everything a stack file says: one field per section, each a model of its own module."""

    location: Region = Field(description="Azure region, from azure-native:location, e.g. westeurope.")
    prefix: str = Field(description="Workload name in every resource name: 2-10 lowercase letters/digits.")
    environment: str = Field(
        description="dev, test, prod...: 1-8 lowercase letters/digits, used in names and tags.",
        json_schema_extra={"defaultText": "the stack name"},
    )
    name_suffix: str | None = Field(
        None,
        description="1-4 lowercase letters/digits appended to globally unique names. "
        "Default: derived from prefix and environment.",
    )
    tags: dict[str, str] = Field(default_factory=dict, description="Merged over the environment and managedBy tags.")
    protect: bool = Field(
        False, description="true: protect and retain-on-delete every stateful resource."
    )
    adopt: bool = Field(
        False,
        description="true on the first `pulumi up` of a stack written by `make adopt`: every resource the legacy "
        "ARM templates deployed is imported by its ARM id instead of created. Remove it after that run "
        "(docs/migration.md).",
    )
    resource_group: ResourceGroupSettings = Field(default_factory=ResourceGroupSettings)
    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    computes: list[ComputeCluster] = Field(default_factory=list, description="AmlCompute clusters.")
    compute_instances: list[ComputeInstance] = Field(
        default_factory=list, description="Personal compute instances."
    )
    data_storage: DataStorageSettings | None = Field(
        None, description="A data lake account created for this environment."
    )
    datastores: list[DatastoreSettings] = Field(default_factory=list, description="Datastores to attach.")
    kubernetes_computes: list[KubernetesCompute] = Field(
        default_factory=list,
        description="Kubernetes computes: an AKS cluster (created or existing) with the Azure ML extension.",
    )
    registry: RegistrySettings | None = Field(
        None, description="The shared Azure ML registry: created here, or an existing one by id."
    )
    access: list[AccessEntry] = Field(
        default_factory=list,
        description="Role assignments for people and applications: {principalId, principalType, role, scope}.",
    )
    diagnostics: DiagnosticsSettings = Field(
        default_factory=DiagnosticsSettings,
        description="Diagnostic settings of the stack's resources to Log Analytics (on by default).",
    )
    network: NetworkSettings = Field(
        default_factory=NetworkSettings,
        description="Network isolation: the workspace's managed network (isolation, outboundRules) and private "
        "endpoints (privateEndpoints). Default: none, public endpoints as before.",
    )
    foundry: FoundrySettings | None = Field(
        None,
        description="A Foundry resource (model deployments, projects) created here or used by id, connected to the "
        "workspace, and more workspace connections (docs/foundry.md).",
    )
    budget: BudgetSettings | None = Field(
        None,
        description="A monthly Cost budget on the stack's resource group, notifying at each threshold "
        "(docs/cost.md). Default: none.",
    )

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not PREFIX_RE.fullmatch(value):
            raise ValueError(
                "must be 2-10 lowercase letters or digits starting with a letter "
                "(it goes into storage account and registry names, which allow nothing else)"
            )
        return value

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        if not ENVIRONMENT_RE.fullmatch(value):
            raise ValueError("must be 1-8 lowercase letters or digits starting with a letter, e.g. dev")
        return value

    @field_validator("name_suffix")
    @classmethod
    def _suffix(cls, value: str | None) -> str | None:
        if value is not None and not SUFFIX_RE.fullmatch(value):
            raise ValueError("must be 1-4 lowercase letters or digits")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        for name, tag in value.items():
            if not 1 <= len(name) <= 128 or _TAG_FORBIDDEN.search(name):
                raise ValueError(f"tag name '{name}' must be 1-128 characters without < > % & \\ ? /")
            if len(tag) > 256:
                raise ValueError(f"tag '{name}' has a value longer than 256 characters")
        if len(value) > 48:
            raise ValueError("at most 48 tags (Azure allows 50, and this program adds two)")
        return value

    def names(self) -> ResourceNames:
        """Azure names of the environment's resources: the stack file's, else CAF defaults."""
        generated = generated_names(self.prefix, self.environment, self.name_suffix)
        ws = self.workspace

        def pick(settings: _Dependency, default: str) -> str:
            return settings.existing_name if settings.reused else settings.name or default

        return ResourceNames(
            resource_group=self.resource_group.name or generated.resource_group,
            storage_account=pick(ws.storage_account, generated.storage_account),
            key_vault=pick(ws.key_vault, generated.key_vault),
            log_analytics=pick(ws.log_analytics, generated.log_analytics),
            application_insights=pick(ws.application_insights, generated.application_insights),
            container_registry=pick(ws.container_registry, generated.container_registry),
            ml_workspace=ws.name or generated.ml_workspace,
            data_storage=None if self.data_storage is None else self.data_storage.name or generated.data_storage,
        )

    def resource_tags(self) -> dict[str, str]:
        """Tags for every resource: the stack's own tags win over the two defaults."""
        return {"environment": self.environment, "managedBy": "pulumi", **self.tags}


