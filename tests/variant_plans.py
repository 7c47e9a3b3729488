"""Variant plans (and component runs) that more than one test file reads: each file plans the
same config, and conftest.plan makes the run once per test process.

- ``TEAM_REGISTRY``: one stack that creates its registry (unprotected), has a Kubernetes compute
  and gives a persona a role on the registry (tests/test_ml_registry.py, tests/test_personas.py).
- ``reused_registry_run()``: the registry and access components built alone (no program) from
  the resolved deployment of a stack that reuses a registry in another subscription, wired as
  the recipe wires them (the access scope ``registry`` is the registry component's id).
- ``PROTECTED_EVERY_SCOPE``: a protected stack in an existing resource group with a data lake and
  a Foundry resource, whose ``access`` has an entry on every scope (tests/test_access.py,
  tests/test_locks.py).
- ``CREATED_IDENTITY``: a protected stack whose workspace runs as a user-assigned identity it
  creates, with a datastore, in a managed network (tests/test_identity.py,
  tests/test_day_one_grants.py).
"""

from __future__ import annotations

import functools
from typing import Any

from azureml_infra.deployment import Deployment
from azureml_infra.resolve import resolve
from components.access import Access, AccessArgs
from components.ml_registry import MachineLearningRegistry, MachineLearningRegistryArgs
from tests.conftest import accepted, stack
from tools.harness import SUBSCRIPTION_ID, Run, run_component

GROUP = "6f1c1c43-2b1e-4a52-9e2a-0c2a3f1c7d11"
APP = "0b5e2a1d-9c1f-4a8e-b0c4-2e7d5c9a1f22"
CUSTOM_ROLE = "aaaaaaaa-1111-2222-3333-444444444444"
OTHER = "22222222-3333-4444-5555-666666666666"
RG = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-mlops-dev"
# A registry reused from another subscription than the deployment's.
REUSED_REGISTRY_ID = (f"/subscriptions/{OTHER}/resourceGroups/rg-shared/providers/"
                      "Microsoft.MachineLearningServices/registries/mlr-X")
# The principal the workspace component would hand the registry component.
WORKSPACE_PRINCIPAL = "66666666-6666-6666-6666-666666666666"


def reader_persona() -> dict[str, str]:
    return {"principalId": GROUP, "principalType": "Group", "persona": "reader"}


TEAM_REGISTRY = stack({
    "azureml-infra:registry": {"create": {"name": "mlr-team", "regions": ["westeurope"]}},
    "azureml-infra:kubernetesComputes": [{"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5"},
                                          "allowInsecureConnections": True}],
    "azureml-infra:access": [reader_persona()],
})


def access_entry(**overrides: str) -> dict[str, str]:
    return {"principalId": GROUP, "principalType": "Group", "role": "AzureML Data Scientist", "scope": "workspace",
            **overrides}


# Every scope an access entry may name in a stack without a registry or Foundry entries.
ACCESS_SCOPES = ("workspace", "resourceGroup", "storageAccount", "keyVault", "containerRegistry", "logAnalytics",
                 "dataStorage")
# Reader for the group on every scope, the group's own role on the workspace, and an
# application's custom role (by GUID, in capitals) on the resource group.
EVERY_SCOPE_ENTRIES = (
    *(access_entry(scope=scope, role="Reader") for scope in ACCESS_SCOPES),
    access_entry(),
    access_entry(principalId=APP, principalType="ServicePrincipal", role=CUSTOM_ROLE.upper(), scope="resourceGroup"),
)
PROTECTED_EVERY_SCOPE = stack({
    "azureml-infra:access": list(EVERY_SCOPE_ENTRIES),
    "azureml-infra:resourceGroup": {"name": "rg-team", "existing": True},
    "azureml-infra:protect": True,
    "azureml-infra:dataStorage": {"containers": ["raw"]},
    "azureml-infra:foundry": {"create": {"projects": [{"name": "team-a"}]}},
})

# An external blob container read with the workspace identity.
DATASTORE = [{"name": "raw", "kind": "blob", "accountName": "extdata", "container": "landing"}]

CREATED_IDENTITY = stack({
    "azureml-infra:workspace": {"identity": {"type": "userAssigned"}},
    "azureml-infra:datastores": DATASTORE,
    "azureml-infra:protect": True,
    "azureml-infra:network": {"isolation": "AllowInternetOutbound"},
})


def reused_registry_deployment() -> Deployment:
    return resolve(accepted(stack({"azureml-infra:registry": {"id": REUSED_REGISTRY_ID},
                                   "azureml-infra:access": [reader_persona()]})))


@functools.cache
def reused_registry_run() -> Run:
    """One run of the two components, kept as its record (shared: never change it)."""
    d = reused_registry_deployment()
    assert d.registry is not None

    def build() -> dict[str, Any]:
        registry = MachineLearningRegistry("ml-registry", MachineLearningRegistryArgs(
            d.registry, "rg-mlops-dev", SUBSCRIPTION_ID, {None: WORKSPACE_PRINCIPAL}))
        Access("access", AccessArgs(d.access, {"registry": registry.registry_id, "resourceGroup": RG},
                                    SUBSCRIPTION_ID))
        return {"registryId": registry.registry_id}

    return run_component(build).record()
