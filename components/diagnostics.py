"""Diagnostic settings: the resource logs of the stack's resources, sent to Log Analytics.

One ``monitor.DiagnosticSetting`` per resource this stack creates (pulumi-azure-native 3.29
has no ``insights`` module; the setting is ``monitor.DiagnosticSetting``, API 2021-05-01-preview,
with ``DiagnosticsLogSettingsArgs``/``DiagnosticsMetricSettingsArgs``). What each resource
type logs, and by which category group (research notes network-access.md §8):

- ML workspace, key vault, container registry: the ``audit`` or ``allLogs`` category group,
  both supported by each ("Supported resources" of azure-monitor-docs
  platform/diagnostics-settings-policies-deployifnotexists.md; AVM's workspace module defaults
  to allLogs).
- storage: logs live on the blob service (``<account id>/blobServices/default``), the account
  itself has metrics only (AVM storage module, variables.diagnostics.tf). That the blob service
  takes the ``audit`` group is not documented, so ``audit`` means its write and delete
  categories there, StorageWrite and StorageDelete ("Supported logs for
  Microsoft.Storage/storageAccounts/blobServices"); ``allLogs`` adds StorageRead.

A reused resource gets none: a diagnostic setting is a change to its owner's resource.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi
from pulumi_azure_native import monitor

from components.options import child

if TYPE_CHECKING:
    from azureml_infra.config.workspace import WorkspaceSettings
    from components.datastores import DataStorage
    from components.workspace import MachineLearningWorkspace

SETTING_NAME = "azureml-infra"

# Types whose category groups include audit (see the module docstring).
BLOB_AUDIT_CATEGORIES = ("StorageWrite", "StorageDelete")


@dataclass(frozen=True)
class Target:
    """A resource that sends its diagnostics: its logical label and ARM id.

    ``kind`` is ``resource`` (logs by category group, and metrics), ``blob`` (a storage
    account's blob service: logs by category, and metrics) or ``metrics`` (metrics only: a
    storage account itself).
    """

    label: str
    resource_id: pulumi.Input[str]
    kind: str = "resource"


@dataclass(frozen=True)
class DiagnosticsArgs:
    targets: list[Target]
    workspace_id: pulumi.Input[str]  # the Log Analytics workspace's ARM id
    logs: str = "audit"  # audit | allLogs
    metrics: bool = True
    depends_on: list[pulumi.Resource] = field(default_factory=list)


def _logs(kind: str, logs: str) -> list[monitor.DiagnosticsLogSettingsArgs] | None:
    if kind == "metrics":
        return None
    if kind == "blob" and logs == "audit":
        return [monitor.DiagnosticsLogSettingsArgs(enabled=True, category=c) for c in BLOB_AUDIT_CATEGORIES]
    return [monitor.DiagnosticsLogSettingsArgs(enabled=True, category_group=logs)]


class Diagnostics(pulumi.ComponentResource):
    """A diagnostic setting per target, to one Log Analytics workspace."""

    settings: dict[str, monitor.DiagnosticSetting]

    def __init__(self, name: str, args: DiagnosticsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:diagnostics:Diagnostics", name, None, opts)
        self.settings = {}
        for target in args.targets:
            if target.kind == "metrics" and not args.metrics:
                continue
            metrics = [monitor.DiagnosticsMetricSettingsArgs(enabled=True, category="AllMetrics")] if args.metrics else None
            self.settings[target.label] = monitor.DiagnosticSetting(
                f"{target.label}-diagnostics",
                name=SETTING_NAME,
                resource_uri=target.resource_id,
                workspace_id=args.workspace_id,
                logs=_logs(target.kind, args.logs),
                metrics=metrics,
                opts=child(self, depends_on=args.depends_on),
            )
        self.register_outputs({"settings": sorted(self.settings)})


def blob_service_id(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The storage account's blob service, where its blob logs are set (``blobServices/default``)."""
    return pulumi.Output.concat(account_id, "/blobServices/default")


def diagnostic_targets(
    settings: WorkspaceSettings, workspace: MachineLearningWorkspace, data_storage: DataStorage | None
) -> list[Target]:
    """What this stack creates that sends logs; a resource reused by id is its owner's to change."""
    targets = [Target("workspace", workspace.workspace_id)]
    if not settings.key_vault.reused:
        targets.append(Target("key-vault", workspace.key_vault_id))
    if not settings.storage_account.reused:
        targets += [Target("storage-account-blob", blob_service_id(workspace.storage_account_id), "blob"),
                    Target("storage-account", workspace.storage_account_id, "metrics")]
    if not settings.container_registry.reused:
        targets.append(Target("container-registry", workspace.container_registry_id))
    if data_storage is not None:
        targets += [Target("data-storage-blob", blob_service_id(data_storage.account.id), "blob"),
                    Target("data-storage", data_storage.account.id, "metrics")]
    return targets
