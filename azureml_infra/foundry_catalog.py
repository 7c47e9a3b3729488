"""The Foundry resource as this program uses it, written once: the account's kind and SKU, the
model deployments' SKU names, the connection categories a workspace may have and what each
points at, the endpoints an account answers on, and which deployments take chat completions.

Pure Python and a leaf: the config models (what a stack file may say), resolve (the specs), the
components, the preflight and the smoke test all read it. Azure public cloud. Sources at each
entry; docs/foundry.md says what is created and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The Foundry resource: "kind: 'AIServices'", "sku: {name: 'S0'}", "allowProjectManagement: true",
# a system-assigned identity and "customSubDomainName" (microsoft-foundry/foundry-samples,
# infrastructure/infrastructure-setup-bicep/40-basic-agent-setup/main.bicep).
ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
ACCOUNT_KIND = "AIServices"
ACCOUNT_SKU = "S0"

# Deployment types by their "SKU name in code" (MicrosoftDocs/azure-ai-docs, articles/ai-foundry/
# foundry-models/concepts/deployment-types.md). A deployment's capacity is in the SKU's units:
# thousands of tokens per minute for the standard types, provisioned throughput units (PTU) for
# the provisioned ones.
DEPLOYMENT_SKUS: tuple[str, ...] = (
    "GlobalStandard",
    "GlobalProvisionedManaged",
    "GlobalBatch",
    "DataZoneStandard",
    "DataZoneProvisionedManaged",
    "DataZoneBatch",
    "Standard",
    "ProvisionedManaged",
)

# The workspace's own connection to the stack's Foundry account; a `connections` entry may not
# take its name.
FOUNDRY_CONNECTION = "foundry"


def account_endpoint(subdomain: str) -> str:
    """The account's endpoint (its ``properties.endpoint``): the custom subdomain under
    cognitiveservices.azure.com (azure-ai-docs articles/ai-services/cognitive-services-custom-subdomains.md)."""
    return f"https://{subdomain}.cognitiveservices.azure.com/"


def openai_endpoint(subdomain: str) -> str:
    """The account's Azure OpenAI endpoint, ``https://<resource-name>.openai.azure.com``, under
    which each deployment has its URL, ``/openai/deployments/<deployment>`` (azure-ai-docs
    articles/ai-foundry/foundry-models/concepts/endpoints.md, "Azure OpenAI inference endpoint":
    "You might also access non-OpenAI models through this route")."""
    return f"https://{subdomain}.openai.azure.com/"


def project_endpoint(subdomain: str, project: str) -> str:
    """A Foundry project's endpoint, "https://<aiservices-id>.services.ai.azure.com/api/projects/
    <project-name>" (Azure/azure-sdk-for-net, sdk/ai/Azure.AI.Projects: AIProjectClient's endpoint)."""
    return f"https://{subdomain}.services.ai.azure.com/api/projects/{project}"


@dataclass(frozen=True)
class ConnectionCategory:
    """A category of the workspace's connections that this program makes with Entra ID (AAD)
    authentication and no key: the ARM type of what it points at, and the connection's target
    from that resource's name."""

    resource_type: str
    target: str  # formatted with the resource's name

    def target_of(self, name: str) -> str:
        return self.target.format(name=name)


# The categories a `connections` entry may name (the API's ConnectionCategory enum is larger:
# these are those whose target follows from the resource's id and that take Entra ID).
# - AIServices: "ai_services_resource_id ... api_key: If not provided, a Microsoft Entra ID
#   (credential-less authentication) connection is created" (azure-ai-docs articles/
#   machine-learning/reference-yaml-connection-ai-services.md); target the account's endpoint.
# - AzureOpenAI: the account's Azure OpenAI endpoint (endpoints.md above).
# - CognitiveSearch: an Azure AI Search service, "addressable by a URL in the format
#   https://[service-name].search.windows.net" (azure-ai-docs articles/search/search-query-create.md).
# An account's custom subdomain is taken to be its name (as Foundry's own templates make it and
# this program does): an account whose subdomain differs needs its connection made by hand.
CONNECTION_CATEGORIES: dict[str, ConnectionCategory] = {
    "AIServices": ConnectionCategory(ACCOUNT_TYPE, "https://{name}.cognitiveservices.azure.com/"),
    "AzureOpenAI": ConnectionCategory(ACCOUNT_TYPE, "https://{name}.openai.azure.com/"),
    "CognitiveSearch": ConnectionCategory("Microsoft.Search/searchServices", "https://{name}.search.windows.net"),
}

# What Azure ML's client (azure-ai-ml, AzureAIServicesConnection) stores in a connection's
# metadata: the connected resource's ARM id and the API type (azure/ai/ml/constants/_common.py:
# CONNECTION_RESOURCE_ID_KEY = "ResourceId", CONNECTION_API_TYPE_KEY = "ApiType").
RESOURCE_ID_KEY = "ResourceId"
API_TYPE_KEY = "ApiType"
API_TYPE = "Azure"

# Models that answer no chat completion (embeddings, speech, images, video, realtime audio): the
# smoke test calls every other deployment's chat completions once. By model name, as Azure's
# model catalogue names them (text-embedding-3-small, whisper, tts-hd, dall-e-3, gpt-image-1,
# sora, gpt-4o-realtime-preview, gpt-4o-transcribe).
_NOT_CHAT = re.compile(r"embed|whisper|tts|dall-e|image|sora|realtime|transcribe|audio", re.IGNORECASE)


def is_chat_model(model_name: str) -> bool:
    return not _NOT_CHAT.search(model_name)
