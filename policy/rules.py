"""The azureml-infra policies: pure checks over ``(resource_type, props)``, and their levels.

Each rule is a plain function that returns the violations of one resource as messages (an
empty list when it complies), so the same code runs in three places:
- the CrossGuard pack (``__main__.py``) during ``pulumi preview``/``up`` with the CLI,
- ``offline.py`` over the offline plan of a stack (``make policy``), without the CLI,
- the unit tests in ``policy/tests/``.

``props`` use the engine's wire names (camelCase: ``enableHttpsTrafficOnly``,
``properties.properties.scaleSettings.minNodeCount``). Values only Azure can know show as
``output<string>`` in the offline plan; a check never treats one as compliant or not unless
the rule is about presence.

Environments. A rule applies in some environments and has a level in each: advisory in
``dev`` (reported, never blocks), mandatory in ``test``, ``prod`` and any other stack (an
unknown environment gets the strict treatment). The environment is the stack name, or the
``environment`` property of the policy config (``config/<stack>.json``, which the pipelines
pass with ``--policy-pack-config``; ``pack_config`` generates those files).

This module must not import ``pulumi_policy`` at import time: ``offline.py`` and the tests
only need the pure part. ``policies()`` builds the CrossGuard wrappers.

What the program and the pack must agree on (which types are stateful, the duration grammar)
comes from ``azureml_infra/facts.py``, which is pure Python: the pack runs from a checkout of
the whole repository (``--policy-pack policy``), so the repository root goes on the path.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_REPOSITORY = str(Path(__file__).resolve().parent.parent)
if _REPOSITORY not in sys.path:
    sys.path.insert(0, _REPOSITORY)

from azureml_infra import cost, facts  # noqa: E402

ADVISORY = "advisory"
MANDATORY = "mandatory"
DISABLED = "disabled"

DEV, PROD = "dev", "prod"
UNKNOWN = "output<string>"

STORAGE = facts.STORAGE_ACCOUNT
VAULT = facts.KEY_VAULT
REGISTRY = facts.CONTAINER_REGISTRY
APP_INSIGHTS = facts.APPLICATION_INSIGHTS
ML_WORKSPACE = facts.ML_WORKSPACE
ML_COMPUTE = facts.ML_COMPUTE
ML_DATASTORE = facts.ML_DATASTORE
STATEFUL_TYPES = facts.STATEFUL_TYPES
LOCKED_TYPES = facts.LOCKED_TYPES
LOCK = facts.MANAGEMENT_LOCK
AKS_CLUSTER = facts.AKS_CLUSTER
K8S_EXTENSION = facts.K8S_EXTENSION
FOUNDRY_ACCOUNT = facts.FOUNDRY_ACCOUNT
# The Azure ML extension type, in any case: `az k8s-extension create` lowercases --extension-type,
# matches it against this name and sends ARM the lowercase type (Azure/azure-cli-extensions,
# src/k8s-extension/azext_k8s_extension/custom.py: create_k8s_extension, ExtensionFactory; and
# partner_extensions/AzureMLKubernetes.py, Create).
AZUREML_EXTENSION_TYPE = "microsoft.azureml.kubernetes"

# Outside prod an idle cluster or instance should cost nothing for long.
MAX_IDLE_SECONDS = 2 * 3600

# A check over one resource: (Pulumi type, inputs) -> violation messages. The one that needs the
# resource's protect option (prod-protect-stateful) is a ProtectCheck and takes it third.
Check = Callable[[str, Mapping[str, Any]], list[str]]
ProtectCheck = Callable[[str, Mapping[str, Any], bool], list[str]]


# --- helpers ---------------------------------------------------------------------------


def get(props: Mapping[str, Any], path: str) -> Any:
    """``props`` at a dotted path, or None when any step is missing."""
    value: Any = props
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def duration_seconds(value: Any) -> float | None:
    """Seconds in an ISO 8601 duration such as ``PT15M`` or ``P1DT2H``; None if not one."""
    length = facts.parse_duration(value)
    return None if length is None else length.total_seconds()


def _compute_type(props: Mapping[str, Any]) -> str | None:
    return get(props, "properties.computeType")


# --- checks ----------------------------------------------------------------------------
# Each returns the messages of one resource's violations. Messages name the wire property,
# its value and what to set instead.


def storage_secure_transfer(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != STORAGE:
        return []
    problems = []
    # Azure's default has been HTTPS only since API 2019-04-01, so only an explicit false fails.
    if props.get("enableHttpsTrafficOnly") is False:
        problems.append("enableHttpsTrafficOnly is false: the account must refuse plain HTTP; set it to true")
    # Azure's documented default for minimumTlsVersion is TLS 1.0: it must be set.
    tls = props.get("minimumTlsVersion")
    if tls not in ("TLS1_2", "TLS1_3", UNKNOWN):
        problems.append(f"minimumTlsVersion is {tls or 'not set (TLS1_0)'}: set TLS1_2 or newer")
    if props.get("allowBlobPublicAccess") is True:
        problems.append("allowBlobPublicAccess is true: anonymous read access to blobs must stay off; set false")
    return problems


def keyvault_soft_delete(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != VAULT:
        return []
    if get(props, "properties.enableSoftDelete") is False:
        return ["properties.enableSoftDelete is false: deleted secrets and keys must stay recoverable; set true"]
    return []


def keyvault_purge_protection(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != VAULT:
        return []
    value = get(props, "properties.enablePurgeProtection")
    if value is not True and value != UNKNOWN:
        return [
            "properties.enablePurgeProtection is not true: outside dev a deleted vault must not be "
            "purgeable before its retention ends; set workspace.keyVault.purgeProtection: true"
        ]
    return []


def registry_no_admin_user(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type == REGISTRY and props.get("adminUserEnabled") is True:
        return ["adminUserEnabled is true: the shared admin password bypasses Entra ID and RBAC; set false"]
    return []


def appinsights_workspace_based(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type == APP_INSIGHTS and not props.get("workspaceResourceId"):
        return [
            "workspaceResourceId is not set: classic Application Insights is retired; "
            "link it to a Log Analytics workspace"
        ]
    return []


def compute_scales_to_zero(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != ML_COMPUTE:
        return []
    problems = []
    inner = get(props, "properties.properties") or {}
    if _compute_type(props) == "AmlCompute":
        min_nodes = get(inner, "scaleSettings.minNodeCount")
        if isinstance(min_nodes, int | float) and min_nodes > 0:
            problems.append(
                f"scaleSettings.minNodeCount is {int(min_nodes)}: outside prod a cluster must scale to zero "
                "when idle; set 0"
            )
        idle = get(inner, "scaleSettings.nodeIdleTimeBeforeScaleDown")
        seconds = duration_seconds(idle)
        if seconds is not None and seconds > MAX_IDLE_SECONDS:
            problems.append(
                f"scaleSettings.nodeIdleTimeBeforeScaleDown is {idle}: outside prod idle nodes must go "
                "within 2 hours; set PT2H or less"
            )
    elif _compute_type(props) == "ComputeInstance":
        idle = inner.get("idleTimeBeforeShutdown")
        seconds = duration_seconds(idle)
        if idle != UNKNOWN and (seconds is None or seconds > MAX_IDLE_SECONDS) and not _stops_on_schedule(inner):
            problems.append(
                f"idleTimeBeforeShutdown is {idle or 'not set'} and no Stop schedule: outside prod a compute instance "
                "must shut down within 2 hours of idling or stop on a schedule; set idleTimeBeforeShutdown: PT2H or "
                "less, or add a Stop schedule (computeInstances[].schedules)"
            )
    return problems


def _stops_on_schedule(inner: Mapping[str, Any]) -> bool:
    """An enabled Stop schedule among the instance's start/stop schedules."""
    schedules = get(inner, "schedules.computeStartStop")
    return isinstance(schedules, list) and any(
        isinstance(s, Mapping) and s.get("action") == "Stop" and s.get("status", "Enabled") == "Enabled"
        for s in schedules
    )


def compute_no_ssh_password(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != ML_COMPUTE:
        return []
    if get(props, "properties.properties.userAccountCredentials.adminUserPassword"):
        return [
            "userAccountCredentials.adminUserPassword is set: nodes must accept SSH keys only; "
            "remove the password and give adminUserSshPublicKey"
        ]
    return []


def compute_no_public_ssh(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != ML_COMPUTE:
        return []
    inner = get(props, "properties.properties") or {}
    if _compute_type(props) == "AmlCompute":
        access = inner.get("remoteLoginPortPublicAccess") or "NotSpecified"
        # Azure: NotSpecified closes the port only on a cluster in a VNet; elsewhere it is open.
        if access == "Enabled" or (access == "NotSpecified" and not get(inner, "subnet.id")):
            return [
                f"remoteLoginPortPublicAccess is {access}"
                + ("" if access == "Enabled" else " without a subnet, which leaves port 22 open")
                + ": the SSH port must not be reachable from the internet; set Disabled"
            ]
    elif _compute_type(props) == "ComputeInstance" and get(inner, "sshSettings.sshPublicAccess") == "Enabled":
        return ["sshSettings.sshPublicAccess is Enabled: the SSH port must not be reachable from the internet; "
                "set Disabled"]
    return []


def aks_no_local_accounts(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != AKS_CLUSTER:
        return []
    # Azure's default keeps local accounts (a static cluster-admin certificate that bypasses
    # Entra ID and Azure RBAC), so only an explicit true passes.
    value = props.get("disableLocalAccounts")
    if value is not True and value != UNKNOWN:
        return [
            f"disableLocalAccounts is {'not set' if value is None else str(value).lower()}: the cluster must accept "
            "Entra ID identities only, no local admin certificate; set kubernetesComputes[].cluster."
            "disableLocalAccounts: true"
        ]
    return []


def inference_https_only(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != K8S_EXTENSION or str(props.get("extensionType", "")).lower() != AZUREML_EXTENSION_TYPE:
        return []
    settings = props.get("configurationSettings") or {}
    # The extension reads "True"/"False" strings; compare ignoring case, as the CLI does.
    if str(settings.get("allowInsecureConnections", "")).lower() == "true":
        return [
            "configurationSettings.allowInsecureConnections is True: scoring endpoints would accept plain HTTP; "
            "remove allowInsecureConnections and set https with the certificate and key secrets"
        ]
    return []


def foundry_local_auth_off(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A Foundry account takes Entra ID only: its keys would bypass every role ("disableLocalAuth",
    Azure/azure-resource-manager-schemas schemas/2025-06-01/Microsoft.CognitiveServices.json). The
    service's default keeps keys, so only an explicit true passes."""
    if resource_type != FOUNDRY_ACCOUNT:
        return []
    value = get(props, "properties.disableLocalAuth")
    if value is not True and value != UNKNOWN:
        return [
            f"properties.disableLocalAuth is {'not set' if value is None else str(value).lower()}: the account's keys "
            "would let anyone holding one call every model, past Entra ID and its roles; remove "
            "azureml-infra:foundry.create.localAuth (docs/foundry.md)"
        ]
    return []


def prod_foundry_private(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != FOUNDRY_ACCOUNT:
        return []
    value = get(props, "properties.publicNetworkAccess")
    if value == UNKNOWN or value == "Disabled":
        return []
    return [
        f"properties.publicNetworkAccess is {value or 'not set (Enabled)'}: in prod the Foundry account must be "
        "reached through its private endpoint only; set azureml-infra:network.privateEndpoints"
    ]


def prod_aks_api_server_restricted(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A production AKS cluster's API server is private, or public with authorized IP ranges
    (apiServerAccessProfile, ARM schema 2025-09-01): not open to the whole internet."""
    if resource_type != AKS_CLUSTER:
        return []
    private = get(props, "apiServerAccessProfile.enablePrivateCluster")
    ranges = get(props, "apiServerAccessProfile.authorizedIPRanges")
    if private is True or private == UNKNOWN or ranges:
        return []
    return [
        "apiServerAccessProfile has neither enablePrivateCluster: true nor authorizedIPRanges: a production "
        "cluster's API server must not be reachable from the whole internet; set "
        "kubernetesComputes[].cluster.authorizedIpRanges, or network.privateEndpoints (a private cluster)"
    ]


def prod_workspace_private(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type == ML_WORKSPACE and props.get("publicNetworkAccess") != "Disabled":
        return [
            f"publicNetworkAccess is {props.get('publicNetworkAccess') or 'not set (Enabled)'}: a production "
            "workspace must be reached through private endpoints only; set azureml-infra:network.privateEndpoints"
        ]
    return []


def prod_workspace_cmk(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """The workspace's data is encrypted with a customer-managed key (encryption.status Enabled:
    Azure/azure-resource-manager-schemas schemas/2025-12-01/Microsoft.MachineLearningServices.json,
    EncryptionProperty). Advisory in prod, mandatory when the prod stack file sets encryption
    (pack_config): the key is chosen when the workspace is created, so it is a decision, not a fix."""
    if resource_type != ML_WORKSPACE:
        return []
    status = get(props, "encryption.status")
    if status == "Enabled" or status == UNKNOWN:
        return []
    return [
        "encryption is not set: the workspace's data is encrypted with Microsoft-managed keys; set "
        "azureml-infra:workspace.encryption (a customer-managed key) when the workspace is created, it cannot be "
        "added later (docs/encryption.md)"
    ]


def _public_network_access(resource_type: str, props: Mapping[str, Any]) -> tuple[str, Any] | None:
    """(wire path, value) of a dependency's public network access; None for other types."""
    if resource_type in (STORAGE, REGISTRY):
        return "publicNetworkAccess", props.get("publicNetworkAccess")
    if resource_type == VAULT:
        return "properties.publicNetworkAccess", get(props, "properties.publicNetworkAccess")
    return None


def prod_dependencies_private(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    found = _public_network_access(resource_type, props)
    if found is None:
        return []
    path, value = found
    # Key Vault writes it in lowercase ('disabled'); the others capitalised.
    if value == UNKNOWN or str(value).lower() == "disabled":
        return []
    return [
        f"{path} is {value or 'not set (Enabled)'}: in prod a storage account, key vault or registry must be "
        "reached through private endpoints only; set azureml-infra:network.privateEndpoints"
    ]


def prod_datastore_identity(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    if resource_type != ML_DATASTORE:
        return []
    kind = get(props, "properties.credentials.credentialsType")
    if kind in ("AccountKey", "Sas"):
        return [
            f"credentials.credentialsType is {kind}: in prod a datastore must not hold a storage key or SAS "
            "token; use the workspace identity (credentialsType None) or a service principal"
        ]
    return []


def prod_protect_stateful(resource_type: str, props: Mapping[str, Any], protect: bool) -> list[str]:
    if resource_type in STATEFUL_TYPES and not protect:
        return [
            "protect is false: in prod a resource holding data, secrets or history must be protected "
            "from deletion and replacement; set azureml-infra:protect: true"
        ]
    return []


# --- the rules -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Policy:
    """What every rule has: a name, where it applies and at which level."""

    name: str
    description: str
    check: Callable[..., Any]
    # Environments where the rule does not apply; `only` restricts it to one environment.
    skip: frozenset[str] = frozenset()
    only: str | None = None
    # Level in dev and everywhere else; prod may differ (a rule that is not enforced yet).
    dev_level: str = ADVISORY
    level: str = MANDATORY

    def applies(self, environment: str) -> bool:
        if self.only is not None:
            return environment == self.only
        return environment not in self.skip

    def level_in(self, environment: str) -> str:
        if not self.applies(environment):
            return DISABLED
        return self.dev_level if environment == DEV else self.level


@dataclass(frozen=True)
class Rule(_Policy):
    """A rule over one resource's type and inputs: ``check`` is a Check."""

    check: Check

    def violations(self, resource_type: str, props: Mapping[str, Any], protect: bool) -> list[str]:
        """The resource's violations; ``protect`` (its resource option) is for a ProtectRule only."""
        return self.check(resource_type, props)


@dataclass(frozen=True)
class ProtectRule(_Policy):
    """A rule that also reads the resource's ``protect`` option: ``check`` is a ProtectCheck."""

    check: ProtectCheck

    def violations(self, resource_type: str, props: Mapping[str, Any], protect: bool) -> list[str]:
        return self.check(resource_type, props, protect)


RULES: tuple[Rule | ProtectRule, ...] = (
    Rule("storage-secure-transfer", "Storage accounts accept HTTPS only, TLS 1.2 or newer, no anonymous "
         "blob access.", storage_secure_transfer),
    Rule("keyvault-soft-delete", "Key vaults keep deleted secrets recoverable (soft delete).",
         keyvault_soft_delete),
    Rule("keyvault-purge-protection", "Outside dev, key vaults have purge protection.",
         keyvault_purge_protection, skip=frozenset({DEV})),
    Rule("registry-no-admin-user", "Container registries have no admin user.", registry_no_admin_user),
    Rule("appinsights-workspace-based", "Application Insights is workspace-based (no classic resource).",
         appinsights_workspace_based),
    Rule("compute-scales-to-zero", "Outside prod, clusters scale to zero and release idle nodes within 2 hours, "
         "and instances shut down within 2 hours of idling or stop on a schedule.",
         compute_scales_to_zero, skip=frozenset({PROD})),
    Rule("compute-no-ssh-password", "Compute nodes take SSH keys, never a password.", compute_no_ssh_password),
    Rule("compute-no-public-ssh", "No compute exposes its SSH port to the internet.", compute_no_public_ssh),
    Rule("aks-no-local-accounts", "AKS clusters have local accounts disabled (Entra ID only).",
         aks_no_local_accounts),
    Rule("inference-https-only", "Outside dev, Azure ML scoring endpoints on Kubernetes use HTTPS.",
         inference_https_only, skip=frozenset({DEV})),
    Rule("foundry-local-auth-off", "Foundry accounts take Entra ID only: local (key) authentication off.",
         foundry_local_auth_off),
    Rule("prod-aks-api-server-restricted", "In prod, AKS clusters have a private API server or authorized IP "
         "ranges.", prod_aks_api_server_restricted, only=PROD),
    Rule("prod-workspace-private", "In prod, the workspace has public network access disabled.",
         prod_workspace_private, only=PROD),
    Rule("prod-workspace-cmk", "In prod, the workspace's data is encrypted with a customer-managed key (advisory; "
         "mandatory when the prod stack file sets workspace.encryption).", prod_workspace_cmk, only=PROD,
         level=ADVISORY),
    Rule("prod-foundry-private", "In prod, Foundry accounts have public network access disabled.",
         prod_foundry_private, only=PROD),
    Rule("prod-dependencies-private", "In prod, storage accounts, key vaults and registries have public "
         "network access disabled.", prod_dependencies_private, only=PROD),
    Rule("prod-datastore-identity", "In prod, datastores hold no account key or SAS token.",
         prod_datastore_identity, only=PROD),
    ProtectRule("prod-protect-stateful", "In prod, stateful resources are protected.", prod_protect_stateful,
                only=PROD),
)

# --- rules over the whole stack ----------------------------------------------------------


@dataclass(frozen=True)
class StackResource:
    """What a stack rule sees of one resource: its URN, type, inputs and, per input, the URNs
    of the resources that input was computed from (the engine's property dependencies)."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, list[str]]


StackCheck = Callable[[list[StackResource]], list[tuple[StackResource, str]]]


def prod_lock_stateful(resources: list[StackResource]) -> list[tuple[StackResource, str]]:
    """Every resource of a locked type has a CanNotDelete lock whose scope is that resource.

    A lock's ``scope`` is the resource's id, unknown before the first deployment, so the lock is
    matched through the scope's property dependency (the resource it was computed from).
    """
    locked = {
        urn
        for lock in resources
        if lock.type == LOCK and lock.props.get("level") == "CanNotDelete"
        for urn in lock.property_dependencies.get("scope", [])
    }
    return [
        (r, "has no CanNotDelete lock: in prod, protect stops Pulumi but not a person or a script; "
            "set azureml-infra:protect: true, which adds the lock")
        for r in resources
        if r.type in LOCKED_TYPES and r.urn not in locked
    ]


DIAGNOSTIC_SETTING = facts.DIAGNOSTIC_SETTING
# What must send its logs in prod: the resources whose audit trail matters. Storage logs live on
# the blob service (<account>/blobServices/default), whose resourceUri is computed from the
# account's id, so it is matched to the account like the others (docs/access.md, Diagnostics).
AUDITED_TYPES = frozenset({ML_WORKSPACE, VAULT, REGISTRY, STORAGE})


def _sends_logs(setting: StackResource) -> bool:
    """An enabled log (a category group or a category) and a Log Analytics destination."""
    logs = setting.props.get("logs")
    enabled = isinstance(logs, list) and any(
        isinstance(log, Mapping) and log.get("enabled") is True and (log.get("categoryGroup") or log.get("category"))
        for log in logs
    )
    return enabled and bool(setting.props.get("workspaceId"))


def prod_diagnostics(resources: list[StackResource]) -> list[tuple[StackResource, str]]:
    """Every workspace, key vault, registry and storage account of the stack sends its logs to
    Log Analytics through a diagnostic setting whose ``resourceUri`` was computed from it.

    Only what the stack creates is checked: a resource reused by ARM id is not in the plan, and
    its diagnostic settings are its owner's.
    """
    audited = {
        urn
        for setting in resources
        if setting.type == DIAGNOSTIC_SETTING and _sends_logs(setting)
        for urn in setting.property_dependencies.get("resourceUri", [])
    }
    return [
        (r, "sends no logs to Log Analytics: in prod, who did what must be on record; keep "
            "azureml-infra:diagnostics on (enabled: true, the default) with a Log Analytics workspace")
        for r in resources
        if r.type in AUDITED_TYPES and r.urn not in audited
    ]


BUDGET = facts.BUDGET


ML_REGISTRY = facts.ML_REGISTRY


def prod_registry_private(resources: list[StackResource]) -> list[tuple[StackResource, str]]:
    """In a private stack (its workspace without public network access), an Azure ML registry the
    stack creates is private too: reached through its private endpoint (group amlregistry) only."""
    private = any(r.type == ML_WORKSPACE and r.props.get("publicNetworkAccess") == "Disabled" for r in resources)
    if not private:
        return []
    return [
        (r, f"publicNetworkAccess is {r.props.get('publicNetworkAccess') or 'not set (Enabled)'}: in a private prod "
            "stack the Azure ML registry is reached through its private endpoint only; set "
            "azureml-infra:registry.create.publicNetworkAccess: Disabled (docs/registry.md)")
        for r in resources
        if r.type == ML_REGISTRY and r.props.get("publicNetworkAccess") not in ("Disabled", UNKNOWN)
    ]


def cost_within_budget(resources: list[StackResource]) -> list[tuple[StackResource, str]]:
    """The stack's monthly cost ceiling (azureml_infra.cost, the plan's own table) is within its
    budget. Nothing to say without a budget, or with an amount only Azure knows."""
    budget = next((r for r in resources if r.type == BUDGET), None)
    if budget is None or not isinstance(budget.props.get("amount"), int | float):
        return []
    table = cost.estimate(cost.PlannedResource(r.type, r.name, r.props) for r in resources)
    if not table.above_budget:
        return []
    incomplete = "" if table.complete else " (and more: some prices are unknown)"
    return [(budget, f"the monthly cost ceiling, {table.total:,.2f} {table.currency}{incomplete} at the prices of "
                     f"{table.snapshot_date}, is above this budget's amount, {table.budget_amount:,.2f}: lower maxNodes, "
                     "VM sizes or instance hours, or raise azureml-infra:budget.amount (docs/cost.md)")]


@dataclass(frozen=True)
class StackRule(_Policy):
    """A rule over all of a stack's resources at once (CrossGuard's stack validation): ``check``
    is a StackCheck."""

    check: StackCheck

    def violations(self, resources: list[StackResource]) -> list[tuple[StackResource, str]]:
        return self.check(resources)


STACK_RULES: tuple[StackRule, ...] = (
    StackRule("prod-lock-stateful", "In prod, storage, key vaults and registries carry a CanNotDelete lock.",
              prod_lock_stateful, only=PROD),
    StackRule("prod-diagnostics", "In prod, the workspace, key vaults, registries and storage send their logs "
              "to Log Analytics.", prod_diagnostics, only=PROD),
    StackRule("prod-registry-private", "In a private prod stack, the Azure ML registry it creates has public network "
              "access disabled.", prod_registry_private, only=PROD),
    StackRule("cost-within-budget", "The stack's monthly cost ceiling is within its budget (advisory everywhere).",
              cost_within_budget, dev_level=ADVISORY, level=ADVISORY),
)

BY_NAME: dict[str, Rule | ProtectRule | StackRule] = {rule.name: rule for rule in (*RULES, *STACK_RULES)}


def environment_of(stack: str | None) -> str:
    """The environment a stack's policies run in: its name (``org/project/dev`` -> ``dev``)."""
    return (stack or "").rsplit("/", 1)[-1]


def stack_from_urn(urn: str) -> str | None:
    """``urn:pulumi:<stack>::<project>::<type>::<name>`` -> ``<stack>``."""
    if not isinstance(urn, str) or not urn.startswith("urn:pulumi:"):
        return None
    return urn[len("urn:pulumi:"):].split("::", 1)[0] or None


# Rules whose level a stack file raises: prod-workspace-cmk is mandatory where the stack file sets
# workspace.encryption (a stack that chose a customer-managed key keeps it).
RAISED_BY_STACK_FILE = {"prod-workspace-cmk"}


def pack_config(environment: str, encrypted: bool = False) -> dict[str, dict[str, str]]:
    """The ``--policy-pack-config`` document for a stack's environment (config/<stack>.json);
    ``encrypted``: the stack file sets ``azureml-infra:workspace.encryption``."""

    def level(rule: _Policy) -> str:
        found = rule.level_in(environment)
        return MANDATORY if encrypted and rule.name in RAISED_BY_STACK_FILE and found != DISABLED else found

    return {
        rule.name: {"enforcementLevel": level(rule), "environment": environment} for rule in (*RULES, *STACK_RULES)
    }


def sets_encryption(stack_config: Mapping[str, Any]) -> bool:
    """A stack file's ``config:`` map sets ``azureml-infra:workspace.encryption``."""
    workspace = stack_config.get("azureml-infra:workspace")
    return isinstance(workspace, Mapping) and workspace.get("encryption") is not None


# --- CrossGuard wrappers ---------------------------------------------------------------


def policies() -> list[Any]:
    """The rules as pulumi_policy validation policies (imported here, not above)."""
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        ResourceValidationPolicy,
        StackValidationPolicy,
    )

    schema = PolicyConfigSchema(
        properties={"environment": {"type": "string", "description": "dev, test, prod...: defaults to the stack"}}
    )

    def wrap(rule: Rule | ProtectRule) -> ResourceValidationPolicy:
        def validate(args, report_violation) -> None:
            environment = args.get_config().get("environment") or environment_of(stack_from_urn(args.urn))
            if not rule.applies(environment):
                return
            for message in rule.violations(args.resource_type, args.props, bool(args.opts.protect)):
                report_violation(message)

        return ResourceValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=validate,
            # Without a config file a policy runs at its strictest non-dev level.
            enforcement_level=EnforcementLevel(rule.level),
            config_schema=schema,
        )

    def wrap_stack(rule: StackRule) -> StackValidationPolicy:
        def validate(args, report_violation) -> None:
            environment = args.get_config().get("environment")
            resources = [
                StackResource(
                    r.urn, r.resource_type, r.name, r.props,
                    {k: [d.urn for d in deps] for k, deps in (r.property_dependencies or {}).items()},
                )
                for r in args.resources
            ]
            environment = environment or environment_of(stack_from_urn(resources[0].urn) if resources else None)
            if not rule.applies(environment):
                return
            for resource, message in rule.violations(resources):
                report_violation(message, resource.urn)

        return StackValidationPolicy(
            name=rule.name,
            description=rule.description,
            validate=validate,
            enforcement_level=EnforcementLevel(rule.level),
            config_schema=schema,
        )

    return [*(wrap(rule) for rule in RULES), *(wrap_stack(rule) for rule in STACK_RULES)]
