"""Config-only keys: what names a role assignment, from config values alone.

A role assignment's name is a GUID that Azure requires to be unique. ARM templates usually take
``guid(scope, principal, role)`` of resource ids; here the principal id is only known after
deployment, so the name is a uuid5 of config values instead: a key of the scope, a key of the
principal and the role. The name is then the same in every preview and never forces a
replacement of its own, yet differs between stacks, scopes, identities and roles. Every such
key is written here once; ``azureml_infra.resolve`` is their only user.

The keys are frozen: a changed key renames, and so replaces, a deployed role assignment.
"""

from __future__ import annotations

import uuid

# Fixed namespace for assignment names: changing it would rename (replace) every assignment.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "role-assignments.azureml-infra")


def assignment_name(scope_key: str, role_id: str, principal_key: str) -> str:
    """The role assignment's name: a GUID from config values only (never from outputs)."""
    return str(uuid.uuid5(_NAMESPACE, f"{scope_key}|{role_id.lower()}|{principal_key}"))


# --- scopes ------------------------------------------------------------------------------


def resource_key(resource_group: str, segment: str, name: str) -> str:
    """A resource this stack creates: ``<group>/<segment>/<name>``, compared ignoring case."""
    return f"{resource_group}/{segment}/{name}".lower()


def reused_key(arm_id: str) -> str:
    """A resource reused by ARM id: the id itself, compared ignoring case."""
    return arm_id.lower()


def resource_group_key(resource_group: str) -> str:
    return f"resourcegroups/{resource_group}".lower()


def container_key(subscription_id: str | None, resource_group: str, account_name: str, container: str) -> str:
    """A datastore's container: its account's subscription (``deployment`` when it is the
    deployment's), group, account and container, as the stack file gives them."""
    return "/".join((subscription_id or "deployment", resource_group, account_name, container))


def ml_registry_key(registry_name: str) -> str:
    """An Azure ML registry: its name is unique in the tenant."""
    return f"mlregistry/{registry_name.lower()}"


def subnet_key(resource_group: str, vnet_name: str, subnet: str) -> str:
    return f"{resource_group}/{vnet_name}/{subnet}".lower()


# --- principals ------------------------------------------------------------------------------


def workspace_principal_key(workspace_name: str, identity_key: str | None = None) -> str:
    """The workspace's identity: its system-assigned identity, or the user-assigned one by name
    (created here) or ARM id (reused). A new identity is a new principal, so its key, and with it
    the names of its assignments, changes with it."""
    if identity_key is None:
        return f"{workspace_name}/workspace"  # the key its grants were always named by
    return f"{workspace_name}/identity/{identity_key}".lower()


def compute_principal_key(workspace_name: str, compute_name: str) -> str:
    return f"{workspace_name}/computes/{compute_name}"


def access_principal_key(stack_key: str, principal_id: str) -> str:
    """A principal of the ``access`` entries. ``stack_key`` (prefix-environment) keeps two stacks
    that share an existing resource group from claiming the same assignment."""
    return f"{stack_key}/access/{principal_id.lower()}"


def aks_principal_key(cluster_name: str) -> str:
    return f"aks/{cluster_name}"
