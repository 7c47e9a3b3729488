"""Rules of ``access`` across sections: no duplicate assignment, and a scope this stack owns.

``persona_roles`` expands an entry into the roles it gives in this stack; azureml_infra.resolve
assigns exactly those.
"""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.access import AccessEntry
from azureml_infra.config.base import Problem
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig
from azureml_infra.personas import PERSONA_ROLES, Condition
from azureml_infra.roles import role_named


def persona_conditions(config: StackConfig) -> set[Condition]:
    """Which rows of the persona table apply in this stack (azureml_infra.personas)."""
    conditions: set[Condition] = {"always"}
    if config.workspace.datastores_use_identity:
        conditions.add("identityStorage")
    if config.data_storage is not None:
        conditions.add("dataStorage")
    if config.registry is not None:
        conditions.add("registry")
    if config.foundry is not None:
        conditions.add("foundry")
    return conditions


def entry_roles(entry: AccessEntry, config: StackConfig) -> list[tuple[str, str]]:
    """(role as Azure names it or its GUID, scope) of every role the entry gives in this stack."""
    if entry.persona is None:
        assert entry.role is not None and entry.scope is not None  # the model's rule
        return [(entry.role, entry.scope)]
    conditions = persona_conditions(config)
    return [(row.role.value, row.scope) for row in PERSONA_ROLES[entry.persona] if row.condition in conditions]


def _role_id(role: str) -> str:
    built_in = role_named(role)
    return built_in.id if built_in else role.lower()


def _path(index: int, key: str | None = None) -> str:
    return f"access[{index}]" + (f".{key}" if key else "")


def _unique_entries(config: StackConfig) -> Iterable[Problem]:
    """Azure keeps one assignment per principal, role and scope (RoleAssignmentExists), whether an
    entry names it or a persona gives it."""
    first: dict[tuple[str, str, str], int] = {}
    for index, entry in enumerate(config.access):
        for role, scope in entry_roles(entry, config):
            earlier = first.setdefault((entry.principal_id.lower(), _role_id(role), scope), index)
            if earlier != index:
                persona = [f"the persona {e.persona} gives {role} on {scope}" for e in
                           (config.access[earlier], entry) if e.persona]
                yield Problem.at(
                    _path(index),
                    f"gives the same principal the same role on the same scope as {_path(earlier)}"
                    + (f" ({'; '.join(persona)})" if persona else "")
                    + "; Azure keeps one such assignment: remove one of the two",
                )
                break


def scope_unavailable(scope: str, config: StackConfig) -> str | None:
    """Why this stack has no resource of its own at ``scope`` (None when it has one)."""
    ws = config.workspace
    reused = {
        "storageAccount": ("storage account", ws.storage_account.reused, "workspace.storageAccount.id"),
        "keyVault": ("key vault", ws.key_vault.reused, "workspace.keyVault.id"),
        "containerRegistry": ("container registry", ws.container_registry.reused, "workspace.containerRegistry.id"),
    }
    if scope in reused:
        what, is_reused, key = reused[scope]
        if is_reused:
            return f"the workspace's {what} is reused by id ({key}), so its access is its owner's to grant"
    if scope == "logAnalytics" and (ws.log_analytics.reused or ws.application_insights.reused):
        key = "workspace.logAnalytics.id" if ws.log_analytics.reused else "workspace.applicationInsights.id"
        return f"this stack creates no Log Analytics workspace ({key} reuses an existing resource)"
    if scope == "dataStorage" and config.data_storage is None:
        return "this stack has no data lake (azureml-infra:dataStorage is not set)"
    if scope == "registry" and config.registry is None:
        return "this stack uses no Azure ML registry (azureml-infra:registry is not set)"
    if scope == "foundry" and config.foundry is None:
        return "this stack has no Foundry resource (azureml-infra:foundry is not set)"
    return None


def _scopes_exist(config: StackConfig) -> Iterable[Problem]:
    for index, entry in enumerate(config.access):
        if entry.scope is None:
            continue  # a persona's roles are on scopes the stack has (persona_conditions)
        reason = scope_unavailable(entry.scope, config)
        if reason:
            yield Problem.at(
                _path(index, "scope"), f"is {entry.scope}, but {reason}: choose another scope, or remove the entry"
            )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [_unique_entries, _scopes_exist]
