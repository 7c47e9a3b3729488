"""Personas: what a person needs, in a stack like this one, to do their job in the workspace.

An ``access`` entry with ``persona`` instead of ``role`` and ``scope`` expands into every row
below whose condition the stack meets (``azureml_infra.resolve``). Each row names its source
(MicrosoftDocs/azure-ai-docs, articles/machine-learning/, unless said otherwise).

- dataScientist: runs jobs, notebooks and endpoints, reads and writes data, publishes models to
  the registry. AzureML Data Scientist is "all actions within an Azure Machine Learning
  workspace, except for creating or deleting compute resources and modifying the workspace
  itself" (how-to-assign-roles.md, "Default roles").
- mlEngineer: a data scientist who also manages computes and promotes models through the
  registry: "grant a workspace user both AzureML Data Scientist and AzureML Compute Operator
  roles to permit the user to perform experiments while creating computes in a self-service
  manner" (how-to-assign-roles.md, "Default roles").
- reader: sees the workspace, its runs and its data, changes nothing: Reader, "read-only actions
  in the workspace" (how-to-assign-roles.md), and the data roles' readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from azureml_infra.roles import Role

Persona = Literal["dataScientist", "mlEngineer", "reader"]
PERSONAS: tuple[Persona, ...] = ("dataScientist", "mlEngineer", "reader")

# When a row applies: always; when the workspace's own datastores use identity (its storage
# allows no shared keys: systemDatastoresAuthMode Identity); when the stack has a data lake;
# when it uses an Azure ML registry.
Condition = Literal["always", "identityStorage", "dataStorage", "registry", "foundry"]
# Where: the stack's access scopes (config.access), plus the registry.
Scope = Literal["workspace", "resourceGroup", "storageAccount", "dataStorage", "registry", "foundry"]


@dataclass(frozen=True)
class PersonaRole:
    role: Role
    scope: Scope
    condition: Condition
    source: str


_WORKSPACE_READER = PersonaRole(
    Role.READER, "resourceGroup", "always",
    "how-to-assign-roles.md, Default roles: Reader; on the group, so the studio and the portal show "
    "the workspace's dependencies too",
)
# "These users must be assigned the Storage Blob Data Contributor and Storage File Data Privileged
# Contributor roles ... for the storage account. If these users only need read access, use the
# Storage Blob Data Reader and Storage File Data Privileged Reader roles instead."
_IDENTITY_STORAGE = "how-to-disable-local-auth-storage.md, Scenarios for role assignments (notebooks, file explorer, data)"
_LAKE = "how-to-enable-studio-virtual-network.md, Datastore: Azure Storage Account (the user's data role on the account)"
_REGISTRY_USER = (
    "how-to-manage-registries.md, Add users to the registry: creating and using assets needs "
    "registries/assets/write and delete, which AzureML Registry User gives without registry writes"
)

# The Foundry resource (azureml-infra:foundry): "Azure AI User ... the least-privilege access role in
# Foundry", data actions Microsoft.CognitiveServices/* (calling every deployment, building in the
# projects); "Azure AI Project Manager ... management actions on Foundry projects, ... conditionally
# assign the Azure AI User role" (azure-ai-docs articles/ai-foundry/concepts/rbac-azure-ai-foundry.md).
_FOUNDRY = "ai-foundry/concepts/rbac-azure-ai-foundry.md, Built-in roles for the project"

# What a person who works with the data needs: notebooks, the file explorer and uploads on the
# workspace's keyless storage, the data lake, publishing to the registry, and the models and
# projects of the Foundry resource.
_WORKS_WITH_DATA = (
    _WORKSPACE_READER,
    PersonaRole(Role.STORAGE_BLOB_DATA_CONTRIBUTOR, "storageAccount", "identityStorage", _IDENTITY_STORAGE),
    PersonaRole(Role.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, "storageAccount", "identityStorage", _IDENTITY_STORAGE),
    PersonaRole(Role.STORAGE_BLOB_DATA_CONTRIBUTOR, "dataStorage", "dataStorage", _LAKE),
    PersonaRole(Role.AZUREML_REGISTRY_USER, "registry", "registry", _REGISTRY_USER),
    PersonaRole(Role.AZURE_AI_USER, "foundry", "foundry", _FOUNDRY),
)
_DATA_SCIENTIST = PersonaRole(Role.AZUREML_DATA_SCIENTIST, "workspace", "always", "how-to-assign-roles.md, Default roles")

PERSONA_ROLES: dict[Persona, tuple[PersonaRole, ...]] = {
    "dataScientist": (_DATA_SCIENTIST, *_WORKS_WITH_DATA),
    "mlEngineer": (
        _DATA_SCIENTIST,
        PersonaRole(Role.AZUREML_COMPUTE_OPERATOR, "workspace", "always",
                    "how-to-assign-roles.md, Default roles (Data Scientist with Compute Operator)"),
        *_WORKS_WITH_DATA,
        PersonaRole(Role.AZURE_AI_PROJECT_MANAGER, "foundry", "foundry", _FOUNDRY),
    ),
    "reader": (
        _WORKSPACE_READER,
        PersonaRole(Role.STORAGE_BLOB_DATA_READER, "storageAccount", "identityStorage", _IDENTITY_STORAGE),
        PersonaRole(Role.STORAGE_FILE_DATA_PRIVILEGED_READER, "storageAccount", "identityStorage", _IDENTITY_STORAGE),
        PersonaRole(Role.STORAGE_BLOB_DATA_READER, "dataStorage", "dataStorage", _LAKE),
        PersonaRole(Role.READER, "registry", "registry",
                    "how-to-manage-registries.md, Add users to the registry: \"To let a user only read assets, "
                    "you can grant the user the built-in Reader role\""),
    ),
}
