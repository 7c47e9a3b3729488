"""Azure Private Link, as this program uses it: which sub-resources of each dependency get a
private endpoint, the private DNS zones each needs, and what a managed network can reach.

Pure Python and a leaf: the config rules (subnet sizes, accepted zone names, outbound rules)
and ``azureml_infra.resolve`` (the endpoints and zones a stack gets) both read it, so the set
of endpoints is written here once. Azure public cloud.

Sources: azure-docs articles/private-link/private-endpoint-dns.md (one row per service: the
group id and its zones); azure-ai-docs articles/machine-learning/how-to-configure-private-link.md
(the workspace needs both of its zones, in one zone group); azure-docs
articles/container-registry/container-registry-private-link.md (the registry's zone "must be
named privatelink.azurecr.io"; a registry endpoint also answers for its regional data endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass

WORKSPACE_ZONES = ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net")
BLOB_ZONE = "privatelink.blob.core.windows.net"
FILE_ZONE = "privatelink.file.core.windows.net"
DFS_ZONE = "privatelink.dfs.core.windows.net"
QUEUE_ZONE = "privatelink.queue.core.windows.net"
TABLE_ZONE = "privatelink.table.core.windows.net"
VAULT_ZONE = "privatelink.vaultcore.azure.net"
REGISTRY_ZONE = "privatelink.azurecr.io"
# A Foundry account (Microsoft.CognitiveServices/accounts, group account) answers on three hosts,
# each with its zone: azure-docs articles/private-link/private-endpoint-dns.md, "Foundry Tools
# (Microsoft.CognitiveServices/accounts) | account | privatelink.cognitiveservices.azure.com,
# privatelink.openai.azure.com, privatelink.services.ai.azure.com".
FOUNDRY_ZONES = (
    "privatelink.cognitiveservices.azure.com",
    "privatelink.openai.azure.com",
    "privatelink.services.ai.azure.com",
)

# An Azure ML registry (Microsoft.MachineLearningServices/registries, group amlregistry) answers in
# the workspace's API zone only: azure-docs articles/private-link/private-endpoint-dns.md ("Azure
# private endpoint private DNS zone values"), "Azure Machine Learning registry
# (Microsoft.MachineLearningServices/registries) | amlregistry | privatelink.api.azureml.ms". (No
# notebooks zone: that row lists none, unlike the workspace's.)
REGISTRY_API_ZONE = "privatelink.api.azureml.ms"
# An Azure Monitor private link scope (Microsoft.Insights/privateLinkScopes, group azuremonitor):
# the same page, "Azure Monitor (Microsoft.Insights/privateLinkScopes) | azuremonitor |
# privatelink.monitor.azure.com, privatelink.oms.opinsights.azure.com,
# privatelink.ods.opinsights.azure.com, privatelink.agentsvc.azure-automation.net,
# privatelink.blob.core.windows.net".
MONITOR_ZONES = (
    "privatelink.monitor.azure.com",
    "privatelink.oms.opinsights.azure.com",
    "privatelink.ods.opinsights.azure.com",
    "privatelink.agentsvc.azure-automation.net",
    BLOB_ZONE,
)


@dataclass(frozen=True)
class EndpointKind:
    """One kind of private endpoint: the group id (sub-resource) and the zones of its DNS group."""

    group_id: str
    zones: tuple[str, ...]
    # IP addresses one such endpoint takes in its subnet. The workspace's endpoint answers for
    # its API, its certificate endpoint, inference and notebooks; a registry's for the registry
    # and its regional data endpoint (container-registry-private-link.md). Counted generously.
    addresses: int = 1


ENDPOINT_KINDS: dict[str, EndpointKind] = {
    "amlworkspace": EndpointKind("amlworkspace", WORKSPACE_ZONES, addresses=3),
    "blob": EndpointKind("blob", (BLOB_ZONE,)),
    "file": EndpointKind("file", (FILE_ZONE,)),
    "dfs": EndpointKind("dfs", (DFS_ZONE,)),
    "queue": EndpointKind("queue", (QUEUE_ZONE,)),
    "table": EndpointKind("table", (TABLE_ZONE,)),
    "vault": EndpointKind("vault", (VAULT_ZONE,)),
    "registry": EndpointKind("registry", (REGISTRY_ZONE,), addresses=2),
    # One address per host it answers on, counted generously (one NIC address may serve all three).
    "account": EndpointKind("account", FOUNDRY_ZONES, addresses=3),
    # A registry's endpoint answers for the registry in each of its regions: counted generously.
    "amlregistry": EndpointKind("amlregistry", (REGISTRY_API_ZONE,), addresses=4),
    # A scope's endpoint takes an address per Azure Monitor host (global endpoints, the agent and
    # ingestion hosts of each scoped workspace, the agents' storage): counted generously.
    "azuremonitor": EndpointKind("azuremonitor", MONITOR_ZONES, addresses=12),
}

# Every zone a private endpoint of this stack can need: the only names dnsZones accepts.
AZURE_ML_ZONES = tuple(dict.fromkeys(z for kind in ENDPOINT_KINDS.values() for z in kind.zones))

# The endpoints of a private stack, by what they front (a dependency kind of
# azureml_infra.deployment): the workspace, its storage (blob, file), key vault and registry,
# and the data lake (blob, dfs) when dataStorage is configured. In this order.
ENDPOINT_GROUPS: dict[str, tuple[str, ...]] = {
    "workspace": ("amlworkspace",),
    "storageAccount": ("blob", "file"),
    "keyVault": ("vault",),
    "containerRegistry": ("registry",),
    "dataStorage": ("blob", "dfs"),
    "foundry": ("account",),  # the Foundry account, when the stack has one (foundry)
    "registry": ("amlregistry",),  # the Azure ML registry, when the stack has one (registry)
    "monitorScope": ("azuremonitor",),  # network.privateEndpoints.monitor: the Azure Monitor scope
}

# Dependencies that only some stacks have, by the flag of endpoint_groups that adds them.
_OPTIONAL = {"dataStorage": "has_data_storage", "foundry": "foundry", "registry": "registry",
             "monitorScope": "monitor"}


# The default storage's queue and table, which batch endpoints and ParallelRunStep use: "Queue -
# Only needed if you plan to use Batch endpoints or the ParallelRunStep in an Azure Machine
# Learning pipeline", and the same for Table (azure-ai-docs how-to-secure-workspace-vnet.md,
# "Secure Azure storage accounts"). They front the storage in a private stack whose computes run
# in a network of yours; under a managed network the workspace gets outbound rules to them
# instead (azureml_infra.resolve), as nothing in your network uses them.
BATCH_GROUPS: tuple[str, ...] = ("queue", "table")


def groups_of(kind: str, batch: bool) -> tuple[str, ...]:
    """The sub-resources of one dependency that get a private endpoint."""
    return ENDPOINT_GROUPS.get(kind, ()) + (BATCH_GROUPS if batch and kind == "storageAccount" else ())


def endpoint_groups(
    has_data_storage: bool, batch: bool = False, foundry: bool = False, registry: bool = False, monitor: bool = False
) -> list[str]:
    """The group ids of every private endpoint a stack creates (one entry per endpoint)."""
    present = {"has_data_storage": has_data_storage, "foundry": foundry, "registry": registry, "monitor": monitor}
    kinds = [kind for kind in ENDPOINT_GROUPS if kind not in _OPTIONAL or present[_OPTIONAL[kind]]]
    return [g for kind in kinds for g in groups_of(kind, batch)]


def required_zones(
    has_data_storage: bool, batch: bool = False, foundry: bool = False, registry: bool = False, monitor: bool = False
) -> list[str]:
    """The private DNS zones the stack's endpoints need, in a fixed order."""
    groups = endpoint_groups(has_data_storage, batch, foundry, registry, monitor)
    zones = (z for g in groups for z in ENDPOINT_KINDS[g].zones)
    return list(dict.fromkeys(zones))


# The private endpoint rules this program adds to a managed network, by the dependency they reach
# and its label in rule names: the default storage's queue and table (batch endpoints and
# ParallelRunStep: "add outbound private endpoint rules to allow traffic to the following sub
# resources for the default storage account: queue, table", azure-ai-docs how-to-managed-network.md,
# "Scenario: Use batch endpoints or ParallelRunStep"), and the data lake's blob and dfs (Azure adds
# rules for the workspace's default resources only, "Required PE rules are automatic").
MANAGED_NETWORK_RULES: tuple[tuple[str, str, str], ...] = (
    ("storageAccount", "storage-account", "queue"),
    ("storageAccount", "storage-account", "table"),
    ("dataStorage", "data-storage", "blob"),
    ("dataStorage", "data-storage", "dfs"),
)

# The rule this program adds to a managed network for the stack's Azure ML registry, where the stack
# is private (azureml_infra.resolve): its name is the stack's, as MANAGED_NETWORK_RULES' are.
REGISTRY_RULE = "ml-registry-amlregistry"


# A registry's endpoint also answers for its regional data endpoints, whose records Azure writes
# in "{regionName}.data.privatelink.azurecr.io" (azure-docs private-link/private-endpoint-dns.md,
# "Containers", in its "private DNS zone values" version). This program keeps those records in
# privatelink.azurecr.io, as container-registry-private-link.md does (MicrosoftDocs/
# azure-management-docs); where a hub keeps the regional zone (dnsZones names it), a name under
# it resolves from that more specific zone only, so the registry's zone group writes there too.
REGISTRY_DATA_ZONE_SUFFIX = ".data.privatelink.azurecr.io"


def registry_data_zone(region: str) -> str:
    return f"{region}{REGISTRY_DATA_ZONE_SUFFIX}"


def is_registry_data_zone(zone: str) -> bool:
    region = zone.removesuffix(REGISTRY_DATA_ZONE_SUFFIX)
    return zone.endswith(REGISTRY_DATA_ZONE_SUFFIX) and region.isalnum() and region.islower()


# Azure reserves five addresses in every subnet (the network, the gateway, two for Azure DNS
# and the broadcast address) and its smallest subnet is a /29 (azure-docs
# virtual-network/virtual-networks-faq.md, "Are there any restrictions on using IP addresses
# within these subnets?").
AZURE_RESERVED = 5

# --- managed network outbound rules -----------------------------------------------------------
# Private endpoint rules: the target resource types an Azure ML managed network can reach by
# private endpoint (azure-ai-docs articles/machine-learning/how-to-managed-network.md,
# "Private endpoints" list) and their sub-resources (the group ids of azure-docs
# articles/private-link/private-endpoint-dns.md).
# Keys are lowercase: ARM compares resource types ignoring case.
OUTBOUND_SUBRESOURCES: dict[str, tuple[str, ...]] = {
    "microsoft.machinelearningservices/workspaces": ("amlworkspace",),
    "microsoft.machinelearningservices/registries": ("amlregistry",),
    "microsoft.storage/storageaccounts": ("blob", "file", "queue", "table", "dfs", "web"),
    "microsoft.containerregistry/registries": ("registry",),
    "microsoft.keyvault/vaults": ("vault",),
    "microsoft.cognitiveservices/accounts": ("account",),
    "microsoft.search/searchservices": ("searchService",),
    "microsoft.sql/servers": ("sqlServer",),
    "microsoft.datafactory/factories": ("dataFactory",),
    "microsoft.documentdb/databaseaccounts": ("Sql", "MongoDB", "Cassandra", "Gremlin", "Table"),
    "microsoft.eventhub/namespaces": ("namespace",),
    "microsoft.cache/redis": ("redisCache",),
    "microsoft.databricks/workspaces": ("databricks_ui_api",),
    "microsoft.dbformariadb/servers": ("mariadbServer",),
    "microsoft.dbforpostgresql/servers": ("postgresqlServer",),
    "microsoft.dbforpostgresql/flexibleservers": ("postgresqlServer",),
    "microsoft.dbformysql/servers": ("mysqlServer",),
    "microsoft.dbformysql/flexibleservers": ("mysqlServer",),
    "microsoft.apimanagement/service": ("Gateway",),
    "microsoft.insights/privatelinkscopes": ("azuremonitor",),
}

