"""Kubernetes computes under mocks: the AKS cluster, the Azure ML extension and the attached
compute as the engine receives them, the TLS secrets, the training subnet, outputs and depth.

Program runs: the two AKS examples' (one cluster created, one attached), the shipped dev stack's
and the example's preview (both shared with the rest of the suite), and one private variant
(PRIVATE_STACK) for the wiring the examples lack: the training subnet, a Kubernetes compute's
identity on a datastore, and the policy pack over a stack with an unsafe cluster. What the other
configs decide (the extension's settings, TLS, an attached-only cluster) is asserted on resolve();
the TLS values' way into the extension on the one component built from its resolved spec.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping

import pulumi
import pytest

from azureml_infra.deployment import Deployment, TlsSpec
from components.kubernetes import KubernetesComputesArgs, create_kubernetes_computes
from components.placement import Placement
from tests.conftest import mock_principal, plan, resolved, run_file, stack
from tools.graph import deployment_depth, nodes_from_registrations
from tools.harness import (
    ROOT,
    SECRET_PLACEHOLDER,
    SUBSCRIPTION_ID,
    Registration,
    Run,
    arm_id,
    is_secret_value,
    run_component,
)

AKS = "azure-native:containerservice:ManagedCluster"
EXTENSION = "azure-native:kubernetesconfiguration:Extension"
K8S_COMPONENT = "azureml-infra:kubernetes:KubernetesCompute"
COMPUTE = "azure-native:machinelearningservices:Compute"
ROLE = "azure-native:authorization:RoleAssignment"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
DCR = "azure-native:monitor:DataCollectionRule"
DCRA = "azure-native:monitor:DataCollectionRuleAssociation"
DIAGNOSTIC = "azure-native:monitor:DiagnosticSetting"
SUB = "00000000-0000-0000-0000-000000000000"
EXISTING = f"/subscriptions/{SUB}/resourceGroups/rg-platform-aks/providers/Microsoft.ContainerService/managedClusters/aks-platform-weu"
CERT, KEY = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
TLS = {"azureml-infra:tlsCert": CERT, "azureml-infra:tlsKey": KEY}
HTTPS = {"certificateSecret": "tlsCert", "keySecret": "tlsKey", "cname": "scoring.contoso.com"}


def example(name: str, preview: bool = False):
    return run_file(ROOT / "examples" / f"Pulumi.{name}.yaml", preview)


@pytest.fixture(scope="module")
def created():
    return example("aks-inference")


@pytest.fixture(scope="module")
def attached():
    return example("aks-attach")


def id_of(reg: Registration) -> str:
    """The ARM id the mocks give a registered resource."""
    return arm_id(reg.type, reg.inputs, reg.name)


def plain(value):
    return value["value"] if is_secret_value(value) else value


# --- the created cluster -----------------------------------------------------------------------


def test_created_cluster_is_secure_by_default(created):
    aks = created.one(AKS)
    i = aks.inputs
    assert aks.azure_name == "aks-mlops-dev-myaks" and i["resourceGroupName"] == "rg-mlops-dev-aks"
    assert i["disableLocalAccounts"] is True and i["enableRBAC"] is True
    assert i["aadProfile"] == {"managed": True, "enableAzureRBAC": True,
                               "adminGroupObjectIDs": ["6a1c9f3e-2b4d-4e8f-9a7c-1d3e5f7a9b2c"]}
    assert i["identity"] == {"type": "SystemAssigned"}
    assert i["kubernetesVersion"] == "1.36"
    assert i["autoUpgradeProfile"] == {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"}
    assert aks.delete_before_replace and not aks.protect


def test_created_cluster_node_pool_and_network(created):
    i = created.one(AKS).inputs
    assert i["agentPoolProfiles"] == [{
        "name": "system", "mode": "System", "osType": "Linux", "type": "VirtualMachineScaleSets",
        "vmSize": "Standard_D4s_v5", "count": 3, "enableAutoScaling": True, "minCount": 3, "maxCount": 5,
        # Hardening: Azure CNI Overlay's 250 pods per node, a managed OS disk and no host
        # encryption, as the example decides for its VM size (docs/kubernetes.md, "Hardening").
        "maxPods": 250, "osDiskType": "Managed", "enableEncryptionAtHost": False,
    }]
    net = i["networkProfile"]
    assert (net["networkPlugin"], net["networkPluginMode"], net["networkPolicy"]) == ("azure", "overlay", "cilium")
    assert (net["podCidr"], net["serviceCidr"], net["dnsServiceIP"]) == ("192.168.0.0/16", "172.16.0.0/16", "172.16.0.10")


def test_created_cluster_is_hardened(created):
    """Each control in the inputs the API version expects (ARM schema 2025-09-01)."""
    i = created.one(AKS).inputs
    log_analytics = id_of(created.one(LOG_ANALYTICS))
    assert i["addonProfiles"] == {
        "kubeDashboard": {"enabled": False},
        "omsagent": {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": log_analytics,
                                                 "useAADAuth": "true"}},
        "azureKeyvaultSecretsProvider": {"enabled": True, "config": {"enableSecretRotation": "true",
                                                                     "rotationPollInterval": "2m"}},
    }
    # The example's stack is public: its API server is restricted to the authorized ranges.
    assert i["apiServerAccessProfile"] == {"enablePrivateCluster": False, "authorizedIPRanges": ["203.0.113.0/24"]}
    assert i["oidcIssuerProfile"] == {"enabled": True}
    assert i["securityProfile"] == {"workloadIdentity": {"enabled": True}}


def test_container_insights_and_audit_logs_go_to_the_stacks_log_analytics(created):
    cluster_id = id_of(created.one(AKS))
    log_analytics = id_of(created.one(LOG_ANALYTICS))
    rule = created.one(DCR)
    assert rule.azure_name == "MSCI-westeurope-aks-mlops-dev-myaks"
    r = rule.inputs
    assert r["kind"] == "Linux" and r["location"] == "westeurope"
    assert r["dataSources"] == {"extensions": [{
        "name": "ContainerInsightsExtension", "extensionName": "ContainerInsights",
        "streams": ["Microsoft-ContainerInsights-Group-Default"],
        "extensionSettings": {"dataCollectionSettings": {"interval": "1m", "namespaceFilteringMode": "Off",
                                                         "enableContainerLogV2": True}},
    }]}
    assert r["destinations"] == {"logAnalytics": [{"name": "ciworkspace", "workspaceResourceId": log_analytics}]}
    assert r["dataFlows"] == [{"streams": ["Microsoft-ContainerInsights-Group-Default"], "destinations": ["ciworkspace"]}]
    association = created.one(DCRA).inputs
    assert association["resourceUri"] == cluster_id and association["associationName"] == "ContainerInsightsExtension"
    assert association["dataCollectionRuleId"] == id_of(rule)
    audit = created.one(DIAGNOSTIC, "myaks-cluster-diagnostics").inputs
    assert audit["resourceUri"] == cluster_id and audit["workspaceId"] == log_analytics
    assert audit["logs"] == [{"category": "kube-audit-admin", "enabled": True}, {"category": "guard", "enabled": True}]
    assert audit["logAnalyticsDestinationType"] == "Dedicated" and "metrics" not in audit


def test_extension_has_the_settings_the_cli_would_add(created):
    ext = created.one(EXTENSION)
    i = ext.inputs
    assert ext.azure_name == "azureml-extension"
    assert (i["clusterName"], i["clusterResourceName"], i["clusterRp"], i["resourceGroupName"]) == (
        "aks-mlops-dev-myaks", "managedClusters", "Microsoft.ContainerService", "rg-mlops-dev-aks")
    assert i["extensionType"] == "Microsoft.AzureML.Kubernetes" and i["releaseTrain"] == "stable"
    assert i["autoUpgradeMinorVersion"] is True
    assert i["scope"] == {"cluster": {"releaseNamespace": "azureml"}}
    cluster_id = f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev-aks/providers/Microsoft.ContainerService/managedClusters/aks-mlops-dev-myaks"
    assert i["configurationSettings"] == {
        "enableTraining": "False", "enableInference": "True", "clusterPurpose": "FastProd",
        "cluster_name": cluster_id, "clusterId": cluster_id,
        "prometheus.prometheusSpec.externalLabels.cluster_name": cluster_id,
        "cluster_name_friendly": "aks-mlops-dev-myaks", "domain": "westeurope", "jobSchedulerLocation": "westeurope",
        "servicebus.enabled": "false", "relayserver.enabled": "false", "nginxIngress.enabled": "true",
        "allowInsecureConnections": "False", "inferenceRouterServiceType": "LoadBalancer", "inferenceRouterHA": "True",
        "scoringFe.serviceType.nodePort": "false", "scoringFe.serviceType.internalLoadBalancer": "false",
        "sslCname": "scoring.contoso.com",
    }
    assert any(d.endswith("::myaks-cluster") for d in ext.dependencies)
    # The TLS pair the stack file names, read as secrets (offline: their placeholders), base64 in
    # the protected settings (the real values: test_tls_material_goes_in_protected_settings_...).
    protected = i["configurationProtectedSettings"]
    assert is_secret_value(protected)
    encoded = base64.b64encode(SECRET_PLACEHOLDER.encode()).decode()
    assert {k: plain(v) for k, v in plain(protected).items()} == {"scoringFe.sslCert": encoded,
                                                                  "scoringFe.sslKey": encoded}
    assert "configurationProtectedSettings" in ext.additional_secret_outputs


def kubernetes_run(deployment: Deployment, secret_values: dict[str, str]) -> Run:
    """The Kubernetes part of the recipe (azureml_package/recipe.py) alone, from ``deployment``'s
    resolved specs: in the workspace's group, without a network, each secret config key handed
    in as the secret __main__ reads (here its value itself), given ids for the grants' scopes."""
    group = deployment.workspace.resource_group
    scope_ids = {d.kind: f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{group}/providers/given/{d.kind}"
                 for d in deployment.dependencies}

    def build() -> dict[str, object]:
        create_kubernetes_computes(KubernetesComputesArgs(
            deployment.kubernetes,
            Placement(group, deployment.workspace.name, deployment.location, deployment.tags),
            subscription_id=SUBSCRIPTION_ID,
            secrets={key: pulumi.Output.secret(secret_values[key]) for key in deployment.secret_keys},
            scope_ids=scope_ids,
        ), parent=pulumi.ComponentResource("tests:kubernetes:Workspace", "workspace"))
        return {}

    return run_component(build).record()


def test_tls_material_goes_in_protected_settings_as_base64_secrets():
    # The values themselves (the offline plan only ever sees placeholders), stored as secrets.
    deployment = resolved(stack({"azureml-infra:kubernetesComputes": [
        {"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5"}, "https": HTTPS}]}, secure=TLS))
    assert deployment.kubernetes[0].tls == TlsSpec("tlsCert", "tlsKey")
    assert set(deployment.secret_keys) == {"tlsCert", "tlsKey"}  # read as secrets by __main__
    run = kubernetes_run(deployment, {"tlsCert": CERT, "tlsKey": KEY})
    ext = run.one(EXTENSION)
    protected = ext.inputs["configurationProtectedSettings"]
    assert is_secret_value(protected) or all(is_secret_value(v) for v in protected.values())
    values = {k: plain(v) for k, v in plain(protected).items()}
    assert values == {"scoringFe.sslCert": base64.b64encode(CERT.encode()).decode(),
                      "scoringFe.sslKey": base64.b64encode(KEY.encode()).decode()}
    assert "configurationProtectedSettings" in ext.additional_secret_outputs
    # Never in the plain settings.
    assert CERT not in json.dumps(ext.inputs["configurationSettings"])


def test_attached_compute_has_an_identity_and_waits_for_the_extension(created):
    compute = created.one(COMPUTE, "myaks")
    i = compute.inputs
    assert i["identity"] == {"type": "SystemAssigned"}
    assert i["properties"]["computeType"] == "Kubernetes"
    assert i["properties"]["resourceId"].endswith("/managedClusters/aks-mlops-dev-myaks")
    assert i["properties"]["properties"] == {"namespace": "azureml"}
    assert any(d.endswith("::myaks-extension") for d in compute.dependencies)
    assert compute.delete_before_replace


def test_compute_id_and_identity_in_the_computes_output(created):
    out = created.outputs["computes"].value["myaks"]
    assert out["id"].endswith("/workspaces/mlw-mlops-dev/computes/myaks")
    assert out["identityPrincipalId"]


def extension_settings(entry: dict) -> Mapping[str, str] | None:
    """The extension's settings resolve decides for a stack with this one Kubernetes compute (the
    component adds the cluster's id to them and changes nothing else: the examples' plans)."""
    (spec,) = resolved(stack({"azureml-infra:kubernetesComputes": [entry]})).kubernetes
    return spec.extension_settings


def test_plain_http_only_when_asked_and_small_clusters_are_devtest():
    entry = {"name": "devaks", "cluster": {"vmSize": "Standard_D4s_v5", "nodeCount": 1},
             "allowInsecureConnections": True, "inferenceRouter": {"serviceType": "NodePort"}}
    (spec,) = resolved(stack({"azureml-infra:kubernetesComputes": [entry]})).kubernetes
    settings = spec.extension_settings
    assert settings is not None
    assert settings["allowInsecureConnections"] == "True" and "sslCname" not in settings
    assert (settings["inferenceRouterHA"], settings["clusterPurpose"]) == ("False", "DevTest")
    assert settings["scoringFe.serviceType.nodePort"] == "true"
    # No TLS pair, so no protected settings (none in the inputs: the private stack's myaks), and
    # no network, so no subnet (no vnetSubnetID in the inputs: the created example's pool).
    assert spec.tls is None
    assert spec.cluster is not None and spec.cluster.subnet_grant is None


def test_training_only_has_no_inference_settings():
    settings = extension_settings({"name": "trainaks", "inference": False, "training": True,
                                   "cluster": {"vmSize": "Standard_D4s_v5"}})
    assert settings is not None
    assert (settings["enableTraining"], settings["enableInference"]) == ("True", "False")
    assert not {"allowInsecureConnections", "inferenceRouterServiceType", "sslCname"} & set(settings)


# --- an existing cluster ---------------------------------------------------------------------


def test_existing_cluster_is_not_created_only_extended_and_attached(attached):
    assert attached.of_type(AKS) == []
    ext = attached.one(EXTENSION).inputs
    assert (ext["clusterName"], ext["resourceGroupName"]) == ("aks-platform-weu", "rg-platform-aks")
    settings = ext["configurationSettings"]
    assert settings["clusterId"] == EXISTING and settings["cluster_name_friendly"] == "aks-platform-weu"
    assert (settings["enableTraining"], settings["enableInference"]) == ("True", "True")
    assert settings["internalLoadBalancerProvider"] == "azure"
    assert settings["scoringFe.serviceType.internalLoadBalancer"] == "true"
    compute = attached.one(COMPUTE, "shared-aks").inputs
    assert compute["properties"]["resourceId"] == EXISTING
    assert compute["properties"]["properties"] == {"namespace": "ml-team"}


def test_existing_cluster_with_its_extension_installed_is_only_attached(private_stack):
    (spec,) = resolved(stack({"azureml-infra:kubernetesComputes": [SHARED]})).kubernetes
    assert (spec.cluster, spec.extension_settings, spec.existing_cluster_id) == (None, None, EXISTING)
    run = private_stack
    component = run.one(K8S_COMPONENT, "shared").urn
    assert not {EXTENSION, AKS} & {r.type for r in run.registrations if r.parent == component}
    compute = run.one(COMPUTE, "shared")
    assert compute.inputs["properties"]["resourceId"] == EXISTING
    assert not any("extension" in d for d in compute.dependencies)


# --- the training subnet -----------------------------------------------------------------------

# No DNS zones or zone groups (the tenant's policy's, docs/network.md): nothing here reads them,
# and they are 23 of a private stack's resources.
NETWORK = {"privateEndpoints": {"vnet": {"addressSpace": "10.20.0.0/16", "privateEndpointSubnet": "10.20.0.0/24",
                                         "trainingSubnet": "10.20.1.0/24"},
                                "dnsZoneGroups": False}}
# What a stack with private endpoints needs besides (a Premium registry, an image build cluster).
PRIVATE = {
    "azureml-infra:network": NETWORK,
    "azureml-infra:workspace": {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu-compute"},
    "azureml-infra:computes": [{"name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 2,
                                "subnetId": "training"}],
}


# An existing cluster with the extension installed already: attached only.
SHARED = {"name": "shared", "clusterId": EXISTING, "installExtension": False}
# A cluster the policy pack objects to: plain HTTP scoring and local accounts.
UNSAFE = {"name": "myaks", "allowInsecureConnections": True,
          "cluster": {"vmSize": "Standard_D4s_v5", "disableLocalAccounts": False}}
# The one variant planned here: a private stack with a training subnet, one cluster created
# (myaks, unsafe), one attached (shared), and an identity datastore their identities read.
PRIVATE_STACK = stack({**PRIVATE, "azureml-infra:kubernetesComputes": [UNSAFE, SHARED],
                       "azureml-infra:datastores": [{"name": "raw", "kind": "blob", "accountName": "extdata",
                                                     "container": "landing"}]})


@pytest.fixture(scope="module")
def private_stack() -> Run:
    return plan(PRIVATE_STACK)


def test_created_cluster_goes_in_the_stacks_training_subnet_with_network_contributor(private_stack):
    run = private_stack
    pool = run.one(AKS).inputs["agentPoolProfiles"][0]
    assert pool["vnetSubnetID"].endswith("/virtualNetworks/vnet-mlops-dev/subnets/snet-training")
    role = run.one(ROLE, "myaks-cluster-network").inputs
    assert role["scope"] == pool["vnetSubnetID"]
    assert role["roleDefinitionId"].endswith("/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7")
    assert role["principalType"] == "ServicePrincipal" and role["principalId"]
    # The router's load balancer goes in the subnet: the extension waits for the role.
    assert any(d.endswith("::myaks-cluster-network") for d in run.one(EXTENSION).dependencies)


def test_created_cluster_in_a_private_stack_has_a_private_api_server(private_stack):
    assert private_stack.one(AKS).inputs["apiServerAccessProfile"] == {"enablePrivateCluster": True}


def test_attached_cluster_ignores_the_stacks_subnet(private_stack):
    # The only cluster created and given the subnet is myaks, the created one.
    assert [r.name for r in private_stack.of_type(AKS)] == ["myaks-cluster"]
    assert [r.name for r in private_stack.of_type(ROLE) if r.name.endswith("cluster-network")] == ["myaks-cluster-network"]
    # myaks scores over plain HTTP: no TLS pair, no protected settings.
    assert "configurationProtectedSettings" not in private_stack.one(EXTENSION).inputs


# --- the stack as a whole ------------------------------------------------------------------------


def test_kubernetes_compute_identity_reads_identity_datastores(private_stack):
    for name in ("myaks", "shared"):
        (grant,) = [r for r in private_stack.of_type(ROLE) if r.name == f"raw-reader-compute-{name}"]
        assert grant.inputs["principalId"] == mock_principal(name)  # the compute's, handed over


def test_depth_is_one_wave_past_the_dev_stack(created, attached, dev_run):
    dev = deployment_depth(nodes_from_registrations(dev_run.registrations)).waves
    # cluster (after the group) -> extension -> compute, which also waits for the workspace; then
    # the compute identity's AcrPull on the registry, which needs the compute's principal.
    assert dev == 5
    assert deployment_depth(nodes_from_registrations(created.registrations)).waves == dev + 1
    assert deployment_depth(nodes_from_registrations(attached.registrations)).waves == dev + 1


def test_preview_of_a_first_deployment_plans():
    run = example("aks-inference", preview=True)
    assert len(run.of_type(AKS)) == 1 and len(run.of_type(EXTENSION)) == 1


# --- the policy pack over whole stacks ------------------------------------------------------------


def policy_findings(run: Run, *args: str) -> set[tuple[str, str, str]]:
    """(level, rule, logical name) of what the pack reports on a run's plan, its secrets opened
    as policy/export_plan.py opens them (its rules run in this process, as in
    tests/test_policy_stacks.py); ``args``: policy/offline.py's, e.g. --environment."""
    from tests.test_policy_stacks import findings, run_policy
    from tools.plan import opened, plan_document

    return findings(run_policy(plan_document(opened(run), "PRIVATE_STACK"), *args).stdout)


def test_policy_pack_refuses_plain_http_and_local_accounts_in_test(private_stack):
    found = policy_findings(private_stack, "--environment", "test")
    assert {("mandatory", "inference-https-only", "myaks-extension"),
            ("mandatory", "aks-no-local-accounts", "myaks-cluster")} <= found


def test_policy_pack_only_advises_in_dev(private_stack):
    # The environment the program tagged the resources with: dev.
    found = {f for f in policy_findings(private_stack) if f[2].startswith("myaks")}
    assert found == {("advisory", "aks-no-local-accounts", "myaks-cluster")}


def test_router_without_high_availability_on_a_large_cluster_stays_fast_prod():
    settings = extension_settings({
        "name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5", "nodeCount": 4},
        "allowInsecureConnections": True, "inferenceRouter": {"highAvailability": False}})
    assert settings is not None
    assert (settings["inferenceRouterHA"], settings["clusterPurpose"]) == ("False", "FastProd")
