"""Kubernetes computes: an AKS cluster with the Azure ML extension, attached to the workspace.

One ``KubernetesCompute`` component per entry of ``kubernetesComputes``:
- ``containerservice.ManagedCluster`` when the entry creates its cluster: Entra ID with Azure
  RBAC, local accounts off, a pinned Kubernetes version with patch auto-upgrade, a system-assigned
  identity, and the stack's training subnet when the stack has a network; hardened (docs/kubernetes.md,
  "Hardening"): Container insights, the dashboard off, workload identity and the OIDC issuer, the
  Key Vault secrets provider with rotation, a private or restricted API server, pods per node, OS
  disk type and host encryption from the config. Every input is checked against the ARM schema of
  the SDK's API version, Azure/azure-resource-manager-schemas
  schemas/2025-09-01/Microsoft.ContainerService.Aks.json @a1454431;
- for a created cluster, Container insights' data collection rule and its association
  (``monitor.DataCollectionRule``, ``DataCollectionRuleAssociation``, Microsoft.Insights
  2022-06-01), and a diagnostic setting with the control plane's audit logs;
- ``kubernetesconfiguration.Extension`` (``Microsoft.AzureML.Kubernetes``) with every setting the
  Azure CLI would add on its own, since ARM applies none of them (``azureml_infra.resolve``
  works the settings out);
- ``machinelearningservices.Compute`` (Kubernetes) with a system-assigned identity, which the
  datastores and the registry grant their roles to.

Sources: the ARM sample Azure/AML-Kubernetes files/deployextension.json; the CLI's
Azure/azure-cli-extensions src/k8s-extension/azext_k8s_extension/partner_extensions/
AzureMLKubernetes.py @3f6c0dae (``AzureMLKubernetes.Create``); azure-ai-docs
articles/machine-learning/how-to-deploy-kubernetes-extension.md.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import authorization, containerservice, kubernetesconfiguration, monitor
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra.deployment import AksClusterSpec, DependencyKind, KubernetesSpec
from azureml_infra.naming import container_insights_rule_name
from components.options import child
from components.placement import Placement
from components.role_assignments import assign_role, principal_id_of

EXTENSION_NAME = "azureml-extension"
# The CLI sets the release namespace to azureml (AzureMLKubernetes.py, Create: "set release name
# explicitly to azureml", DEFAULT_RELEASE_NAMESPACE).
RELEASE_NAMESPACE = "azureml"

# Container insights with managed identity (useAADAuth): the omsagent add-on runs the agent, and
# what it collects and where it sends it is a data collection rule associated with the cluster,
# which `az aks enable-addons -a monitoring` creates beside the add-on and an ARM deployment must
# create itself: Microsoft's ARM onboarding template for managed identity does, in the cluster's
# resource group (azure-monitor-docs articles/azure-monitor/containers/
# kubernetes-monitoring-enable-arm.md, "Container logs": the Container insights DCR "MSCI-...",
# dataCollectionInterval default 1m, namespaceFilteringMode Off, enableContainerLogV2). The
# stream, extension and association names are the CLI's (Azure/azure-cli acs module:
# Microsoft-ContainerInsights-Group-Default, ContainerInsights, ContainerInsightsExtension).
CONTAINER_INSIGHTS_STREAM = "Microsoft-ContainerInsights-Group-Default"
CONTAINER_INSIGHTS_ASSOCIATION = "ContainerInsightsExtension"
CONTAINER_INSIGHTS_SETTINGS = {
    "dataCollectionSettings": {"interval": "1m", "namespaceFilteringMode": "Off", "enableContainerLogV2": True}
}
# The Key Vault secrets provider polls for changed secrets this often when rotation is on (the
# add-on's default, "Use the Azure Key Vault provider for Secrets Store CSI Driver in AKS",
# azure-aks-docs articles/aks/csi-secrets-store-configuration-options.md, rotationPollInterval).
SECRET_ROTATION_POLL_INTERVAL = "2m"
# The diagnostic setting's name, as components.diagnostics names the stack's others.
DIAGNOSTIC_SETTING_NAME = "azureml-infra"


def _base64(pem: str) -> str:
    # The extension takes base64 PEM in scoringFe.sslCert/sslKey, as the CLI writes them from
    # sslCertPemFile/sslKeyPemFile (AzureMLKubernetes.py, __set_inference_ssl_from_file).
    return base64.b64encode(pem.encode()).decode()


@dataclass(frozen=True)
class KubernetesComputeArgs:
    spec: KubernetesSpec
    placement: Placement
    # The stack's training subnet, for a created cluster in a stack with a network, and the
    # subscription of the cluster's role definition there.
    subnet_id: pulumi.Input[str] | None = None
    subscription_id: pulumi.Input[str] | None = None
    # The TLS certificate and key (PEM, secret Outputs), for HTTPS scoring.
    tls_certificate: pulumi.Input[str] | None = None
    tls_key: pulumi.Input[str] | None = None
    # The ARM id of each resource kind the spec's grants name.
    scope_ids: Mapping[DependencyKind, pulumi.Input[str]] = field(default_factory=dict)


class KubernetesCompute(pulumi.ComponentResource):
    """An AKS cluster (created or existing) with the Azure ML extension, attached as a compute."""

    compute_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    cluster_id: pulumi.Output[str]

    def __init__(self, name: str, args: KubernetesComputeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:kubernetes:KubernetesCompute", name, None, opts)
        s, where = args.spec, args.placement
        self.cluster: containerservice.ManagedCluster | None = None
        self.subnet_role: authorization.RoleAssignment | None = None
        cluster_id: pulumi.Input[str]
        cluster_group: pulumi.Input[str]
        self.data_collection_rule: monitor.DataCollectionRule | None = None
        self.data_collection_rule_association: monitor.DataCollectionRuleAssociation | None = None
        self.audit_logs: monitor.DiagnosticSetting | None = None
        if s.cluster is not None:
            self.cluster = self._managed_cluster(s, s.cluster, args)
            self._monitoring(s, s.cluster, args)
            if args.subnet_id is not None and s.cluster.subnet_grant is not None:
                self.subnet_role = self._subnet_role(s.cluster, args)
            cluster_id, cluster_group = self.cluster.id, where.resource_group_name
        else:
            assert s.existing_cluster_id is not None and s.existing_cluster_group is not None
            cluster_id, cluster_group = s.existing_cluster_id, s.existing_cluster_group

        self.extension = (
            kubernetesconfiguration.Extension(
                f"{s.name}-extension",
                extension_name=EXTENSION_NAME,
                cluster_name=self.cluster.name if self.cluster else s.cluster_name,
                cluster_resource_name="managedClusters",
                cluster_rp="Microsoft.ContainerService",
                resource_group_name=cluster_group,
                extension_type="Microsoft.AzureML.Kubernetes",
                # Explicit, as the SDK would otherwise fill them in unseen: minor versions
                # follow the stable train (patches and fixes, as the CLI installs it).
                auto_upgrade_minor_version=True,
                release_train="stable",
                scope=kubernetesconfiguration.ScopeArgs(
                    cluster=kubernetesconfiguration.ScopeClusterArgs(release_namespace=RELEASE_NAMESPACE)
                ),
                identity=kubernetesconfiguration.IdentityArgs(type=kubernetesconfiguration.ResourceIdentityType.SYSTEM_ASSIGNED),
                configuration_settings=_settings(s.extension_settings, cluster_id),
                configuration_protected_settings=self._protected_settings(args),
                # The protected settings are secret Outputs already; keep the whole map secret in
                # the state too. In a subnet, the router's load balancer needs the cluster's role
                # there first.
                opts=child(
                    self,
                    additional_secret_outputs=["configurationProtectedSettings"],
                    depends_on=[self.subnet_role] if self.subnet_role else [],
                ),
            )
            if s.extension_settings is not None
            else None
        )

        self.compute = ml.Compute(
            s.name,
            **where.of(s.name),
            # The workspace attaches with its own identity; this one is the compute's, for jobs
            # and deployments (datastores and the registry grant it their roles).
            identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
            properties=ml.KubernetesArgs(
                compute_type="Kubernetes",
                resource_id=cluster_id,
                description=s.description,
                properties=ml.KubernetesPropertiesArgs(namespace=s.namespace),
            ),
            # Attaching needs the extension installed (how-to-attach-kubernetes-to-workspace.md);
            # the compute name is fixed, so a replacement deletes the old compute first.
            opts=child(
                self,
                depends_on=[self.extension] if self.extension else [],
                delete_before_replace=True,
            ),
        )
        self.compute_id = self.compute.id
        self.cluster_id = pulumi.Output.from_input(cluster_id)
        self.principal_id = principal_id_of(self.compute.identity)
        # The compute identity's roles for its jobs and image pulls (azureml_infra.resolve).
        self.role_assignments = [
            assign_role(g.grant, self.principal_id, args.scope_ids[g.target], args.subscription_id or "", self)
            for g in s.grants
        ]
        self.register_outputs(
            {"id": self.compute_id, "principalId": self.principal_id, "clusterId": self.cluster_id}
        )

    @staticmethod
    def _protected_settings(args: KubernetesComputeArgs) -> dict[str, pulumi.Input[str]] | None:
        """The TLS certificate and key, base64-encoded: secret Outputs."""
        if args.tls_certificate is None or args.tls_key is None:
            return None
        return {
            "scoringFe.sslCert": pulumi.Output.from_input(args.tls_certificate).apply(_base64),
            "scoringFe.sslKey": pulumi.Output.from_input(args.tls_key).apply(_base64),
        }

    def _subnet_role(self, cluster: AksClusterSpec, args: KubernetesComputeArgs) -> authorization.RoleAssignment:
        """Network Contributor on the subnet for the cluster's identity: AKS manages load balancers
        and routes there (azureml_infra.resolve says why and where from)."""
        assert self.cluster is not None and cluster.subnet_grant is not None
        assert args.subnet_id is not None and args.subscription_id is not None
        return assign_role(
            cluster.subnet_grant,
            principal_id_of(self.cluster.identity),
            args.subnet_id,
            args.subscription_id,
            parent=self,
        )

    @staticmethod
    def _log_analytics_id(c: AksClusterSpec, args: KubernetesComputeArgs) -> pulumi.Input[str]:
        """Where the cluster's logs go: diagnostics.workspaceId, else the stack's Log Analytics."""
        return c.log_analytics_id or args.scope_ids["logAnalytics"]

    def _monitoring(self, s: KubernetesSpec, c: AksClusterSpec, args: KubernetesComputeArgs) -> None:
        """Container insights' rule and association, and the control plane's audit logs."""
        assert self.cluster is not None
        where = args.placement
        if c.monitored:
            self.data_collection_rule = monitor.DataCollectionRule(
                f"{s.name}-container-insights",
                data_collection_rule_name=container_insights_rule_name(where.location, c.name),
                resource_group_name=where.resource_group_name,
                location=where.location,
                kind="Linux",
                data_sources=monitor.DataCollectionRuleDataSourcesArgs(
                    extensions=[
                        monitor.ExtensionDataSourceArgs(
                            name="ContainerInsightsExtension",
                            extension_name="ContainerInsights",
                            streams=[CONTAINER_INSIGHTS_STREAM],
                            extension_settings=CONTAINER_INSIGHTS_SETTINGS,
                        )
                    ]
                ),
                destinations=monitor.DataCollectionRuleDestinationsArgs(
                    log_analytics=[
                        monitor.LogAnalyticsDestinationArgs(
                            name="ciworkspace", workspace_resource_id=self._log_analytics_id(c, args)
                        )
                    ]
                ),
                data_flows=[monitor.DataFlowArgs(streams=[CONTAINER_INSIGHTS_STREAM], destinations=["ciworkspace"])],
                description=f"azureml-infra: Container insights of AKS {c.name}",
                tags=where.tags,
                opts=child(self),
            )
            self.data_collection_rule_association = monitor.DataCollectionRuleAssociation(
                f"{s.name}-container-insights-association",
                association_name=CONTAINER_INSIGHTS_ASSOCIATION,
                resource_uri=self.cluster.id,
                data_collection_rule_id=self.data_collection_rule.id,
                description="azureml-infra: Container insights of this cluster",
                opts=child(self),
            )
        if c.audit_log_categories:
            # The control plane's audit logs (azureml_infra.resolve.aks_audit_categories says which).
            self.audit_logs = monitor.DiagnosticSetting(
                f"{s.name}-cluster-diagnostics",
                name=DIAGNOSTIC_SETTING_NAME,
                resource_uri=self.cluster.id,
                workspace_id=self._log_analytics_id(c, args),
                # Resource-specific tables (AKSAudit, AKSAuditAdmin, AKSControlPlane), as AKS
                # recommends ("Monitor AKS", azure-aks-docs articles/aks/monitor-aks.md).
                log_analytics_destination_type="Dedicated",
                logs=[monitor.DiagnosticsLogSettingsArgs(enabled=True, category=cat) for cat in c.audit_log_categories],
                opts=child(self),
            )

    def _managed_cluster(
        self, s: KubernetesSpec, c: AksClusterSpec, args: KubernetesComputeArgs
    ) -> containerservice.ManagedCluster:
        where = args.placement
        autoscale = c.max_node_count is not None
        addons: dict[str, containerservice.ManagedClusterAddonProfileArgs] = {
            # The Kubernetes dashboard stays off (retired by AKS; scanners ask that it be
            # explicitly disabled: checkov CKV_AZURE_8 reads addonProfiles.kubeDashboard.enabled).
            "kubeDashboard": containerservice.ManagedClusterAddonProfileArgs(enabled=False),
        }
        if c.monitored:
            # Container insights with managed identity; the data collection rule says what it sends.
            addons["omsagent"] = containerservice.ManagedClusterAddonProfileArgs(
                enabled=True,
                config={"logAnalyticsWorkspaceResourceID": self._log_analytics_id(c, args), "useAADAuth": "true"},
            )
        if c.key_vault_secrets_provider:
            # Config values are strings ("Use the Azure Key Vault provider for Secrets Store CSI
            # Driver", azure-aks-docs csi-secrets-store-configuration-options.md: enableSecretRotation,
            # rotationPollInterval).
            addons["azureKeyvaultSecretsProvider"] = containerservice.ManagedClusterAddonProfileArgs(
                enabled=True,
                config={"enableSecretRotation": "true", "rotationPollInterval": SECRET_ROTATION_POLL_INTERVAL},
            )
        return containerservice.ManagedCluster(
            f"{s.name}-cluster",
            resource_name_=c.name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            # Cannot change after creation; the cluster name is already a valid DNS label.
            dns_prefix=c.name,
            kubernetes_version=c.kubernetes_version,
            sku=containerservice.ManagedClusterSKUArgs(name="Base", tier=c.tier),
            # Azure ML needs a managed identity; a service principal is not supported.
            identity=containerservice.ManagedClusterIdentityArgs(type=containerservice.ResourceIdentityType.SYSTEM_ASSIGNED),
            # Entra ID authentication with Azure RBAC for Kubernetes authorization; no local
            # accounts (docs/kubernetes.md, "Local accounts", for why and the fallback).
            enable_rbac=True,
            aad_profile=containerservice.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                admin_group_object_ids=list(c.admin_group_object_ids) or None,
            ),
            disable_local_accounts=c.disable_local_accounts,
            agent_pool_profiles=[
                containerservice.ManagedClusterAgentPoolProfileArgs(
                    name="system",
                    mode="System",
                    os_type="Linux",
                    vm_size=c.vm_size,
                    count=c.node_count,
                    enable_auto_scaling=autoscale,
                    min_count=c.node_count if autoscale else None,
                    max_count=c.max_node_count,
                    vnet_subnet_id=args.subnet_id,
                    type="VirtualMachineScaleSets",
                    # Taken only when the pool is created (facts.CREATE_ONLY): pods per node, the
                    # OS disk on the VM's own storage or a managed disk, host encryption.
                    max_pods=c.max_pods,
                    os_disk_type=c.os_disk_type,
                    enable_encryption_at_host=c.encryption_at_host,
                )
            ],
            addon_profiles=addons,
            # A private API server in a private stack; else a public one, restricted to the
            # authorized ranges when there are any (ManagedClusterAPIServerAccessProfile).
            api_server_access_profile=containerservice.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=c.private,
                authorized_ip_ranges=list(c.authorized_ip_ranges) or None,
            ),
            # Workloads reach Azure with a federated Entra ID identity, not a stored secret: the
            # OIDC issuer and workload identity (ManagedClusterOidcIssuerProfile,
            # ManagedClusterSecurityProfileWorkloadIdentity; workload identity needs the issuer).
            oidc_issuer_profile=containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True)
            ),
            network_profile=containerservice.ContainerServiceNetworkProfileArgs(
                network_plugin="azure",
                network_plugin_mode="overlay",
                network_dataplane="cilium",
                network_policy="cilium",
                load_balancer_sku="standard",
                outbound_type="loadBalancer",
                pod_cidr=c.pod_cidr,
                service_cidr=c.service_cidr,
                dns_service_ip=c.dns_service_ip,
            ),
            # By default the minor version stays the one chosen; patches and node images come on
            # their own (cluster.upgradeChannel, cluster.nodeOsUpgradeChannel).
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel=c.upgrade_channel, node_os_upgrade_channel=c.node_os_upgrade_channel
            ),
            tags=where.tags,
            # The name is fixed by the config: a replacement must delete the old cluster first.
            opts=child(self, delete_before_replace=True),
        )


def _settings(static: Mapping[str, str] | None, cluster_id: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    """The extension's settings: the ones config decides, and the cluster's id where the CLI puts it."""
    return {
        **(static or {}),
        "cluster_name": cluster_id,
        "clusterId": cluster_id,
        "prometheus.prometheusSpec.externalLabels.cluster_name": cluster_id,
    }


@dataclass(frozen=True)
class KubernetesComputesArgs:
    specs: tuple[KubernetesSpec, ...]
    placement: Placement
    # The stack's training subnet: created clusters go in it when the stack has a network.
    subnet_id: pulumi.Input[str] | None = None
    subscription_id: pulumi.Input[str] | None = None
    # Config key -> secret Output, for the TLS certificates and keys.
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    scope_ids: Mapping[DependencyKind, pulumi.Input[str]] = field(default_factory=dict)


def create_kubernetes_computes(args: KubernetesComputesArgs, parent: pulumi.Resource) -> dict[str, Any]:
    """One component per entry, children of ``parent`` (the workspace component), by compute name."""
    return {
        s.name: KubernetesCompute(
            s.name,
            KubernetesComputeArgs(
                spec=s,
                placement=args.placement,
                subnet_id=args.subnet_id if s.cluster is not None else None,
                subscription_id=args.subscription_id,
                tls_certificate=args.secrets[s.tls.certificate_secret] if s.tls else None,
                tls_key=args.secrets[s.tls.key_secret] if s.tls else None,
                scope_ids=args.scope_ids,
            ),
            child(parent),
        )
        for s in args.specs
    }
