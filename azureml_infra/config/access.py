"""Config of role assignments for people and applications (key ``access``).

Each entry gives one principal (a user, a group or a service principal, by its Entra ID object
id) one role on one scope of this stack. Roles go by their built-in name (the table in
``azureml_infra.roles``) or by any role definition GUID (custom roles too). Scopes are this
stack's own resources; a dependency reused by ARM id is its owner's to grant on.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field

from azureml_infra import arm
from azureml_infra.config.base import Guid, Model
from azureml_infra.roles import ROLE_IDS, closest_role, role_named

Scope = Literal["workspace", "resourceGroup", "storageAccount", "keyVault", "containerRegistry", "logAnalytics",
                "dataStorage"]
SCOPES: tuple[str, ...] = get_args(Scope)


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
