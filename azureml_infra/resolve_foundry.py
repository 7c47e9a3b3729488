"""The Foundry part of ``resolve``: the account's name and key, its spec, the workspace's
connections, the identities' roles on the account, and the managed network's rule to it.

Pure, as resolve is; role assignments are named by resolve's ``_grant`` (handed in as ``grant``,
so that every assignment name still comes from one place, azureml_infra.keys). resolve adds the
account to its one list of dependencies (private endpoint, diagnostics, access scope, lock) and
calls the functions here for the rest. Sources: docs/foundry.md and the comments below.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from azureml_infra import arm, keys
from azureml_infra.config.foundry import FoundrySettings
from azureml_infra.config.rules.foundry import FOUNDRY_RULE
from azureml_infra.config.stack import StackConfig
from azureml_infra.deployment import (
    ConnectionSpec,
    Dependency,
    FoundryAccountSpec,
    FoundryDeploymentSpec,
    FoundryProjectSpec,
    FoundrySpec,
    Grant,
    OutboundRuleSpec,
    ReaderGrant,
    ScopedGrant,
)
from azureml_infra.foundry_catalog import (
    CONNECTION_CATEGORIES,
    FOUNDRY_CONNECTION,
    account_endpoint,
    project_endpoint,
)
from azureml_infra.naming import ResourceNames, foundry_account_name
from azureml_infra.roles import Role


class GrantFn(Protocol):
    """resolve._grant: a role assignment named from config values only; ``subscription_id``: its
    scope's, when that is a resource of another subscription (a role definition id names it)."""

    def __call__(self, logical_name: str, scope_key: str, role: Role | str, principal_key: str, description: str,
                 principal_type: str = ..., subscription_id: str | None = ...) -> Grant: ...


# resolve._readers: (compute or None for the workspace, principal key, label in logical names).
Reader = tuple[str | None, str, str]

# The ARM id segment of an account in config-only keys (keys.resource_key).
SEGMENT = "accounts"

# Roles for calling the deployments, by the model's format:
# - OpenAI models: Cognitive Services OpenAI User, "The ability to create completion and embedding
#   calls" (data actions Microsoft.CognitiveServices/accounts/OpenAI/...: MicrosoftDocs/azure-docs
#   articles/role-based-access-control/built-in-roles/ai-machine-learning.md);
# - every other Foundry model: Cognitive Services User, "Required for developers to authenticate
#   and make inference API calls using Microsoft Entra ID" (azure-ai-docs articles/ai-foundry/
#   foundry-models/how-to/configure-entra-id.md; data actions Microsoft.CognitiveServices/*).
OPENAI_FORMAT = "OpenAI"
_ROLE_SHORT = {Role.COGNITIVE_SERVICES_OPENAI_USER: "openai-user", Role.COGNITIVE_SERVICES_USER: "cognitive-user"}


def account_name(config: StackConfig) -> str | None:
    """The Foundry account's Azure name (also its custom subdomain), from the config alone."""
    foundry = config.foundry
    if foundry is None:
        return None
    if foundry.create is None:
        return foundry.existing_name
    return foundry.create.name or foundry_account_name(config.prefix, config.environment, config.name_suffix)


def account_key(config: StackConfig, names: ResourceNames) -> str:
    """The account's config-only key, as resolve's dependency list writes it."""
    foundry = config.foundry
    assert foundry is not None
    if foundry.id is not None:
        return keys.reused_key(foundry.id)
    name = account_name(config)
    assert name is not None
    return keys.resource_key(names.resource_group, SEGMENT, name)


def calling_roles(foundry: FoundrySettings) -> tuple[Role, ...]:
    """What an identity needs to call the account's deployments (see above). An account reused
    by id has deployments this stack does not know: the OpenAI role, the common case."""
    formats = {d.model.format for d in foundry.create.deployments} if foundry.create else {OPENAI_FORMAT}
    roles: list[Role] = []
    if OPENAI_FORMAT in formats or not formats:
        roles.append(Role.COGNITIVE_SERVICES_OPENAI_USER)
    if formats - {OPENAI_FORMAT}:
        roles.append(Role.COGNITIVE_SERVICES_USER)
    return tuple(roles)


def foundry(
    config: StackConfig, names: ResourceNames, dependencies: Iterable[Dependency], readers: Iterable[Reader],
    grant: GrantFn,
) -> FoundrySpec | None:
    """The Foundry spec: the account (created or reused), its connections, and the roles of the
    workspace's and each compute's identity (those that read data and models: resolve's readers)."""
    settings = config.foundry
    if settings is None:
        return None
    dependency = next(d for d in dependencies if d.kind == "foundry")
    name = dependency.name
    create = settings.create
    account = None
    if create is not None:
        account = FoundryAccountSpec(
            local_auth=create.local_auth,
            private=config.network.private_endpoints is not None,
            protect=config.protect,
            lock=dependency.lock,
            deployments=tuple(
                FoundryDeploymentSpec(d.name, d.model.format, d.model.name, d.model.version or "", d.sku.name,
                                      d.sku.capacity)
                for d in create.deployments
            ),
            projects=tuple(
                FoundryProjectSpec(p.name, p.description, p.display_name, project_endpoint(name, p.name))
                for p in create.projects
            ),
        )
    grants = tuple(
        ReaderGrant(compute, grant(
            f"foundry-{_ROLE_SHORT[role]}-{label}", dependency.key, role, principal,
            f"azureml-infra: {principal} calls the model deployments of {name} ({role.value})",
            subscription_id=dependency.subscription_id,
        ))
        for role in calling_roles(settings)
        for compute, principal, label in readers
    )
    return FoundrySpec(
        name=name,
        location=config.location,
        tags=config.resource_tags(),
        existing_id=settings.id,
        account=account,
        endpoint=account_endpoint(name),
        connections=_connections(settings, name),
        grants=grants,
    )


def _connections(settings: FoundrySettings, name: str) -> tuple[ConnectionSpec, ...]:
    """The workspace's connection to the stack's account (AIServices, Entra ID), then the entries."""
    own = ConnectionSpec(FOUNDRY_CONNECTION, "AIServices", account_endpoint(name), settings.id)
    entries = []
    for entry in settings.connections:
        parsed = arm.parse_resource_id(entry.resource_id)
        assert parsed is not None  # config.foundry checks the id against its category
        entries.append(ConnectionSpec(entry.name, entry.category,
                                      CONNECTION_CATEGORIES[entry.category].target_of(parsed.name), entry.resource_id))
    return (own, *entries)


def outbound(
    config: StackConfig, names: ResourceNames, workspace_principal: str, grant: GrantFn
) -> tuple[tuple[OutboundRuleSpec, ...], tuple[ScopedGrant, ...]]:
    """Under a managed network: a private endpoint rule to the account (group account: the
    "Private endpoints" list of azure-ai-docs how-to-managed-network.md names Azure AI services),
    waiting for the workspace identity's approver role on it, as the data lake's rules do: the
    account is not one of the workspace's default resources, whose endpoints Azure approves
    itself ("Approval of private endpoints", same page)."""
    if config.foundry is None or not config.network.managed:
        return (), ()
    rule = OutboundRuleSpec(FOUNDRY_RULE, "PrivateEndpoint", target="foundry", subresource="account",
                            origin="azureml-infra")
    approval = ScopedGrant("foundry", grant(
        "foundry-network-approver", account_key(config, names), Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER,
        workspace_principal, "azureml-infra: the workspace approves its managed network's endpoint to the Foundry account",
        subscription_id=_subscription(config),
    ))
    return (rule,), (approval,)


def _subscription(config: StackConfig) -> str | None:
    """An existing account's subscription (None: the deployment's)."""
    existing = arm.parse_resource_id(config.foundry.id) if config.foundry and config.foundry.id else None
    return existing.subscription_id if existing else None
