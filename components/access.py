"""The stack file's ``access`` entries: people, groups and applications get roles on the
stack's own resources, one role assignment each, named from config values only
(``azureml_infra.resolve``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization

from azureml_infra.deployment import AccessGrant, DependencyKind
from components.role_assignments import assign_role


@dataclass(frozen=True)
class AccessArgs:
    grants: tuple[AccessGrant, ...]
    # The ARM id of each scope an entry may name (the config rules refuse the others: config.rules.access).
    scope_ids: Mapping[DependencyKind, pulumi.Input[str]]
    subscription_id: pulumi.Input[str]
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class Access(pulumi.ComponentResource):
    """One role assignment per ``access`` entry."""

    assignments: dict[str, authorization.RoleAssignment]

    def __init__(self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:access:Access", name, None, opts)
        self.assignments = {
            entry.grant.logical_name: assign_role(
                entry.grant, entry.principal_id, args.scope_ids[entry.scope], args.subscription_id, self,
                args.depends_on,
            )
            for entry in args.grants
        }
        self.register_outputs({"assignments": sorted(self.assignments)})
