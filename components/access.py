"""Azure RBAC role assignments with names that depend only on the config.

A role assignment's name is a GUID that Azure requires to be unique. ARM templates usually take
``guid(scope, principal, role)`` of resource ids; here the principal id is only known after
deployment, so the name is a uuid5 of config values instead (what the scope is, which identity
from the config, which role). The name is then the same in every preview and never forces a
replacement of its own, yet differs between stacks, scopes, identities and roles.

``Access`` turns the stack file's ``access`` entries (people, groups and applications) into
assignments on the stack's own resources; ``Grant``/``RoleAssignments`` serve the datastores'
data roles and the workspace identity's roles (components/identity.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi
from pulumi_azure_native import authorization

from azureml_infra.config.access import AccessEntry
from azureml_infra.naming import ResourceNames
from azureml_infra.roles import Role, role_named
from components.options import child

if TYPE_CHECKING:
    from components.datastores import DataStorage
    from components.workspace import MachineLearningWorkspace

# Fixed namespace for assignment names: changing it would rename (replace) every assignment.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "role-assignments.azureml-infra")


def _role_id(role: Role | str) -> str:
    """A built-in Role's GUID, or a role definition GUID given as text (lowercase)."""
    return role.id if isinstance(role, Role) else role.lower()


def assignment_name(scope_key: str, role: Role | str, principal_key: str) -> str:
    """Deterministic role assignment name from config values only (never from outputs).

    ``role`` is a built-in Role or a role definition GUID; a built-in role named by its GUID
    gives the same name as by its Role.
    """
    return str(uuid.uuid5(_NAMESPACE, f"{scope_key}|{_role_id(role)}|{principal_key}"))


def role_definition_id(subscription_id: pulumi.Input[str], role: Role | str) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", _role_id(role)
    )


@dataclass(frozen=True)
class Grant:
    """Give one identity one built-in role on one scope.

    ``scope_key`` and ``principal_key`` are the config-only identities of the scope and of the
    principal (e.g. ``rg-x/stdata/raw`` and ``mlw-x/workspace``): they name the assignment.
    """

    role: Role | str  # a built-in Role, or any role definition GUID
    scope: pulumi.Input[str]
    scope_key: str
    principal_id: pulumi.Input[str]
    principal_key: str
    subscription_id: pulumi.Input[str]
    description: str = ""
    # Managed identities are service principals; a person is a User, a team a Group.
    principal_type: str = "ServicePrincipal"


@dataclass(frozen=True)
class Principal:
    """An identity of the stack that gets roles: ``key`` identifies it from config values only (it
    names the role assignments), ``label`` is short, for logical names."""

    key: str
    label: str
    principal_id: pulumi.Input[str]


def workspace_principal_key(workspace_key: str, identity_key: str | None = None) -> str:
    """The config-only key of the workspace's identity: its system-assigned identity, or the
    user-assigned one by name (created here) or ARM id (reused). A new identity is a new principal,
    so its key, and with it the names of its assignments, changes with it."""
    if identity_key is None:
        return f"{workspace_key}/workspace"  # the key its grants were always named by
    return f"{workspace_key}/identity/{identity_key}".lower()


def principals_of(
    workspace_key: str,
    workspace_principal_id: pulumi.Input[str],
    computes: Mapping[str, pulumi.Resource],
    identity_key: str | None = None,
) -> list[Principal]:
    """The workspace's identity and every compute's that has one (``principal_id`` not None):
    the identities that read data and models."""
    principals = [Principal(workspace_principal_key(workspace_key, identity_key), "workspace", workspace_principal_id)]
    for name, compute in sorted(computes.items()):
        principal_id = getattr(compute, "principal_id", None)
        if principal_id is not None:
            principals.append(Principal(f"{workspace_key}/computes/{name}", f"compute-{name}", principal_id))
    return principals


def assign_role(
    logical_name: str,
    grant: Grant,
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
) -> authorization.RoleAssignment:
    return authorization.RoleAssignment(
        logical_name,
        role_assignment_name=assignment_name(grant.scope_key, grant.role, grant.principal_key),
        role_definition_id=role_definition_id(grant.subscription_id, grant.role),
        principal_id=grant.principal_id,
        # Saying what the principal is skips the directory lookup that fails for a just-created
        # managed identity (PrincipalNotFound while it replicates); managed identities are
        # service principals.
        principal_type=grant.principal_type,
        scope=grant.scope,
        description=grant.description or None,
        # A new principal (a replaced cluster or workspace) replaces the assignment under the
        # same config-derived name, and Azure refuses a second assignment with that name:
        # the old one must go first.
        opts=child(parent, depends_on=depends_on or [], delete_before_replace=True),
    )


class RoleAssignments:
    """Assigns each role to each principal on each scope once per stack.

    Azure refuses a second assignment of the same role to the same principal at the same scope
    (RoleAssignmentExists), which two datastores on one container would otherwise ask for; the
    second asker gets the first one's assignment back (to depend on).
    """

    def __init__(self) -> None:
        self._by_name: dict[str, authorization.RoleAssignment] = {}

    def assign(
        self,
        logical_name: str,
        grant: Grant,
        parent: pulumi.Resource,
        depends_on: list[pulumi.Resource] | None = None,
    ) -> authorization.RoleAssignment:
        name = assignment_name(grant.scope_key, grant.role, grant.principal_key)
        if name not in self._by_name:
            self._by_name[name] = assign_role(logical_name, grant, parent, depends_on)
        return self._by_name[name]


# --- the stack file's access entries -------------------------------------------------------


@dataclass(frozen=True)
class AccessScope:
    """One scope an access entry may name: its ARM id and its config-only key."""

    id: pulumi.Input[str]
    key: str


@dataclass(frozen=True)
class AccessArgs:
    entries: list[AccessEntry]
    # scope name in the stack file (workspace, resourceGroup...) -> where it is. Config checks
    # (config.access.scope_unavailable) make sure every scope an entry names is here.
    scopes: dict[str, AccessScope]
    # Config-only identity of the stack (prefix-environment): in the assignment names, so that two
    # stacks sharing an existing resource group never claim the same assignment.
    stack_key: str
    subscription_id: pulumi.Input[str]
    depends_on: list[pulumi.Resource] = field(default_factory=list)


def _slug(entry: AccessEntry) -> str:
    role = role_named(entry.role)
    text = role.name.lower().replace("_", "-") if role else entry.role
    return f"{entry.scope}-{text}-{entry.principal_id.lower()}"


class Access(pulumi.ComponentResource):
    """The ``access`` entries: one role assignment each, named from config values only."""

    assignments: dict[str, authorization.RoleAssignment]

    def __init__(self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:access:Access", name, None, opts)
        self.assignments = {}
        for entry in args.entries:
            scope = args.scopes[entry.scope]
            role: Role | str = role_named(entry.role) or entry.role
            # Logical names from config values too: removing one entry never renames another.
            logical = f"access-{_slug(entry)}"
            self.assignments[logical] = assign_role(
                logical,
                Grant(
                    role=role,
                    scope=scope.id,
                    scope_key=scope.key,
                    principal_id=entry.principal_id,
                    principal_key=access_principal_key(args.stack_key, entry.principal_id),
                    subscription_id=args.subscription_id,
                    description=f"azureml-infra: access ({entry.role} on {entry.scope})",
                    principal_type=entry.principal_type,
                ),
                parent=self,
                depends_on=args.depends_on,
            )
        self.register_outputs({"assignments": sorted(self.assignments)})


def access_principal_key(stack_key: str, principal_id: str) -> str:
    """The config-only key of a principal of the ``access`` entries (compared ignoring case)."""
    return f"{stack_key}/access/{principal_id.lower()}"


def access_scopes(
    names: ResourceNames,
    workspace: MachineLearningWorkspace,
    subscription_id: pulumi.Input[str],
    data_storage: DataStorage | None = None,
    lake_name: str | None = None,
) -> dict[str, AccessScope]:
    """The stack's own resources an ``access`` entry may name, each with its config-only key
    (the config checks refuse a scope the stack does not own)."""
    group = names.resource_group.lower()
    scopes = {
        "workspace": AccessScope(workspace.workspace_id, f"{group}/workspaces/{names.ml_workspace}".lower()),
        "resourceGroup": AccessScope(
            pulumi.Output.concat("/subscriptions/", subscription_id, "/resourceGroups/", workspace.resource_group_name),
            f"resourcegroups/{group}",
        ),
        "storageAccount": AccessScope(workspace.storage_account_id, f"{group}/storageaccounts/{names.storage_account}"),
        "keyVault": AccessScope(workspace.key_vault_id, f"{group}/vaults/{names.key_vault}".lower()),
        "containerRegistry": AccessScope(
            workspace.container_registry_id, f"{group}/registries/{names.container_registry}"
        ),
    }
    if workspace.log_analytics_id is not None:
        scopes["logAnalytics"] = AccessScope(
            workspace.log_analytics_id, f"{group}/loganalytics/{names.log_analytics}".lower()
        )
    if data_storage is not None:
        scopes["dataStorage"] = AccessScope(data_storage.account.id, f"{group}/storageaccounts/{lake_name}")
    return scopes
