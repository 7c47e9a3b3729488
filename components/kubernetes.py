"""Kubernetes computes: an AKS cluster with the Azure ML extension, attached to the workspace.

One ``KubernetesCompute`` component per entry of ``kubernetesComputes``:
- ``containerservice.ManagedCluster`` when the entry creates its cluster: Entra ID with Azure
  RBAC, local accounts off, a pinned Kubernetes version with patch auto-upgrade, a system-assigned
  identity, and the stack's training subnet when the stack has a network;
- ``kubernetesconfiguration.Extension`` (``Microsoft.AzureML.Kubernetes``) with every setting the
  Azure CLI would add on its own, since ARM applies none of them (research notes A3, key finding 2);
- ``machinelearningservices.Compute`` (Kubernetes) with a system-assigned identity, which the
  datastores and the registry grant their roles to.

Sources: research notes /work/research/aks-registry-preflight.md (A1-A4); the settings map follows
the official ARM sample Azure/AML-Kubernetes files/deployextension.json and the CLI's
src/k8s-extension/azext_k8s_extension/partner_extensions/AzureMLKubernetes.py @3f6c0dae.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import containerservice, kubernetesconfiguration
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra import arm
from azureml_infra.config import kubernetes as cfg
from azureml_infra.roles import Role
from components.access import Grant, assign_role
from components.compute import Placement
from components.options import child

EXTENSION_NAME = "azureml-extension"
# The CLI forces the extension's release namespace to azureml (research notes A3).
RELEASE_NAMESPACE = "azureml"


def _flag(value: bool) -> str:
    """Extension settings are strings "True"/"False" (the ARM sample's boolToString)."""
    return "True" if value else "False"


def _base64(pem: str) -> str:
    # The extension takes base64 PEM in scoringFe.sslCert/sslKey, as the CLI writes them from
    # sslCertPemFile/sslKeyPemFile (research notes A3).
    return base64.b64encode(pem.encode()).decode()


def extension_settings(
    s: cfg.KubernetesCompute, cluster_id: pulumi.Input[str], cluster_name: str, location: str
) -> dict[str, pulumi.Input[str]]:
    """The extension's configurationSettings: what the purpose needs, plus what the CLI adds."""
    settings: dict[str, pulumi.Input[str]] = {
        "enableTraining": _flag(s.training),
        "enableInference": _flag(s.inference),
        # The CLI: DevTest below 3 nodes, else FastProd (the ARM sample's value).
        "clusterPurpose": "DevTest" if s.small_cluster else "FastProd",
        "cluster_name": cluster_id,
        "clusterId": cluster_id,
        "prometheus.prometheusSpec.externalLabels.cluster_name": cluster_id,
        "cluster_name_friendly": cluster_name,
        "domain": location,
        "jobSchedulerLocation": location,
        # AKS: no Service Bus and no relay (those are for Arc clusters); ingress through nginx.
        "servicebus.enabled": "false",
        "relayserver.enabled": "false",
        "nginxIngress.enabled": "true",
    }
    if s.inference:
        router = s.inference_router
        settings.update(
            {
                "allowInsecureConnections": _flag(s.allow_insecure_connections),
                "inferenceRouterServiceType": router.service_type,
                "inferenceRouterHA": _flag(s.router_high_availability),
                "scoringFe.serviceType.nodePort": "true" if router.service_type == "NodePort" else "false",
                "scoringFe.serviceType.internalLoadBalancer": "true" if router.internal_load_balancer else "false",
            }
        )
        if router.internal_load_balancer:
            settings["internalLoadBalancerProvider"] = "azure"
        if s.https is not None:
            settings["sslCname"] = s.https.cname
    return settings


def extension_protected_settings(s: cfg.KubernetesCompute) -> dict[str, pulumi.Input[str]] | None:
    """The TLS certificate and key, read from their secret config keys: secret Outputs."""
    if not s.inference or s.https is None:
        return None
    config = pulumi.Config()
    return {
        "scoringFe.sslCert": config.require_secret(s.https.certificate_secret).apply(_base64),
        "scoringFe.sslKey": config.require_secret(s.https.key_secret).apply(_base64),
    }


@dataclass(frozen=True)
class KubernetesComputeArgs:
    settings: cfg.KubernetesCompute
    placement: Placement
    # The AKS cluster's Azure name: aks-<prefix>-<environment>-<name>, or the existing one's.
    cluster_name: str
    # The stack's training subnet, for a created cluster in a stack with a network.
    subnet_id: pulumi.Input[str] | None = None
    # With a subnet: its config-only key (names the role assignment) and the subscription of
    # the role definition.
    subnet_key: str = ""
    subscription_id: pulumi.Input[str] | None = None


class KubernetesCompute(pulumi.ComponentResource):
    """An AKS cluster (created or existing) with the Azure ML extension, attached as a compute."""

    compute_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    cluster_id: pulumi.Output[str]

    def __init__(self, name: str, args: KubernetesComputeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:kubernetes:KubernetesCompute", name, None, opts)
        s, where = args.settings, args.placement
        self.cluster: containerservice.ManagedCluster | None = None
        self.subnet_role = None
        if s.cluster is not None:
            self.cluster = self._managed_cluster(s, args)
            self.subnet_role = self._subnet_role(s, args) if args.subnet_id is not None else None
            cluster_id: pulumi.Input[str] = self.cluster.id
            cluster_group: pulumi.Input[str] = where.resource_group_name
        else:
            assert s.cluster_id is not None
            parsed = arm.parse_resource_id(s.cluster_id)
            assert parsed is not None  # checked by the config
            cluster_id, cluster_group = s.cluster_id, parsed.resource_group

        self.extension = (
            kubernetesconfiguration.Extension(
                f"{s.name}-extension",
                extension_name=EXTENSION_NAME,
                cluster_name=self.cluster.name if self.cluster else args.cluster_name,
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
                identity=kubernetesconfiguration.IdentityArgs(type="SystemAssigned"),
                configuration_settings=extension_settings(s, cluster_id, args.cluster_name, where.location),
                configuration_protected_settings=extension_protected_settings(s),
                # The protected settings are secret Outputs already; keep the whole map secret in
                # the state too. In a subnet, the router's load balancer needs the cluster's role
                # there first.
                opts=child(
                    self,
                    additional_secret_outputs=["configurationProtectedSettings"],
                    depends_on=[self.subnet_role] if self.subnet_role else [],
                ),
            )
            if s.install_extension
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
                description=f"AKS {args.cluster_name}: "
                + " and ".join(p for p, on in (("inference", s.inference), ("training", s.training)) if on),
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
        self.principal_id = self.compute.identity.apply(lambda i: i.principal_id if i else None)
        self.register_outputs(
            {"id": self.compute_id, "principalId": self.principal_id, "clusterId": self.cluster_id}
        )

    def _subnet_role(self, s: cfg.KubernetesCompute, args: KubernetesComputeArgs):
        """Network Contributor on the subnet for the cluster's identity: AKS manages load balancers
        and routes there. `az aks create` grants it itself; an ARM deployment must (AKS docs,
        "Configure Azure CNI networking": the cluster identity needs at least Network Contributor on
        the subnet)."""
        assert self.cluster is not None and args.subscription_id is not None
        return assign_role(
            f"{s.name}-cluster-network",
            Grant(
                role=Role.NETWORK_CONTRIBUTOR,
                scope=args.subnet_id,
                scope_key=args.subnet_key,
                principal_id=self.cluster.identity.apply(lambda i: i.principal_id if i else None),
                principal_key=f"aks/{args.cluster_name}",
                subscription_id=args.subscription_id,
                description=f"azureml-infra: AKS {args.cluster_name} manages its load balancer in its subnet",
            ),
            parent=self,
        )

    def _managed_cluster(self, s: cfg.KubernetesCompute, args: KubernetesComputeArgs) -> containerservice.ManagedCluster:
        c, where = s.cluster, args.placement
        assert c is not None
        autoscale = c.max_node_count is not None
        return containerservice.ManagedCluster(
            f"{s.name}-cluster",
            resource_name_=args.cluster_name,
            resource_group_name=where.resource_group_name,
            location=where.location,
            # Cannot change after creation; the cluster name is already a valid DNS label.
            dns_prefix=args.cluster_name,
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
                admin_group_object_ids=c.admin_group_object_ids or None,
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
                pod_cidr=cfg.POD_CIDR,
                service_cidr=cfg.SERVICE_CIDR,
                dns_service_ip=cfg.DNS_SERVICE_IP,
            ),
            # The minor version stays the one chosen; patches and node images come on their own.
            auto_upgrade_profile=containerservice.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel="patch", node_os_upgrade_channel="NodeImage"
            ),
            tags=where.tags,
            # The name is fixed by the config: a replacement must delete the old cluster first.
            opts=child(self, delete_before_replace=True),
        )


def create_kubernetes_computes(
    computes: list[cfg.KubernetesCompute],
    placement: Placement,
    cluster_names: dict[str, str],
    parent: pulumi.Resource,
    subnet_id: pulumi.Input[str] | None = None,
    subnet_key: str = "",
    subscription_id: pulumi.Input[str] | None = None,
) -> dict[str, KubernetesCompute]:
    """One component per entry, children of ``parent`` (the workspace component), by compute name.

    ``cluster_names`` maps a compute name to its cluster's Azure name; ``subnet_id`` is the
    stack's training subnet, used by the clusters created here.
    """
    return {
        s.name: KubernetesCompute(
            s.name,
            KubernetesComputeArgs(
                settings=s,
                placement=placement,
                cluster_name=cluster_names[s.name],
                subnet_id=subnet_id if s.cluster is not None else None,
                subnet_key=subnet_key,
                subscription_id=subscription_id,
            ),
            child(parent),
        )
        for s in computes
    }
