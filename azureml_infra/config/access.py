"""Config of role assignments for people and applications (key ``access``).

Each entry gives one principal (a user, a group or a service principal, by its Entra ID object
id) one role on one scope of this stack. Roles go by their built-in name (the table in
``azureml_infra.roles``) or by any role definition GUID (custom roles too). Scopes are this
stack's own resources; a dependency reused by ARM id is its owner's to grant on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field

from azureml_infra import arm
from azureml_infra.config.base import Check, Guid, Model, Problem
from azureml_infra.roles import ROLE_IDS, closest_role, role_named

if TYPE_CHECKING:
    from azureml_infra.config.stack import StackConfig

Scope = Literal["workspace", "resourceGroup", "storageAccount", "keyVault", "containerRegistry", "logAnalytics",
                "dataStorage"]
SCOPES: tuple[str, ...] = Scope.__args__  # type: ignore[attr-defined]


def _check_role(value: str) -> str:
    """A built-in role's name (returned as Azure spells it) or a role definition GUID (lowercase)."""
    if arm.is_guid(value):
        return value.lower()
    role = role_named(value)
    if role is not None:
        return role.value
    close = closest_role(value)
    hint = f"did you mean '{close.value}'?" if close else f"known roles: {', '.join(r.value for r in ROLE_IDS)}."
    raise ValueError(
        f"is not a built-in role this program knows; {hint} "
        "Any other role, custom ones too, goes by its role definition GUID"
    )


RoleRef = Annotated[str, AfterValidator(_check_role)]


class AccessEntry(Model):
    """One role for one principal on one scope."""

    principal_id: Guid = Field(
        description="Entra ID object id of the user, group or service principal (not an app/client id)."
    )
    principal_type: Literal["User", "Group", "ServicePrincipal"] = Field(
        description="User, Group or ServicePrincipal (managed identities are service principals)."
    )
    role: RoleRef = Field(
        description="A built-in role by name, e.g. AzureML Data Scientist (docs/access.md lists them), "
        "or any role definition GUID."
    )
    scope: Scope = Field(
        description="workspace, resourceGroup, storageAccount, keyVault, containerRegistry, logAnalytics "
        "(this stack's own) or dataStorage (the data lake)."
    )

    @property
    def role_id(self) -> str:
        """The role definition GUID (lowercase)."""
        role = role_named(self.role)
        return role.id if role else self.role


# --- rules across sections -------------------------------------------------------------


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
