"""Rules for ``adopt: true``: adopting what the legacy ARM templates deployed (key ``adopt``).

With ``adopt: true`` the first ``pulumi up`` imports each resource by its ARM id
(``azureml_infra.adoption.import_ids``), so every name must be the deployed one, and nothing may
ask Azure for a change it cannot make in place. The stack file ``make adopt`` writes passes
these rules; they catch a hand-written or edited one before anything is imported.
"""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig

# The soft-delete retention Azure gave the legacy vault (API 2018-02-14 set none): Azure
# refuses to change a vault's retention once it is set.
LEGACY_SOFT_DELETE_DAYS = 90


def _names_given(config: StackConfig) -> Iterable[Problem]:
    """Each adopted resource is found by its name: a generated default would import nothing."""
    if not config.adopt:
        return
    generated = config.names()
    ws = config.workspace
    candidates = [("resourceGroup.name", config.resource_group.name, generated.resource_group, "resource group")]
    if config.workspace.name is None:
        candidates.append(("workspace.name", None, generated.ml_workspace, "workspace"))
    for key, settings, default, what in (
        ("storageAccount", ws.storage_account, generated.storage_account, "storage account"),
        ("keyVault", ws.key_vault, generated.key_vault, "key vault"),
        ("applicationInsights", ws.application_insights, generated.application_insights, "Application Insights"),
        ("containerRegistry", ws.container_registry, generated.container_registry, "container registry"),
    ):
        if not settings.reused:
            candidates.append((f"workspace.{key}.name", settings.name, default, what))
    for key, given, default, what in candidates:
        if given is None:
            yield Problem.at(
                key,
                f"must be set when adopt is true: the {what} is imported by its deployed name, and the "
                f"generated name {default} would import nothing; set the name the legacy templates "
                "deployed (make adopt writes it)",
            )


def _vault_keeps_its_authorization(config: StackConfig) -> Iterable[Problem]:
    """A legacy vault works with access policies; switching is a decision, never a default."""
    vault = config.workspace.key_vault
    if not config.adopt or vault.reused:
        return
    if not vault.is_set("authorization"):
        yield Problem.at(
            "workspace.keyVault.authorization",
            "must be set when adopt is true: the legacy vault authorizes with access policies; set "
            "accessPolicies to keep them (make adopt writes it), or rbac to switch, which revokes every "
            "access policy, the workspace's included (grant RBAC roles first); keep it set after adopt is removed",
        )
    if vault.soft_delete_retention_in_days != LEGACY_SOFT_DELETE_DAYS:
        yield Problem.at(
            "workspace.keyVault.softDeleteRetentionInDays",
            f"is {vault.soft_delete_retention_in_days}, but the adopted vault keeps the {LEGACY_SOFT_DELETE_DAYS} "
            "days Azure gave it and refuses any change to it: set 90 or remove the key",
        )


def _no_creation_only_settings(config: StackConfig) -> Iterable[Problem]:
    """Settings Azure takes only when it creates a resource: an adopted one exists already.

    - enableDataIsolation: "The data isolation setting can only be configured when creating a
      workspace. You can't enable or disable it after the workspace is created."
      (azure-ai-docs how-to-identity-based-service-authentication.md, "Data isolation for shared
      resources").
    - zoneRedundancy: "Region conversions to availability zones aren't currently supported"
      (azure-docs container-registry/zone-redundancy.md).
    """
    if not config.adopt:
        return
    ws = config.workspace
    if ws.data_isolation:
        yield Problem.at(
            "workspace.dataIsolation",
            "can only be chosen when a workspace is created, and adopt is true imports the workspace the legacy "
            "templates deployed: remove it",
        )
    # A customer-managed key and high business impact: "the key is provided when you create your
    # workspace" (azure-ai-docs concept-customer-managed-keys.md); hbiWorkspace is create-only too
    # (facts.CREATE_ONLY).
    if ws.encryption is not None:
        yield Problem.at(
            "workspace.encryption",
            "can only be chosen when a workspace is created, and adopt is true imports the workspace the legacy "
            "templates deployed: remove it",
        )
    if ws.hbi:
        yield Problem.at(
            "workspace.hbi",
            "can only be chosen when a workspace is created, and adopt is true imports the workspace the legacy "
            "templates deployed: remove it",
        )
    if ws.container_registry.zone_redundant and not ws.container_registry.reused:
        yield Problem.at(
            "workspace.containerRegistry.zoneRedundant",
            "can only be chosen when a registry is created, and adopt is true imports the registry the legacy "
            "templates deployed: remove it",
        )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [_names_given, _vault_keeps_its_authorization, _no_creation_only_settings]
