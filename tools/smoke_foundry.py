"""The smoke test's Foundry journey (``chat``): one short chat completion from each chat model
deployment of the stack's Foundry resource, as the signed-in identity, with Entra ID and no key.

- What to call: the deployments in the plan (``cognitiveservices:Deployment``) whose model takes
  chat completions (``foundry_catalog.is_chat_model``), on the account of the ``foundryAccountName``
  output; each at its Azure OpenAI URL, ``https://<account>.openai.azure.com/openai/deployments/
  <deployment>/chat/completions`` ("Each deployment has a URL that's formed by concatenating the
  Azure OpenAI base URL and the route /deployments/<model-deployment-name>"; "You might also access
  non-OpenAI models through this route": azure-ai-docs articles/ai-foundry/foundry-models/concepts/
  endpoints.md), api-version 2024-10-21, the data plane's GA version (azure-ai-docs articles/
  ai-foundry/openai/reference.md).
- How: a bearer token for ``https://cognitiveservices.azure.com/.default``, the scope Entra ID
  calls to Azure OpenAI take (azure-ai-docs articles/ai-foundry/openai/how-to/managed-identity.md:
  ``get_bearer_token_provider(DefaultAzureCredential(), "https://cognitiveservices.azure.com/.default")``),
  through azure-core's pipeline (in .venv-verify with azure-identity; no openai package).
- Hints: a 401/403 names the role the signed-in identity lacks, a refusal of the network the
  account's private endpoint; 404 a deployment that is not there; 429 the quota.

Pure except ``chat_completion``, which tools.smoke's AzureMLClient calls.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from azureml_infra.foundry_catalog import is_chat_model, openai_endpoint

DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
API_VERSION = "2024-10-21"
SCOPE = "https://cognitiveservices.azure.com/.default"
PROMPT = "Reply with the single word: pong"


def chat_deployments(plan: Mapping[str, Any], outputs: Mapping[str, Any]) -> tuple[str, ...]:
    """The stack's chat model deployments, by name, in the plan's order (none without an account)."""
    if not outputs.get("foundryAccountName"):
        return ()
    found = []
    for resource in plan.get("resources", []):
        if resource.get("type") != DEPLOYMENT or not resource.get("custom", True):
            continue
        inputs = resource.get("inputs") or {}
        model = ((inputs.get("properties") or {}).get("model") or {}).get("name") or ""
        if is_chat_model(str(model)):
            found.append(str(inputs.get("deploymentName") or resource.get("name")))
    return tuple(found)


def chat_url(account: str, deployment: str) -> str:
    return f"{openai_endpoint(account)}openai/deployments/{deployment}/chat/completions?api-version={API_VERSION}"


def answer_of(body: str) -> str:
    """The reply's text in a chat completion's JSON; raises ValueError when there is none."""
    document = json.loads(body)
    choices = document.get("choices") or []
    content = ((choices[0] or {}).get("message") or {}).get("content") if choices else None
    if not isinstance(content, str) or not content.strip():
        raise ValueError("the completion has no reply")
    return content.strip()


# (kind, pattern, text) for tools.smoke.HINTS, chat journey only; {target} is the deployment,
# {foundry} the account. Sources: configure-entra-id.md (the role for Entra ID calls), ai-foundry
# openai how-to/role-based-access-control.md (Cognitive Services OpenAI User), the account's
# network: ai-services/cognitive-services-virtual-networks.md ("public network access disabled").
CHAT_HINTS: tuple[tuple[str, str, str], ...] = (
    ("foundry-network", r"public access is disabled|Public network access|not allowed from this network|"
                        r"Traffic is not from an approved private endpoint|firewall",
     "the Foundry account {foundry} refused this machine (public access off): run smoke from a network that "
     "reaches its private endpoint"),
    ("foundry-permission", r"\b40[13]\b|PermissionDenied|AuthenticationTypeDisabled|lacks the required data action|"
                           r"Unauthorized",
     "the signed-in identity needs Cognitive Services OpenAI User (or Azure AI User: access[].persona dataScientist) "
     "on the Foundry account {foundry} (docs/foundry.md, Roles); roles take minutes to apply"),
    ("foundry-deployment", r"\b404\b|DeploymentNotFound",
     "the deployment {target} was not found on {foundry}: check the stack's foundry.create.deployments and that "
     "`pulumi up` made it"),
    ("foundry-quota", r"\b429\b|RateLimit|Too Many Requests",
     "the deployment {target} was throttled: its capacity (foundry.create.deployments[].sku.capacity) is too small or "
     "in use; try again later"),
)


def chat_completion(credential: Any, account: str, deployment: str, timeout: float, transport: Any = None) -> str:
    """One chat completion as ``credential``'s identity; its reply. Raises azure-core's errors
    (HttpResponseError with the status and the service's message) or ValueError. ``transport``:
    azure-core's requests transport unless another is given (tests)."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.pipeline import Pipeline
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
    from azure.core.pipeline.transport import RequestsTransport
    from azure.core.rest import HttpRequest

    pipeline = Pipeline(transport=transport or RequestsTransport(),
                        policies=[RetryPolicy(retry_total=2), BearerTokenCredentialPolicy(credential, SCOPE)])
    request = HttpRequest("POST", chat_url(account, deployment),
                          json={"messages": [{"role": "user", "content": PROMPT}]})
    with pipeline:
        response = pipeline.run(request, connection_timeout=min(timeout, 60), read_timeout=timeout).http_response
        body = response.text()
        if response.status_code >= 400:
            raise HttpResponseError(message=f"({response.status_code}) {body[:500]}", response=response)
    return answer_of(body)
