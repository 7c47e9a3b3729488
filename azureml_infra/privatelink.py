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
VAULT_ZONE = "privatelink.vaultcore.azure.net"
REGISTRY_ZONE = "privatelink.azurecr.io"


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
    "vault": EndpointKind("vault", (VAULT_ZONE,)),
    "registry": EndpointKind("registry", (REGISTRY_ZONE,), addresses=2),
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
}


def endpoint_groups(has_data_storage: bool) -> list[str]:
    """The group ids of every private endpoint a stack creates (one entry per endpoint)."""
    return [g for kind, groups in ENDPOINT_GROUPS.items() if has_data_storage or kind != "dataStorage" for g in groups]


def required_zones(has_data_storage: bool) -> list[str]:
    """The private DNS zones the stack's endpoints need, in a fixed order."""
    zones = (z for g in endpoint_groups(has_data_storage) for z in ENDPOINT_KINDS[g].zones)
    return list(dict.fromkeys(zones))


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

