"""Config of the Foundry resource and the workspace's connections (key ``foundry``).

A stack either creates a Foundry resource (``create``: a Cognitive Services account of kind
AIServices with project management, its model deployments and its projects) or uses an existing
account by ARM ``id``. Either way the ML workspace gets a connection to it, and one per entry of
``connections`` (services others own: a search service, another account). What is created, the
roles and the private form: docs/foundry.md; the catalogue (SKUs, categories): azureml_infra.foundry_catalog.

Names (each refused with Azure's rule before anything is registered):
- the account: 2-64 "alphanumerics and hyphens, start and end with alphanumeric" (azure-docs
  articles/azure-resource-manager/management/resource-name-rules.md, Microsoft.CognitiveServices
  accounts); it is also the account's custom subdomain, a DNS label (at most 63 characters,
  RFC 1035 section 2.3.4) that Foundry's templates write in lowercase
  (microsoft-foundry/foundry-samples 40-basic-agent-setup: customSubDomainName: toLower(...)):
  2-63 lowercase letters, digits and hyphens here;
- a project: the ARM schema's pattern ``^[a-zA-Z0-9][a-zA-Z0-9_.-]*$``, 2-64 characters
  (Azure/azure-resource-manager-schemas schemas/2025-06-01/Microsoft.CognitiveServices.json,
  accounts_projects); a deployment: that schema gives none, so the projects' rule;
- a connection: ``^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$`` (schemas/2025-12-01/
  Microsoft.MachineLearningServices.json, workspaces_connections).
"""

from __future__ import annotations

import difflib
from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from azureml_infra import arm
from azureml_infra.config.base import Model, arm_id_of, azure_name, key_error
from azureml_infra.foundry_catalog import (
    ACCOUNT_TYPE,
    CONNECTION_CATEGORIES,
    DEPLOYMENT_SKUS,
    FOUNDRY_CONNECTION,
)
from azureml_infra.naming import NameRule

FOUNDRY_ACCOUNT_NAME = NameRule(
    "Foundry account", 2, 63, r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?",
    "may contain only lowercase letters, digits and hyphens, and must start and end with a letter or digit "
    "(it is also the account's custom subdomain)",
)
_CHILD = (r"[A-Za-z0-9][A-Za-z0-9_.-]*",
          "may contain only letters, digits, underscores, periods and hyphens, and must start with a letter or digit")
FOUNDRY_PROJECT_NAME = NameRule("Foundry project", 2, 64, *_CHILD)
FOUNDRY_DEPLOYMENT_NAME = NameRule("model deployment", 2, 64, *_CHILD)
CONNECTION_NAME = NameRule(
    "workspace connection", 3, 33, r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "may contain only letters, digits, underscores and hyphens, and must start with a letter or digit",
)

AccountName = Annotated[str, azure_name(FOUNDRY_ACCOUNT_NAME)]
ProjectName = Annotated[str, azure_name(FOUNDRY_PROJECT_NAME)]
DeploymentName = Annotated[str, azure_name(FOUNDRY_DEPLOYMENT_NAME)]
ConnectionName = Annotated[str, azure_name(CONNECTION_NAME)]
AccountId = Annotated[str, arm_id_of(ACCOUNT_TYPE)]
Category = Literal["AIServices", "AzureOpenAI", "CognitiveSearch"]


def _first_repeat(names: list[str]) -> tuple[int, int] | None:
    """(earlier index, later index) of the first name given twice; Azure compares names ignoring case."""
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        earlier = seen.setdefault(name.lower(), index)
        if earlier != index:
            return earlier, index
    return None


class FoundryModel(Model):
    """The model a deployment serves, as the model catalogue names it."""

    format: str = Field(description="The model's format (publisher), e.g. OpenAI, Microsoft, Meta, DeepSeek.")
    name: str = Field(description="The model's name, e.g. gpt-4o-mini.")
    version: str | None = Field(
        None,
        description="The model's version, e.g. 2024-07-18. Required: without it Azure picks the model's current "
        "default, which moves when a new version ships.",
        json_schema_extra={"defaultText": "required"},
    )

    @field_validator("format", "name")
    @classmethod
    def _given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _versioned(self) -> Self:
        if self.version is None or not self.version.strip():
            raise key_error(
                "version",
                "is required: without it Azure deploys the model's current default version, which changes when a "
                "newer one ships, so the same stack file could deploy two different models; give the version "
                "(`make preflight` lists the versions the region offers)",
            )
        return self


class DeploymentSku(Model):
    """How the deployment is hosted and how much it may take."""

    name: str = Field(description="The deployment type: " + ", ".join(DEPLOYMENT_SKUS) + ".")
    capacity: int = Field(
        description="Capacity in the SKU's units: thousands of tokens per minute for the standard types, "
        "provisioned throughput units (PTU) for the provisioned ones. At least 1."
    )

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in DEPLOYMENT_SKUS:
            close = difflib.get_close_matches(value, DEPLOYMENT_SKUS, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise ValueError(f"is not a deployment type; {hint}use one of {', '.join(DEPLOYMENT_SKUS)}")
        return value

    @field_validator("capacity")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError(
                f"must be at least 1 (got {value}): it is the deployment's share of the subscription's quota, "
                "in thousands of tokens per minute (PTU for provisioned types)"
            )
        return value


class FoundryDeployment(Model):
    """One model deployment of the account."""

    name: DeploymentName = Field(description="The deployment's name, which callers use as the model's name.")
    model: FoundryModel = Field(description="{format, name, version} of the model.")
    sku: DeploymentSku = Field(description="{name, capacity}: the deployment type and its capacity.")


class FoundryProject(Model):
    """A Foundry project: a child of the account, with an identity of its own."""

    name: ProjectName = Field(description="2-64 letters, digits, underscores, periods and hyphens.")
    description: str | None = Field(None, description="What the project is for.")
    display_name: str | None = Field(None, description="The name the Foundry portal shows. Default: the name.")


class FoundryCreate(Model):
    """A Foundry resource this stack creates (and protects, with `protect: true`)."""

    name: AccountName | None = Field(
        None,
        description="2-63 lowercase letters, digits and hyphens; also the custom subdomain, unique across Azure.",
        json_schema_extra={"defaultText": "aif-<prefix>-<environment>-<suffix>"},
    )
    local_auth: bool = Field(
        False,
        description="true: the account also takes its keys. Off by default (Entra ID only); refused wherever the "
        "policy pack's foundry-local-auth-off is mandatory (every environment but dev).",
    )
    deployments: list[FoundryDeployment] = Field(
        default_factory=list, description="Model deployments, made one after another."
    )
    projects: list[FoundryProject] = Field(default_factory=list, description="Foundry projects.")

    @model_validator(mode="after")
    def _unique(self) -> Self:
        for key, names in (("deployments", [d.name for d in self.deployments]),
                           ("projects", [p.name for p in self.projects])):
            repeat = _first_repeat(names)
            if repeat:
                earlier, later = repeat
                raise key_error(
                    f"{key}[{later}].name",
                    f"'{names[later]}' is already the name of {key}[{earlier}] (Azure compares these names ignoring "
                    "case): give each a name of its own",
                )
        return self


class FoundryConnection(Model):
    """A connection of the ML workspace to a service someone else owns, with Entra ID and no key."""

    name: ConnectionName = Field(description="3-33 letters, digits, underscores and hyphens; unique in the workspace.")
    category: Category = Field(
        description="AIServices or AzureOpenAI (a Cognitive Services account), CognitiveSearch (an Azure AI Search "
        "service)."
    )
    resource_id: str = Field(description="ARM id of the service the category names.")

    @model_validator(mode="after")
    def _of_its_category(self) -> Self:
        expected = CONNECTION_CATEGORIES[self.category].resource_type
        problem = arm.check_resource_id(self.resource_id, expected)
        if problem:
            raise key_error("resourceId", f"{problem}, which a {self.category} connection points at")
        return self


class FoundrySettings(Model):
    """`{create: {...}}` (this stack creates the Foundry resource) or `{id: <ARM id>}`, and the connections."""

    create: FoundryCreate | None = Field(None, description="Create the Foundry resource in this stack.")
    id: AccountId | None = Field(
        None,
        description="ARM id of an existing Foundry resource (Microsoft.CognitiveServices/accounts); nothing is created "
        "or changed on it, but this stack's identities get their roles on it.",
    )
    connections: list[FoundryConnection] = Field(
        default_factory=list,
        description="More connections of the ML workspace, to services others own: {name, category, resourceId}.",
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.create is None) == (self.id is None):
            raise ValueError(
                "set exactly one of create (this stack creates the Foundry resource) or id (use an existing one)"
                + (", not both" if self.create is not None else "")
            )
        return self

    @model_validator(mode="after")
    def _connection_names(self) -> Self:
        names = [c.name for c in self.connections]
        for index, name in enumerate(names):
            if name.lower() == FOUNDRY_CONNECTION:
                raise key_error(
                    f"connections[{index}].name",
                    f"'{name}' is the name of the workspace's connection to this stack's Foundry resource, which "
                    "this program makes: choose another name",
                )
        repeat = _first_repeat(names)
        if repeat:
            earlier, later = repeat
            raise key_error(
                f"connections[{later}].name",
                f"'{names[later]}' is already the name of connections[{earlier}] (Azure compares these names "
                "ignoring case): give each a name of its own",
            )
        return self

    @property
    def existing_name(self) -> str | None:
        parsed = arm.parse_resource_id(self.id) if self.id else None
        return parsed.name if parsed else None
