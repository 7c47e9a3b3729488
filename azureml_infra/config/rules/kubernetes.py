"""Rules of ``kubernetesComputes`` across sections: one compute per cluster, and clusters that
fit the stack's network and workspace identity."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.kubernetes import POD_CIDR, SERVICE_CIDR
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig


def _one_compute_per_cluster(config: StackConfig) -> Iterable[Problem]:
    """Two entries on one existing cluster would install the extension on it twice."""
    first_use: dict[str, int] = {}
    for index, compute in enumerate(config.kubernetes_computes):
        if compute.cluster_id is None:
            continue
        # ARM ids compare ignoring case.
        earlier = first_use.setdefault(compute.cluster_id.lower(), index)
        if earlier != index:
            yield Problem.at(
                f"kubernetesComputes[{index}].clusterId",
                f"is already the cluster of kubernetesComputes[{earlier}]; the Azure ML extension is "
                "installed once per cluster: attach it once",
            )


def _created_clusters_in_the_network(config: StackConfig) -> Iterable[Problem]:
    """With network.privateEndpoints, a created cluster goes in the training subnet: it must exist,
    and the cluster's pod and service ranges must stay clear of the VNet."""
    endpoints = config.network.private_endpoints
    if endpoints is None or config.network.managed:
        return  # under a managed network, _not_in_a_managed_network says what to do
    vnet = endpoints.vnet
    for index, compute in enumerate(config.kubernetes_computes):
        if compute.cluster is None:
            continue
        if vnet is None or vnet.training_subnet is None:
            yield Problem.at(
                f"kubernetesComputes[{index}].cluster",
                "is created in the stack's training subnet when the stack has network.privateEndpoints (outside "
                "it, the cluster cannot reach the workspace's private endpoints), and there is none: set "
                "network.privateEndpoints.vnet.trainingSubnet, or attach an existing cluster with clusterId",
            )
            continue
        space = ipaddress.IPv4Network(vnet.address_space)
        for what, block in (("pod", POD_CIDR), ("service", SERVICE_CIDR)):
            if space.overlaps(ipaddress.IPv4Network(block)):
                yield Problem.at(
                    "network.privateEndpoints.vnet.addressSpace",
                    f"{vnet.address_space} overlaps {block}, the {what} address range of the AKS cluster of "
                    f"kubernetesComputes[{index}] (fixed by this program): choose an address space outside "
                    f"{POD_CIDR} and {SERVICE_CIDR}, such as 10.20.0.0/16",
                )


def _not_in_a_managed_network(config: StackConfig) -> Iterable[Problem]:
    """ "Kubernetes and attached VMs aren't supported in an Azure Machine Learning managed virtual
    network" (how-to-managed-network.md@d675e2ff, Limitations): a managed network's workspace
    cannot use them, and a created cluster could not join a training subnet there either."""
    if config.network.managed and config.kubernetes_computes:
        yield Problem.at(
            "kubernetesComputes",
            f"Azure ML does not support Kubernetes computes in a workspace with a managed network "
            f"(network.isolation is {config.network.isolation}): remove them, or set network.isolation: "
            "Disabled and keep the workspace private with network.privateEndpoints and a trainingSubnet",
        )


def _workspace_identity_can_attach(config: StackConfig) -> Iterable[Problem]:
    """A user-assigned workspace identity needs Reader, Kubernetes Extension Contributor and Azure
    Kubernetes Service Cluster Admin on the cluster before the attach (Azure ML, "Attach a
    Kubernetes cluster", user-assigned identity); this program grants them to no identity."""
    if config.workspace.identity.user_assigned and config.kubernetes_computes:
        yield Problem.at(
            "kubernetesComputes",
            "cannot be attached by a user-assigned workspace identity (workspace.identity is userAssigned): "
            "it would need Reader, Kubernetes Extension Contributor and Azure Kubernetes Service Cluster "
            "Admin on each cluster first, which this program does not grant; use workspace.identity: "
            "systemAssigned with Kubernetes computes",
        )


def stack_is_private(config: StackConfig) -> bool:
    """A stack whose workspace is reached through private endpoints: its created clusters get a
    private API server unless cluster.privateCluster says otherwise (resolve asks the same)."""
    return config.network.private_endpoints is not None


def _authorized_ranges_need_a_public_api_server(config: StackConfig) -> Iterable[Problem]:
    """A private cluster by default (a private stack) has no public API server to restrict: AKS
    refuses authorized IP ranges on a private cluster ("Secure access to the API server using
    authorized IP address ranges", Limitations: "You can't use this feature with private
    clusters", MicrosoftDocs/azure-aks-docs articles/aks/api-server-authorized-ip-ranges.md).
    An explicit privateCluster: true is refused by the model itself."""
    if not stack_is_private(config):
        return
    for index, compute in enumerate(config.kubernetes_computes):
        c = compute.cluster
        if c is not None and c.private_cluster is None and c.authorized_ip_ranges:
            yield Problem.at(
                f"kubernetesComputes[{index}].cluster.authorizedIpRanges",
                "cannot be set on a private cluster (the stack has network.privateEndpoints, so the API server "
                "is private by default): authorized IP ranges apply only to a public API server; remove them, "
                "or set cluster.privateCluster: false",
            )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [
    _one_compute_per_cluster,
    _created_clusters_in_the_network,
    _not_in_a_managed_network,
    _workspace_identity_can_attach,
    _authorized_ranges_need_a_public_api_server,
]
