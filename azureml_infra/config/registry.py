"""Config of the shared Azure ML registry (key ``registry``).

Models and environments move dev -> test -> prod through one Azure ML registry. One stack
creates it (``create``); the others use it by ARM ``id``. Either way, the stack's workspace
identity and each compute identity get *AzureML Registry User* on it.

Sources:
- name: the REST spec's pattern ``^[a-zA-Z0-9][a-zA-Z0-9\\-_]{2,32}$`` (Azure/azure-rest-api-specs
  .../stable/2024-04-01/registries.json @04c2cb7b) and "2-32 characters" in
  MicrosoftDocs/azure-ai-docs articles/machine-learning/how-to-manage-registries.md @2b34008e
  ("Choose a name": "Length can be 2-32 characters"): 3-32 satisfies both; unique within the
  Entra tenant and immutable;
- regions: the primary region (the registry's location) must be in the replication list (the
  same page, "Create a registry", CLI YAML note: "The primary location is listed twice in the
  YAML file"), and cannot change later ("Choose Azure regions": "The primary region can't be
  changed after registry creation").
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, field_validator, model_validator

from azureml_infra.config.base import Model, Region, arm_id_of, azure_name
from azureml_infra.naming import NameRule

ML_REGISTRY_TYPE = "Microsoft.MachineLearningServices/registries"

ML_REGISTRY_NAME = NameRule(
    "machine learning registry",
    3,
    32,
    r"[A-Za-z0-9][A-Za-z0-9_-]*",
    "may contain only letters, digits, hyphens and underscores, and must start with a letter or digit",
)
RegistryName = Annotated[str, azure_name(ML_REGISTRY_NAME)]
RegistryId = Annotated[str, arm_id_of(ML_REGISTRY_TYPE)]


class RegistryCreate(Model):
    """A registry this stack creates (and protects, with `protect: true`)."""

    name: RegistryName = Field(
        description="3-32 letters, digits, hyphens and underscores; unique in the Entra tenant; cannot change. "
        "CAF style: mlr-<workload>."
    )
    regions: list[Region] = Field(
        min_length=1,
        description="Regions the registry replicates to. The first is its primary region and must be the "
        "stack's region; every workspace that uses the registry must be in one of them.",
    )
    public_network_access: Literal["Enabled", "Disabled"] = Field(
        "Enabled",
        description="Enabled: reached over its public endpoint, with Entra ID and AzureML Registry User. "
        "Disabled: reached only through private endpoints; needs network.privateEndpoints, which gives the "
        "registry one (group amlregistry) in the stack's network.",
    )

    @field_validator("regions")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        repeated = sorted({r for r in value if value.count(r) > 1})
        if repeated:
            raise ValueError(f"lists {', '.join(repeated)} more than once")
        return value


class RegistrySettings(Model):
    """The shared registry: `{create: {name, regions}}` in one stack, `{id: <ARM id>}` in the others."""

    create: RegistryCreate | None = Field(None, description="Create the registry in this stack.")
    id: RegistryId | None = Field(
        None,
        description="ARM id of an existing Azure ML registry (Microsoft.MachineLearningServices/registries), "
        "e.g. the registryId output of the stack that creates it.",
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.create is None) == (self.id is None):
            raise ValueError(
                "set exactly one of create (this stack creates the registry) or id (use an existing one)"
                + (", not both" if self.create is not None else "")
            )
        return self

    @property
    def name(self) -> str:
        """The registry's Azure name, from the config alone."""
        if self.create is not None:
            return self.create.name
        assert self.id is not None
        return self.id.rstrip("/").rsplit("/", 1)[-1]
