"""Post-deploy smoke test: the stack's journeys, run for real with the signed-in identity.

    make smoke STACK=dev [SMOKE_ARGS="--endpoints --format json --budget 1800"]
    # = pulumi stack output --stack dev --json > build/outputs.dev.json
    #   .venv/bin/python policy/export_plan.py --stack dev > build/smoke-plan.dev.json
    #   .venv-verify/bin/python -m tools.smoke --outputs build/outputs.dev.json \
    #       --plan build/smoke-plan.dev.json [--endpoints] [--format json] [--budget 1800]

`make verify` checks that Azure reports what the stack deployed; this uses it as its people and
jobs do, each journey on each target the plan and the outputs name:

- datastore: the container of each datastore (workspaceblobstore and the stack's) is listed
  through the datastore: with its stored key or SAS token, or with the signed-in identity when
  it stores none (identity-based), as the studio reads it;
- registry (with a registry, output registryName): a model registered in it and downloaded back
  through it;
- environment: an environment from tools/smoke_assets/conda.yaml. azure-ai-ml has no call that
  builds or waits for its image: Azure ML builds it when a job first uses it (on
  workspace.imageBuildCompute when set, on serverless compute otherwise), so a one-line job on
  the image-build cluster (or the first cluster) is the journey;
- job (each AmlCompute cluster): a command job writes a file to workspaceblobstore, reads it back
  and logs an MLflow metric (tools/smoke_assets/job/smoke_job.py);
- endpoint (with --endpoints; each Kubernetes compute with inference): a tiny model deployed to
  a KubernetesOnlineEndpoint (key auth), scored once, and the endpoint deleted;
- chat (with a Foundry resource; each chat model deployment): one short chat completion, with the
  signed-in identity's Entra ID token and no key (tools/smoke_foundry.py).

Every journey gets a share of the time budget (--budget, printed), weighted by how long it
usually takes, out of what the journeys before it left; one that runs past its share fails with
"timeout" (a job is cancelled). What it made is removed: endpoints are deleted; the models and
the environment version are archived (azure-ai-ml cannot delete them); jobs stay as history,
with their outputs. A failure gets the likely missing role, outbound rule or endpoint (HINTS).

Prints a table (or --format json), and exits 0 when every journey passed, 1 naming the
journeys that failed (or a cleanup that did), 2 on unusable input or no Azure credential.
Progress goes to stderr.

Pure except ``AzureMLClient``: the journeys run over the small ``Client`` protocol, so the tests
use a fake and need no Azure package; azure-ai-ml lives in .venv-verify (requirements-verify.txt),
as for tools/verify.py. The calls are azure-ai-ml 1.35.2's, checked in its wheel.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tools import smoke_foundry
from tools.verify import workspace_scope

ASSETS = Path(__file__).resolve().parent / "smoke_assets"
COMPUTE = "azure-native:machinelearningservices:Compute"
DATASTORE = "azure-native:machinelearningservices:Datastore"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
CONTAINER_REGISTRY = "azure-native:containerregistry:Registry"
EXTENSION = "azure-native:kubernetesconfiguration:Extension"
OUTBOUND_RULE = "azure-native:machinelearningservices:ManagedNetworkSettingsRule"
NOT_KNOWN = ("output<string>", "[secret]")

# What the smoke test names what it makes: one name, a version per run (the run id).
ASSET_NAME = "azureml-infra-smoke"
EXPERIMENT = "azureml-infra-smoke"
DEPLOYMENT = "smoke"
# Azure ML's base image for conda environments; :latest moves with Microsoft's patches (every two
# weeks), and then the first run after builds the image again (concept-environments.md).
BASE_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
MODEL_ANSWER = json.loads((ASSETS / "model" / "smoke-model.json").read_text())["answer"]
DEFAULT_BUDGET = 1800.0
# A job's final states but Completed (azure-ai-ml's RunHistoryConstants.TERMINAL_STATUSES): the
# adapter's SmokeError code when a job ended so; nothing is left to cancel then.
JOB_ENDED = ("Failed", "Canceled", "NotResponding", "Paused")

# How long each journey usually takes, relative to the others: its share of the budget.
# A first image build takes minutes (conda, then pip); a job on a cluster at 0 nodes waits for a
# node; a Kubernetes deployment pulls the image and starts the inference server.
WEIGHTS = {"datastore": 1.0, "registry": 2.0, "environment": 10.0, "job": 5.0, "endpoint": 10.0, "chat": 1.0}
ORDER = ("datastore", "registry", "chat", "environment", "job", "endpoint")

# The outbound rules an image build from conda.yaml needs under a managed network that allows
# only approved outbound (azure-ai-docs includes/recommended-network-outbound.md): conda-forge is
# on *.anaconda.org, pip's index on pypi.org and its downloads on *.pythonhosted.org.
CONDA_HOSTS = ("anaconda.com", "*.anaconda.com", "*.anaconda.org")
PYPI_HOSTS = ("pypi.org", "*.pythonhosted.org")


class NoCredential(Exception):
    """No Azure credential could be had: nothing was tried (exit 2)."""


class SmokeError(Exception):
    """A step of a journey failed. ``message``: one line to show; ``detail``: all that Azure
    said (what the hints read); ``code``: the service's error code; ``status``: the HTTP
    status; ``phase``: a job's last status before it failed (Preparing: the image build)."""

    def __init__(self, message: str, *, detail: str = "", code: str | None = None,
                 status: int | None = None, phase: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail or message
        self.code = code
        self.status = status
        self.phase = phase


class SmokeTimeout(SmokeError):
    """A step did not finish within what was left of the journey's share."""


class Client(Protocol):
    """What the journeys need from Azure ML. A failed call raises SmokeError (SmokeTimeout when
    it ran out of time); ``identity`` raises NoCredential when no credential can be had."""

    def identity(self) -> str: ...

    def create_environment(self, *, name: str, version: str, conda_file: Path, image: str) -> str: ...

    def archive_environment(self, *, name: str, version: str) -> None: ...

    def submit_job(self, *, name: str, compute: str, environment: str, command: str,
                   code: Path | None, output: str | None) -> str: ...

    def wait_job(self, name: str, *, timeout: float) -> None: ...

    def cancel_job(self, name: str) -> None: ...

    def list_datastore(self, name: str) -> int: ...

    def register_model(self, *, registry: str | None, name: str, version: str, path: Path) -> None: ...

    def fetch_model(self, *, registry: str | None, name: str, version: str, into: Path) -> None: ...

    def archive_model(self, *, registry: str | None, name: str, version: str) -> None: ...

    def create_endpoint(self, *, name: str, compute: str, timeout: float) -> None: ...

    def deploy(self, *, endpoint: str, deployment: str, model: str, environment: str, code: Path,
               scoring_script: str, timeout: float) -> None: ...

    def score(self, *, endpoint: str, deployment: str, request: Path) -> str: ...

    def delete_endpoint(self, name: str) -> None: ...

    def chat(self, *, account: str, deployment: str, timeout: float) -> str: ...


# --- what the stack offers: from the plan and the outputs -------------------------------------


@dataclass(frozen=True)
class Journey:
    kind: str  # one of ORDER
    target: str  # a cluster, a datastore, a Kubernetes compute, a registry
    skip: str = ""  # why it is not run (then it neither passes nor fails)


@dataclass(frozen=True)
class Datastore:
    kind: str  # AzureBlob, AzureDataLakeGen2, AzureFile
    account: str | None


@dataclass(frozen=True)
class Stack:
    """What the journeys and the hints need to know about the deployed stack."""

    name: str
    workspace: str
    storage_account: str | None = None
    container_registry: str | None = None  # its login server
    registry_private: bool = False  # the workspace's container registry takes private endpoints only
    registry: str | None = None  # the Azure ML registry (registryName)
    clusters: tuple[str, ...] = ()
    kubernetes: tuple[str, ...] = ()  # Kubernetes computes with inference
    image_build_compute: str | None = None
    approved_outbound_only: bool = False
    outbound_fqdns: tuple[str, ...] = ()
    datastores: Mapping[str, Datastore] = field(default_factory=dict)
    foundry: str | None = None  # the Foundry account (foundryAccountName)
    chats: tuple[str, ...] = ()  # its chat model deployments

    @property
    def build_cluster(self) -> str | None:
        """Where the environment journey runs its job: the image-build cluster, else the first."""
        if self.image_build_compute in self.clusters:
            return self.image_build_compute
        return self.clusters[0] if self.clusters else None

    @property
    def builder(self) -> str:
        if self.image_build_compute:
            return f"imageBuildCompute {self.image_build_compute}"
        return "Azure ML's serverless image build"


def _known(value: Any) -> bool:
    return value is not None and value not in NOT_KNOWN


def _get(props: Any, path: str) -> Any:
    for key in path.split("."):
        props = props.get(key) if isinstance(props, Mapping) else None
    return props


def stack_facts(plan: Mapping[str, Any], outputs: Mapping[str, Any]) -> Stack:
    """The stack as the journeys see it. Raises ValueError when the outputs have no workspace."""
    _, _, workspace = workspace_scope(outputs)
    resources = [r for r in plan.get("resources", []) if r.get("custom", True)]
    ws_inputs = next((r.get("inputs") or {} for r in resources if r["type"] == WORKSPACE), {})
    acr_inputs = next((r.get("inputs") or {} for r in resources if r["type"] == CONTAINER_REGISTRY), {})
    # A Kubernetes compute and its azureml extension are children of one component.
    inference = {r.get("parent"): _get(r.get("inputs"), "configurationSettings.enableInference")
                 for r in resources if r["type"] == EXTENSION}
    clusters: list[str] = []
    kubernetes: list[str] = []
    datastores = {"workspaceblobstore": Datastore("AzureBlob", outputs.get("storageAccountName"))}
    for r in resources:
        inputs = r.get("inputs") or {}
        if r["type"] == COMPUTE:
            name = inputs.get("computeName") or r["name"]
            kind = _get(inputs, "properties.computeType")
            if kind == "AmlCompute":
                clusters.append(name)
            elif kind == "Kubernetes" and str(inference.get(r.get("parent"), "True")).lower() != "false":
                kubernetes.append(name)
        elif r["type"] == DATASTORE:
            name = inputs.get("name") or r["name"]
            account = _get(inputs, "properties.accountName")
            datastores[name] = Datastore(_get(inputs, "properties.datastoreType") or "AzureBlob",
                                         account if _known(account) else None)
    for name, output in (outputs.get("datastores") or {}).items():
        known = datastores.get(name)
        datastores[name] = Datastore(output.get("kind") or (known.kind if known else "AzureBlob"),
                                     output.get("accountName") or (known.account if known else None))
    network = ws_inputs.get("managedNetwork") or {}
    # Outbound rules inline on the workspace, or as rule resources of their own.
    rules = [*(network.get("outboundRules") or {}).values(),
             *(_get(r.get("inputs"), "properties") for r in resources if r["type"] == OUTBOUND_RULE)]
    fqdns = tuple(sorted({str(rule.get("destination")) for rule in rules
                          if isinstance(rule, Mapping) and rule.get("type") == "FQDN"}))
    return Stack(
        name=str(plan.get("stack") or "?"),
        workspace=workspace,
        storage_account=outputs.get("storageAccountName"),
        container_registry=outputs.get("containerRegistryLoginServer"),
        registry_private=acr_inputs.get("publicNetworkAccess") == "Disabled",
        registry=outputs.get("registryName"),
        clusters=tuple(clusters),
        kubernetes=tuple(kubernetes),
        image_build_compute=ws_inputs.get("imageBuildCompute"),
        approved_outbound_only=network.get("isolationMode") == "AllowOnlyApprovedOutbound",
        outbound_fqdns=fqdns,
        datastores=dict(sorted(datastores.items(), key=lambda item: (item[0] != "workspaceblobstore", item[0]))),
        foundry=outputs.get("foundryAccountName"),
        chats=smoke_foundry.chat_deployments(plan, outputs),
    )


def journeys(stack: Stack, endpoints: bool = False) -> list[Journey]:
    """Every journey the stack offers, in the order they run."""
    found = [Journey("datastore", name) for name in stack.datastores]
    if stack.registry:
        found.append(Journey("registry", stack.registry))
    found += [Journey("chat", name) for name in stack.chats]
    if stack.build_cluster:
        found.append(Journey("environment", stack.build_cluster))
    found += [Journey("job", name) for name in stack.clusters]
    found += [Journey("endpoint", name, "" if endpoints else "not run: add --endpoints")
              for name in stack.kubernetes]
    return found


# --- hints: an error's likely cause, as the role, rule or endpoint to add ---------------------


@dataclass(frozen=True)
class Hint:
    """``pattern`` (searched in the error's code and text) or ``phase`` picks the rule, for the
    journeys and steps it names (empty: any); ``text`` is formatted with ``hint_fields``."""

    kind: str
    pattern: str
    text: str
    journeys: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    phase: str | None = None

    def matches(self, journey: str, step: str, error: SmokeError) -> bool:
        if self.journeys and journey not in self.journeys or self.steps and step not in self.steps:
            return False
        if self.phase is not None and error.phase == self.phase:
            return True
        text = f"{error.code or ''} {error.detail}"
        return bool(self.pattern) and re.search(self.pattern, text, re.I) is not None


# Steps: submit (a job sent), run (the job on the cluster), create (environment, endpoint),
# deploy, score, list (a datastore), register and fetch (a model). Client-side steps act as the
# signed-in identity; "run" acts as the cluster's identity. First match wins.
#
# Where each hint comes from (MicrosoftDocs/azure-ai-docs, articles/machine-learning/, unless
# named otherwise):
# - package hosts: includes/recommended-network-outbound.md; image builds behind a private
#   registry need a build compute: how-to-managed-network.md, "Configure image builds";
# - AcrPull: how-to-identity-based-service-authentication.md (granted to a cluster's identity
#   unless the cluster came before the registry); how-to-attach-kubernetes-to-workspace.md (to
#   grant to a Kubernetes compute's identity);
# - a cluster's identity on workspaceblobstore: how-to-identity-based-service-authentication.md
#   (the compute identity is the fallback of a datastore without credentials), and "Unable to
#   mount data store workspaceblobstore": how-to-troubleshoot-kubernetes-compute.md;
# - people on identity-based datastores: how-to-disable-local-auth-storage.md (Storage Blob Data
#   Reader/Contributor; Storage File Data Privileged Reader for file shares);
# - AzureML Data Scientist, AzureML Registry User: how-to-assign-roles.md, how-to-manage-registries.md;
# - Kubernetes endpoints take key or AML token auth: concept-endpoints-online-auth.md.
# Azure Storage's 403s (learn.microsoft.com/rest/api/storageservices/sas-error-codes): a missing
# data role is AuthorizationPermissionMismatch ("... using this permission."); AuthorizationFailure
# ("This request is not authorized to perform this operation.") is "other authorization errors",
# most often the account's firewall or its public network access turned off
# (learn.microsoft.com azure/storage/common/storage-network-security).
_BUILD = ("environment", "job", "endpoint")
_PULL = (r"ImagePullBackOff|ErrImagePull|Failed to pull|pull access denied|unauthorized: authentication required|"
         r"manifest unknown")
_NETWORK = (r"AuthorizationFailure|not authorized to perform this operation\.|using this network|"
            r"PublicNetworkAccessDisabled|public network access")
# The chat journey's, first: its errors name no storage (tools/smoke_foundry.py, CHAT_HINTS).
_CHAT_HINTS = tuple(Hint(kind, pattern, text, ("chat",)) for kind, pattern, text in smoke_foundry.CHAT_HINTS)
HINTS: tuple[Hint, ...] = (
    *_CHAT_HINTS,
    Hint("conda-host", r"anaconda\.(com|org)|conda-forge|CondaHTTPError",
         "the image build cannot reach conda's hosts: {conda_route}", _BUILD, ("run", "deploy")),
    Hint("pypi-host", r"pypi\.org|pythonhosted\.org|Could not find a version that satisfies|No matching distribution",
         "the image build cannot reach PyPI: {pypi_route}", _BUILD, ("run", "deploy")),
    Hint("image-pull", _PULL,
         "the compute identity of {target} needs AcrPull on the workspace's container registry {acr} (Azure ML "
         "grants it to a cluster created after the registry)", ("environment", "job"), ("run",)),
    Hint("image-pull", _PULL,
         "the identity of the Kubernetes compute {target} needs AcrPull on the workspace's container registry "
         "{acr} (docs/kubernetes.md)", ("endpoint",), ("deploy",)),
    Hint("image-build", r"image build|ImageBuild|build the image|Failed to build|docker build",
         "the environment image was not built by {builder}: {build_route}", _BUILD, ("run", "deploy"),
         phase="Preparing"),
    Hint("storage-network", _NETWORK,
         "the storage account {account} refused this machine (most often its firewall: public access off): run "
         "smoke from a network that reaches its private endpoints", ("datastore",)),
    Hint("storage-network", _NETWORK,
         "{target} cannot reach the workspace storage {storage}: its network needs the storage's private "
         "endpoints (or DNS for them)", ("environment", "job"), ("run",)),
    Hint("storage-network", _NETWORK,
         "the workspace storage {storage} refused this machine (most often its firewall: public access off; code "
         "and model uploads): run smoke from a network that reaches its private endpoints"),
    Hint("storage-permission", r"AuthorizationPermissionMismatch|using this permission|StreamAccess\.Authentication|"
                               r"PermissionDenied|not authorized to access",
         "the signed-in identity needs {reader_role} on the storage account {account} (identity-based datastore)",
         ("datastore",)),
    Hint("storage-permission", r"AuthorizationPermissionMismatch|using this permission|StreamAccess\.Authentication|"
                               r"PermissionDenied|not authorized to access|Unable to mount data store",
         "the compute identity of {target} needs Storage Blob Data Contributor on the workspace storage {storage}",
         ("environment", "job"), ("run",)),
    Hint("storage-permission", r"AuthorizationPermissionMismatch|using this permission",
         "the signed-in identity needs Storage Blob Data Contributor on the workspace storage {storage} "
         "(code and model uploads to identity-based datastores)", (), ("submit", "create", "register", "deploy")),
    Hint("shared-key-off", r"KeyBasedAuthenticationNotPermitted|Key based authentication is not permitted",
         "shared keys are off on {account}: the datastore {target} must use identity (no stored key)",
         ("datastore",)),
    Hint("azure-ml-permission", r"AuthorizationFailed|does not have authorization to perform action",
         "the signed-in identity needs AzureML Registry User on the registry {registry}{action}", ("registry",)),
    Hint("azure-ml-permission", r"AuthorizationFailed|does not have authorization to perform action",
         "the signed-in identity needs AzureML Data Scientist on the workspace {workspace}{action}"),
    Hint("registry-missing", r"ResourceNotFound|RegistryNotFound|not found",
         "the registry {registry} was not found: check the registryName output and the signed-in identity's "
         "tenant", ("registry",)),
    Hint("instance-type", r"instance ?type",
         "the Kubernetes compute {target} has no instance type to deploy to: the azureml extension creates "
         "defaultinstancetype; check the extension (kubectl get instancetype)", ("endpoint",)),
    Hint("score-unreachable", r"Connection refused|Name or service not known|getaddrinfo|Failed to establish|"
                              r"Max retries|timed out|No route to host|ServiceRequestError",
         "this machine cannot reach the scoring address of {target}: an internal load balancer or an https.cname "
         "without DNS serves its own network only (kubernetesComputes[].inferenceRouter, https)",
         ("endpoint",), ("score",)),
    Hint("score-certificate", r"CERTIFICATE_VERIFY_FAILED|SSLError|certificate verify|hostname mismatch",
         "the scoring certificate of {target} is not trusted for its address: https.cname must be the scoring "
         "host and the certificate must cover it", ("endpoint",), ("score",)),
    Hint("score-error", r"\b5\d\d\b|Bad Gateway|Service Unavailable|upstream",
         "the deployment on {target} answered with an error: read its logs "
         "(ml_client.online_deployments.get_logs)", ("endpoint",), ("score",)),
    Hint("wrong-answer", r"^wrong-answer\b",
         "the deployment answered without the model's answer: the model or scoring script did not load",
         ("endpoint",), ("score",)),
)

TIMEOUT_HINTS = {
    "datastore": "Azure did not answer within the share: check the network path to {account}",
    "registry": "the registry did not answer within the share: check the network path to {registry}",
    "environment": "the image build ({builder}) took longer than the share: a first build takes 10-20 minutes, "
                   "then the image is cached; raise --budget",
    "job": "the job did not finish within the share: a cluster at 0 nodes needs minutes to start (minNodes, "
           "quota); raise --budget",
    "endpoint": "the deployment did not become ready within the share: check the nodes of {target} and the "
                "azureml extension's pods (kubectl get pods -n azureml)",
    "chat": "the deployment {target} did not answer within the share: check the network path to {foundry}",
}


def _missing(wanted: Iterable[str], have: Iterable[str]) -> list[str]:
    have = {h.lower() for h in have}
    return [w for w in wanted if w.lower() not in have]


def hint_fields(stack: Stack, journey: Journey, error: SmokeError) -> dict[str, str]:
    datastore = stack.datastores.get(journey.target)
    account = (datastore.account if datastore else None) or stack.storage_account or "?"

    def route(hosts: tuple[str, ...]) -> str:
        if not stack.approved_outbound_only:
            return f"let {stack.builder} reach {', '.join(hosts)}"
        missing = _missing(hosts, stack.outbound_fqdns)
        if missing:
            return (f"add FQDN outbound rules for {', '.join(missing)} "
                    "(network.outboundRules: approved outbound only)")
        return f"the outbound rules for {', '.join(hosts)} are there: check the managed network's firewall"

    if stack.registry_private and not stack.image_build_compute:
        build_route = ("a container registry behind private endpoints cannot build images: "
                       "set workspace.imageBuildCompute")
    else:
        build_route = "read the image build log in the job's outputs and logs"
    action = re.search(r"perform action '([^']+)'", error.detail)
    return {
        "target": journey.target,
        "account": account,
        "storage": stack.storage_account or "?",
        "acr": stack.container_registry or "?",
        "registry": stack.registry or "?",
        "foundry": stack.foundry or "?",
        "workspace": stack.workspace,
        "builder": stack.builder,
        "build_route": build_route,
        "conda_route": route(CONDA_HOSTS),
        "pypi_route": route(PYPI_HOSTS),
        "reader_role": "Storage File Data Privileged Reader" if datastore and datastore.kind == "AzureFile"
                       else "Storage Blob Data Reader",
        "action": f" (refused: {action[1]})" if action else "",
    }


def diagnose(stack: Stack, journey: Journey, step: str, error: SmokeError) -> tuple[str, str]:
    """(error kind, hint) for a failed step; ("other", "") when no rule knows the error."""
    fields = hint_fields(stack, journey, error)
    if isinstance(error, SmokeTimeout):
        return "timeout", TIMEOUT_HINTS[journey.kind].format(**fields)
    for rule in HINTS:
        if rule.matches(journey.kind, step, error):
            return rule.kind, rule.text.format(**fields)
    return "other", ""


# --- running the journeys -----------------------------------------------------------------------


@dataclass
class Result:
    journey: Journey
    result: str  # pass, fail, skip
    seconds: float = 0.0
    limit: float = 0.0
    step: str = ""
    error: str = ""
    kind: str = ""
    hint: str = ""
    made: str = ""  # what Azure knows it by: the job's name, the endpoint's, the model version

    @property
    def label(self) -> str:
        return f"{self.journey.kind} {self.journey.target}"


@dataclass
class Cleanup:
    action: str  # delete, archive, cancel
    what: str  # endpoint, model, environment, job
    name: str
    registry: str | None = None  # a model in the Azure ML registry, not the workspace
    ok: bool = True
    error: str = ""

    @property
    def label(self) -> str:
        return f"{self.what} {self.name}" + (f" in registry {self.registry}" if self.registry else "")


def new_run_id(now: datetime | None = None) -> str:
    """A run's id: UTC time to the second, digits only (a valid asset version and name part)."""
    return (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")


class _Clock:
    """A journey's share of the budget, and the step it is at."""

    def __init__(self, clock: Callable[[], float], limit: float):
        self.clock, self.limit, self.deadline, self.step = clock, limit, clock() + limit, ""

    def __call__(self, step: str) -> float:
        """Enter a step: the seconds it may take. Raises SmokeTimeout when none are left."""
        self.step = step
        if self.clock() >= self.deadline:
            raise SmokeTimeout(f"exceeded its share of {self.limit:.0f} s")
        return self.deadline - self.clock()

    def check(self) -> None:
        """After the last step: a call that overran the time it was given still fails."""
        if self.clock() > self.deadline:
            raise SmokeTimeout(f"exceeded its share of {self.limit:.0f} s")


class Runner:
    """Runs the journeys over a Client, one after another, and removes what they made."""

    def __init__(self, client: Client, stack: Stack, *, budget: float, run_id: str,
                 clock: Callable[[], float] = time.monotonic, progress: Callable[[str], None] | None = None,
                 workdir: Path | None = None):
        self.client, self.stack, self.budget, self.run_id, self.clock = client, stack, budget, run_id, clock
        self.progress = progress or (lambda line: None)
        self.workdir = workdir  # for the request and the fetched model; a temporary one by default
        self.results: list[Result] = []
        self.cleanups: list[Cleanup] = []  # done, in order
        self._pending: list[Cleanup] = []  # to do
        self._environment: str | None = None  # azureml:<name>:<version>, once created
        self._environment_failed = False
        self._workspace_model: str | None = None
        self._endpoints = 0
        self._making = ""  # what the journey under way has made so far: its job, its endpoint

    def job_name(self, journey: Journey) -> str:
        slug = re.sub(r"[^a-z0-9-]", "-", journey.target.lower())
        return f"smoke-{self.run_id}-{'env' if journey.kind == 'environment' else 'job'}-{slug}"

    def endpoint_name(self, index: int) -> str:
        # 3-32 characters, a letter first; unique in the region, which the run id sees to.
        return f"smoke-{self.run_id}-{index}"

    def run(self, planned: list[Journey]) -> list[Result]:
        if self.workdir is None:
            with tempfile.TemporaryDirectory(prefix="smoke-") as workdir:
                self.workdir = Path(workdir)
                try:
                    return self.run(planned)
                finally:
                    self.workdir = None
        started = self.clock()
        try:
            for index, journey in enumerate(planned):
                if journey.skip:
                    self.results.append(Result(journey, "skip", hint=journey.skip))
                elif journey.kind in ("job", "endpoint") and self._environment_failed:
                    self.results.append(Result(journey, "skip", hint="not run: the environment journey failed"))
                else:
                    # A weighted share of what is left: time a journey did not use passes on.
                    left = max(0.0, self.budget - (self.clock() - started))
                    weights = sum(WEIGHTS[j.kind] for j in planned[index:] if not j.skip)
                    self.results.append(self._one(journey, left * WEIGHTS[journey.kind] / weights))
        finally:
            for cleanup in self._pending:  # what the journeys shared: the environment, the model
                self._clean(cleanup)
            self._pending = []
        return self.results

    def _one(self, journey: Journey, limit: float) -> Result:
        self.progress(f"smoke: {journey.kind} {journey.target} (up to {limit:.0f} s)")
        run = {"datastore": self._datastore, "registry": self._registry, "environment": self._build,
               "job": self._job, "endpoint": self._endpoint, "chat": self._chat}[journey.kind]
        clock = _Clock(self.clock, limit)
        result = Result(journey, "pass", limit=limit)
        started, self._making = self.clock(), ""
        try:
            result.made = run(journey, clock)
            clock.check()
        except SmokeError as error:
            result.result, result.step, result.error, result.made = "fail", clock.step, error.message, self._making
            result.kind, result.hint = diagnose(self.stack, journey, clock.step, error)
            self._environment_failed |= journey.kind == "environment"
        finally:
            result.seconds = self.clock() - started
            # The journey's own leftovers go at once: a job cut off, its endpoint, its registry model.
            for cleanup in [c for c in self._pending if c.what in ("job", "endpoint") or c.registry]:
                self._pending.remove(cleanup)
                self._clean(cleanup)
        self.progress(f"smoke: {journey.kind} {journey.target}: {result.result} in {result.seconds:.0f} s")
        return result

    def _made(self, cleanup: Cleanup) -> None:
        """Something exists from now on (or may, if the call that makes it fails half-way)."""
        self._pending.append(cleanup)

    def _clean(self, cleanup: Cleanup) -> None:
        self.progress(f"smoke: cleanup: {cleanup.action} {cleanup.label}")
        try:
            if cleanup.what == "endpoint":
                self.client.delete_endpoint(cleanup.name)
            elif cleanup.what == "job":
                self.client.cancel_job(cleanup.name)
            elif cleanup.what == "environment":
                self.client.archive_environment(name=ASSET_NAME, version=self.run_id)
            else:
                self.client.archive_model(registry=cleanup.registry, name=ASSET_NAME, version=self.run_id)
        except SmokeError as error:
            cleanup.ok, cleanup.error = False, error.message
        self.cleanups.append(cleanup)

    # the journeys: each returns what Azure knows its work by, or raises SmokeError -------------------

    def _datastore(self, journey: Journey, clock: _Clock) -> str:
        clock("list")
        count = self.client.list_datastore(journey.target)
        return f"{count} item(s) listed"

    def _registry(self, journey: Journey, clock: _Clock) -> str:
        clock("register")
        self._made(Cleanup("archive", "model", f"{ASSET_NAME}:{self.run_id}", registry=journey.target))
        self.client.register_model(registry=journey.target, name=ASSET_NAME, version=self.run_id,
                                   path=ASSETS / "model")
        clock("fetch")
        into = self.workdir / "registry-model"
        self.client.fetch_model(registry=journey.target, name=ASSET_NAME, version=self.run_id, into=into)
        fetched = sorted(into.rglob("smoke-model.json"))
        if not fetched or json.loads(fetched[0].read_text()).get("answer") != MODEL_ANSWER:
            raise SmokeError("the model fetched back is not the one registered", code="wrong-model")
        return f"{ASSET_NAME}:{self.run_id}"

    def _chat(self, journey: Journey, clock: _Clock) -> str:
        assert self.stack.foundry is not None  # journeys(): chats come with the account
        answer = self.client.chat(account=self.stack.foundry, deployment=journey.target, timeout=clock("chat"))
        return f"answered {answer[:40]!r}"

    def _environment_ref(self, clock: _Clock) -> str:
        if self._environment is None:
            clock("create")
            self._made(Cleanup("archive", "environment", f"{ASSET_NAME}:{self.run_id}"))
            self._environment = self.client.create_environment(
                name=ASSET_NAME, version=self.run_id, conda_file=ASSETS / "conda.yaml", image=BASE_IMAGE)
        return self._environment

    def _run_job(self, journey: Journey, clock: _Clock, command: str, code: Path | None,
                 output: str | None) -> str:
        environment = self._environment_ref(clock)
        clock("submit")
        name = self._making = self.client.submit_job(
            name=self.job_name(journey), compute=journey.target, environment=environment, command=command,
            code=code, output=output)
        try:
            self.client.wait_job(name, timeout=clock("run"))
        except SmokeError as error:
            if error.code not in JOB_ENDED:  # cut off, or Azure stopped answering: it may still run
                self._made(Cleanup("cancel", "job", name))
            raise
        return name

    def _build(self, journey: Journey, clock: _Clock) -> str:
        # Azure ML builds the image for the first job that uses it; this one imports what it holds.
        command = 'python -c "import mlflow, azureml.mlflow, azureml_inference_server_http"'
        return self._run_job(journey, clock, command, None, None)

    def _job(self, journey: Journey, clock: _Clock) -> str:
        output = f"azureml://datastores/workspaceblobstore/paths/{EXPERIMENT}/{self.run_id}/{journey.target}/"
        command = f"python smoke_job.py --out ${{{{outputs.out}}}} --text {self.run_id}"
        return self._run_job(journey, clock, command, ASSETS / "job", output)

    def _endpoint(self, journey: Journey, clock: _Clock) -> str:
        environment = self._environment_ref(clock)
        if self._workspace_model is None:
            clock("register")
            self._made(Cleanup("archive", "model", f"{ASSET_NAME}:{self.run_id}"))
            self.client.register_model(registry=None, name=ASSET_NAME, version=self.run_id, path=ASSETS / "model")
            self._workspace_model = f"azureml:{ASSET_NAME}:{self.run_id}"
        self._endpoints += 1
        name = self._making = self.endpoint_name(self._endpoints)
        timeout = clock("create")
        self._made(Cleanup("delete", "endpoint", name))
        self.client.create_endpoint(name=name, compute=journey.target, timeout=timeout)
        self.client.deploy(endpoint=name, deployment=DEPLOYMENT, model=self._workspace_model,
                           environment=environment, code=ASSETS / "score", scoring_script="score.py",
                           timeout=clock("deploy"))
        clock("score")
        request = self.workdir / "request.json"
        request.write_text(json.dumps({"data": [[1, 2, 3]]}))
        answer = self.client.score(endpoint=name, deployment=DEPLOYMENT, request=request)
        try:
            answered = json.loads(answer).get("answer")
        except (ValueError, AttributeError):
            answered = None
        if answered != MODEL_ANSWER:
            raise SmokeError(f"scored, but the answer was {answer[:80]!r}", code="wrong-answer")
        return name


# --- reporting ---------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:.0f}"


def _journeys(count: int) -> str:
    return f"{count} journey" + ("" if count == 1 else "s")


def failed_labels(results: list[Result]) -> list[str]:
    return [r.label for r in results if r.result == "fail"]


def summary(results: list[Result], cleanups: list[Cleanup]) -> str:
    failed = failed_labels(results)
    ran = [r for r in results if r.result != "skip"]
    skipped = len(results) - len(ran)
    text = (f"smoke: {len(failed)} of {_journeys(len(ran))} FAILED: {', '.join(failed)}" if failed
            else f"smoke: all {_journeys(len(ran))} passed" if len(ran) != 1 else "smoke: the 1 journey passed")
    if skipped:
        text += f" ({skipped} not run)"
    broken = [f"{c.action} {c.label}" for c in cleanups if not c.ok]
    if broken:
        text += f"; cleanup FAILED: {', '.join(broken)}"
    return text


def render(stack: Stack, identity: str, budget: float, results: list[Result], cleanups: list[Cleanup]) -> str:
    lines = [f"smoke {stack.name}: workspace {stack.workspace} as {identity}, "
             f"{_journeys(sum(r.result != 'skip' for r in results))} within {budget:.0f} s"]
    table = [("JOURNEY", "TARGET", "RESULT", "SECONDS", "LIMIT", "HINT")]
    for r in results:
        ran = r.result != "skip"
        table.append((r.journey.kind, r.journey.target, {"pass": "pass", "fail": "FAIL"}.get(r.result, "skip"),
                      _seconds(r.seconds) if ran else "-", _seconds(r.limit) if ran else "-", r.hint or "-"))
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2]),
                 row[3].rjust(widths[3]), row[4].rjust(widths[4]), row[5]]
        lines.append("  ".join(cells).rstrip())
    for r in results:
        if r.result == "fail":
            lines.append(f"{r.label}: {r.step}: {r.error}" + (f" [{r.made}]" if r.made else ""))
    for c in cleanups:
        done = {"delete": "deleted", "archive": "archived", "cancel": "cancelled"}[c.action]
        lines.append(f"cleanup: {done} {c.label}" if c.ok
                     else f"cleanup: FAILED to {c.action} {c.label}: {c.error}")
    lines.append(summary(results, cleanups))
    return "\n".join(lines) + "\n"


def document(stack: Stack, identity: str, budget: float, run_id: str, results: list[Result],
             cleanups: list[Cleanup]) -> dict[str, Any]:
    return {
        "stack": stack.name,
        "workspace": stack.workspace,
        "identity": identity,
        "runId": run_id,
        "budgetSeconds": budget,
        "journeys": [{
            "journey": r.journey.kind, "target": r.journey.target, "result": r.result,
            "seconds": round(r.seconds, 1), "limitSeconds": round(r.limit, 1), "made": r.made or None,
            "step": r.step or None, "error": r.error or None, "errorKind": r.kind or None, "hint": r.hint or None,
        } for r in results],
        "cleanup": [{"action": c.action, "what": c.what, "name": c.name, "registry": c.registry, "ok": c.ok,
                     "error": c.error or None} for c in cleanups],
        "failed": failed_labels(results),
        "summary": summary(results, cleanups),
    }


def exit_code(results: list[Result], cleanups: list[Cleanup]) -> int:
    return 1 if failed_labels(results) or not all(c.ok for c in cleanups) else 0


# --- Azure ML SDK adapter (imported only when run against Azure) ---------------------------------


def token_identity(token: str) -> str:
    """Who a token is for, from its claims (not verified: only shown): a user's name, else the app."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return "an unknown identity"
    for key, label in (("upn", "user"), ("unique_name", "user"), ("appid", "app"), ("azp", "app"),
                       ("oid", "object")):
        if claims.get(key):
            return f"{label} {claims[key]}"
    return "an unknown identity"


def job_error_text(text: str) -> str:
    """The code and message of a failed job, from azure-ai-ml's JobException text
    ('Exception : \\n {json of the run's error}'); the text's first line otherwise."""
    start = text.find("{")
    if start >= 0:
        try:
            error = json.loads(text[start:text.rfind("}") + 1])
        except ValueError:
            error = None
        if isinstance(error, Mapping):
            inner = error.get("error", error)
            code, message = inner.get("code"), inner.get("message")
            if message:
                return f"{code}: {message}" if code else str(message)
    return first_line(text)


def first_line(text: str, limit: int = 240) -> str:
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def smoke_error(exc: BaseException) -> SmokeError:
    """Any exception of the SDKs as a SmokeError: its code (a storage error_code, an ARM error's
    code), HTTP status and text."""
    if isinstance(exc, SmokeError):
        return exc
    error = getattr(exc, "error", None)
    code = getattr(exc, "error_code", None) or getattr(error, "code", None)
    code = getattr(code, "value", code)  # the storage SDKs' StorageErrorCode member: its value
    status = getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)
    text = str(exc) or type(exc).__name__
    return SmokeError(f"{type(exc).__name__}: {first_line(text)}", detail=text,
                      code=str(code) if code else None, status=status if isinstance(status, int) else None)


class AzureMLClient:
    """The Client protocol over azure-ai-ml's MLClient and the storage SDKs (in .venv-verify only)."""

    POLL_SECONDS = 15.0
    CLEANUP_SECONDS = 600.0

    def __init__(self, subscription_id: str, resource_group: str, workspace: str):
        from azure.ai.ml import MLClient
        from azure.identity import DefaultAzureCredential

        self._credential = DefaultAzureCredential()
        self._ml = MLClient(self._credential, subscription_id, resource_group, workspace)
        self._registries: dict[str, Any] = {}

    @staticmethod
    def _call(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:  # every SDK error is the journey's failure, with its text
            raise smoke_error(exc) from exc

    def _remove(self, call: Callable[[], Any]) -> None:
        """A cleanup call: what is not there (its creation failed) needs no removing."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._call(call)
        except SmokeError as error:
            if not isinstance(error.__cause__, ResourceNotFoundError):
                raise

    def identity(self) -> str:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            token = self._credential.get_token("https://management.azure.com/.default")
        except ClientAuthenticationError as exc:  # CredentialUnavailableError is one
            raise NoCredential(first_line(str(exc))) from exc
        return token_identity(token.token)

    # environment and jobs

    def create_environment(self, *, name: str, version: str, conda_file: Path, image: str) -> str:
        from azure.ai.ml.entities import Environment

        environment = Environment(name=name, version=version, image=image, conda_file=str(conda_file),
                                  description="azureml-infra smoke test (tools/smoke.py)")
        self._call(lambda: self._ml.environments.create_or_update(environment))
        return f"azureml:{name}:{version}"

    def archive_environment(self, *, name: str, version: str) -> None:
        self._remove(lambda: self._ml.environments.archive(name=name, version=version))

    def submit_job(self, *, name: str, compute: str, environment: str, command: str,
                   code: Path | None, output: str | None) -> str:
        from azure.ai.ml import Output
        from azure.ai.ml import command as command_job

        outputs = {"out": Output(type="uri_folder", path=output, mode="rw_mount")} if output else None
        job = command_job(name=name, display_name=name, experiment_name=EXPERIMENT, compute=compute,
                          environment=environment, command=command, code=str(code) if code else None,
                          outputs=outputs)
        return str(self._call(lambda: self._ml.jobs.create_or_update(job)).name)

    def wait_job(self, name: str, *, timeout: float) -> None:
        """Polls the job's status (jobs.stream has no timeout); on failure, its error as
        jobs.stream reports it (the job being over, stream returns at once)."""
        deadline, phase = time.monotonic() + timeout, None
        while True:
            status = str(self._call(lambda: self._ml.jobs.get(name)).status)
            if status == "Completed":
                return
            if status in JOB_ENDED:
                detail = self._job_error(name) or f"the job ended {status}"
                raise SmokeError(f"job {name} {status}: {job_error_text(detail)}", detail=detail, code=status,
                                 phase=phase)
            phase = status
            left = deadline - time.monotonic()
            if left <= 0:
                raise SmokeTimeout(f"job {name} still {status} after {timeout:.0f} s", phase=phase)
            time.sleep(min(self.POLL_SECONDS, left))

    def _job_error(self, name: str) -> str:
        import contextlib
        import io

        try:
            with contextlib.redirect_stdout(io.StringIO()):  # stream prints the logs: keep stdout for the report
                self._ml.jobs.stream(name)
        except Exception as exc:  # JobException: the run's error as JSON
            return str(exc)
        return ""

    def cancel_job(self, name: str) -> None:
        poller = self._call(lambda: self._ml.jobs.begin_cancel(name))
        self._wait(poller, self.CLEANUP_SECONDS, f"cancel of job {name}")

    # datastores

    def list_datastore(self, name: str) -> int:
        datastore = self._call(lambda: self._ml.datastores.get(name))
        if type(datastore.credentials).__name__ not in ("NoneCredentialConfiguration", "NoneType"):
            datastore = self._call(lambda: self._ml.datastores.get(name, include_secrets=True))
        credential, token = self._storage_credential(datastore.account_name, datastore.credentials)
        kind = str(getattr(datastore.type, "value", datastore.type))
        host = f"{datastore.protocol or 'https'}://{datastore.account_name}.{{}}.{datastore.endpoint or 'core.windows.net'}"

        def first_page() -> int:
            if kind == "AzureFile":
                from azure.storage.fileshare import ShareClient

                extra = {"token_intent": "backup"} if token else {}
                share = ShareClient(host.format("file"), datastore.file_share_name, credential=credential, **extra)
                pages = share.list_directories_and_files(results_per_page=1).by_page()
            elif kind == "AzureDataLakeGen2":
                from azure.storage.filedatalake import FileSystemClient

                filesystem = FileSystemClient(host.format("dfs"), datastore.filesystem, credential=credential)
                pages = filesystem.get_paths(recursive=False, max_results=1).by_page()
            else:
                from azure.storage.blob import ContainerClient

                container = ContainerClient(host.format("blob"), datastore.container_name, credential=credential)
                pages = container.list_blobs(results_per_page=1).by_page()
            return len(list(next(pages, [])))

        return int(self._call(first_page))

    def _storage_credential(self, account: str, credentials: Any) -> tuple[Any, bool]:
        """What the datastore stores (a key, a SAS token, a service principal), else the
        signed-in identity: (credential, whether it is a token credential)."""
        if getattr(credentials, "account_key", None):
            return {"account_name": account, "account_key": credentials.account_key}, False
        if getattr(credentials, "sas_token", None):
            return credentials.sas_token, False
        if getattr(credentials, "client_secret", None):
            from azure.identity import ClientSecretCredential

            return ClientSecretCredential(credentials.tenant_id, credentials.client_id, credentials.client_secret), True
        return self._credential, True

    # models

    def _models(self, registry: str | None) -> Any:
        if registry is None:
            return self._ml.models
        if registry not in self._registries:
            from azure.ai.ml import MLClient

            self._registries[registry] = MLClient(self._credential, registry_name=registry)
        return self._registries[registry].models

    def register_model(self, *, registry: str | None, name: str, version: str, path: Path) -> None:
        from azure.ai.ml.entities import Model

        model = Model(name=name, version=version, path=str(path), type="custom_model",
                      description="azureml-infra smoke test (tools/smoke.py)")
        self._call(lambda: self._models(registry).create_or_update(model))

    def fetch_model(self, *, registry: str | None, name: str, version: str, into: Path) -> None:
        self._call(lambda: self._models(registry).get(name=name, version=version))
        self._call(lambda: self._models(registry).download(name=name, version=version, download_path=str(into)))

    def archive_model(self, *, registry: str | None, name: str, version: str) -> None:
        self._remove(lambda: self._models(registry).archive(name=name, version=version))

    # Kubernetes online endpoints

    def _wait(self, poller: Any, timeout: float, what: str) -> None:
        self._call(lambda: poller.result(timeout=timeout))
        if not poller.done():
            raise SmokeTimeout(f"{what} not done after {timeout:.0f} s")

    def create_endpoint(self, *, name: str, compute: str, timeout: float) -> None:
        from azure.ai.ml.entities import KubernetesOnlineEndpoint

        endpoint = KubernetesOnlineEndpoint(name=name, compute=compute, auth_mode="key",
                                            description="azureml-infra smoke test (tools/smoke.py)")
        self._wait(self._call(lambda: self._ml.online_endpoints.begin_create_or_update(endpoint)), timeout,
                   f"endpoint {name}")

    def deploy(self, *, endpoint: str, deployment: str, model: str, environment: str, code: Path,
               scoring_script: str, timeout: float) -> None:
        from azure.ai.ml.entities import CodeConfiguration, KubernetesOnlineDeployment

        spec = KubernetesOnlineDeployment(name=deployment, endpoint_name=endpoint, model=model,
                                          environment=environment, instance_count=1,
                                          code_configuration=CodeConfiguration(code=str(code),
                                                                               scoring_script=scoring_script))
        try:
            self._wait(self._call(lambda: self._ml.online_deployments.begin_create_or_update(spec)), timeout,
                       f"deployment {endpoint}/{deployment}")
        except SmokeError as error:
            if not isinstance(error, SmokeTimeout):  # the container's last log lines name the cause
                try:
                    error.detail += "\n" + str(self._ml.online_deployments.get_logs(deployment, endpoint, lines=50))
                except Exception:  # noqa: BLE001 - best effort: the error stands without them
                    pass
            raise

    def score(self, *, endpoint: str, deployment: str, request: Path) -> str:
        return str(self._call(lambda: self._ml.online_endpoints.invoke(
            endpoint_name=endpoint, deployment_name=deployment, request_file=str(request))))

    def chat(self, *, account: str, deployment: str, timeout: float) -> str:
        return str(self._call(lambda: smoke_foundry.chat_completion(self._credential, account, deployment, timeout)))

    def delete_endpoint(self, name: str) -> None:
        self._remove(lambda: self._wait(self._ml.online_endpoints.begin_delete(name=name), self.CLEANUP_SECONDS,
                                        f"delete of endpoint {name}"))


# --- command line -------------------------------------------------------------------------------


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0 (got {text})")
    return value


def main(argv: list[str] | None = None, client: Client | None = None, *,
         clock: Callable[[], float] = time.monotonic, run_id: str | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.smoke", description=__doc__.split("\n")[0])
    parser.add_argument("--outputs", type=Path, required=True, help="`pulumi stack output --json` of the stack")
    parser.add_argument("--plan", type=Path, required=True, help="the stack's offline plan JSON (policy/export_plan.py)")
    parser.add_argument("--endpoints", action="store_true",
                        help="also deploy a model to each Kubernetes compute, score it and delete it")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--budget", type=_positive, default=DEFAULT_BUDGET,
                        help=f"seconds for all journeys (default {DEFAULT_BUDGET:.0f}); each gets a weighted share")
    args = parser.parse_args(argv)
    try:
        outputs = json.loads(args.outputs.read_text())
        plan = json.loads(args.plan.read_text())
        scope = workspace_scope(outputs)
        stack = stack_facts(plan, outputs)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        client = client or AzureMLClient(*scope)
        identity = client.identity()
    except NoCredential as exc:
        print(f"error: no Azure credential: {exc}", file=sys.stderr)
        return 2
    run_id = run_id or new_run_id()
    runner = Runner(client, stack, budget=args.budget, run_id=run_id, clock=clock,
                    progress=lambda line: print(line, file=sys.stderr, flush=True))
    try:
        results = runner.run(journeys(stack, endpoints=args.endpoints))
    except NoCredential as exc:  # the credential went away half-way; what was made is cleaned up
        print(f"error: no Azure credential: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(document(stack, identity, args.budget, run_id, results, runner.cleanups), indent=2))
    else:
        sys.stdout.write(render(stack, identity, args.budget, results, runner.cleanups))
    return exit_code(results, runner.cleanups)


if __name__ == "__main__":
    sys.exit(main())
