"""Azure built-in roles this program assigns or lets a stack file name, with their ids.

A built-in role's definition id is the same GUID in every subscription and tenant. Source of
each id: "Azure built-in roles" (Microsoft Learn, role-based-access-control/built-in-roles and
its per-category pages, MicrosoftDocs/azure-docs articles/role-based-access-control/
built-in-roles.md), which lists every role with its id; the AI + machine learning ids are also
in Azure Verified Modules' workspace module (bicep-registry-modules avm/res/
machine-learning-services/workspace, builtInRoleNames). The comment above each group names
the section of that page.

These are the roles an ML team hands out (ROLE_IDS); a stack file may also name any other role,
built-in or custom, by its role definition GUID.
"""

from __future__ import annotations

import difflib
from enum import StrEnum


class Role(StrEnum):
    """A built-in role, by the name Azure shows; ``.id`` is its role definition GUID."""

    # General
    OWNER = "Owner"
    CONTRIBUTOR = "Contributor"
    READER = "Reader"
    # Privileged (identity)
    USER_ACCESS_ADMINISTRATOR = "User Access Administrator"
    ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR = "Role Based Access Control Administrator"
    MANAGED_IDENTITY_OPERATOR = "Managed Identity Operator"
    # AI + machine learning
    AZUREML_DATA_SCIENTIST = "AzureML Data Scientist"
    AZUREML_COMPUTE_OPERATOR = "AzureML Compute Operator"
    AZUREML_REGISTRY_USER = "AzureML Registry User"
    AZUREML_METRICS_WRITER = "AzureML Metrics Writer (preview)"
    AZURE_AI_DEVELOPER = "Azure AI Developer"
    AZURE_AI_ADMINISTRATOR = "Azure AI Administrator"
    AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER = "Azure AI Enterprise Network Connection Approver"
    # AI + machine learning: Foundry and the models it hosts
    COGNITIVE_SERVICES_OPENAI_USER = "Cognitive Services OpenAI User"
    COGNITIVE_SERVICES_USER = "Cognitive Services User"
    COGNITIVE_SERVICES_CONTRIBUTOR = "Cognitive Services Contributor"
    AZURE_AI_USER = "Azure AI User"
    AZURE_AI_PROJECT_MANAGER = "Azure AI Project Manager"
    AZURE_AI_ACCOUNT_OWNER = "Azure AI Account Owner"
    SEARCH_INDEX_DATA_READER = "Search Index Data Reader"
    # Storage
    STORAGE_BLOB_DATA_READER = "Storage Blob Data Reader"
    STORAGE_BLOB_DATA_CONTRIBUTOR = "Storage Blob Data Contributor"
    STORAGE_BLOB_DATA_OWNER = "Storage Blob Data Owner"
    STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR = "Storage File Data Privileged Contributor"
    STORAGE_FILE_DATA_PRIVILEGED_READER = "Storage File Data Privileged Reader"
    STORAGE_QUEUE_DATA_CONTRIBUTOR = "Storage Queue Data Contributor"
    STORAGE_TABLE_DATA_CONTRIBUTOR = "Storage Table Data Contributor"
    STORAGE_ACCOUNT_CONTRIBUTOR = "Storage Account Contributor"
    # Security (Key Vault)
    KEY_VAULT_ADMINISTRATOR = "Key Vault Administrator"
    KEY_VAULT_SECRETS_USER = "Key Vault Secrets User"
    KEY_VAULT_SECRETS_OFFICER = "Key Vault Secrets Officer"
    KEY_VAULT_READER = "Key Vault Reader"
    KEY_VAULT_CONTRIBUTOR = "Key Vault Contributor"
    KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "Key Vault Crypto Service Encryption User"
    # Containers
    ACR_PULL = "AcrPull"
    ACR_PUSH = "AcrPush"
    # Monitor
    MONITORING_READER = "Monitoring Reader"
    MONITORING_CONTRIBUTOR = "Monitoring Contributor"
    LOG_ANALYTICS_READER = "Log Analytics Reader"
    LOG_ANALYTICS_CONTRIBUTOR = "Log Analytics Contributor"
    APPLICATION_INSIGHTS_COMPONENT_CONTRIBUTOR = "Application Insights Component Contributor"
    # Networking
    NETWORK_CONTRIBUTOR = "Network Contributor"
    PRIVATE_DNS_ZONE_CONTRIBUTOR = "Private DNS Zone Contributor"

    @property
    def id(self) -> str:
        return ROLE_IDS[self]


ROLE_IDS: dict[Role, str] = {
    # built-in-roles: General (also AVM builtInRoleNames)
    Role.OWNER: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    Role.CONTRIBUTOR: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    Role.READER: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    # built-in-roles: Privileged / Identity (Role Based Access Control Administrator: AVM)
    Role.USER_ACCESS_ADMINISTRATOR: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    Role.ROLE_BASED_ACCESS_CONTROL_ADMINISTRATOR: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    Role.MANAGED_IDENTITY_OPERATOR: "f1a07417-d97a-45cb-824c-7a7467783830",
    # built-in-roles: AI + machine learning (also AVM builtInRoleNames for the AzureML ones)
    Role.AZUREML_DATA_SCIENTIST: "f6c7c914-8db3-469d-8ca1-694a8f32e121",
    Role.AZUREML_COMPUTE_OPERATOR: "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815",
    Role.AZUREML_REGISTRY_USER: "1823dd4f-9b8c-4ab6-ab4e-7397a3684615",
    Role.AZUREML_METRICS_WRITER: "635dd51f-9968-44d3-b7fb-6d9a6bd613ae",
    Role.AZURE_AI_DEVELOPER: "64702f94-c441-49e6-a78b-ef80e0188fee",
    Role.AZURE_AI_ADMINISTRATOR: "b78c5d69-af96-48a3-bf8d-a8b4d589de94",
    Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER: "b556d68e-0be0-4f35-a333-ad7ee1ce17ea",
    # built-in-roles/ai-machine-learning.md (MicrosoftDocs/azure-docs): each role's JSON "name"
    Role.COGNITIVE_SERVICES_OPENAI_USER: "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",
    Role.COGNITIVE_SERVICES_USER: "a97b65f3-24c7-4388-baec-2e87135dc908",
    Role.COGNITIVE_SERVICES_CONTRIBUTOR: "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68",
    Role.SEARCH_INDEX_DATA_READER: "1407120a-92aa-4202-b7e9-c0e197c71c8f",
    # The Foundry roles: MicrosoftDocs/azure-ai-docs articles/ai-foundry/concepts/rbac-azure-ai-foundry.md,
    # each role's JSON "id" (/providers/Microsoft.Authorization/roleDefinitions/<guid>)
    Role.AZURE_AI_USER: "53ca6127-db72-4b80-b1b0-d745d6d5456d",
    Role.AZURE_AI_PROJECT_MANAGER: "eadc314b-1a2d-4efa-be10-5d325db5065e",
    Role.AZURE_AI_ACCOUNT_OWNER: "e47c6f54-e4a2-4754-9501-8e0985b135e1",
    # built-in-roles: Storage
    Role.STORAGE_BLOB_DATA_READER: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    Role.STORAGE_BLOB_DATA_CONTRIBUTOR: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    Role.STORAGE_BLOB_DATA_OWNER: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    Role.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR: "69566ab7-960f-475b-8e7c-b3118f30c6bd",
    Role.STORAGE_FILE_DATA_PRIVILEGED_READER: "b8eda974-7b85-4f76-af95-65846b26df6d",
    Role.STORAGE_QUEUE_DATA_CONTRIBUTOR: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    Role.STORAGE_TABLE_DATA_CONTRIBUTOR: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
    Role.STORAGE_ACCOUNT_CONTRIBUTOR: "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    # built-in-roles: Security
    Role.KEY_VAULT_ADMINISTRATOR: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    Role.KEY_VAULT_SECRETS_USER: "4633458b-17de-408a-b874-0445c86b69e6",
    Role.KEY_VAULT_SECRETS_OFFICER: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    Role.KEY_VAULT_READER: "21090545-7ca7-4776-b22c-e363652d74d2",
    Role.KEY_VAULT_CONTRIBUTOR: "f25e0fa2-a7c8-4377-a976-54943a77a395",
    # "Read metadata of keys and perform wrap/unwrap operations" (built-in-roles/security.md, Key Vault
    # Crypto Service Encryption User; also builtInRoleNames of bicep-registry-modules avm/res/key-vault/vault):
    # what a service's identity needs to encrypt with a customer-managed key.
    Role.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    # built-in-roles: Containers
    Role.ACR_PULL: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    Role.ACR_PUSH: "8311e382-0749-4cb8-b61a-304f252e45ec",
    # built-in-roles: Monitor
    Role.MONITORING_READER: "43d0d8ad-25c7-4714-9337-8ba259a9fe05",
    Role.MONITORING_CONTRIBUTOR: "749f88d5-cbae-40b8-bcfc-e573ddc772fa",
    Role.LOG_ANALYTICS_READER: "73c42c96-874c-492b-b04d-ab87d138a893",
    Role.LOG_ANALYTICS_CONTRIBUTOR: "92aaf0da-9dab-42b6-94a3-d43ce8d16293",
    Role.APPLICATION_INSIGHTS_COMPONENT_CONTRIBUTOR: "ae349356-3a1b-4a5e-921d-050484c6347e",
    # built-in-roles: Networking
    Role.NETWORK_CONTRIBUTOR: "4d97b98b-1d4f-4787-a291-c67834d212e7",
    Role.PRIVATE_DNS_ZONE_CONTRIBUTOR: "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
}

_BY_FOLDED_NAME: dict[str, Role] = {role.value.casefold(): role for role in Role}


def role_named(name: str) -> Role | None:
    """The built-in role of that name, compared ignoring case (as the portal's search does)."""
    return _BY_FOLDED_NAME.get(name.casefold())


def closest_role(name: str) -> Role | None:
    """The known role whose name is closest to ``name`` (for "did you mean"), or None."""
    close = difflib.get_close_matches(name.casefold(), list(_BY_FOLDED_NAME), n=1, cutoff=0.6)
    return _BY_FOLDED_NAME[close[0]] if close else None
