"""The workspace's user-assigned managed identity, and the roles Azure ML needs it to have.

With ``workspace.identity: {type: userAssigned}`` the stack creates ``id-<prefix>-<env>`` and,
before the workspace exists, grants it the roles Azure ML documents for a workspace's
user-assigned identity on the workspace's dependencies ("Set up authentication between Azure
Machine Learning and other services", how-to-identity-based-service-authentication.md,
User-assigned managed identity > Workspace; research notes network-access.md §7):

| resource            | roles                                                           |
|---------------------|-----------------------------------------------------------------|
| storage account     | Contributor, Storage Blob Data Contributor (studio data preview) |
| key vault (RBAC)    | Contributor, Key Vault Administrator                             |
| container registry  | Contributor                                                      |
| Application Insights| Contributor                                                      |
| the workspace       | Contributor (after it exists: it cannot be granted earlier)      |

The workspace waits for the dependency grants (Azure ML checks them when it creates the
workspace). A system-assigned identity gets its roles from Azure ML itself, so nothing is
granted here for it.

With ``{type: userAssigned, id: <ARM id>}`` the identity is someone else's: it is used, never
changed, and nothing is granted to it (docs/access.md says why and what its owner grants).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization, managedidentity

from azureml_infra.roles import Role
from components.access import Grant, assign_role
from components.options import stateful


@dataclass(frozen=True)
class Dependency:
    """A resource the workspace uses: its ARM id, config-only key and the roles its identity needs."""

    label: str  # short, for logical names: storage-account, key-vault...
    id: pulumi.Input[str]
    key: str
    roles: tuple[Role, ...]


# What the identity needs on each dependency (how-to-identity-based-service-authentication.md,
# table "User-assigned managed identity > Workspace"). This program always creates its key
# vaults with the RBAC permission model, hence Key Vault Administrator, not access policies.
DEPENDENCY_ROLES: dict[str, tuple[Role, ...]] = {
    "storage-account": (Role.CONTRIBUTOR, Role.STORAGE_BLOB_DATA_CONTRIBUTOR),
    "key-vault": (Role.CONTRIBUTOR, Role.KEY_VAULT_ADMINISTRATOR),
    "container-registry": (Role.CONTRIBUTOR,),
    "application-insights": (Role.CONTRIBUTOR,),
}
WORKSPACE_ROLES: tuple[Role, ...] = (Role.CONTRIBUTOR,)


@dataclass(frozen=True)
class WorkspaceIdentityArgs:
    # The identity's Azure name (created), or the ARM id of an existing one (reused).
    name: str
    existing_id: str | None
    resource_group_name: pulumi.Input[str]
    location: str
    # Config-only key of the identity as a principal: names its role assignments.
    principal_key: str
    subscription_id: pulumi.Input[str]
    dependencies: list[Dependency] = field(default_factory=list)
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class WorkspaceIdentity(pulumi.ComponentResource):
    """A user-assigned identity for the workspace: created and granted its roles, or reused as is."""

    id: pulumi.Output[str]
    principal_id: pulumi.Output[str] | None  # None for a reused identity until the workspace reports it
    client_id: pulumi.Output[str] | None
    grants: list[authorization.RoleAssignment]

    def __init__(self, name: str, args: WorkspaceIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:identity:WorkspaceIdentity", name, None, opts)
        self._args = args
        self.grants = []
        if args.existing_id is not None:
            self.reused = True
            self.id = pulumi.Output.from_input(args.existing_id)
            self.principal_id = self.client_id = None
        else:
            self.reused = False
            # Stateful although it holds no data: replacing it gives a new principal id, and every
            # grant to the old one (here, on shared data, anywhere else) is lost with it.
            identity = managedidentity.UserAssignedIdentity(
                "workspace-identity",
                resource_name_=args.name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                tags=args.tags,
                opts=stateful(self, args.protect),
            )
            self.identity = identity
            self.id = identity.id
            self.principal_id = identity.principal_id
            self.client_id = identity.client_id
            for dependency in args.dependencies:
                self.grants += [self._grant(dependency.label, dependency.id, dependency.key, role)
                                for role in dependency.roles]
        self.register_outputs({"id": self.id})

    def _grant(self, label: str, scope: pulumi.Input[str], scope_key: str, role: Role,
               depends_on: list[pulumi.Resource] | None = None) -> authorization.RoleAssignment:
        assert self.principal_id is not None
        short = role.name.lower().replace("_", "-")
        return assign_role(
            f"identity-{label}-{short}",
            Grant(
                role=role,
                scope=scope,
                scope_key=scope_key,
                principal_id=self.principal_id,
                principal_key=self._args.principal_key,
                subscription_id=self._args.subscription_id,
                description=f"azureml-infra: the workspace identity {self._args.name} ({role.value})",
            ),
            parent=self,
            depends_on=depends_on,
        )

    def grant_on_workspace(self, workspace_id: pulumi.Input[str], key: str) -> list[authorization.RoleAssignment]:
        """Contributor on the workspace itself, once it exists (nothing for a reused identity)."""
        if self.reused:
            return []
        granted = [self._grant("workspace", workspace_id, key, role) for role in WORKSPACE_ROLES]
        self.grants += granted
        return granted
