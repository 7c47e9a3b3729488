"""Kubernetes computes under mocks: the AKS cluster, the Azure ML extension and the attached
compute as the engine receives them, the TLS secrets, the training subnet, outputs and depth."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from tests.conftest import plan, run_file, stack
from tools.graph import deployment_depth, nodes_from_registrations
from tools.harness import ROOT, Registration, Run, arm_id, config_from_yaml, is_secret_value, run_program

AKS = "azure-native:containerservice:ManagedCluster"
EXTENSION = "azure-native:kubernetesconfiguration:Extension"
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


def test_tls_material_goes_in_protected_settings_as_base64_secrets():
    # The values themselves (the offline plan only ever sees placeholders), stored as secrets.
    raw, _ = config_from_yaml(stack({"azureml-infra:kubernetesComputes": [
        {"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5"}, "https": HTTPS}], **TLS}))
    run = run_program("dev", raw, set(TLS))
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


def test_plain_http_only_when_asked_and_small_clusters_are_devtest():
    run = plan(stack({"azureml-infra:kubernetesComputes": [{
        "name": "devaks", "cluster": {"vmSize": "Standard_D4s_v5", "nodeCount": 1},
        "allowInsecureConnections": True, "inferenceRouter": {"serviceType": "NodePort"}}]}))
    settings = run.one(EXTENSION).inputs["configurationSettings"]
    assert settings["allowInsecureConnections"] == "True" and "sslCname" not in settings
    assert (settings["inferenceRouterHA"], settings["clusterPurpose"]) == ("False", "DevTest")
    assert settings["scoringFe.serviceType.nodePort"] == "true"
    assert "configurationProtectedSettings" not in run.one(EXTENSION).inputs
    assert "vnetSubnetID" not in run.one(AKS).inputs["agentPoolProfiles"][0]


# A training-only cluster beside an identity datastore: one run for the two tests that read it
# (the extension's settings; the compute identity's role on the data lake).
TRAINING_ONLY = stack({
    "azureml-infra:kubernetesComputes": [{"name": "trainaks", "inference": False, "training": True,
                                          "cluster": {"vmSize": "Standard_D4s_v5"}}],
    "azureml-infra:dataStorage": {"containers": ["raw"]},
    "azureml-infra:datastores": [{"name": "raw", "kind": "blob", "accountName": "dataStorage", "container": "raw"}],
})


def test_training_only_has_no_inference_settings():
    run = plan(TRAINING_ONLY)
    settings = run.one(EXTENSION).inputs["configurationSettings"]
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


def test_existing_cluster_with_its_extension_installed_is_only_attached():
    run = plan(stack({"azureml-infra:kubernetesComputes": [
        {"name": "shared", "clusterId": EXISTING, "installExtension": False}]}))
    assert run.of_type(EXTENSION) == [] and run.of_type(AKS) == []
    compute = run.one(COMPUTE, "shared")
    assert compute.inputs["properties"]["resourceId"] == EXISTING
    assert not any("extension" in d for d in compute.dependencies)


# --- the training subnet -----------------------------------------------------------------------

NETWORK = {"privateEndpoints": {"vnet": {"addressSpace": "10.20.0.0/16", "privateEndpointSubnet": "10.20.0.0/24",
                                         "trainingSubnet": "10.20.1.0/24"}}}
# What a stack with private endpoints needs besides (a Premium registry, an image build cluster).
PRIVATE = {
    "azureml-infra:network": NETWORK,
    "azureml-infra:workspace": {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu-compute"},
    "azureml-infra:computes": [{"name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 2,
                                "subnetId": "training"}],
}


@pytest.fixture(scope="module")
def private_stack() -> Run:
    """A private stack with a training subnet, one cluster created (myaks), one attached (shared)."""
    return plan(stack({**PRIVATE, "azureml-infra:kubernetesComputes": [
        {"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5"}, "allowInsecureConnections": True},
        {"name": "shared", "clusterId": EXISTING, "installExtension": False}]}))


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


# --- the stack as a whole ------------------------------------------------------------------------


def test_kubernetes_compute_identity_reads_identity_datastores():
    run = plan(TRAINING_ONLY)
    assert [r for r in run.of_type(ROLE) if r.name == "raw-reader-compute-trainaks"]


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


def policy_findings(tmp_path, environment: str, compute: dict) -> set[tuple[str, str, str]]:
    """(level, rule, logical name) of what the pack reports on a stack with one Kubernetes compute
    (its rules run in this process, as in tests/test_policy_stacks.py)."""
    from tests.test_policy_stacks import export_plan, findings, run_policy

    path = tmp_path / "Pulumi.k8s.yaml"
    path.write_text(yaml.safe_dump({"config": stack({
        "azureml-infra:environment": environment, "azureml-infra:kubernetesComputes": [compute]})}))
    return findings(run_policy(export_plan.policy_plan(path)).stdout)


UNSAFE = {"name": "myaks", "allowInsecureConnections": True,
          "cluster": {"vmSize": "Standard_D4s_v5", "disableLocalAccounts": False}}


def test_policy_pack_refuses_plain_http_and_local_accounts_in_test(tmp_path):
    found = policy_findings(tmp_path, "test", UNSAFE)
    assert {("mandatory", "inference-https-only", "myaks-extension"),
            ("mandatory", "aks-no-local-accounts", "myaks-cluster")} <= found


def test_policy_pack_only_advises_in_dev(tmp_path):
    found = {f for f in policy_findings(tmp_path, "dev", UNSAFE) if f[2].startswith("myaks")}
    assert found == {("advisory", "aks-no-local-accounts", "myaks-cluster")}


def test_router_without_high_availability_on_a_large_cluster_stays_fast_prod():
    run = plan(stack({"azureml-infra:kubernetesComputes": [{
        "name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5", "nodeCount": 4},
        "allowInsecureConnections": True, "inferenceRouter": {"highAvailability": False}}]}))
    settings = run.one(EXTENSION).inputs["configurationSettings"]
    assert (settings["inferenceRouterHA"], settings["clusterPurpose"]) == ("False", "FastProd")
