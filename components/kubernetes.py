"""Kubernetes computes: an AKS cluster with the Azure ML extension, attached to the workspace.

One ``KubernetesCompute`` component per entry of ``kubernetesComputes``:
- ``containerservice.ManagedCluster`` when the entry creates its cluster: Entra ID with Azure
  RBAC, local accounts off, a pinned Kubernetes version with patch auto-upgrade, a system-assigned
  identity, and the stack's training subnet when the stack has a network;
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
from pulumi_azure_native import authorization, containerservice, kubernetesconfiguration
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra.deployment import AksClusterSpec, DependencyKind, KubernetesSpec
from components.options import child
from components.placement import Placement
from components.role_assignments import assign_role, principal_id_of

EXTENSION_NAME = "azureml-extension"
# The CLI sets the release namespace to azureml (AzureMLKubernetes.py, Create: "set release name
# explicitly to azureml", DEFAULT_RELEASE_NAMESPACE).
RELEASE_NAMESPACE = "azureml"


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
        if s.cluster is not None:
            self.cluster = self._managed_cluster(s, s.cluster, args)
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

    def _managed_cluster(
        self, s: KubernetesSpec, c: AksClusterSpec, args: KubernetesComputeArgs
    ) -> containerservice.ManagedCluster:
        where = args.placement
        autoscale = c.max_node_count is not None
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
                )
            ],
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
            # The minor version stays the one chosen; patches and node images come on their own.
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel="patch", node_os_upgrade_channel="NodeImage"
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
