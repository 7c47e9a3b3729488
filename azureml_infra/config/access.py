"""Config of role assignments for people and applications (key ``access``).

Each entry gives one principal (a user, a group or a service principal, by its Entra ID object
id) either one role on one scope of this stack, or a persona: every role a person of that kind
needs in this stack (``azureml_infra.personas``). Roles go by their built-in name (the table in
``azureml_infra.roles``) or by any role definition GUID (custom roles too). Scopes are this
stack's own resources and the Azure ML registry it uses; a dependency reused by ARM id is its
owner's to grant on.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self, get_args

from pydantic import AfterValidator, Field, model_validator

from azureml_infra import arm
from azureml_infra.config.base import Guid, Model, key_error
from azureml_infra.personas import Persona
from azureml_infra.roles import ROLE_IDS, closest_role, role_named

Scope = Literal["workspace", "resourceGroup", "storageAccount", "keyVault", "containerRegistry", "logAnalytics",
                "dataStorage", "registry", "foundry"]
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
    """One role for one principal on one scope, or one persona for one principal."""

    principal_id: Guid = Field(
        description="Entra ID object id of the user, group or service principal (not an app/client id)."
    )
    principal_type: Literal["User", "Group", "ServicePrincipal"] = Field(
        description="User, Group or ServicePrincipal (managed identities are service principals)."
    )
    role: RoleRef | None = Field(
        None,
        description="A built-in role by name, e.g. AzureML Data Scientist (docs/access.md lists them), "
        "or any role definition GUID. With scope; not with persona.",
    )
    scope: Scope | None = Field(
        None,
        description="workspace, resourceGroup, storageAccount, keyVault, containerRegistry, logAnalytics "
        "(this stack's own), dataStorage (the data lake), registry (the Azure ML registry of "
        "azureml-infra:registry) or foundry (the Foundry resource of azureml-infra:foundry). With role; not with "
        "persona.",
    )
    persona: Persona | None = Field(
        None,
        description="dataScientist, mlEngineer or reader: every role such a person needs in this stack "
        "(docs/access.md, Personas). Instead of role and scope.",
    )

    @model_validator(mode="after")
    def _role_and_scope_or_persona(self) -> Self:
        if self.persona is not None:
            given = [key for key in ("role", "scope") if self.is_set(key)]
            if given:
                raise key_error(
                    given[0],
                    f"cannot stand beside persona: the persona {self.persona} gives its own roles on their own "
                    "scopes (docs/access.md, Personas); remove role and scope, or remove persona",
                )
            return self
        for key in ("role", "scope"):
            if getattr(self, key) is None:
                raise key_error(key, "is required: give role and scope, or a persona (dataScientist, mlEngineer, reader)")
        return self

    @property
    def role_id(self) -> str:
        """The role definition GUID (lowercase) of a role entry."""
        assert self.role is not None
        role = role_named(self.role)
        return role.id if role else self.role
