"""Azure RBAC role assignments, as every component makes them.

What an assignment is called and which role it gives is decided from config values alone
(``azureml_infra.deployment.Grant``, made by ``azureml_infra.resolve``); the component that
makes one supplies who gets it and on what, ids known only once deployed.
"""

from __future__ import annotations

from typing import Any, cast

import pulumi
from pulumi_azure_native import authorization

from azureml_infra.deployment import Grant
from components.options import child


def principal_id_of(identity: pulumi.Output[Any]) -> pulumi.Output[str]:
    """The principal id of a resource's system-assigned identity, which Azure reports once the
    resource exists (cast: the SDK types every identity as optional, and each caller asked for one)."""
    return identity.apply(lambda found: cast(str, found.principal_id if found else None))


def role_definition_id(subscription_id: pulumi.Input[str], role_id: str) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role_id
    )


def assign_role(
    grant: Grant,
    principal_id: pulumi.Input[str],
    scope: pulumi.Input[str],
    subscription_id: pulumi.Input[str],
    parent: pulumi.Resource,
    depends_on: list[pulumi.Resource] | None = None,
) -> authorization.RoleAssignment:
    return authorization.RoleAssignment(
        grant.logical_name,
        role_assignment_name=grant.name,
        # The scope's subscription: the deployment's, unless the grant names another.
        role_definition_id=role_definition_id(grant.subscription_id or subscription_id, grant.role_id),
        principal_id=principal_id,
        # Saying what the principal is skips the directory lookup that fails for a just-created
        # managed identity (PrincipalNotFound while it replicates); managed identities are
        # service principals.
        principal_type=grant.principal_type,
        scope=scope,
        description=grant.description or None,
        # A new principal (a replaced cluster or workspace) replaces the assignment under the
        # same config-derived name, and Azure refuses a second assignment with that name:
        # the old one must go first.
        opts=child(parent, depends_on=depends_on or [], delete_before_replace=True),
    )


class RoleAssignments:
    """Assigns each grant once per stack.

    Azure refuses a second assignment of the same role to the same principal at the same scope
    (RoleAssignmentExists), which two datastores on one container would otherwise ask for: the
    grants then have the same name, and the second asker gets the first one's assignment back
    (to depend on).
    """

    def __init__(self) -> None:
        self._by_name: dict[str, authorization.RoleAssignment] = {}

    def assign(
        self,
        grant: Grant,
        principal_id: pulumi.Input[str],
        scope: pulumi.Input[str],
        subscription_id: pulumi.Input[str],
        parent: pulumi.Resource,
        depends_on: list[pulumi.Resource] | None = None,
    ) -> authorization.RoleAssignment:
        if grant.name not in self._by_name:
            self._by_name[grant.name] = assign_role(grant, principal_id, scope, subscription_id, parent, depends_on)
        return self._by_name[grant.name]
