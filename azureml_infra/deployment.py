"""The resolved deployment: everything a stack file decides, as plain values.

``azureml_infra.resolve.resolve`` makes a ``Deployment`` from a validated ``StackConfig``, once:
every Azure name, every config-only key (role assignment names, rule names), the stack's flags,
and one list of the workspace's dependencies from which the access scopes, private endpoints,
diagnostic targets, locks and identity roles are derived. ``__main__`` hands each part to the
component that makes it, together with the ids only a deployment knows (``pulumi.Input``).

A leaf: no Pulumi, no config models. Components take these types and nothing of the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from azureml_infra.datastore_kinds import AuthSpec, KindSpec
from azureml_infra.naming import NetworkNames, ResourceNames
from azureml_infra.roles import Role

# What an id, a private endpoint, a diagnostic setting or an access entry can point at. The
# names are the stack file's access scopes (docs/access.md), plus applicationInsights.
DependencyKind = Literal[
    "resourceGroup",
    "workspace",
    "storageAccount",
    "keyVault",
    "logAnalytics",
    "applicationInsights",
    "containerRegistry",
    "dataStorage",
    "registry",  # the Azure ML registry the stack creates or uses
    "foundry",  # the Foundry resource (a Cognitive Services account) the stack creates or uses
    "monitorScope",  # the Azure Monitor private link scope (network.privateEndpoints.monitor)
]


@dataclass(frozen=True)
class Grant:
    """One role assignment, as far as config decides it: its logical name, its Azure name (a
    GUID from config-only keys), the role and what it is for. Who gets it on what is known only
    when deploying: the component that makes it supplies the principal's and the scope's ids."""

    logical_name: str
    name: str
    role_id: str
    description: str
    # Managed identities are service principals; a person is a User, a team a Group.
    principal_type: str = "ServicePrincipal"
    # The subscription of its scope when that is not the deployment's (a resource reused from
    # another subscription): a role definition id names the scope's subscription.
    subscription_id: str | None = None


@dataclass(frozen=True)
class Dependency:
    """The workspace, a resource it depends on, its resource group or the data lake."""

    kind: DependencyKind
    label: str  # in logical names: storage-account, key-vault...
    name: str  # the Azure name
    key: str  # config-only key: names the role assignments on it (azureml_infra.keys)
    existing_id: str | None = None  # reused by ARM id: nothing is created, changed or deleted
    subscription_id: str | None = None  # a reused one's subscription (None: the deployment's)
    # Sub-resources that get a private endpoint in a stack with network.privateEndpoints.
    endpoint_groups: tuple[str, ...] = ()
    # Its diagnostic setting: resource logs and metrics, or a storage account's (blob service
    # logs, account metrics); None: none (reused by id, or nothing to log).
    diagnostics: Literal["resource", "storage"] | None = None
    in_access: bool = False  # an access entry may name it (this stack's own)
    # Roles a user-assigned workspace identity needs on it.
    identity_roles: tuple[Role, ...] = ()
    # What a CanNotDelete lock protects (its notes); None: no lock.
    lock: str | None = None

    @property
    def created(self) -> bool:
        return self.existing_id is None


# --- the workspace and its dependencies -------------------------------------------------------


@dataclass(frozen=True)
class Existing:
    """A dependency reused by ARM id."""

    id: str
    name: str


@dataclass(frozen=True)
class StorageAccountSpec:
    name: str
    sku: str
    kind: str
    access_tier: str
    https_only: bool
    min_tls_version: str
    allow_blob_public_access: bool
    allow_shared_key_access: bool
    lock: str | None = None


@dataclass(frozen=True)
class KeyVaultSpec:
    name: str
    sku: str
    rbac: bool  # Azure RBAC; False: the vault's access policies (never rewritten)
    enabled_for_template_deployment: bool
    soft_delete_retention_in_days: int
    purge_protection: bool
    lock: str | None = None


@dataclass(frozen=True)
class LogAnalyticsSpec:
    name: str
    retention_in_days: int


@dataclass(frozen=True)
class ApplicationInsightsSpec:
    name: str
    log_analytics: LogAnalyticsSpec | Existing


@dataclass(frozen=True)
class ContainerRegistrySpec:
    name: str
    sku: str
    admin_user_enabled: bool
    lock: str | None = None
    zone_redundant: bool = False


@dataclass(frozen=True)
class ScopedGrant:
    """A role for one of the stack's identities on one of the stack's resources, by its kind."""

    target: DependencyKind
    grant: Grant


@dataclass(frozen=True)
class KeyGrant:
    """The workspace identity's role on the vault of the workspace's customer-managed key: on the
    stack's own vault (``vault_id`` None) or on a vault by ARM id."""

    grant: Grant
    vault_id: str | None


@dataclass(frozen=True)
class WorkspaceIdentitySpec:
    """The workspace's user-assigned identity: created (``existing_id`` None) and granted its
    roles, or reused as is."""

    name: str
    existing_id: str | None
    # On the dependencies before the workspace exists, and on the workspace once it does.
    grants: tuple[ScopedGrant, ...] = ()
    # With a customer-managed key: its role on the key's vault, before the workspace exists.
    key_grant: KeyGrant | None = None


@dataclass(frozen=True)
class EncryptionSpec:
    """The workspace's customer-managed key (``encryption``): read as its user-assigned identity."""

    key_vault_id: str
    key_uri: str
    service_side: bool = False


@dataclass(frozen=True)
class ManagedNetworkSpec:
    """The workspace's managed network; its user-defined rules are resources of their own
    (``OutboundRulesSpec``)."""

    isolation: str
    firewall_sku: str | None = None


@dataclass(frozen=True)
class WorkspaceSpec:
    """The Azure ML workspace, its resource group and its five dependencies."""

    name: str
    location: str
    tags: Mapping[str, str]
    resource_group: str
    create_resource_group: bool
    storage_account: StorageAccountSpec | Existing
    key_vault: KeyVaultSpec | Existing
    application_insights: ApplicationInsightsSpec | Existing
    container_registry: ContainerRegistrySpec | Existing
    identity: WorkspaceIdentitySpec | None
    public_network_access: str
    # Behind private endpoints: public network access off on the dependencies too.
    private: bool = False
    image_build_compute: str | None = None
    system_datastores_auth_mode: str | None = None
    managed_network: ManagedNetworkSpec | None = None
    # Protect (and, in Azure, lock) what holds data, secrets or history.
    protect: bool = False
    # enableDataIsolation: set when the workspace is created, never after.
    data_isolation: bool = False
    # A customer-managed key and high business impact: also set when the workspace is created only.
    encryption: EncryptionSpec | None = None
    hbi: bool = False
    # Serverless compute in a subnet (an ARM id, or the stack's training subnet) and without public IPs.
    serverless_subnet: Subnet | None = None
    serverless_no_public_ip: bool = False
    # network.privateEndpoints.monitor: Log Analytics and Application Insights take no public
    # ingestion or queries (they are reached through the stack's Azure Monitor private link scope).
    monitor_private: bool = False


# --- computes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SshSpec:
    admin_user_name: str
    public_key: str | None
    password_secret: str | None  # the config key holding the password (a Pulumi secret)
    public_access: bool


@dataclass(frozen=True)
class Subnet:
    """Where a compute's nodes go: an existing subnet by id, or the stack's training subnet."""

    id: str | None = None
    training: bool = False


@dataclass(frozen=True)
class ClusterSpec:
    name: str
    vm_size: str
    min_nodes: int
    max_nodes: int
    idle_time_before_scale_down: str
    priority: str
    identity_type: str | None  # ManagedServiceIdentityType; None: no identity
    user_assigned_identities: tuple[str, ...]
    system_assigned: bool  # the cluster has a principal of its own
    subnet: Subnet | None
    node_public_ip: bool
    ssh: SshSpec | None
    disable_local_auth: bool
    # Its identity's roles on the stack's resources, for its journeys (azureml_infra.journeys).
    grants: tuple[ScopedGrant, ...] = ()


@dataclass(frozen=True)
class ScheduleSpec:
    """A compute instance's start or stop schedule (a cron in a Windows time zone)."""

    action: str  # Start | Stop
    cron: str
    time_zone: str


@dataclass(frozen=True)
class InstanceSpec:
    name: str
    vm_size: str
    assigned_user_object_id: str
    idle_time_before_shutdown: str
    subnet: Subnet | None
    disable_local_auth: bool
    schedules: tuple[ScheduleSpec, ...] = ()


@dataclass(frozen=True)
class AksClusterSpec:
    """An AKS cluster created for a Kubernetes compute."""

    name: str
    vm_size: str
    node_count: int
    max_node_count: int | None
    kubernetes_version: str
    tier: str
    disable_local_accounts: bool
    admin_group_object_ids: tuple[str, ...]
    pod_cidr: str
    service_cidr: str
    dns_service_ip: str
    # In the stack's training subnet: the cluster's role there (None outside a network).
    subnet_grant: Grant | None = None
    # Hardening (docs/kubernetes.md, "Hardening"); the defaults are config's.
    max_pods: int = 250
    private: bool = False  # apiServerAccessProfile.enablePrivateCluster
    authorized_ip_ranges: tuple[str, ...] = ()
    upgrade_channel: str = "patch"
    node_os_upgrade_channel: str = "NodeImage"
    os_disk_type: str = "Managed"
    encryption_at_host: bool = False
    key_vault_secrets_provider: bool = True
    # Container insights: on when the stack has a Log Analytics workspace to send to; to
    # diagnostics.workspaceId when set (log_analytics_id), else to the stack's own.
    monitored: bool = True
    log_analytics_id: str | None = None
    # The control plane's log categories of its diagnostic setting; empty: none (diagnostics off).
    audit_log_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class TlsSpec:
    certificate_secret: str  # config keys holding the PEM certificate and key (Pulumi secrets)
    key_secret: str


@dataclass(frozen=True)
class KubernetesSpec:
    name: str
    cluster_name: str  # the AKS cluster's Azure name
    description: str
    namespace: str
    training: bool
    inference: bool
    cluster: AksClusterSpec | None  # created here; else an existing one:
    existing_cluster_id: str | None = None
    existing_cluster_group: str | None = None
    # The Azure ML extension's settings that do not depend on the cluster's id; None: the
    # extension is already installed (not installed by this stack).
    extension_settings: Mapping[str, str] | None = None
    tls: TlsSpec | None = None
    # The compute identity's roles on the stack's resources, for its journeys.
    grants: tuple[ScopedGrant, ...] = ()


# --- data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataStorageSpec:
    name: str
    hierarchical_namespace: bool
    containers: tuple[str, ...]
    # Shared keys only when a datastore on the account authenticates with one.
    allow_shared_key_access: bool
    private: bool
    protect: bool
    lock: str | None
    location: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class ReaderGrant:
    """A role for one of the identities that read data and models: the identity of ``compute``,
    or the workspace's when it is None."""

    compute: str | None
    grant: Grant


@dataclass(frozen=True)
class DatastoreSpec:
    name: str
    kind_name: str  # blob | adlsGen2 | fileShare
    kind: KindSpec
    auth: AuthSpec
    account_name: str  # the account's Azure name (the data lake's, on dataStorage)
    on_data_storage: bool
    container: str
    resource_group: str | None  # None: the workspace's
    subscription_id: str | None  # None: the deployment's
    secret: str | None  # the config key of its credential (a Pulumi secret)
    key_from_data_storage: bool  # the credential is the data lake's own account key
    client_id: str | None
    tenant_id: str | None
    service_identity: str  # which workspace identity studio uses for the data
    default: bool
    # auth identity: the data role of each identity that reads it, on the container.
    grants: tuple[ReaderGrant, ...] = ()


# --- network ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VnetSpec:
    address_space: str
    private_endpoint_subnet: str
    training_subnet: str | None


@dataclass(frozen=True)
class NetworkSpec:
    """The endpoints' subnet (a VNet created here, or an existing subnet) and the DNS zones."""

    names: NetworkNames
    location: str
    tags: Mapping[str, str]
    vnet: VnetSpec | None = None
    subnet_id: str | None = None
    subnet_vnet_id: str | None = None
    zones_to_create: tuple[str, ...] = ()
    given_zones: Mapping[str, str] = field(default_factory=dict)
    # network.privateEndpoints.monitor: the Azure Monitor private link scope's name; None: none.
    monitor_scope: str | None = None

    @property
    def zone_link_name(self) -> str:
        """The name of each zone's link to the VNet: after the VNet, created or existing."""
        vnet = self.names.vnet if self.vnet is not None else (self.subnet_vnet_id or "").rsplit("/", 1)[-1]
        return f"{vnet}-link"


@dataclass(frozen=True)
class EndpointSpec:
    key: str  # in logical names: storage-account-blob
    name: str  # the endpoint's Azure name
    target: DependencyKind
    group_id: str
    zones: tuple[str, ...]
    # The workspace identity's role on the endpoint itself (the studio reads storage through it).
    reader: Grant | None = None


@dataclass(frozen=True)
class OutboundRuleSpec:
    """A user-defined outbound rule of the workspace's managed network."""

    name: str
    type: Literal["FQDN", "PrivateEndpoint", "ServiceTag"]
    destination: str = ""  # the FQDN, the resource's ARM id, or the service tag
    # PrivateEndpoint to a resource of this stack: its kind (its id is known only when deployed).
    target: DependencyKind | None = None
    subresource: str | None = None  # PrivateEndpoint
    protocol: str | None = None  # ServiceTag
    ports: str | None = None  # ServiceTag
    # Where it came from: the stack file's outboundRules, a preset, or this program (for the
    # stack's own resources).
    origin: str = "outboundRules"

    @property
    def needs_approval(self) -> bool:
        """A private endpoint to a resource that is not one of the workspace's defaults waits for
        the workspace identity's approver role on it."""
        return self.type == "PrivateEndpoint" and self.target in ("dataStorage", "foundry", "registry")


@dataclass(frozen=True)
class OutboundRulesSpec:
    """The workspace's user-defined outbound rules, each a resource of its own, and the approver
    roles the private endpoint rules wait for."""

    rules: tuple[OutboundRuleSpec, ...]
    approvals: tuple[ScopedGrant, ...] = ()


# --- the registry, people, diagnostics ----------------------------------------------------------


@dataclass(frozen=True)
class RegistrySpec:
    name: str
    existing_id: str | None  # reused; else created with:
    regions: tuple[str, ...] = ()
    public_network_access: str = "Enabled"
    grants: tuple[ReaderGrant, ...] = ()
    protect: bool = False
    location: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AccessGrant:
    """An ``access`` entry: a role for a person, group or application on one of ``scope``."""

    grant: Grant
    principal_id: str
    scope: DependencyKind


@dataclass(frozen=True)
class DiagnosticTarget:
    """A resource that sends its diagnostics: ``resource`` (logs by category group, and
    metrics), ``blob`` (the target's blob service: logs by category, and metrics) or
    ``metrics`` (metrics only: a storage account itself)."""

    label: str
    target: DependencyKind
    kind: Literal["resource", "blob", "metrics"] = "resource"


@dataclass(frozen=True)
class DiagnosticsSpec:
    targets: tuple[DiagnosticTarget, ...]
    workspace_id: str | None  # the Log Analytics workspace; None: the stack's own
    logs: str
    metrics: bool
    # An event hub that also receives them: (authorization rule's ARM id, event hub name).
    event_hub: tuple[str, str] | None = None


# --- the Foundry resource (docs/foundry.md) -------------------------------------------------


@dataclass(frozen=True)
class FoundryDeploymentSpec:
    """A model deployment of the account."""

    name: str
    model_format: str
    model_name: str
    model_version: str
    sku: str
    capacity: int


@dataclass(frozen=True)
class FoundryProjectSpec:
    """A Foundry project (the account's child, with a system-assigned identity)."""

    name: str
    description: str | None
    display_name: str | None
    endpoint: str


@dataclass(frozen=True)
class FoundryAccountSpec:
    """The Foundry account this stack creates: kind AIServices, project management on."""

    local_auth: bool
    private: bool  # network.privateEndpoints: public network access off
    protect: bool
    lock: str | None  # what its CanNotDelete lock protects; None: no lock
    deployments: tuple[FoundryDeploymentSpec, ...] = ()
    projects: tuple[FoundryProjectSpec, ...] = ()


@dataclass(frozen=True)
class ConnectionSpec:
    """A connection of the ML workspace, with Entra ID (AAD) and no key."""

    name: str
    category: str
    target: str  # the endpoint the connection calls
    resource_id: str | None  # None: the stack's Foundry account, whose id is known when deployed


@dataclass(frozen=True)
class FoundrySpec:
    """The Foundry account (created, or reused by id), the workspace's connections, and the roles
    of the workspace's and the computes' identities on the account."""

    name: str  # the account's Azure name, also its custom subdomain
    location: str
    tags: Mapping[str, str]
    existing_id: str | None  # reused; else created with:
    account: FoundryAccountSpec | None
    endpoint: str
    connections: tuple[ConnectionSpec, ...] = ()
    grants: tuple[ReaderGrant, ...] = ()  # each names an existing account's subscription


# --- cost --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetNotificationSpec:
    """One notification of the budget: its key in the budget's map and when it fires."""

    key: str  # e.g. actual-80
    threshold: float  # percent of the amount
    threshold_type: str  # Actual | Forecasted


@dataclass(frozen=True)
class BudgetSpec:
    """A monthly Cost budget on the stack's resource group."""

    name: str
    amount: float
    start_date: str  # YYYY-MM-01
    notifications: tuple[BudgetNotificationSpec, ...]
    contact_emails: tuple[str, ...] = ()
    contact_groups: tuple[str, ...] = ()
    contact_roles: tuple[str, ...] = ()


# --- the whole -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    stack_key: str  # prefix-environment
    location: str
    tags: Mapping[str, str]
    protect: bool
    adopt: bool
    names: ResourceNames
    private: bool  # network.privateEndpoints: the workspace and its dependencies are private
    managed_network: bool  # network.isolation is not Disabled
    dependencies: tuple[Dependency, ...]
    workspace: WorkspaceSpec
    clusters: tuple[ClusterSpec, ...] = ()
    instances: tuple[InstanceSpec, ...] = ()
    kubernetes: tuple[KubernetesSpec, ...] = ()
    data_storage: DataStorageSpec | None = None
    datastores: tuple[DatastoreSpec, ...] = ()
    network: NetworkSpec | None = None
    endpoints: tuple[EndpointSpec, ...] = ()
    outbound_rules: OutboundRulesSpec | None = None
    registry: RegistrySpec | None = None
    access: tuple[AccessGrant, ...] = ()
    diagnostics: DiagnosticsSpec | None = None
    # Diagnostics asked for (by default) with nowhere to send them: the program warns.
    diagnostics_without_destination: bool = False
    foundry: FoundrySpec | None = None
    budget: BudgetSpec | None = None

    def dependency(self, kind: DependencyKind) -> Dependency | None:
        return next((d for d in self.dependencies if d.kind == kind), None)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """Every config key whose secret a component takes (read as Pulumi secrets)."""
        keys = [c.ssh.password_secret for c in self.clusters if c.ssh and c.ssh.password_secret]
        keys += [d.secret for d in self.datastores if d.secret]
        keys += [k for s in self.kubernetes if s.tls for k in (s.tls.certificate_secret, s.tls.key_secret)]
        return tuple(dict.fromkeys(keys))
