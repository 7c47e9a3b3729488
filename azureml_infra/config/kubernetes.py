"""Config of Kubernetes computes (key ``kubernetesComputes``).

A Kubernetes compute is an AKS cluster with the Azure ML extension (``Microsoft.AzureML.Kubernetes``)
attached to the workspace. The cluster is either created here (``cluster``) or an existing one
(``clusterId``). It replaces the legacy CLI scripts' AKS inference target ``myaks``.

TLS material for HTTPS scoring never appears here: ``https.certificateSecret`` and
``https.keySecret`` name other config keys, stored with ``pulumi config set --secret``.

Sources:
- extension settings: MicrosoftDocs/azure-ai-docs how-to-deploy-kubernetes-extension.md
  (ms.date 03/07/2025) and the rules the CLI enforces, Azure/azure-cli-extensions
  src/k8s-extension/azext_k8s_extension/partner_extensions/AzureMLKubernetes.py @3f6c0dae;
- node counts: pulumi-azure-native 3.29.0 ManagedClusterAgentPoolProfileArgs.count
  (containerservice/_inputs.py:4514, "1 to 1000 for system pools");
- namespaces: RFC 1123 DNS labels (kubernetes/website, concepts/overview/working-with-objects/names.md);
- the hardening settings (docs/kubernetes.md, "Hardening"): the ARM schema of the API version the
  pinned SDK's ManagedCluster uses, Azure/azure-resource-manager-schemas
  schemas/2025-09-01/Microsoft.ContainerService.Aks.json @a1454431 (ManagedClusterAutoUpgradeProfile,
  ManagedClusterAgentPoolProfileProperties, ManagedClusterAPIServerAccessProfile).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from azureml_infra.config.base import (
    Guid,
    Model,
    SecretRef,
    VmSize,
    arm_id_of,
    azure_name,
    key_error,
)
from azureml_infra.naming import NameRule, aks_cluster_name

MANAGED_CLUSTER_TYPE = "Microsoft.ContainerService/managedClusters"
ManagedClusterId = Annotated[str, arm_id_of(MANAGED_CLUSTER_TYPE)]

# The Kubernetes minor version a created cluster runs unless the stack says otherwise, chosen
# on purpose on 2026-11-28 from the AKS release calendar (MicrosoftDocs/azure-aks-docs
# articles/aks/supported-kubernetes-versions.md, ms.date 08/05/2026, commit fb060abe): 1.37 went
# GA in Oct 2026 (N), 1.36 (N-1, GA Jun 2026, end of life Jun 2027) is what the portal and CLI
# default to, and the Azure ML extension supports the same N-2 window as AKS
# (azure-ai-docs reference-kubernetes.md). 1.35 ends in Mar 2027. A major.minor version gets
# the latest GA patch (ManagedClusterArgs.kubernetes_version). Review it with every AKS minor
# release: AKS cannot skip minor versions on upgrade.
DEFAULT_KUBERNETES_VERSION = "1.36"

# Azure ML compute names (config/compute.py has the AmlCompute rule and its sources). No
# Kubernetes-specific rule is documented, and the SDKs check none: azureml-core 1.61.0.post4
# (PyPI) azureml/core/compute/kubernetescompute.py has no length rule, nor has azure-ai-ml 1.35.2.
# 3-16 characters satisfies both the 3-24 rule of compute instances and the 2-16 rule of
# clusters (config/compute.py). The 2-16 check in azureml-core (_valid_compute_name,
# azureml/core/compute/synapse.py lines 177-184) belongs to the Synapse attach, not to Kubernetes.
KUBERNETES_COMPUTE_NAME = NameRule(
    "Kubernetes compute",
    3,
    16,
    r"[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z])?[0-9]*",
    "may contain only letters, digits and hyphens, must start with a letter, "
    "and every hyphen must be followed later by a letter",
)
KubernetesComputeName = Annotated[str, azure_name(KUBERNETES_COMPUTE_NAME)]

# AKS cluster names: 1-63 alphanumerics, underscores and hyphens, starting and ending with an
# alphanumeric ("Naming rules and restrictions for Azure resources", Microsoft.ContainerService
# managedClusters). A generated name aks-<prefix>-<environment>-<compute> has at most
# 4 + 10 + 1 + 8 + 1 + 16 = 40 characters of lowercase letters, digits and hyphens, starting
# with a letter and ending with a letter or digit, so it always passes (a test holds us to it).
AKS_CLUSTER_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?")

_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_KUBERNETES_VERSION = re.compile(r"1\.\d{1,2}(?:\.\d{1,3})?")

# Azure CNI Overlay: pods take addresses from a private range, not from the subnet, so a small
# training subnet is enough. Both ranges are explicit because AKS's defaults (pods 10.244.0.0/16,
# services 10.0.0.0/16) often overlap a 10.x VNet; they must not overlap the stack's VNet (a
# rule of config.rules.kubernetes).
POD_CIDR = "192.168.0.0/16"
SERVICE_CIDR = "172.16.0.0/16"
DNS_SERVICE_IP = "172.16.0.10"

# The node count of the cluster's system pool (ManagedClusterAgentPoolProfileArgs.count).
MIN_NODES, MAX_NODES = 1, 1000
# The inference router's high availability runs 3 replicas and needs 3 nodes (settings table,
# inferenceRouterHA: "set False below 3 nodes"; the CLI does the same).
HA_MIN_NODES = 3


# Pods per node. Azure CNI Overlay (the network this program gives a created cluster) defaults to
# and allows at most 250 (MicrosoftDocs/azure-aks-docs articles/aks/azure-cni-overlay.md, "Maximum
# pods per node"); below 50 a node wastes capacity and scanners flag it (checkov CKV_AZURE_168,
# "at least 50 pods"). 250 is also what a cluster created before this setting existed already has,
# so sending it changes nothing on a deployed cluster.
MIN_PODS, MAX_PODS, DEFAULT_MAX_PODS = 50, 250, 250

# The channels of autoUpgradeProfile (ARM schema 2025-09-01, ManagedClusterAutoUpgradeProfile):
# upgradeChannel for Kubernetes versions, nodeOSUpgradeChannel for the nodes' OS image.
UpgradeChannel = Literal["patch", "stable", "rapid", "node-image", "none"]
NodeOsUpgradeChannel = Literal["NodeImage", "SecurityPatch", "Unmanaged", "None"]


def _check_cidr(value: str) -> str:
    """An IPv4 address range in CIDR notation with no host bits set, as AKS takes it
    (apiServerAccessProfile.authorizedIPRanges: "IP ranges are specified in CIDR format")."""
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise ValueError(
            "must be an IPv4 range in CIDR notation with no host bits set, such as 203.0.113.0/24"
        ) from None
    if "/" not in value:
        raise ValueError(f"must be an IPv4 range in CIDR notation, such as {value}/32 for one address")
    return value


AuthorizedIpRange = Annotated[str, AfterValidator(_check_cidr)]


def _check_namespace(value: str) -> str:
    if not _DNS_LABEL.fullmatch(value):
        raise ValueError(
            "must be a Kubernetes namespace name: 1-63 lowercase letters, digits and hyphens, "
            "starting and ending with a letter or digit (an RFC 1123 DNS label)"
        )
    return value


Namespace = Annotated[str, AfterValidator(_check_namespace)]


class ClusterSettings(Model):
    """An AKS cluster created for this compute: Entra ID with Azure RBAC, no local accounts."""

    vm_size: VmSize = Field(
        description="VM size of the nodes, e.g. Standard_D4s_v5 (Azure ML asks for 4 vCPU / 14 GB or more in production)."
    )
    node_count: int = Field(
        HA_MIN_NODES,
        description=f"Nodes in the cluster ({MIN_NODES}-{MAX_NODES}); with maxNodeCount, the fewest the "
        f"autoscaler keeps. {HA_MIN_NODES} or more for a highly available inference router.",
    )
    max_node_count: int | None = Field(
        None, description="Most nodes the autoscaler adds (at least nodeCount). Absent: a fixed node count."
    )
    kubernetes_version: str = Field(
        DEFAULT_KUBERNETES_VERSION,
        description="Kubernetes version, major.minor (the latest GA patch) or major.minor.patch. "
        f"Default: {DEFAULT_KUBERNETES_VERSION}, chosen on 2026-11-28 from the AKS release calendar.",
    )
    tier: Literal["Free", "Standard"] = Field(
        "Free", description="AKS pricing tier: Standard adds the uptime SLA (use it in production)."
    )
    disable_local_accounts: bool = Field(
        True,
        description="No local (certificate) Kubernetes accounts: only Entra ID. false is the fallback if "
        "Azure ML cannot reach the cluster (docs/kubernetes.md, 'Local accounts').",
    )
    admin_group_object_ids: list[Guid] = Field(
        default_factory=list,
        description="Entra ID group object ids whose members are cluster admins (kubectl through Entra ID).",
    )

    max_pods: int = Field(
        DEFAULT_MAX_PODS,
        description=f"Most pods per node ({MIN_PODS}-{MAX_PODS}); default {DEFAULT_MAX_PODS}, Azure CNI Overlay's. "
        "Azure takes it only when it creates the node pool.",
    )
    private_cluster: bool | None = Field(
        None,
        description="API server on a private IP in the cluster's VNet only (enablePrivateCluster). Default: true "
        "when the stack has network.privateEndpoints, false otherwise. Azure takes it only when it creates the cluster.",
    )
    authorized_ip_ranges: list[AuthorizedIpRange] = Field(
        default_factory=list,
        description="IPv4 ranges (CIDR) allowed to reach a public API server, e.g. your office's or your CI "
        "agents' egress. Empty: reachable from anywhere (with Entra ID sign-in). Not with a private cluster.",
    )
    upgrade_channel: UpgradeChannel = Field(
        "patch",
        description="Kubernetes auto-upgrade channel: patch (default: the latest patch of the chosen minor "
        "version), stable, rapid, node-image or none.",
    )
    node_os_upgrade_channel: NodeOsUpgradeChannel = Field(
        "NodeImage",
        description="Node OS auto-upgrade channel: NodeImage (default: a new node image weekly), "
        "SecurityPatch, Unmanaged or None.",
    )
    os_disk_type: Literal["Managed", "Ephemeral"] = Field(
        "Managed",
        description="Nodes' OS disk: Managed (default: works on every VM size) or Ephemeral (on the VM's "
        "cache or temporary disk; the VM size must have one large enough: docs/kubernetes.md). "
        "Azure takes it only when it creates the node pool.",
    )
    encryption_at_host: bool = Field(
        False,
        description="Encrypt the nodes' temporary disk and disk caches on the VM host (enableEncryptionAtHost). "
        "Needs the subscription's Microsoft.Compute/EncryptionAtHost feature and a VM size that supports it "
        "(make preflight); default false. Azure takes it only when it creates the node pool.",
    )
    key_vault_secrets_provider: bool = Field(
        True,
        description="The Azure Key Vault secrets provider add-on (Secrets Store CSI driver), with secret "
        "rotation every 2 minutes: workloads mount Key Vault secrets instead of Kubernetes secrets.",
    )

    @field_validator("max_pods")
    @classmethod
    def _pods_range(cls, value: int) -> int:
        if not MIN_PODS <= value <= MAX_PODS:
            raise ValueError(
                f"must be {MIN_PODS}-{MAX_PODS} pods per node (got {value}): Azure CNI Overlay allows up to "
                f"{MAX_PODS}, and fewer than {MIN_PODS} wastes the node's capacity"
            )
        return value

    @field_validator("node_count", "max_node_count")
    @classmethod
    def _node_range(cls, value: int | None) -> int | None:
        if value is not None and not MIN_NODES <= value <= MAX_NODES:
            raise ValueError(f"must be {MIN_NODES}-{MAX_NODES}, the node counts of an AKS system pool (got {value})")
        return value

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _KUBERNETES_VERSION.fullmatch(value):
            raise ValueError(
                "must be a Kubernetes version such as 1.36 (latest patch) or 1.36.2; "
                "see az aks get-versions --location <region>"
            )
        return value

    @model_validator(mode="after")
    def _max_at_least_min(self) -> Self:
        if self.max_node_count is not None and self.max_node_count < self.node_count:
            raise key_error("maxNodeCount", f"must be at least nodeCount ({self.node_count})")
        if self.private_cluster and self.authorized_ip_ranges:
            raise key_error(
                "authorizedIpRanges",
                "cannot be set on a private cluster (privateCluster is true): authorized IP ranges apply only to "
                "a public API server; remove them, or set privateCluster: false",
            )
        return self

    def is_private(self, stack_private: bool) -> bool:
        """Whether the API server is private: as set, else when the stack is (network.privateEndpoints)."""
        return stack_private if self.private_cluster is None else self.private_cluster


class InferenceRouter(Model):
    """The Azure ML inference router (azureml-fe) that receives scoring requests."""

    service_type: Literal["LoadBalancer", "NodePort", "ClusterIP"] = Field(
        "LoadBalancer", description="How the router is exposed: LoadBalancer, NodePort or ClusterIP."
    )
    high_availability: bool | None = Field(
        None,
        description=f"3 router replicas (needs {HA_MIN_NODES} or more nodes). Default: true when the "
        f"cluster has {HA_MIN_NODES} or more nodes (always true for an attached cluster).",
    )
    internal_load_balancer: bool = Field(
        False,
        description="true: an Azure internal load balancer (a private IP in the cluster's VNet) instead "
        "of a public one. Only with serviceType LoadBalancer.",
    )

    @model_validator(mode="after")
    def _internal_needs_load_balancer(self) -> Self:
        if self.internal_load_balancer and self.service_type != "LoadBalancer":
            raise key_error(
                "internalLoadBalancer",
                f"true needs serviceType LoadBalancer (got {self.service_type}); the extension refuses "
                "an internal load balancer with any other service type",
            )
        return self


class HttpsSettings(Model):
    """TLS for the scoring endpoints: the certificate and key as secrets, and their host name."""

    certificate_secret: SecretRef = Field(
        description="Name of a config key holding the PEM certificate (chain), set with "
        "`pulumi config set --secret <key> -- \"$(cat cert.pem)\"`. Never the certificate itself."
    )
    key_secret: SecretRef = Field(
        description="Name of a config key holding the PEM private key (without a passphrase), set "
        "with `pulumi config set --secret`. Never the key itself."
    )
    cname: str = Field(
        min_length=1,
        description="Host name the certificate is for, e.g. scoring.contoso.com (the extension's sslCname).",
    )


class KubernetesCompute(Model):
    """An AKS cluster with the Azure ML extension, attached to the workspace."""

    name: KubernetesComputeName = Field(
        description="Compute name in the workspace: 3-16 letters, digits and hyphens, starting with a "
        "letter; a hyphen must be followed later by a letter."
    )
    inference: bool = Field(True, description="Online and batch scoring endpoints on the cluster.")
    training: bool = Field(False, description="Training jobs on the cluster.")
    cluster: ClusterSettings | None = Field(
        None, description="Create an AKS cluster, aks-<prefix>-<environment>-<name>. Exactly one of cluster, clusterId."
    )
    cluster_id: ManagedClusterId | None = Field(
        None,
        description="ARM id of an existing AKS cluster (Microsoft.ContainerService/managedClusters) in the "
        "deployment's subscription to attach. Exactly one of cluster, clusterId.",
    )
    install_extension: bool = Field(
        True,
        description="Install the Azure ML extension on the cluster. false (clusterId only): it is already "
        "installed, and inferenceRouter, https and allowInsecureConnections do not apply.",
    )
    namespace: Namespace = Field(
        "default",
        description="Kubernetes namespace of the compute's workloads; it must exist (default always does).",
    )
    inference_router: InferenceRouter = Field(
        default_factory=InferenceRouter, description="How scoring requests reach the cluster (inference only)."
    )
    https: HttpsSettings | None = Field(
        None, description="TLS for scoring endpoints; required for inference unless allowInsecureConnections."
    )
    allow_insecure_connections: bool = Field(
        False, description="true: plain-HTTP scoring endpoints, no TLS (dev only; the policy pack refuses it elsewhere)."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.cluster is None) == (self.cluster_id is None):
            raise ValueError(
                "set exactly one of cluster (create an AKS cluster) or clusterId (attach an existing one)"
                + (", not both" if self.cluster is not None else "")
            )
        if not self.inference and not self.training:
            raise key_error("inference", "a Kubernetes compute needs inference or training (or both) set to true")
        if not self.install_extension:
            if self.cluster is not None:
                raise key_error(
                    "installExtension",
                    "false is only valid with clusterId: a cluster created here needs the extension installed",
                )
            extra = [k for k, f in (("inferenceRouter", "inference_router"), ("https", "https"),
                                    ("allowInsecureConnections", "allow_insecure_connections")) if self.is_set(f)]
            if extra:
                raise key_error(
                    extra[0],
                    "has no effect with installExtension: false (the installed extension keeps its own "
                    "settings): remove it",
                )
            return self
        self._check_inference()
        return self

    def _check_inference(self) -> None:
        for key, field in (("inferenceRouter", "inference_router"), ("https", "https"),
                           ("allowInsecureConnections", "allow_insecure_connections")):
            if not self.inference and self.is_set(field):
                raise key_error(key, "only applies to inference (inference is false): remove it")
        if not self.inference:
            return
        if self.https is not None and self.allow_insecure_connections:
            raise key_error(
                "allowInsecureConnections", "true cannot be combined with https: remove one of them"
            )
        if self.https is None and not self.allow_insecure_connections:
            raise key_error(
                "https",
                "is required for inference: scoring endpoints are HTTPS unless allowInsecureConnections is "
                "true; set https: {certificateSecret: <key>, keySecret: <key>, cname: <host name>} "
                "with both keys stored by pulumi config set --secret",
            )
        ha = self.inference_router.high_availability
        if ha and self.cluster is not None and self.cluster.node_count < HA_MIN_NODES:
            raise key_error(
                "inferenceRouter.highAvailability",
                f"true needs {HA_MIN_NODES} or more nodes (cluster.nodeCount is {self.cluster.node_count}): "
                "add nodes, or set false",
            )

    @property
    def small_cluster(self) -> bool:
        """A created cluster of fewer than 3 nodes (an attached one's size is not known here)."""
        return self.cluster is not None and self.cluster.node_count < HA_MIN_NODES

    @property
    def router_high_availability(self) -> bool:
        """The extension's inferenceRouterHA: as set, else on with 3+ nodes (the CLI's rule)."""
        if self.inference_router.high_availability is not None:
            return self.inference_router.high_availability
        return not self.small_cluster

    def cluster_name(self, prefix: str, environment: str) -> str:
        """The AKS cluster's Azure name: generated for a created one, from the id otherwise."""
        if self.cluster_id is not None:
            return self.cluster_id.rstrip("/").rsplit("/", 1)[-1]
        return aks_cluster_name(prefix, environment, self.name)
