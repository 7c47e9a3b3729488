"""resolve(StackConfig) -> Deployment: every decision a validated stack file leads to, made once.

Pure: no Pulumi. It works out the Azure names, the config-only keys that name role assignments
(``azureml_infra.keys``), the stack's flags, and one list of the workspace's dependencies (the
resource group, the workspace, its five dependencies and the data lake), each with its kind,
name, key, reused id, private-endpoint groups, diagnostics and access scope. The private
endpoints, diagnostic targets, access scopes, locks and the workspace identity's roles are maps
over that list. Tested directly (tests/test_resolve.py); the components only build resources.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, cast

from azureml_infra import arm, facts, keys, resolve_foundry
from azureml_infra.config.access import AccessEntry
from azureml_infra.config.budget import BudgetSettings
from azureml_infra.config.compute import ComputeCluster, ComputeInstance
from azureml_infra.config.datastores import DatastoreSettings
from azureml_infra.config.kubernetes import DNS_SERVICE_IP, POD_CIDR, SERVICE_CIDR, KubernetesCompute
from azureml_infra.config.network import NetworkSettings, OutboundRule
from azureml_infra.config.rules.access import entry_roles
from azureml_infra.config.rules.diagnostics import diagnostics_on, no_destination
from azureml_infra.config.rules.kubernetes import stack_is_private
from azureml_infra.config.stack import StackConfig
from azureml_infra.config.workspace import WorkspaceSettings
from azureml_infra.datastore_kinds import AUTHS, KINDS
from azureml_infra.deployment import (
    AccessGrant,
    AksClusterSpec,
    ApplicationInsightsSpec,
    BudgetNotificationSpec,
    BudgetSpec,
    ClusterSpec,
    ContainerRegistrySpec,
    DataStorageSpec,
    DatastoreSpec,
    Dependency,
    DependencyKind,
    Deployment,
    DiagnosticsSpec,
    DiagnosticTarget,
    EncryptionSpec,
    EndpointSpec,
    Existing,
    Grant,
    InstanceSpec,
    KeyGrant,
    KeyVaultSpec,
    KubernetesSpec,
    LogAnalyticsSpec,
    ManagedNetworkSpec,
    NetworkSpec,
    OutboundRuleSpec,
    OutboundRulesSpec,
    ReaderGrant,
    RegistrySpec,
    ScheduleSpec,
    ScopedGrant,
    SshSpec,
    StorageAccountSpec,
    Subnet,
    TlsSpec,
    VnetSpec,
    WorkspaceIdentitySpec,
    WorkspaceSpec,
)
from azureml_infra.naming import (
    ResourceNames,
    aks_cluster_name,
    endpoint_name,
    identity_name,
    monitor_scope_name,
    network_names,
    outbound_rule_name,
)
from azureml_infra.outbound import PRESET_RULES
from azureml_infra.privatelink import (
    ENDPOINT_GROUPS,
    ENDPOINT_KINDS,
    MANAGED_NETWORK_RULES,
    REGISTRY_RULE,
    groups_of,
    registry_data_zone,
    required_zones,
)
from azureml_infra.roles import Role, role_named

# The value of a compute's subnetId that names the stack's own training subnet (config.base).
_TRAINING = "training"

# The default resources of a managed network: Azure ML adds their private endpoint rules itself.
_MANAGED_NETWORK_DEFAULTS: tuple[DependencyKind, ...] = ("storageAccount", "keyVault", "containerRegistry")


# Each dependency's Pulumi type, and what a CanNotDelete lock on it protects (its notes): with
# protect: true, the created ones of facts.LOCKED_TYPES get one.
_TYPES: dict[DependencyKind, tuple[str, str]] = {
    "resourceGroup": (facts.RESOURCE_GROUP, "the resource group"),
    "workspace": (facts.ML_WORKSPACE, "the workspace"),
    "storageAccount": (facts.STORAGE_ACCOUNT, "the workspace's storage (artifacts, logs, notebooks)"),
    "keyVault": (facts.KEY_VAULT, "the workspace's key vault and its secrets"),
    "containerRegistry": (facts.CONTAINER_REGISTRY, "the registry and the environments' images"),
    "applicationInsights": (facts.APPLICATION_INSIGHTS, "Application Insights"),
    "logAnalytics": (facts.LOG_ANALYTICS, "the Log Analytics workspace"),
    "dataStorage": (facts.STORAGE_ACCOUNT, "the data lake and its containers"),
    "foundry": (facts.FOUNDRY_ACCOUNT, "the Foundry account, its deployments and its projects' files and threads"),
}

# What a user-assigned workspace identity needs on each dependency, and on the workspace once
# it exists: "Set up authentication between Azure Machine Learning and other services"
# (MicrosoftDocs/azure-ai-docs, articles/machine-learning/how-to-identity-based-service-authentication.md,
# "User-assigned managed identity" > "Workspace"). Key Vault Administrator is the RBAC form of
# that table's key vault access: a created identity needs an RBAC vault (config.workspace refuses
# accessPolicies with it), and a reused identity is granted nothing here.
_IDENTITY_ROLES: dict[DependencyKind, tuple[Role, ...]] = {
    "workspace": (Role.CONTRIBUTOR,),
    "storageAccount": (Role.CONTRIBUTOR, Role.STORAGE_BLOB_DATA_CONTRIBUTOR),
    "keyVault": (Role.CONTRIBUTOR, Role.KEY_VAULT_ADMINISTRATOR),
    "containerRegistry": (Role.CONTRIBUTOR,),
    "applicationInsights": (Role.CONTRIBUTOR,),
}


def resolve(config: StackConfig) -> Deployment:
    """The deployment a validated stack config describes."""
    names = config.names()
    identity_key = _identity_key(config)
    workspace_principal = keys.workspace_principal_key(names.ml_workspace, identity_key)
    dependencies = _dependencies(config, names)
    readers = _readers(config, workspace_principal)
    private = config.network.private_endpoints is not None
    tags = config.resource_tags()
    return Deployment(
        stack_key=f"{config.prefix}-{config.environment}",
        location=config.location,
        tags=tags,
        protect=config.protect,
        adopt=config.adopt,
        names=names,
        private=private,
        managed_network=config.network.managed,
        dependencies=dependencies,
        workspace=_workspace(config, names, dependencies),
        clusters=tuple(_cluster(c, config, dependencies) for c in config.computes),
        instances=tuple(_instance(i) for i in config.compute_instances),
        kubernetes=tuple(_kubernetes(k, config, names, dependencies) for k in config.kubernetes_computes),
        data_storage=_data_storage(config, names, dependencies),
        datastores=tuple(_datastore(d, config, names, identity_key, readers) for d in config.datastores),
        network=_network(config) if private else None,
        endpoints=_endpoints(config, dependencies, workspace_principal) if private else (),
        outbound_rules=_outbound_rules(config, names, workspace_principal),
        registry=_registry(config, readers),
        access=tuple(g for e in config.access for g in _access(e, config, dependencies)),
        diagnostics=_diagnostics(config, dependencies) if diagnostics_on(config) else None,
        diagnostics_without_destination=config.diagnostics.enabled and not diagnostics_on(config),
        foundry=resolve_foundry.foundry(config, names, dependencies, readers, _grant),
        budget=_budget(config.budget, f"{config.prefix}-{config.environment}") if config.budget else None,
    )


# --- the one list of dependencies ----------------------------------------------------------


def _identity_key(config: StackConfig) -> str | None:
    """The user-assigned workspace identity's config-only key (its ARM id when reused, else its
    name); None with a system-assigned identity."""
    identity = config.workspace.identity
    if not identity.user_assigned:
        return None
    return identity.id or identity_name(config.prefix, config.environment)


def _dependencies(config: StackConfig, names: ResourceNames) -> tuple[Dependency, ...]:
    ws, group = config.workspace, names.resource_group

    def dependency(
        kind: DependencyKind, label: str, name: str, segment: str, existing_id: str | None = None,
        diagnostics: Literal["resource", "storage"] | None = None, in_access: bool | None = None,
    ) -> Dependency:
        created = existing_id is None
        pulumi_type, protects = _TYPES[kind]
        locked = config.protect and created and pulumi_type in facts.LOCKED_TYPES
        reused = arm.parse_resource_id(existing_id) if existing_id else None
        return Dependency(
            kind=kind,
            label=label,
            name=name,
            key=keys.resource_key(group, segment, name) if created else keys.reused_key(existing_id or ""),
            existing_id=existing_id,
            subscription_id=reused.subscription_id if reused else None,
            endpoint_groups=ENDPOINT_GROUPS.get(kind, ()),
            diagnostics=diagnostics if created else None,
            in_access=created if in_access is None else in_access,
            identity_roles=_IDENTITY_ROLES.get(kind, ()),
            lock=protects if locked else None,
        )

    found = [
        Dependency("resourceGroup", "resource-group", group, keys.resource_group_key(group), in_access=True),
        dependency("workspace", "workspace", names.ml_workspace, "workspaces", diagnostics="resource"),
        dependency("storageAccount", "storage-account", names.storage_account, "storageaccounts",
                   ws.storage_account.id, diagnostics="storage"),
        dependency("keyVault", "key-vault", names.key_vault, "vaults", ws.key_vault.id, diagnostics="resource"),
        dependency("containerRegistry", "container-registry", names.container_registry, "registries",
                   ws.container_registry.id, diagnostics="resource"),
        dependency("applicationInsights", "application-insights", names.application_insights, "components",
                   ws.application_insights.id, in_access=False),
    ]
    if not ws.application_insights.reused:
        # Log Analytics exists here only to back a new Application Insights.
        found.append(dependency("logAnalytics", "log-analytics", names.log_analytics, "loganalytics",
                                ws.log_analytics.id))
    if config.data_storage is not None and names.data_storage is not None:
        found.append(dependency("dataStorage", "data-storage", names.data_storage, "storageaccounts",
                                diagnostics="storage"))
    foundry = resolve_foundry.account_name(config)
    if config.foundry is not None and foundry is not None:
        found.append(dependency("foundry", "foundry", foundry, resolve_foundry.SEGMENT, config.foundry.id,
                                diagnostics="resource"))
    return tuple(found)


def _of(dependencies: Iterable[Dependency], kind: DependencyKind) -> Dependency:
    return next(d for d in dependencies if d.kind == kind)


def _grant(
    logical_name: str, scope_key: str, role: Role | str, principal_key: str, description: str,
    principal_type: str = "ServicePrincipal", subscription_id: str | None = None,
) -> Grant:
    """A role assignment named from config values only (azureml_infra.keys); ``subscription_id``:
    its scope's, when that is a resource of another subscription."""
    role_id = role.id if isinstance(role, Role) else role.lower()
    return Grant(logical_name, keys.assignment_name(scope_key, role_id, principal_key), role_id, description,
                 principal_type, subscription_id)


def _short(role: Role) -> str:
    """A built-in role in logical names: storage-blob-data-contributor."""
    return role.name.lower().replace("_", "-")


# --- the workspace --------------------------------------------------------------------------


def _workspace(config: StackConfig, names: ResourceNames, dependencies: tuple[Dependency, ...]) -> WorkspaceSpec:
    ws = config.workspace
    private = config.network.private_endpoints is not None
    return WorkspaceSpec(
        name=names.ml_workspace,
        location=config.location,
        tags=config.resource_tags(),
        resource_group=names.resource_group,
        create_resource_group=not config.resource_group.existing,
        storage_account=_storage_account(ws, names, dependencies),
        key_vault=_key_vault(ws, names, dependencies),
        application_insights=_application_insights(ws, names),
        container_registry=_container_registry(ws, names, dependencies),
        identity=_workspace_identity(config, dependencies),
        public_network_access="Disabled" if private else ws.public_network_access,
        private=private,
        image_build_compute=ws.image_build_compute,
        # Without shared keys the workspace's own datastores must use its identity.
        system_datastores_auth_mode="Identity" if ws.datastores_use_identity else None,
        managed_network=_managed_network(config.network),
        protect=config.protect,
        data_isolation=ws.data_isolation,
        encryption=(EncryptionSpec(ws.encryption.key_vault_id, ws.encryption.key_uri, ws.encryption.service_side)
                    if ws.encryption else None),
        hbi=ws.hbi,
        serverless_subnet=_subnet(ws.serverless_compute.subnet_id) if ws.serverless_compute else None,
        serverless_no_public_ip=ws.serverless_compute.no_public_ip if ws.serverless_compute else False,
        monitor_private=config.network.monitor_scope,
    )


def _storage_account(
    ws: WorkspaceSettings, names: ResourceNames, dependencies: tuple[Dependency, ...]
) -> StorageAccountSpec | Existing:
    s = ws.storage_account
    if s.id is not None:
        return Existing(s.id, s.existing_name)
    return StorageAccountSpec(
        name=names.storage_account, sku=s.sku, kind=s.kind, access_tier=s.access_tier, https_only=s.https_only,
        min_tls_version=s.min_tls_version, allow_blob_public_access=s.allow_blob_public_access,
        allow_shared_key_access=s.allow_shared_key_access, lock=_of(dependencies, "storageAccount").lock,
    )


def _key_vault(ws: WorkspaceSettings, names: ResourceNames, dependencies: tuple[Dependency, ...]) -> KeyVaultSpec | Existing:
    s = ws.key_vault
    if s.id is not None:
        return Existing(s.id, s.existing_name)
    return KeyVaultSpec(
        name=names.key_vault, sku=s.sku, rbac=s.authorization == "rbac",
        enabled_for_template_deployment=s.enabled_for_template_deployment,
        soft_delete_retention_in_days=s.soft_delete_retention_in_days, purge_protection=s.purge_protection,
        lock=_of(dependencies, "keyVault").lock,
    )


def _application_insights(ws: WorkspaceSettings, names: ResourceNames) -> ApplicationInsightsSpec | Existing:
    s, logs = ws.application_insights, ws.log_analytics
    if s.id is not None:
        return Existing(s.id, s.existing_name)
    backing = (
        Existing(logs.id, logs.existing_name)
        if logs.id is not None
        else LogAnalyticsSpec(names.log_analytics, logs.retention_in_days)
    )
    return ApplicationInsightsSpec(names.application_insights, backing)


def _container_registry(
    ws: WorkspaceSettings, names: ResourceNames, dependencies: tuple[Dependency, ...]
) -> ContainerRegistrySpec | Existing:
    s = ws.container_registry
    if s.id is not None:
        return Existing(s.id, s.existing_name)
    return ContainerRegistrySpec(names.container_registry, s.sku, s.admin_user_enabled,
                                 _of(dependencies, "containerRegistry").lock, s.zone_redundant)


def _workspace_identity(config: StackConfig, dependencies: tuple[Dependency, ...]) -> WorkspaceIdentitySpec | None:
    """identity: userAssigned: the identity, and (created only) its roles on each dependency, the
    workspace's last (it can be granted only once the workspace exists)."""
    identity = config.workspace.identity
    if not identity.user_assigned:
        return None
    name = identity_name(config.prefix, config.environment)
    if identity.id is not None:
        return WorkspaceIdentitySpec(name=name, existing_id=identity.id)
    principal_key = keys.workspace_principal_key(config.names().ml_workspace, name)
    order: tuple[DependencyKind, ...] = ("storageAccount", "keyVault", "containerRegistry", "applicationInsights",
                                         "workspace")

    def roles(d: Dependency) -> tuple[Role, ...]:
        # Under a managed network the workspace identity approves the private endpoints Azure ML
        # creates to its default storage, key vault and registry: "After April 30th, 2025,
        # permissions aren't automatically granted to the managed identity"; for these default
        # resources the grants "during workspace creation" cover it, and a user-assigned
        # identity's grants are this program's (how-to-managed-network.md, "Approval of private
        # endpoints"; how-to-identity-based-service-authentication.md, "Workspace identity types").
        approves = config.network.managed and d.kind in _MANAGED_NETWORK_DEFAULTS
        return d.identity_roles + ((Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER,) if approves else ())

    grants = tuple(
        ScopedGrant(
            d.kind,
            _grant(f"identity-{d.label}-{_short(role)}", d.key, role, principal_key,
                   f"azureml-infra: the workspace identity {name} ({role.value})", subscription_id=d.subscription_id),
        )
        for d in sorted((d for d in dependencies if d.identity_roles), key=lambda d: order.index(d.kind))
        for role in roles(d)
    )
    return WorkspaceIdentitySpec(name=name, existing_id=None, grants=grants,
                                 key_grant=_key_grant(config, dependencies, principal_key, name))


def _key_grant(
    config: StackConfig, dependencies: tuple[Dependency, ...], principal_key: str, identity: str
) -> KeyGrant | None:
    """With a customer-managed key: Key Vault Crypto Service Encryption User on the key's vault, so
    the identity can wrap and unwrap with it when Azure ML creates the workspace (azure-ai-docs
    concept-customer-managed-keys.md: the identity needs get, wrap key and unwrap key on the key; the
    role grants them on an RBAC vault). On the stack's own vault (its name) the grant waits for it."""
    encryption = config.workspace.encryption
    if encryption is None:
        return None
    vault = _of(dependencies, "keyVault")
    own = vault.created and encryption.vault_name.lower() == vault.name.lower()
    reused = arm.parse_resource_id(encryption.key_vault_id)
    role = Role.KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER
    grant = _grant(
        f"identity-cmk-{_short(role)}", vault.key if own else keys.reused_key(encryption.key_vault_id), role,
        principal_key, f"azureml-infra: the workspace identity {identity} reads the workspace's key ({role.value})",
        subscription_id=None if own or reused is None else reused.subscription_id,
    )
    return KeyGrant(grant, None if own else encryption.key_vault_id)


def _managed_network(network: NetworkSettings) -> ManagedNetworkSpec | None:
    """The managed network; nothing at all without isolation."""
    if not network.managed:
        return None
    return ManagedNetworkSpec(network.isolation, network.firewall_sku)


# --- computes ---------------------------------------------------------------------------------


def _subnet(subnet_id: str | None) -> Subnet | None:
    if subnet_id is None:
        return None
    return Subnet(training=True) if subnet_id == _TRAINING else Subnet(id=subnet_id)


def _compute_grants(
    compute: str, config: StackConfig, dependencies: tuple[Dependency, ...], kubernetes: bool = False
) -> tuple[ScopedGrant, ...]:
    """What a compute's own identity needs for its jobs.

    - Storage Blob Data Contributor on the workspace storage when its datastores store no
      credential: "If the identity property is left unspecified and datastore doesn't have
      cached credentials, then compute managed identity becomes the fallback option", and jobs
      write outputs and MLflow artifacts there (how-to-identity-based-service-authentication.md;
      how-to-attach-kubernetes-to-workspace.md: "For read-write purpose, Storage Blob Data
      Contributor role should be granted to the compute managed identity").
    - Storage Queue Data Contributor and Storage Table Data Contributor there too, for batch
      endpoints and ParallelRunStep, whose jobs keep their state in the default storage's queues
      and tables (how-to-disable-local-auth-storage.md, "Scenarios for role assignments": Parallel
      Run Step, the compute's identity, Storage Table Data Contributor and Storage Queue Data
      Contributor).
    - AcrPull on the workspace registry for a Kubernetes compute: "Grant the AcrPull role to the
      compute Managed Identity" (how-to-attach-kubernetes-to-workspace.md). Not for a compute
      cluster: "A managed identity is automatically granted ACRPull role on workspace ACR"
      (how-to-identity-based-service-authentication.md), and a second assignment would fail
      with RoleAssignmentExists.
    """
    principal = keys.compute_principal_key(config.names().ml_workspace, compute)
    wanted: list[tuple[DependencyKind, Role]] = []
    if config.workspace.datastores_use_identity:
        wanted += [("storageAccount", role) for role in (
            Role.STORAGE_BLOB_DATA_CONTRIBUTOR, Role.STORAGE_QUEUE_DATA_CONTRIBUTOR, Role.STORAGE_TABLE_DATA_CONTRIBUTOR)]
    if kubernetes:
        wanted.append(("containerRegistry", Role.ACR_PULL))
    return tuple(
        ScopedGrant(kind, _grant(f"{compute}-{d.label}-{_short(role)}", d.key, role, principal,
                                 f"azureml-infra: the compute {compute} ({role.value})",
                                 subscription_id=d.subscription_id))
        for kind, role in wanted
        for d in (_of(dependencies, kind),)
    )


def _cluster(c: ComputeCluster, config: StackConfig, dependencies: tuple[Dependency, ...]) -> ClusterSpec:
    ssh = c.ssh
    return ClusterSpec(
        name=c.name, vm_size=c.vm_size, min_nodes=c.min_nodes, max_nodes=c.max_nodes,
        idle_time_before_scale_down=c.idle_time_before_scale_down, priority=c.priority,
        identity_type=c.identity.arm_type, user_assigned_identities=tuple(c.identity.user_assigned),
        system_assigned=c.identity.system_assigned, subnet=_subnet(c.subnet_id), node_public_ip=c.node_public_ip,
        ssh=SshSpec(ssh.admin_user_name, ssh.public_key, ssh.password_secret, ssh.public_access) if ssh else None,
        disable_local_auth=c.disable_local_auth,
        # Only an identity of its own: a user-assigned one is its owner's to grant (docs/access.md).
        grants=_compute_grants(c.name, config, dependencies) if c.identity.system_assigned else (),
    )


def _instance(i: ComputeInstance) -> InstanceSpec:
    return InstanceSpec(
        name=i.name, vm_size=i.vm_size, assigned_user_object_id=i.assigned_user_object_id,
        idle_time_before_shutdown=i.idle_time_before_shutdown, subnet=_subnet(i.subnet_id),
        disable_local_auth=i.disable_local_auth,
        schedules=tuple(ScheduleSpec(s.action, s.cron, s.time_zone) for s in i.schedules),
    )


def _flag(value: bool) -> str:
    """Extension settings are strings "True"/"False" (the ARM sample's boolToString)."""
    return "True" if value else "False"


def extension_settings(k: KubernetesCompute, cluster_name: str, location: str) -> dict[str, str]:
    """The Azure ML extension's configurationSettings that do not depend on the cluster's id:
    what the purpose needs, plus what the CLI adds on its own, since ARM applies none of them.
    The map follows Azure's ARM sample (Azure/AML-Kubernetes files/deployextension.json) and the
    CLI (Azure/azure-cli-extensions src/k8s-extension/azext_k8s_extension/partner_extensions/
    AzureMLKubernetes.py); the settings table is azure-ai-docs articles/machine-learning/
    how-to-deploy-kubernetes-extension.md."""
    settings = {
        "enableTraining": _flag(k.training),
        "enableInference": _flag(k.inference),
        # The CLI: DevTest below 3 nodes, else FastProd (the ARM sample's value).
        "clusterPurpose": "DevTest" if k.small_cluster else "FastProd",
        "cluster_name_friendly": cluster_name,
        "domain": location,
        "jobSchedulerLocation": location,
        # AKS: no Service Bus and no relay (those are for Arc clusters); ingress through nginx.
        "servicebus.enabled": "false",
        "relayserver.enabled": "false",
        "nginxIngress.enabled": "true",
    }
    if k.inference:
        router = k.inference_router
        settings.update(
            {
                "allowInsecureConnections": _flag(k.allow_insecure_connections),
                "inferenceRouterServiceType": router.service_type,
                "inferenceRouterHA": _flag(k.router_high_availability),
                "scoringFe.serviceType.nodePort": "true" if router.service_type == "NodePort" else "false",
                "scoringFe.serviceType.internalLoadBalancer": "true" if router.internal_load_balancer else "false",
            }
        )
        if router.internal_load_balancer:
            settings["internalLoadBalancerProvider"] = "azure"
        if k.https is not None:
            settings["sslCname"] = k.https.cname
    return settings


def _kubernetes(
    k: KubernetesCompute, config: StackConfig, names: ResourceNames, dependencies: tuple[Dependency, ...]
) -> KubernetesSpec:
    existing = arm.parse_resource_id(k.cluster_id) if k.cluster_id else None
    cluster_name = existing.name if existing else aks_cluster_name(config.prefix, config.environment, k.name)
    purposes = " and ".join(p for p, on in (("inference", k.inference), ("training", k.training)) if on)
    return KubernetesSpec(
        name=k.name,
        cluster_name=cluster_name,
        description=f"AKS {cluster_name}: {purposes}",
        training=k.training,
        inference=k.inference,
        namespace=k.namespace,
        cluster=_aks_cluster(k, config, names, cluster_name),
        existing_cluster_id=k.cluster_id,
        existing_cluster_group=existing.resource_group if existing else None,
        extension_settings=extension_settings(k, cluster_name, config.location) if k.install_extension else None,
        tls=TlsSpec(k.https.certificate_secret, k.https.key_secret) if k.inference and k.https else None,
        grants=_compute_grants(k.name, config, dependencies, kubernetes=True),
    )


def _aks_cluster(k: KubernetesCompute, config: StackConfig, names: ResourceNames, cluster_name: str) -> AksClusterSpec | None:
    c = k.cluster
    if c is None:
        return None
    # A created cluster goes in the stack's training subnet when the stack has a network; AKS
    # manages its load balancer there, with Network Contributor on the subnet ("Configure Azure
    # CNI networking", AKS docs: the cluster identity needs it; `az aks create` grants it itself,
    # an ARM deployment must).
    in_subnet = config.network.private_endpoints is not None
    subnet_grant = (
        _grant(
            f"{k.name}-cluster-network",
            keys.subnet_key(names.resource_group, network_names(config.prefix, config.environment).vnet, _TRAINING),
            Role.NETWORK_CONTRIBUTOR,
            keys.aks_principal_key(cluster_name),
            f"azureml-infra: AKS {cluster_name} manages its load balancer in its subnet",
        )
        if in_subnet
        else None
    )
    return AksClusterSpec(
        name=cluster_name, vm_size=c.vm_size, node_count=c.node_count, max_node_count=c.max_node_count,
        kubernetes_version=c.kubernetes_version, tier=c.tier, disable_local_accounts=c.disable_local_accounts,
        admin_group_object_ids=tuple(c.admin_group_object_ids), pod_cidr=POD_CIDR, service_cidr=SERVICE_CIDR,
        dns_service_ip=DNS_SERVICE_IP, subnet_grant=subnet_grant,
        max_pods=c.max_pods, private=c.is_private(stack_is_private(config)),
        authorized_ip_ranges=tuple(c.authorized_ip_ranges), upgrade_channel=c.upgrade_channel,
        node_os_upgrade_channel=c.node_os_upgrade_channel, os_disk_type=c.os_disk_type,
        encryption_at_host=c.encryption_at_host, key_vault_secrets_provider=c.key_vault_secrets_provider,
        monitored=not no_destination(config), log_analytics_id=config.diagnostics.workspace_id,
        audit_log_categories=aks_audit_categories(config.diagnostics.logs) if diagnostics_on(config) else (),
    )


def aks_audit_categories(logs: str) -> tuple[str, ...]:
    """The AKS control plane's log categories for ``diagnostics.logs``. AKS's categories
    (azure-monitor-docs articles/azure-monitor/reference/supported-logs/
    microsoft-containerservice-managedclusters-logs.md, Microsoft.ContainerService/managedClusters):
    kube-audit-admin is every write (create, update, patch, delete) to the API server, guard the
    Entra ID and Azure RBAC decisions, kube-audit every request including reads (get, list),
    which Azure's architecture guidance calls prolific and costly (MicrosoftDocs/architecture-center,
    AKS regulated-workloads (PCI-DSS) series, monitoring, Requirement 10.1: "Enable the
    kube-audit-admin category ... If you need get and list events, enable kube-audit instead. Be
    aware that those events can be prolific"). audit: the writes and the RBAC decisions; allLogs:
    the reads too."""
    audit = ("kube-audit-admin", "guard")
    return audit if logs == "audit" else ("kube-audit", *audit)


# --- data --------------------------------------------------------------------------------------


# An identity that reads data and models: the compute it belongs to (None: the workspace's), its
# config-only key and its label in logical names.
_Reader = tuple[str | None, str, str]


def _readers(config: StackConfig, workspace_principal: str) -> tuple[_Reader, ...]:
    """The workspace's identity, and every compute's that has one (clusters with a
    system-assigned identity, Kubernetes computes), by compute name."""
    mlw = config.names().ml_workspace
    computes = {c.name for c in config.computes if c.identity.system_assigned}
    computes |= {k.name for k in config.kubernetes_computes}
    found: list[_Reader] = [(None, workspace_principal, "workspace")]
    found += [(name, keys.compute_principal_key(mlw, name), f"compute-{name}") for name in sorted(computes)]
    return tuple(found)


def _data_storage(config: StackConfig, names: ResourceNames, dependencies: tuple[Dependency, ...]) -> DataStorageSpec | None:
    lake = config.data_storage
    if lake is None or names.data_storage is None:
        return None
    # Shared keys stay off unless a datastore on the account authenticates with one (an account
    # key, or a SAS token, which is signed with one).
    shared_key = any(ds.on_data_storage and ds.auth in ("accountKey", "sas") for ds in config.datastores)
    return DataStorageSpec(
        name=names.data_storage, hierarchical_namespace=lake.hierarchical_namespace,
        containers=tuple(lake.containers), allow_shared_key_access=shared_key,
        private=config.network.private_endpoints is not None, protect=config.protect,
        lock=_of(dependencies, "dataStorage").lock, location=config.location, tags=config.resource_tags(),
    )


def _datastore(
    d: DatastoreSettings, config: StackConfig, names: ResourceNames, identity_key: str | None,
    readers: tuple[_Reader, ...],
) -> DatastoreSpec:
    account = names.data_storage if d.on_data_storage else d.account_name
    assert account is not None  # config.datastores: dataStorage is configured
    identity = d.auth == "identity"
    grants: tuple[ReaderGrant, ...] = ()
    if identity:
        # The container (ADLS Gen2 filesystem) itself: the least a reader needs (docs/datastores.md).
        scope_key = keys.container_key(d.subscription_id, d.resource_group or names.resource_group, account, d.container)
        role = Role.STORAGE_BLOB_DATA_CONTRIBUTOR if d.read_write else Role.STORAGE_BLOB_DATA_READER
        short, verb = ("contributor", "reads and writes") if d.read_write else ("reader", "reads")
        grants = tuple(
            ReaderGrant(compute, _grant(f"{d.name}-{short}-{label}", scope_key, role, key,
                                          f"azureml-infra: {key} {verb} datastore {d.name}"))
            for compute, key, label in readers
        )
    key_from_lake = d.auth == "accountKey" and d.on_data_storage
    return DatastoreSpec(
        name=d.name, kind_name=d.kind, kind=KINDS[d.kind], auth=AUTHS[d.auth], account_name=account,
        on_data_storage=d.on_data_storage, container=d.container, resource_group=d.resource_group,
        subscription_id=d.subscription_id, secret=d.secret, key_from_data_storage=key_from_lake,
        client_id=d.client_id, tenant_id=d.tenant_id,
        # Studio features (preview, profile) read identity-based data as the workspace, with the
        # identity it has.
        service_identity=("WorkspaceSystemAssignedIdentity" if identity_key is None
                          else "WorkspaceUserAssignedIdentity") if identity else "None",
        default=d.default, grants=grants,
    )


# --- network -----------------------------------------------------------------------------------


def _network(config: StackConfig) -> NetworkSpec:
    """From network.privateEndpoints: zones given by id are used, the others created."""
    pe = config.network.private_endpoints
    assert pe is not None
    zones = required_zones(config.data_storage is not None, batch=not config.network.managed,
                           foundry=config.foundry is not None, registry=config.registry is not None,
                           monitor=pe.monitor)
    vnet = pe.vnet
    return NetworkSpec(
        names=network_names(config.prefix, config.environment),
        location=config.location,
        tags=config.resource_tags(),
        vnet=VnetSpec(vnet.address_space, vnet.private_endpoint_subnet, vnet.training_subnet) if vnet else None,
        subnet_id=pe.subnet_id,
        subnet_vnet_id=pe.vnet_id_of_subnet,
        # dnsZoneGroups: false - the tenant's policy writes the records into its own zones: none here.
        zones_to_create=tuple(z for z in zones if z not in pe.dns_zones) if pe.dns_zone_groups else (),
        given_zones=dict(pe.dns_zones),
        monitor_scope=monitor_scope_name(config.prefix, config.environment) if pe.monitor else None,
    )


# The storage endpoints the studio reads data through, as the workspace identity: "ensure the
# private endpoint created in the client virtual network is granted the Reader role to your
# workspace managed identity. This applies to both blob and file storage private endpoints"
# (how-to-managed-network.md, "Azure Machine Learning studio"); for another account "one storage
# account might have separate private endpoint for blob, file, and dfs ... Add the managed
# identity to all these endpoints" (how-to-enable-studio-virtual-network.md).
_STUDIO_READS = {("storageAccount", "blob"), ("storageAccount", "file"), ("dataStorage", "blob"), ("dataStorage", "dfs")}


def _endpoints(
    config: StackConfig, dependencies: tuple[Dependency, ...], workspace_principal: str
) -> tuple[EndpointSpec, ...]:
    """A private endpoint per group of each dependency, reused ones included (their own network
    settings stay their owner's): the default storage's queue and table too where computes run in
    a network of yours (privatelink.BATCH_GROUPS)."""
    group = _of(dependencies, "resourceGroup").name
    batch = not config.network.managed
    pe = config.network.private_endpoints
    data_zone = registry_data_zone(config.location)
    hub_data_zone = pe is not None and data_zone in pe.dns_zones

    def endpoint(d: Dependency, group_id: str) -> EndpointSpec:
        key = d.label if len(d.endpoint_groups) == 1 else f"{d.label}-{group_id}"
        name = endpoint_name(d.name, group_id)
        reader = (
            _grant(f"pe-{key}-workspace-reader", keys.resource_key(group, "privateendpoints", name), Role.READER,
                   workspace_principal, "azureml-infra: the workspace reads storage through this endpoint (studio)")
            if (d.kind, group_id) in _STUDIO_READS
            else None
        )
        zones = ENDPOINT_KINDS[group_id].zones + ((data_zone,) if group_id == "registry" and hub_data_zone else ())
        return EndpointSpec(key, name, d.kind, group_id, _zones(zones), reader)

    def _zones(zones: tuple[str, ...]) -> tuple[str, ...]:
        # dnsZoneGroups: false - no zone group: the tenant's policy adds one (docs/network.md).
        return zones if config.network.zone_groups else ()

    found = [endpoint(d, g) for d in dependencies for g in groups_of(d.kind, batch)]
    if config.registry is not None:
        # The Azure ML registry, created here or used by id: group amlregistry (privatelink.REGISTRY_API_ZONE).
        found.append(EndpointSpec("ml-registry", endpoint_name(config.registry.name, "amlregistry"), "registry",
                                  "amlregistry", _zones(ENDPOINT_KINDS["amlregistry"].zones)))
    if config.network.monitor_scope:
        scope = monitor_scope_name(config.prefix, config.environment)
        found.append(EndpointSpec("monitor", endpoint_name(scope, "azuremonitor"), "monitorScope", "azuremonitor",
                                  _zones(ENDPOINT_KINDS["azuremonitor"].zones)))
    return tuple(found)


def _user_rule(rule: OutboundRule) -> OutboundRuleSpec:
    if rule.fqdn is not None:
        return OutboundRuleSpec(rule.name, "FQDN", rule.fqdn)
    if rule.private_endpoint is not None:
        pe = rule.private_endpoint
        return OutboundRuleSpec(rule.name, "PrivateEndpoint", pe.resource_id, subresource=pe.subresource)
    tag = rule.service_tag
    assert tag is not None  # a rule has exactly one destination (config.network)
    return OutboundRuleSpec(rule.name, "ServiceTag", tag.tag, protocol=tag.protocol, ports=tag.ports)


def _outbound_rules(config: StackConfig, names: ResourceNames, workspace_principal: str) -> OutboundRulesSpec | None:
    """The managed network's user-defined rules: the stack file's, then this program's own.

    - The default storage's queue and table, for batch endpoints and ParallelRunStep: "add
      outbound private endpoint rules to allow traffic to the following sub resources for the
      default storage account: queue, table" (how-to-managed-network.md, "Scenario: Use batch
      endpoints or ParallelRunStep"). Azure adds blob and file itself.
    - The data lake's blob and dfs: Azure adds rules for the workspace's own storage, key vault
      and registry only ("Required PE rules are automatic"), and jobs would not reach another
      account once its public access is off. They wait for the workspace identity's approver
      role on the account (same page, "Approval of private endpoints").
    """
    network = config.network
    if not network.managed:
        return None
    rules = [_user_rule(rule) for rule in network.outbound_rules]
    rules += [
        OutboundRuleSpec(name, "FQDN", fqdn, origin=f"preset {preset}")
        for preset in network.outbound_presets
        for name, fqdn in PRESET_RULES[preset]
    ]
    rules += [
        OutboundRuleSpec(outbound_rule_name(label, sub), "PrivateEndpoint", target=cast(DependencyKind, kind),
                         subresource=sub, origin="azureml-infra")
        for kind, label, sub in MANAGED_NETWORK_RULES
        if kind != "dataStorage" or names.data_storage is not None
    ]
    approvals: tuple[ScopedGrant, ...] = ()
    if names.data_storage is not None:
        approvals = (ScopedGrant("dataStorage", _grant(
            "data-storage-network-approver",
            keys.resource_key(names.resource_group, "storageaccounts", names.data_storage),
            Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER,
            workspace_principal,
            "azureml-infra: the workspace approves its managed network's endpoints to the data lake",
        )),)
    foundry_rules, foundry_approvals = resolve_foundry.outbound(config, names, workspace_principal, _grant)
    registry_rules, registry_approvals = _registry_outbound(config, workspace_principal)
    return OutboundRulesSpec((*rules, *foundry_rules, *registry_rules),
                             (*approvals, *foundry_approvals, *registry_approvals))


def _registry_outbound(
    config: StackConfig, workspace_principal: str
) -> tuple[tuple[OutboundRuleSpec, ...], tuple[ScopedGrant, ...]]:
    """Under a managed network: a private endpoint rule to the Azure ML registry (group amlregistry:
    "Private endpoints" list of azure-ai-docs how-to-managed-network.md; privatelink.OUTBOUND_SUBRESOURCES),
    waiting for the workspace identity's approver role on it, as the data lake's and Foundry's rules
    do: the registry is not one of the workspace's default resources ("Approval of private endpoints",
    same page). Whether the registry is private is its owner's choice, which a consuming stack cannot
    see: every managed network with a registry gets the rule (it works for a public registry too)."""
    registry = config.registry
    if registry is None or not config.network.managed:
        return (), ()
    rule = OutboundRuleSpec(REGISTRY_RULE, "PrivateEndpoint", target="registry", subresource="amlregistry",
                            origin="azureml-infra")
    approval = ScopedGrant("registry", _grant(
        "registry-network-approver", keys.ml_registry_key(registry.name),
        Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER, workspace_principal,
        "azureml-infra: the workspace approves its managed network's endpoint to the Azure ML registry",
        subscription_id=_registry_subscription(config),
    ))
    return (rule,), (approval,)


# --- registry, access, diagnostics ----------------------------------------------------------


def _registry(config: StackConfig, readers: tuple[_Reader, ...]) -> RegistrySpec | None:
    """The shared Azure ML registry, and AzureML Registry User on it for every identity that reads
    models and environments."""
    registry = config.registry
    if registry is None:
        return None
    scope_key = keys.ml_registry_key(registry.name)
    grants = tuple(
        ReaderGrant(compute, _grant(f"registry-user-{label}", scope_key, Role.AZUREML_REGISTRY_USER, key,
                                    f"azureml-infra: {key} uses models and environments of registry {registry.name}",
                                    subscription_id=_registry_subscription(config)))
        for compute, key, label in readers
    )
    create = registry.create
    return RegistrySpec(
        name=registry.name,
        existing_id=registry.id,
        regions=tuple(create.regions) if create else (),
        public_network_access=create.public_network_access if create else "Enabled",
        grants=grants,
        protect=config.protect,
        location=config.location,
        tags=config.resource_tags(),
    )


def _registry_subscription(config: StackConfig) -> str | None:
    """An existing registry's subscription: a role definition id lives in its scope's subscription."""
    registry = config.registry
    existing = arm.parse_resource_id(registry.id) if registry and registry.id else None
    return existing.subscription_id if existing else None


def _access(entry: AccessEntry, config: StackConfig, dependencies: tuple[Dependency, ...]) -> list[AccessGrant]:
    """The roles of one ``access`` entry: its own, or its persona's in this stack (the config rules
    refuse a scope this stack does not own). A persona's role is named as the same role given by
    an entry of its own would be: moving from one to the other keeps the assignment."""
    oid = entry.principal_id.lower()
    grants = []
    for role_text, scope_text in entry_roles(entry, config):
        scope = cast(DependencyKind, scope_text)
        role = role_named(role_text)
        if scope == "registry" and config.registry:
            key, subscription = keys.ml_registry_key(config.registry.name), _registry_subscription(config)
        else:
            key, subscription = _of(dependencies, scope).key, _of(dependencies, scope).subscription_id
        # Logical names from config values too: removing one entry never renames another.
        grant = _grant(
            f"access-{scope}-{_short(role) if role else role_text}-{oid}",
            key,
            role or role_text,
            keys.access_principal_key(f"{config.prefix}-{config.environment}", entry.principal_id),
            f"azureml-infra: access ({role_text} on {scope})",
            entry.principal_type,
            subscription,
        )
        grants.append(AccessGrant(grant, entry.principal_id, scope))
    return grants


def _diagnostics(config: StackConfig, dependencies: tuple[Dependency, ...]) -> DiagnosticsSpec:
    """What this stack creates that sends logs; a resource reused by id is its owner's to change."""
    targets: list[DiagnosticTarget] = []
    for d in dependencies:
        if d.diagnostics == "resource":
            targets.append(DiagnosticTarget(d.label, d.kind))
        elif d.diagnostics == "storage":
            targets += [DiagnosticTarget(f"{d.label}-blob", d.kind, "blob"), DiagnosticTarget(d.label, d.kind, "metrics")]
    settings = config.diagnostics
    hub = settings.event_hub
    return DiagnosticsSpec(tuple(targets), settings.workspace_id, settings.logs, settings.metrics,
                           (hub.authorization_rule_id, hub.name) if hub else None)


def _budget(budget: BudgetSettings, stack_key: str) -> BudgetSpec:
    """The stack's budget, named after it; a notification per threshold, keyed by its type and
    percent (a key names the notification in Azure's map: config-only, stable across runs)."""
    return BudgetSpec(
        name=f"budget-{stack_key}",
        amount=budget.amount,
        start_date=budget.start_date,
        notifications=tuple(
            BudgetNotificationSpec(f"{t.type.lower()}-{t.percent:g}".replace(".", "_"), t.percent, t.type)
            for t in budget.thresholds
        ),
        contact_emails=tuple(budget.contact_emails),
        contact_groups=tuple(budget.contact_groups),
        contact_roles=tuple(budget.contact_roles),
    )
