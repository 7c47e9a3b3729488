"""Every kubernetesComputes config rule: the exact problem line it prints, and that the program
stops before registering anything. Plus the defaults a created cluster gets."""

from __future__ import annotations

from typing import Any

import pytest

from azureml_infra.config.kubernetes import (
    DEFAULT_KUBERNETES_VERSION,
    KUBERNETES_COMPUTE_NAME,
    KubernetesCompute,
)
from azureml_infra.naming import ENVIRONMENT_RE, PREFIX_RE, aks_cluster_name
from azureml_infra.resolve import resolve
from tests.conftest import accepted, assert_refused, stack

SUB = "00000000-0000-0000-0000-000000000000"
AKS = f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-shared"
VM = f"/subscriptions/{SUB}/resourceGroups/rg-aks/providers/Microsoft.Compute/virtualMachines/aks-shared"
HTTPS = {"certificateSecret": "tlsCert", "keySecret": "tlsKey", "cname": "scoring.contoso.com"}
TLS = {"azureml-infra:tlsCert": "-----BEGIN CERTIFICATE-----", "azureml-infra:tlsKey": "-----BEGIN PRIVATE KEY-----"}
KEY = "azureml-infra:kubernetesComputes[0]"


def entry(**changes: Any) -> dict[str, Any]:
    """A valid created-cluster entry with ``changes`` (None removes a key)."""
    base: dict[str, Any] = {"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5"}, "https": HTTPS}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def config(*entries: dict, extra: dict | None = None) -> dict:
    return stack({"azureml-infra:kubernetesComputes": list(entries), **(extra or {})}, secure=TLS)


def test_the_issue_example_is_accepted_as_written():
    # Resolved, not planned (the components' tests show a spec's cluster name on the cluster).
    (example,) = resolve(accepted(config(entry(inference=True, training=False, namespace="azureml",
                                               cluster={"vmSize": "Standard_D4s_v5", "nodeCount": 3},
                                               inferenceRouter={"serviceType": "LoadBalancer",
                                                                "highAvailability": True})))).kubernetes
    assert example.cluster is not None
    assert (example.cluster.name, example.cluster_name) == ("aks-mlops-dev-myaks",) * 2


# --- cluster / clusterId ----------------------------------------------------------------


def test_neither_cluster_nor_cluster_id():
    assert_refused(config(entry(cluster=None)), [
        f"{KEY}: set exactly one of cluster (create an AKS cluster) or clusterId (attach an existing one)"
    ])


def test_both_cluster_and_cluster_id():
    assert_refused(config(entry(clusterId=AKS)), [
        f"{KEY}: set exactly one of cluster (create an AKS cluster) or clusterId (attach an existing one), not both"
    ])


def test_cluster_id_of_the_wrong_type():
    assert_refused(config(entry(cluster=None, clusterId=VM)), [
        f"{KEY}.clusterId: is the id of a Microsoft.Compute/virtualMachines, not of a "
        f'Microsoft.ContainerService/managedClusters (got "{VM}")'
    ])


def test_the_same_existing_cluster_twice():
    assert_refused(config(entry(cluster=None, clusterId=AKS), entry(name="otheraks", cluster=None,
                                                                    clusterId=AKS.upper().replace("SUBSCRIPTIONS", "subscriptions"))), [
        "azureml-infra:kubernetesComputes[1].clusterId: is already the cluster of kubernetesComputes[0]; the Azure "
        "ML extension is installed once per cluster: attach it once"
    ])


# --- purpose, names, namespace -------------------------------------------------------------


def test_neither_inference_nor_training():
    assert_refused(config(entry(inference=False, https=None)), [
        f"{KEY}.inference: a Kubernetes compute needs inference or training (or both) set to true",
        # The TLS keys are then named by nothing: they are reported too.
        "azureml-infra:tlsCert: unknown key",
        "azureml-infra:tlsKey: unknown key",
    ])


@pytest.mark.parametrize("name,message", [
    ("my_aks", "a Kubernetes compute name may contain only letters, digits and hyphens, must start with a letter, "
               'and every hyphen must be followed later by a letter (got "my_aks")'),
    ("aks-1", "a Kubernetes compute name may contain only letters, digits and hyphens, must start with a letter, "
              'and every hyphen must be followed later by a letter (got "aks-1")'),
    ("ab", 'a Kubernetes compute name must be 3-16 characters long (this one has 2) (got "ab")'),
    ("inference-cluster", 'a Kubernetes compute name must be 3-16 characters long (this one has 17) '
                          '(got "inference-cluster")'),
])
def test_bad_names(name, message):
    assert_refused(config(entry(name=name)), [f"{KEY}.name: {message}"])


def test_name_shared_with_a_compute_cluster():
    cluster = {"name": "MyAks", "vmSize": "STANDARD_D3_V2", "maxNodes": 1}
    assert_refused(config(entry(), extra={"azureml-infra:computes": [cluster]}), [
        f"{KEY}.name: 'myaks' is already the name of computes[0]; all computes of a workspace share one set of "
        "names (compared ignoring case)"
    ])


@pytest.mark.parametrize("namespace", ["Azure_ML", "-azureml", "azureml-", "a" * 64, ""])
def test_bad_namespaces(namespace):
    assert_refused(config(entry(namespace=namespace)), [
        f"{KEY}.namespace: must be a Kubernetes namespace name: 1-63 lowercase letters, digits and hyphens, "
        f'starting and ending with a letter or digit (an RFC 1123 DNS label) (got "{namespace}")'
    ])


# --- inference router -------------------------------------------------------------------


def test_invalid_service_type():
    assert_refused(config(entry(inferenceRouter={"serviceType": "Ingress"})), [
        f"{KEY}.inferenceRouter.serviceType: input should be 'LoadBalancer', 'NodePort' or 'ClusterIP' "
        '(got "Ingress")'
    ])


def test_internal_load_balancer_needs_a_load_balancer():
    assert_refused(config(entry(inferenceRouter={"serviceType": "NodePort", "internalLoadBalancer": True})), [
        f"{KEY}.inferenceRouter.internalLoadBalancer: true needs serviceType LoadBalancer (got NodePort); the "
        "extension refuses an internal load balancer with any other service type"
    ])


def test_high_availability_needs_three_nodes():
    assert_refused(config(entry(cluster={"vmSize": "Standard_D4s_v5", "nodeCount": 2},
                                inferenceRouter={"highAvailability": True})), [
        f"{KEY}.inferenceRouter.highAvailability: true needs 3 or more nodes (cluster.nodeCount is 2): add "
        "nodes, or set false"
    ])


# --- node counts, version -----------------------------------------------------------------


@pytest.mark.parametrize("key,value", [("nodeCount", 0), ("nodeCount", 1001), ("maxNodeCount", 1001)])
def test_node_counts_out_of_range(key, value):
    assert_refused(config(entry(cluster={"vmSize": "Standard_D4s_v5", key: value})), [
        f"{KEY}.cluster.{key}: must be 1-1000, the node counts of an AKS system pool (got {value})"
    ])


def test_max_node_count_below_node_count():
    assert_refused(config(entry(cluster={"vmSize": "Standard_D4s_v5", "nodeCount": 3, "maxNodeCount": 2})), [
        f"{KEY}.cluster.maxNodeCount: must be at least nodeCount (3)"
    ])


@pytest.mark.parametrize("version", ["latest", "1.36.x", "v1.36", "2.0"])
def test_bad_kubernetes_version(version):
    assert_refused(config(entry(cluster={"vmSize": "Standard_D4s_v5", "kubernetesVersion": version})), [
        f"{KEY}.cluster.kubernetesVersion: must be a Kubernetes version such as 1.36 (latest patch) or 1.36.2; "
        f'see az aks get-versions --location <region> (got "{version}")'
    ])


# --- HTTPS --------------------------------------------------------------------------------


def test_inference_without_https_or_insecure_opt_in():
    assert_refused(stack({"azureml-infra:kubernetesComputes": [entry(https=None)]}), [
        f"{KEY}.https: is required for inference: scoring endpoints are HTTPS unless allowInsecureConnections is "
        "true; set https: {certificateSecret: <key>, keySecret: <key>, cname: <host name>} with both keys "
        "stored by pulumi config set --secret"
    ])


def test_https_without_its_certificate_secret():
    https = {"keySecret": "tlsKey", "cname": "scoring.contoso.com"}
    assert_refused(stack({"azureml-infra:kubernetesComputes": [entry(https=https)]},
                         secure={"azureml-infra:tlsKey": "k"}), [
        f"{KEY}.https.certificateSecret: is required"
    ])


def test_https_naming_a_key_that_is_not_set():
    assert_refused(stack({"azureml-infra:kubernetesComputes": [entry()]}, secure={"azureml-infra:tlsKey": "k"}), [
        f"{KEY}.https.certificateSecret: names the config key 'azureml-infra:tlsCert', which is not set; set it "
        "with: pulumi config set --secret tlsCert <value>"
    ])


def test_https_naming_a_plain_text_key():
    document = stack({"azureml-infra:kubernetesComputes": [entry()], "azureml-infra:tlsKey": "plain"},
                     secure={"azureml-infra:tlsCert": "c"})
    assert_refused(document, [
        f"{KEY}.https.keySecret: names the config key 'azureml-infra:tlsKey', which is stored in plain text; "
        "store it as a secret: pulumi config set --secret tlsKey <value>"
    ])


def test_https_and_insecure_connections_together():
    assert_refused(config(entry(allowInsecureConnections=True)), [
        f"{KEY}.allowInsecureConnections: true cannot be combined with https: remove one of them"
    ])


def test_https_on_a_training_only_compute():
    assert_refused(config(entry(inference=False, training=True)), [
        f"{KEY}.https: only applies to inference (inference is false): remove it"
    ])


# --- installExtension -----------------------------------------------------------------------


def test_created_cluster_always_gets_the_extension():
    assert_refused(config(entry(installExtension=False)), [
        f"{KEY}.installExtension: false is only valid with clusterId: a cluster created here needs the "
        "extension installed"
    ])


def test_extension_settings_without_installing_the_extension():
    assert_refused(stack({"azureml-infra:kubernetesComputes": [
        entry(cluster=None, clusterId=AKS, installExtension=False, https=None,
              inferenceRouter={"serviceType": "ClusterIP"})]}), [
        f"{KEY}.inferenceRouter: has no effect with installExtension: false (the installed extension keeps its "
        "own settings): remove it"
    ])


# --- defaults and names -----------------------------------------------------------------------


def test_defaults():
    k = KubernetesCompute.model_validate({"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5"},
                                          "allowInsecureConnections": True})
    assert (k.inference, k.training, k.namespace, k.install_extension) == (True, False, "default", True)
    assert k.cluster is not None
    assert (k.cluster.node_count, k.cluster.kubernetes_version, k.cluster.disable_local_accounts) == (3, "1.36", True)
    assert DEFAULT_KUBERNETES_VERSION == "1.36"
    assert k.inference_router.service_type == "LoadBalancer" and k.router_high_availability is True


def test_high_availability_follows_the_node_count_unless_set():
    small = KubernetesCompute.model_validate({"name": "myaks", "cluster": {"vmSize": "D4", "nodeCount": 1},
                                              "allowInsecureConnections": True})
    attached = KubernetesCompute.model_validate({"name": "myaks", "clusterId": AKS, "allowInsecureConnections": True})
    assert small.router_high_availability is False and attached.router_high_availability is True


def test_cluster_names():
    assert aks_cluster_name("mlops", "dev", "MyAks") == "aks-mlops-dev-myaks"
    attached = KubernetesCompute.model_validate({"name": "myaks", "clusterId": AKS, "training": True,
                                                 "inference": False})
    assert attached.cluster_name("mlops", "dev") == "aks-shared"


def test_generated_cluster_names_always_pass_the_aks_rule():
    # The longest prefix, environment and compute name: 40 characters, within AKS's 63.
    prefix, environment, compute = "a" * 10, "b" * 8, "c" * 16
    assert PREFIX_RE.fullmatch(prefix) and ENVIRONMENT_RE.fullmatch(environment)
    assert KUBERNETES_COMPUTE_NAME.violation(compute) is None
    name = aks_cluster_name(prefix, environment, compute)
    assert len(name) == 40 and len(name) <= 63
    from azureml_infra.config.kubernetes import AKS_CLUSTER_NAME_RE

    assert AKS_CLUSTER_NAME_RE.fullmatch(name)
    assert AKS_CLUSTER_NAME_RE.fullmatch(aks_cluster_name("m1", "d", "a-b9"))


# --- with the stack's network -------------------------------------------------------------------

PRIVATE = {
    "azureml-infra:workspace": {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu-compute"},
    "azureml-infra:computes": [{"name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 2,
                                "subnetId": "training"}],
}


def network(address_space: str = "10.20.0.0/16", training: str | None = "10.20.1.0/24") -> dict:
    vnet = {"addressSpace": address_space, "privateEndpointSubnet": address_space.replace(".0.0/16", ".0.0/24")}
    if training:
        vnet["trainingSubnet"] = training
    return {"azureml-infra:network": {"privateEndpoints": {"vnet": vnet}}}


# A subnet of someone else's network, for the cluster of PRIVATE when the stack's VNet has no
# training subnet (with private endpoints and no managed network, every compute needs a subnet).
HUB_SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/snet-train"
IN_HUB = {"azureml-infra:computes": [{"name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 2,
                                      "subnetId": HUB_SUBNET}]}


def test_created_cluster_needs_the_training_subnet():
    computes = {**IN_HUB, **network(training=None)}
    assert_refused(config(entry(), extra={**PRIVATE, **computes}), [
        f"{KEY}.cluster: is created in the stack's training subnet when the stack has network.privateEndpoints "
        "(outside it, the cluster cannot reach the workspace's private endpoints), and there is none: set "
        "network.privateEndpoints.vnet.trainingSubnet, or attach an existing cluster with clusterId"
    ])


def test_vnet_must_stay_clear_of_the_clusters_ranges():
    assert_refused(config(entry(), extra={**PRIVATE, **network("172.16.0.0/16", "172.16.1.0/24")}), [
        "azureml-infra:network.privateEndpoints.vnet.addressSpace: 172.16.0.0/16 overlaps 172.16.0.0/16, the "
        "service address range of the AKS cluster of kubernetesComputes[0] (fixed by this program): choose an "
        "address space outside 192.168.0.0/16 and 172.16.0.0/16, such as 10.20.0.0/16"
    ])


def test_attached_cluster_needs_no_training_subnet():
    # Accepted, and still resolved into an attachment with the extension installed (which
    # components/kubernetes.py registers for every spec with extension settings: its tests).
    # Resolved, not planned: a private stack's plan is 56 registrations, about 1.5 s.
    computes = {**IN_HUB, **network(training=None)}
    (attached,) = resolve(accepted(config(entry(cluster=None, clusterId=AKS), extra={**PRIVATE, **computes}))).kubernetes
    assert (attached.cluster, attached.existing_cluster_id) == (None, AKS)
    assert attached.extension_settings is not None


def test_no_kubernetes_compute_under_a_managed_network():
    # "Kubernetes and attached VMs aren't supported in an Azure Machine Learning managed virtual
    # network" (how-to-managed-network, Limitations).
    managed = {"azureml-infra:network": {"isolation": "AllowInternetOutbound"}}
    assert_refused(config(entry(cluster=None, clusterId=AKS), extra=managed), [
        "azureml-infra:kubernetesComputes: Azure ML does not support Kubernetes computes in a workspace with a "
        "managed network (network.isolation is AllowInternetOutbound): remove them, or set network.isolation: "
        "Disabled and keep the workspace private with network.privateEndpoints and a trainingSubnet"
    ])


def test_no_kubernetes_compute_with_a_user_assigned_workspace_identity():
    identity = {"azureml-infra:workspace": {"identity": "userAssigned"}}
    assert_refused(config(entry(cluster=None, clusterId=AKS), extra=identity), [
        "azureml-infra:kubernetesComputes: cannot be attached by a user-assigned workspace identity "
        "(workspace.identity is userAssigned): it would need Reader, Kubernetes Extension Contributor and "
        "Azure Kubernetes Service Cluster Admin on each cluster first, which this program does not grant; use "
        "workspace.identity: systemAssigned with Kubernetes computes"
    ])


def test_a_created_cluster_in_a_private_stack_with_its_training_subnet_is_accepted():
    # The combination the reviews found refused both ways: private endpoints, a training subnet,
    # no managed network.
    computes = {"azureml-infra:computes": [{"name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 2,
                                            "subnetId": "training"}]}
    (compute,) = accepted(config(entry(), extra={**PRIVATE, **computes, **network()})).kubernetes_computes
    # Where its nodes go: test_kubernetes.py::test_created_cluster_goes_in_the_stacks_training_subnet_*.
    assert compute.cluster is not None


# --- hardening (docs/kubernetes.md, "Hardening") -------------------------------------------------

VM_SIZE = {"vmSize": "Standard_D4s_v5"}


def test_hardening_defaults_and_settings_reach_the_cluster_spec():
    """Pure: the config's hardening settings as resolve hands them to the component."""
    (default,) = resolve(accepted(config(entry()))).kubernetes
    c = default.cluster
    assert c is not None
    assert (c.max_pods, c.private, c.authorized_ip_ranges) == (250, False, ())
    assert (c.upgrade_channel, c.node_os_upgrade_channel) == ("patch", "NodeImage")
    assert (c.os_disk_type, c.encryption_at_host, c.key_vault_secrets_provider) == ("Managed", False, True)
    # Container insights and the audit logs (diagnostics on by default) go to the stack's Log Analytics.
    assert (c.monitored, c.log_analytics_id, c.audit_log_categories) == (True, None, ("kube-audit-admin", "guard"))
    settings = {**VM_SIZE, "maxPods": 110, "authorizedIpRanges": ["203.0.113.0/24", "198.51.100.7/32"],
                "upgradeChannel": "stable", "nodeOsUpgradeChannel": "SecurityPatch", "osDiskType": "Ephemeral",
                "encryptionAtHost": True, "keyVaultSecretsProvider": False}
    (chosen,) = resolve(accepted(config(entry(cluster=settings),
                                        extra={"azureml-infra:diagnostics": {"logs": "allLogs"}}))).kubernetes
    c = chosen.cluster
    assert c is not None
    assert (c.max_pods, c.private, c.authorized_ip_ranges) == (110, False, ("203.0.113.0/24", "198.51.100.7/32"))
    assert (c.upgrade_channel, c.node_os_upgrade_channel) == ("stable", "SecurityPatch")
    assert (c.os_disk_type, c.encryption_at_host, c.key_vault_secrets_provider) == ("Ephemeral", True, False)
    assert c.audit_log_categories == ("kube-audit", "kube-audit-admin", "guard")
    (quiet,) = resolve(accepted(config(entry(), extra={"azureml-infra:diagnostics": {"enabled": False}}))).kubernetes
    assert quiet.cluster is not None and quiet.cluster.audit_log_categories == ()


def test_private_stack_makes_a_private_cluster_unless_told_otherwise():
    private = {**PRIVATE, **network()}
    (default,) = resolve(accepted(config(entry(), extra=private))).kubernetes
    public = entry(cluster={**VM_SIZE, "privateCluster": False, "authorizedIpRanges": ["203.0.113.0/24"]})
    (chosen,) = resolve(accepted(config(public, extra=private))).kubernetes
    assert default.cluster is not None and default.cluster.private
    assert chosen.cluster is not None and not chosen.cluster.private
    assert chosen.cluster.authorized_ip_ranges == ("203.0.113.0/24",)


def test_authorized_ranges_on_a_private_cluster():
    ranges = {**VM_SIZE, "privateCluster": True, "authorizedIpRanges": ["203.0.113.0/24"]}
    assert_refused(config(entry(cluster=ranges)), [
        f"{KEY}.cluster.authorizedIpRanges: cannot be set on a private cluster (privateCluster is true): "
        "authorized IP ranges apply only to a public API server; remove them, or set privateCluster: false"
    ])


def test_authorized_ranges_on_a_private_stacks_cluster():
    ranges = {**VM_SIZE, "authorizedIpRanges": ["203.0.113.0/24"]}
    assert_refused(config(entry(cluster=ranges), extra={**PRIVATE, **network()}), [
        f"{KEY}.cluster.authorizedIpRanges: cannot be set on a private cluster (the stack has "
        "network.privateEndpoints, so the API server is private by default): authorized IP ranges apply only "
        "to a public API server; remove them, or set cluster.privateCluster: false"
    ])


@pytest.mark.parametrize("cidr", ["203.0.113.0/33", "203.0.113.7/24", "office", "2001:db8::/32"])
def test_bad_authorized_ip_range(cidr):
    ranges = {**VM_SIZE, "authorizedIpRanges": ["198.51.100.0/24", cidr]}
    assert_refused(config(entry(cluster=ranges)), [
        f"{KEY}.cluster.authorizedIpRanges[1]: must be an IPv4 range in CIDR notation with no host bits set, "
        f'such as 203.0.113.0/24 (got "{cidr}")'
    ])


def test_authorized_ip_range_without_a_prefix_length():
    assert_refused(config(entry(cluster={**VM_SIZE, "authorizedIpRanges": ["203.0.113.7"]})), [
        f"{KEY}.cluster.authorizedIpRanges[0]: must be an IPv4 range in CIDR notation, such as "
        '203.0.113.7/32 for one address (got "203.0.113.7")'
    ])


@pytest.mark.parametrize("pods", [30, 49, 251])
def test_max_pods_out_of_range(pods):
    assert_refused(config(entry(cluster={**VM_SIZE, "maxPods": pods})), [
        f"{KEY}.cluster.maxPods: must be 50-250 pods per node (got {pods}): Azure CNI Overlay allows up to 250, "
        "and fewer than 50 wastes the node's capacity"
    ])


def test_unknown_upgrade_channels():
    assert_refused(config(entry(cluster={**VM_SIZE, "upgradeChannel": "weekly", "nodeOsUpgradeChannel": "Weekly"})), [
        f"{KEY}.cluster.upgradeChannel: input should be 'patch', 'stable', 'rapid', 'node-image' or 'none' "
        '(got "weekly")',
        f"{KEY}.cluster.nodeOsUpgradeChannel: input should be 'NodeImage', 'SecurityPatch', 'Unmanaged' or "
        "'None' (got \"Weekly\")",
    ])


def test_unknown_os_disk_type():
    assert_refused(config(entry(cluster={**VM_SIZE, "osDiskType": "Temporary"})), [
        f"{KEY}.cluster.osDiskType: input should be 'Managed' or 'Ephemeral' (got \"Temporary\")"
    ])
