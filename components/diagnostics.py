"""Diagnostic settings: the resource logs of the stack's resources, sent to Log Analytics.

One ``monitor.DiagnosticSetting`` per target (pulumi-azure-native 3.29 has no ``insights``
module; the setting is ``monitor.DiagnosticSetting``, API 2021-05-01-preview, with
``DiagnosticsLogSettingsArgs``/``DiagnosticsMetricSettingsArgs``). What each resource type logs,
and by which category group:

- ML workspace, key vault, container registry: the ``audit`` or ``allLogs`` category group,
  both supported by each ("Supported resources" of azure-monitor-docs
  articles/azure-monitor/platform/diagnostics-settings-policies-deployifnotexists.md; the
  verified workspace module, Azure/bicep-registry-modules avm/res/machine-learning-services/
  workspace, defaults to allLogs).
- storage: logs live on the blob service (``<account id>/blobServices/default``), the account
  itself has metrics only (Azure/terraform-azurerm-avm-res-storage-storageaccount,
  variables.diagnostics.tf). That the blob service takes the ``audit`` group is not documented,
  so ``audit`` means its write and delete categories there, StorageWrite and StorageDelete
  (azure-monitor-docs articles/azure-monitor/reference/supported-logs/
  microsoft-storage-storageaccounts-blobservices-logs.md); ``allLogs`` adds StorageRead.

A reused resource gets none: a diagnostic setting is a change to its owner's resource
(``azureml_infra.resolve`` picks the targets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import monitor

from azureml_infra.deployment import DependencyKind, DiagnosticsSpec
from components.options import child

SETTING_NAME = "azureml-infra"

# What the blob service logs under audit (see the module docstring).
BLOB_AUDIT_CATEGORIES = ("StorageWrite", "StorageDelete")


@dataclass(frozen=True)
class DiagnosticsArgs:
    spec: DiagnosticsSpec
    # The ARM id of each target's resource.
    target_ids: Mapping[DependencyKind, pulumi.Input[str]]
    workspace_id: pulumi.Input[str]  # the Log Analytics workspace's ARM id
    depends_on: list[pulumi.Resource] = field(default_factory=list)


def _logs(kind: str, logs: str) -> list[monitor.DiagnosticsLogSettingsArgs] | None:
    if kind == "metrics":
        return None
    if kind == "blob" and logs == "audit":
        return [monitor.DiagnosticsLogSettingsArgs(enabled=True, category=c) for c in BLOB_AUDIT_CATEGORIES]
    return [monitor.DiagnosticsLogSettingsArgs(enabled=True, category_group=logs)]


def _event_hub(spec: DiagnosticsSpec) -> dict[str, str]:
    if spec.event_hub is None:
        return {}
    rule_id, name = spec.event_hub
    return {"event_hub_authorization_rule_id": rule_id, "event_hub_name": name}


class Diagnostics(pulumi.ComponentResource):
    """A diagnostic setting per target, to one Log Analytics workspace."""

    settings: dict[str, monitor.DiagnosticSetting]

    def __init__(self, name: str, args: DiagnosticsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:diagnostics:Diagnostics", name, None, opts)
        spec = args.spec
        self.settings = {}
        for target in spec.targets:
            if target.kind == "metrics" and not spec.metrics:
                continue
            resource_id = args.target_ids[target.target]
            if target.kind == "blob":
                # The storage account's blob service, where its blob logs are set.
                resource_id = pulumi.Output.concat(resource_id, "/blobServices/default")
            metrics = [monitor.DiagnosticsMetricSettingsArgs(enabled=True, category="AllMetrics")] if spec.metrics else None
            self.settings[target.label] = monitor.DiagnosticSetting(
                f"{target.label}-diagnostics",
                name=SETTING_NAME,
                resource_uri=resource_id,
                workspace_id=args.workspace_id,
                # Also to an event hub (monitor.DiagnosticSetting, API 2021-05-01-preview:
                # eventHubAuthorizationRuleId, eventHubName); left out without one, as before.
                **_event_hub(spec),
                logs=_logs(target.kind, spec.logs),
                metrics=metrics,
                opts=child(self, depends_on=args.depends_on),
            )
        self.register_outputs({"settings": sorted(self.settings)})
