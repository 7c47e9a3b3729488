"""Azure RBAC role assignments with names that depend only on the config.

A role assignment's name is a GUID that Azure requires to be unique. ARM templates usually take
``guid(scope, principal, role)`` of resource ids; here the principal id is only known after
deployment, so the name is a uuid5 of config values instead (what the scope is, which identity
from the config, which role). The name is then the same in every preview and never forces a
replacement of its own, yet differs between stacks, scopes, identities and roles.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization

from azureml_infra.roles import Role
from components.options import child

# Fixed namespace for assignment names: changing it would rename (replace) every assignment.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "role-assignments.azureml-infra")


def assignment_name(scope_key: str, role: Role, principal_key: str) -> str:
    """Deterministic role assignment name from config values only (never from outputs)."""
    return str(uuid.uuid5(_NAMESPACE, f"{scope_key}|{role.id}|{principal_key}"))


def role_definition_id(subscription_id: pulumi.Input[str], role: Role) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role.id
    )


@dataclass(frozen=True)
class Grant:
    """Give one identity one built-in role on one scope.

    ``scope_key`` and ``principal_key`` are the config-only identities of the scope and of the
    principal (e.g. ``rg-x/stdata/raw`` and ``mlw-x/workspace``): they name the assignment.
    """

    role: Role
    scope: pulumi.Input[str]
    scope_key: str
    principal_id: pulumi.Input[str]
    principal_key: str
    subscription_id: pulumi.Input[str]
    description: str = ""


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
        # Managed identities are service principals; saying so skips the directory lookup that
        # fails for a just-created identity (PrincipalNotFound while it replicates).
        principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
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
