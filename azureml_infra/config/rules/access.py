"""Rules of ``access`` across sections: no duplicate assignment, and a scope this stack owns.

``scope_unavailable`` also tells components/access.py which scopes it may assign on.
"""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig


def _path(index: int, key: str | None = None) -> str:
    return f"access[{index}]" + (f".{key}" if key else "")


def _unique_entries(config: StackConfig) -> Iterable[Problem]:
    """Azure keeps one assignment per principal, role and scope (RoleAssignmentExists)."""
    first: dict[tuple[str, str, str], int] = {}
    for index, entry in enumerate(config.access):
        key = (entry.principal_id.lower(), entry.role_id, entry.scope)
        earlier = first.setdefault(key, index)
        if earlier != index:
            yield Problem.at(
                _path(index),
                f"gives the same principal the same role on the same scope as {_path(earlier)}; "
                "Azure keeps one such assignment: remove one of the two",
            )


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
    return None


def _scopes_exist(config: StackConfig) -> Iterable[Problem]:
    for index, entry in enumerate(config.access):
        reason = scope_unavailable(entry.scope, config)
        if reason:
            yield Problem.at(
                _path(index, "scope"), f"is {entry.scope}, but {reason}: choose another scope, or remove the entry"
            )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [_unique_entries, _scopes_exist]
