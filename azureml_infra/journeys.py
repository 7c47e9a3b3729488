"""Journeys: what people and jobs do in a workspace on day one, and what each needs from a stack.

A workspace is judged by what can be done in it, not by the resources it has. Each journey
below says when a stack offers it and what it needs there - roles for which identity, outbound
rules, private endpoints - each with its source (MicrosoftDocs/azure-ai-docs,
articles/machine-learning/, unless said otherwise). ``unmet(deployment)`` reads a resolved
deployment (``azureml_infra.resolve``) and names every journey it offers whose need it lacks; the
tests hold every shipped stack and example to none. ``make smoke`` runs the same journeys for real
after ``pulumi up`` (tools/smoke.py).

Pure: no Pulumi, no config models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from azureml_infra.deployment import Deployment, ScopedGrant
from azureml_infra.outbound import PRESET_RULES
from azureml_infra.roles import Role


@dataclass(frozen=True)
class Need:
    """One thing a journey needs in a stack, whether the stack has it, and where that is said."""

    piece: str
    met: bool
    source: str


@dataclass(frozen=True)
class Journey:
    name: str
    offered: Callable[[Deployment], bool]
    needs: Callable[[Deployment], Iterable[Need]]


# --- what a deployment has ------------------------------------------------------------------


def _has(grants: Iterable[ScopedGrant], target: str, role: Role) -> bool:
    return any(g.target == target and g.grant.role_id == role.id for g in grants)


def _people_have(d: Deployment, scope: str, role: Role) -> bool:
    return any(a.scope == scope and a.grant.role_id == role.id for a in d.access)


def _fqdns(d: Deployment) -> set[str]:
    rules = d.outbound_rules.rules if d.outbound_rules else ()
    return {r.destination for r in rules if r.type == "FQDN"}


def _rule_names(d: Deployment) -> set[str]:
    return {r.name for r in d.outbound_rules.rules} if d.outbound_rules else set()


def _endpoint_groups(d: Deployment, target: str) -> set[str]:
    return {e.group_id for e in d.endpoints if e.target == target}


def _approved_only(d: Deployment) -> bool:
    network = d.workspace.managed_network
    return network is not None and network.isolation == "AllowOnlyApprovedOutbound"


def _identity_storage(d: Deployment) -> bool:
    return d.workspace.system_datastores_auth_mode == "Identity"


# --- the journeys -----------------------------------------------------------------------------

_FALLBACK = (
    "how-to-identity-based-service-authentication.md: \"If the identity property is left unspecified and "
    "datastore doesn't have cached credentials, then compute managed identity becomes the fallback option\""
)
_PRS = "how-to-disable-local-auth-storage.md, Scenarios for role assignments: Parallel Run Step (the compute's identity)"


def _job_needs(d: Deployment) -> Iterable[Need]:
    """A command job on each cluster, and on each Kubernetes compute that trains, reads and writes
    workspaceblobstore (outputs, MLflow artifacts)."""
    if not _identity_storage(d):
        return  # the workspace's datastores hold the account key
    for c in d.clusters:
        yield Need(f"compute {c.name} has an identity of its own to reach workspaceblobstore with", c.system_assigned,
                   _FALLBACK)
        yield Need(f"Storage Blob Data Contributor on the workspace storage for compute {c.name}",
                   _has(c.grants, "storageAccount", Role.STORAGE_BLOB_DATA_CONTRIBUTOR), _FALLBACK)
    for k in d.kubernetes:
        if k.training:
            yield Need(f"Storage Blob Data Contributor on the workspace storage for compute {k.name}",
                       _has(k.grants, "storageAccount", Role.STORAGE_BLOB_DATA_CONTRIBUTOR),
                       "how-to-attach-kubernetes-to-workspace.md, Assign Azure roles to managed identity")


def _studio_needs(d: Deployment) -> Iterable[Need]:
    """Notebooks, the file explorer, data upload and preview, from a browser."""
    source = "how-to-disable-local-auth-storage.md, Scenarios for role assignments (notebooks, file explorer)"
    if _identity_storage(d):
        for role in (Role.STORAGE_BLOB_DATA_CONTRIBUTOR, Role.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR):
            yield Need(f"someone has {role.value} on the workspace storage (access[].persona: dataScientist or "
                       "mlEngineer)", _people_have(d, "storageAccount", role), source)
    if d.private:
        for group in ("blob", "file"):
            endpoint = next((e for e in d.endpoints if e.target == "storageAccount" and e.group_id == group), None)
            yield Need(f"the workspace identity has Reader on the storage's {group} private endpoint",
                       endpoint is not None and endpoint.reader is not None,
                       "how-to-managed-network.md, Azure Machine Learning studio")


def _image_needs(d: Deployment) -> Iterable[Need]:
    """An environment image built from a conda file (pip packages included)."""
    if _approved_only(d):
        fqdns = _fqdns(d)
        for preset in ("conda", "pypi"):
            hosts = [fqdn for _, fqdn in PRESET_RULES[preset]]
            yield Need(f"outbound rules to the {preset} hosts ({', '.join(hosts)}): network.outboundPresets: "
                       f"[{preset}]", set(hosts) <= fqdns,
                       "includes/recommended-network-outbound.md; how-to-managed-network.md, Configure image builds")
    if d.private:
        yield Need("a compute cluster builds images (workspace.imageBuildCompute): a private registry cannot",
                   d.workspace.image_build_compute is not None,
                   "how-to-managed-network.md, Configure image builds")


def _datastore_needs(d: Deployment) -> Iterable[Need]:
    """Each datastore read by a job (the compute's identity) and in the studio (the workspace's)."""
    for ds in d.datastores:
        if ds.auth.credentials_type == "None":
            yield Need(f"the workspace identity has a data role on datastore {ds.name}'s container",
                       any(g.compute is None for g in ds.grants),
                       "how-to-identity-based-service-authentication.md, Accessing storage services")
        if ds.on_data_storage and d.managed_network:
            yield Need(f"managed network rules to the data lake for datastore {ds.name}",
                       {"data-storage-blob", "data-storage-dfs"} <= _rule_names(d),
                       "how-to-managed-network.md, Required PE rules are automatic (for the defaults only)")
        if ds.on_data_storage and d.private and not d.managed_network:
            yield Need(f"private endpoints to the data lake for datastore {ds.name}",
                       {"blob", "dfs"} <= _endpoint_groups(d, "dataStorage"),
                       "how-to-secure-workspace-vnet.md, Secure Azure storage accounts")


def _endpoint_needs(d: Deployment) -> Iterable[Need]:
    """A model deployed to a Kubernetes online endpoint and scored."""
    for k in d.kubernetes:
        if k.inference:
            yield Need(f"AcrPull on the workspace registry for compute {k.name}", _has(k.grants, "containerRegistry",
                       Role.ACR_PULL), "how-to-attach-kubernetes-to-workspace.md, Assign Azure roles to managed identity")


def _batch_needs(d: Deployment) -> Iterable[Need]:
    """A batch endpoint (or ParallelRunStep): its jobs keep state in the default storage's queues
    and tables."""
    if d.managed_network:
        yield Need("managed network rules to the default storage's queue and table",
                   {"storage-account-queue", "storage-account-table"} <= _rule_names(d),
                   "how-to-managed-network.md, Scenario: Use batch endpoints or ParallelRunStep")
    elif d.private:
        yield Need("private endpoints to the default storage's queue and table",
                   {"queue", "table"} <= _endpoint_groups(d, "storageAccount"),
                   "how-to-secure-workspace-vnet.md, Secure Azure storage accounts (Queue, Table)")
    if _identity_storage(d):
        for c in d.clusters:
            for role in (Role.STORAGE_QUEUE_DATA_CONTRIBUTOR, Role.STORAGE_TABLE_DATA_CONTRIBUTOR):
                yield Need(f"{role.value} on the workspace storage for compute {c.name}",
                           _has(c.grants, "storageAccount", role), _PRS)


def _registry_needs(d: Deployment) -> Iterable[Need]:
    """A model registered in the shared registry and fetched back through it, by the workspace and
    by jobs on each compute."""
    registry = d.registry
    if registry is None:
        return
    granted = {g.compute for g in registry.grants if g.grant.role_id == Role.AZUREML_REGISTRY_USER.id}
    source = "how-to-manage-registries.md, Add users to the registry (AzureML Registry User)"
    yield Need("AzureML Registry User on the registry for the workspace identity", None in granted, source)
    for c in d.clusters:
        if c.system_assigned:
            yield Need(f"AzureML Registry User on the registry for compute {c.name}", c.name in granted, source)
    if _approved_only(d):
        # "Outbound network configuration to access any Azure Machine Learning registry": the
        # AzureMachineLearning and MicrosoftContainerRegistry tags are among Azure's required rules;
        # these two are not (how-to-managed-network.md, List of required rules).
        tags = {r.destination for r in (d.outbound_rules.rules if d.outbound_rules else ()) if r.type == "ServiceTag"}
        for tag in (f"Storage.{d.location}", f"AzureContainerRegistry.{d.location}"):
            yield Need(f"a serviceTag outbound rule to {tag}", tag in tags,
                       "how-to-registry-network-isolation.md, workspace configuration is secure and registry is public")


_FOUNDRY_CALLERS = (Role.COGNITIVE_SERVICES_OPENAI_USER.id, Role.COGNITIVE_SERVICES_USER.id)
_CALL_ROLE = ("built-in-roles/ai-machine-learning.md (azure-docs): Cognitive Services OpenAI User, \"create completion and "
              "embedding calls\"; ai-foundry/foundry-models/how-to/configure-entra-id.md: Cognitive Services User for "
              "the other models")


def _foundry_needs(d: Deployment) -> Iterable[Need]:
    """A job on each cluster (and each Kubernetes compute that trains) calls a model deployment of
    the Foundry resource with its own identity, no key (as azure-identity's ManagedIdentityCredential
    does on Azure ML compute)."""
    foundry = d.foundry
    assert foundry is not None  # offered only with one
    yield Need("the workspace has a connection to the Foundry resource (category AIServices, Entra ID)",
               any(c.category == "AIServices" and c.resource_id == foundry.existing_id for c in foundry.connections),
               "reference-yaml-connection-ai-services.md: without api_key, \"a Microsoft Entra ID (credential-less "
               "authentication) connection is created\"")
    if foundry.account is not None:
        yield Need("the Foundry resource has a model deployment to call", bool(foundry.account.deployments),
                   "ai-foundry/foundry-models/concepts/endpoints.md: \"You can access a model by using its deployment "
                   "name in your requests\"")
    callers = {g.compute for g in foundry.grants if g.grant.role_id in _FOUNDRY_CALLERS}
    computes = [(c.name, c.system_assigned) for c in d.clusters] + [(k.name, True) for k in d.kubernetes if k.training]
    for name, has_identity in computes:
        yield Need(f"compute {name} has an identity of its own to call the deployments with", has_identity,
                   "ai-foundry/foundry-models/how-to/configure-entra-id.md (a managed identity is a security principal)")
        yield Need(f"a role to call the deployments for compute {name}", name in callers, _CALL_ROLE)
    if d.managed_network:
        yield Need("a managed network rule to the Foundry resource's private endpoint (account)",
                   "foundry-account" in _rule_names(d),
                   "how-to-managed-network.md, Private endpoints (Azure AI services); Required PE rules are automatic "
                   "for the defaults only")
    elif d.private:
        yield Need("a private endpoint to the Foundry resource (account) where the computes run",
                   "account" in _endpoint_groups(d, "foundry"),
                   "private-link/private-endpoint-dns.md (azure-docs), Foundry Tools: account")


JOURNEYS: tuple[Journey, ...] = (
    Journey("submit a command job that reads and writes workspaceblobstore",
            lambda d: bool(d.clusters) or any(k.training for k in d.kubernetes), _job_needs),
    Journey("open a notebook and browse files in the studio", lambda d: True, _studio_needs),
    Journey("build an environment image from a conda file", lambda d: True, _image_needs),
    Journey("read each datastore", lambda d: bool(d.datastores), _datastore_needs),
    Journey("deploy and score an online endpoint on a Kubernetes compute",
            lambda d: any(k.inference for k in d.kubernetes), _endpoint_needs),
    Journey("run a batch endpoint", lambda d: bool(d.clusters), _batch_needs),
    Journey("register a model and share it through the registry", lambda d: d.registry is not None, _registry_needs),
    Journey("call a hosted model from a job",
            lambda d: d.foundry is not None and (bool(d.clusters) or any(k.training for k in d.kubernetes)),
            _foundry_needs),
)


def unmet(deployment: Deployment) -> list[tuple[str, Need]]:
    """(journey, need) for every need of an offered journey that the deployment lacks."""
    return [
        (journey.name, need)
        for journey in JOURNEYS
        if journey.offered(deployment)
        for need in journey.needs(deployment)
        if not need.met
    ]
