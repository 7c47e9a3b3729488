"""Azure naming: the Cloud Adoption Framework pattern and Azure's rules for each name.

Rules come from "Naming rules and restrictions for Azure resources" (Microsoft Learn,
azure-resource-manager/management/resource-name-rules) and, for Azure ML, from the
service's own validation messages. Generated names are built only from config values
(prefix, environment, optional suffix), so they are the same on every run and never
change unless the stack file does.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{1,9}$")
ENVIRONMENT_RE = re.compile(r"^[a-z][a-z0-9]{0,7}$")
SUFFIX_RE = re.compile(r"^[a-z0-9]{1,4}$")
SUFFIX_LENGTH = 4
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class NameRule:
    """One Azure naming rule: length bounds, allowed characters, first and last character."""

    what: str
    min_len: int
    max_len: int
    pattern: str
    description: str
    no_double_hyphen: bool = False

    def violation(self, name: str) -> str | None:
        """Why ``name`` breaks this rule, or None when it is valid."""
        what = with_article(self.what)
        if not isinstance(name, str):
            return f"{what} name must be a string"
        if not self.min_len <= len(name) <= self.max_len:
            return f"{what} name must be {self.min_len}-{self.max_len} characters long (this one has {len(name)})"
        if not re.fullmatch(self.pattern, name) or (self.no_double_hyphen and "--" in name):
            return f"{what} name {self.description}"
        return None


def with_article(word: str) -> str:
    """``word`` with its indefinite article: "an adlsGen2", "a blob"."""
    return f"{'an' if word[0].lower() in 'aeiou' else 'a'} {word}"


# Containers, filesystems and shares share one rule: (pattern, description).
_STORAGE_CHILD = (
    r"[a-z0-9]+(?:-[a-z0-9]+)*",
    "may contain only lowercase letters, digits and hyphens, must start and end with a letter "
    "or digit, and every hyphen must sit between two letters or digits",
)

RULES: dict[str, NameRule] = {
    "resource_group": NameRule(
        "resource group", 1, 90, r"[\w().-]*[\w()-]",
        "may contain letters, digits, underscores, hyphens, periods and parentheses, "
        "and must not end with a period",
    ),
    "storage_account": NameRule(
        "storage account", 3, 24, r"[a-z0-9]+",
        "may contain only lowercase letters and digits",
    ),
    "key_vault": NameRule(
        "key vault", 3, 24, r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]",
        "may contain only letters, digits and hyphens, must start with a letter, end with a "
        "letter or digit, and must not contain two hyphens in a row",
        no_double_hyphen=True,
    ),
    "log_analytics": NameRule(
        "Log Analytics workspace", 4, 63, r"[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]",
        "may contain only letters, digits and hyphens, and must start and end with a letter or digit",
    ),
    "application_insights": NameRule(
        "Application Insights", 1, 260, r"[^%&\\?/\x00-\x1f]*[^%&\\?/\x00-\x1f .]",
        "must not contain % & \\ ? / or control characters, and must not end with a space or period",
    ),
    "container_registry": NameRule(
        "container registry", 5, 50, r"[A-Za-z0-9]+",
        "may contain only letters and digits",
    ),
    "ml_workspace": NameRule(
        "machine learning workspace", 3, 33, r"[A-Za-z0-9][A-Za-z0-9_-]*",
        "may contain only letters, digits, hyphens and underscores, and must start with a letter or digit",
    ),
    # Blob containers and ADLS Gen2 filesystems (a filesystem is a container): "Naming and
    # referencing containers, blobs, and metadata" (Storage REST API docs) - 3-63 characters,
    # lowercase letters, digits and hyphens, starting with a letter or digit, and every hyphen
    # immediately preceded and followed by a letter or digit.
    "blob_container": NameRule("blob container", 3, 63, *_STORAGE_CHILD),
    # File shares: "Naming and referencing shares, directories, files, and metadata" - the same
    # 3-63 lowercase letters, digits and hyphens, no leading, trailing or consecutive hyphens.
    "file_share": NameRule("file share", 3, 63, *_STORAGE_CHILD),
    # Azure ML datastores: "Datastore name should only consist of lowercase letters, digits and
    # underscores" (MicrosoftDocs azure-docs, machine-learning/how-to-datastore.md). No length is
    # documented; 255 is the limit the service's API spec puts on the other workspace asset names.
    "datastore": NameRule(
        "datastore", 1, 255, r"[a-z0-9_]+",
        "may contain only lowercase letters, digits and underscores",
    ),
}
RULES["data_storage"] = RULES["storage_account"]


def name_suffix(prefix: str, environment: str) -> str:
    """A short deterministic suffix for globally unique names.

    It depends on the config alone (never on time, randomness or the Pulumi state), so a
    name is the same on every run and differs between environments.
    """
    digest = int.from_bytes(hashlib.sha256(f"{prefix}/{environment}".encode()).digest()[:8], "big")
    chars = []
    for _ in range(SUFFIX_LENGTH):
        digest, rest = divmod(digest, 36)
        chars.append(_BASE36[rest])
    return "".join(chars)


@dataclass(frozen=True)
class ResourceNames:
    resource_group: str
    storage_account: str
    key_vault: str
    log_analytics: str
    application_insights: str
    container_registry: str
    ml_workspace: str
    # The data lake (dataStorage); a stack without one has None in StackConfig.names().
    data_storage: str | None


def generated_names(prefix: str, environment: str, suffix: str | None = None) -> ResourceNames:
    """CAF names (rg, st, kv, log, appi, cr, mlw, and st...data for the data lake) for a prefix
    and environment.

    With a prefix of at most 10 characters, an environment of at most 8 and a suffix of at
    most 4, every name here passes its rule in RULES (a property test holds us to that).
    """
    sfx = suffix if suffix is not None else name_suffix(prefix, environment)
    key_vault = f"kv-{prefix}-{environment}-{sfx}"
    if len(key_vault) > RULES["key_vault"].max_len:
        key_vault = f"kv{prefix}{environment}{sfx}"
    storage_account = f"st{prefix}{environment}{sfx}"
    return ResourceNames(
        resource_group=f"rg-{prefix}-{environment}",
        storage_account=storage_account,
        key_vault=key_vault,
        log_analytics=f"log-{prefix}-{environment}",
        application_insights=f"appi-{prefix}-{environment}",
        container_registry=f"cr{prefix}{environment}{sfx}",
        ml_workspace=f"mlw-{prefix}-{environment}",
        data_storage=_data_storage_name(prefix, environment, sfx, storage_account),
    )


def _data_storage_name(prefix: str, environment: str, sfx: str, workspace_storage: str) -> str:
    """CAF name of the optional data lake account: ``st<prefix><environment>data<suffix>``.

    The workspace storage account already uses up to all 24 characters, so the marker shrinks
    to ``d`` when ``data`` does not fit, and when even that is too long the prefix loses its
    last character (the environment is kept whole: it is what tells environments apart). The
    result never equals the workspace storage account's generated name: where the shortened
    form would, an ``x`` marker takes the place of the ``d``.
    """
    candidates = (
        f"st{prefix}{environment}data{sfx}",
        f"st{prefix}{environment}d{sfx}",
        f"st{prefix[:-1]}{environment}d{sfx}",
        f"st{prefix[:-1]}{environment}x{sfx}",
    )
    return next(
        name
        for name in candidates
        if len(name) <= RULES["storage_account"].max_len and name != workspace_storage
    )


def identity_name(prefix: str, environment: str) -> str:
    """The user-assigned identity a stack creates for its workspace (CAF abbreviation ``id``)."""
    return f"id-{prefix}-{environment}"


def aks_cluster_name(prefix: str, environment: str, compute_name: str) -> str:
    """CAF name of a created AKS cluster: ``aks-<prefix>-<environment>-<compute name>``, lowercase."""
    return f"aks-{prefix}-{environment}-{compute_name}".lower()


def container_insights_rule_name(location: str, cluster_name: str) -> str:
    """The data collection rule of a cluster's Container insights, named as Azure names the one it
    creates: ``MSCI-<region>-<cluster>`` ("The DCR created by Container insights is named
    MSCI-<cluster-region>-<cluster-name>", azure-monitor-docs articles/azure-monitor/containers/
    container-insights-data-collection-dcr.md), cut to 64 characters as the Azure CLI cuts it
    ("Max length of the DCR name is 64 chars": Azure/azure-cli src/azure-cli/azure/cli/
    command_modules/acs, the monitoring add-on's rule)."""
    return f"MSCI-{location}-{cluster_name}"[:64]


@dataclass(frozen=True)
class NetworkNames:
    """Azure names of the stack's network (CAF abbreviations vnet, snet, nsg)."""

    vnet: str
    private_endpoint_subnet: str
    training_subnet: str
    private_endpoint_nsg: str
    training_nsg: str


def network_names(prefix: str, environment: str) -> NetworkNames:
    """The network's names; subnet names are scoped to the VNet."""
    base = f"{prefix}-{environment}"
    return NetworkNames(
        vnet=f"vnet-{base}",
        private_endpoint_subnet="snet-private-endpoints",
        training_subnet="snet-training",
        private_endpoint_nsg=f"nsg-{base}-private-endpoints",
        training_nsg=f"nsg-{base}-training",
    )


def endpoint_name(resource_name: str, group_id: str) -> str:
    """CAF name of a private endpoint: pe-<target>-<sub-resource>."""
    return f"pe-{resource_name}-{group_id}"


def monitor_scope_name(prefix: str, environment: str) -> str:
    """Name of the Azure Monitor private link scope: ampls-<prefix>-<environment>. CAF's abbreviation
    list (cloud-adoption-framework resource-abbreviations.md) has none for it (its `pls` is Azure
    Arc's scope); AMPLS is what Azure Monitor's own pages call it (azure-monitor/logs/private-link-security.md)."""
    return f"ampls-{prefix}-{environment}"


def outbound_rule_name(label: str, subresource: str) -> str:
    """The managed network's outbound rule this stack adds for a sub-resource of one of its
    resources (its label: storage-account, data-storage)."""
    return f"{label}-{subresource}"


def foundry_account_name(prefix: str, environment: str, suffix: str | None = None) -> str:
    """CAF name of the Foundry account a stack creates: ``aif-<prefix>-<environment>-<suffix>``.

    The name is also the account's custom subdomain, which is unique across Azure, hence the
    suffix of the other globally unique names (``name_suffix``).
    """
    return f"aif-{prefix}-{environment}-{suffix if suffix is not None else name_suffix(prefix, environment)}"
