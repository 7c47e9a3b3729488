"""Compliant resources as the engine sends them (wire names), taken from the offline plan of
the prod stack, plus a compute cluster, a compute instance and a datastore. Tests copy one
and break a single property."""

from __future__ import annotations

import copy
from typing import Any

STORAGE = {
    "accessTier": "Hot", "accountName": "stmlopsprodkdui", "allowBlobPublicAccess": False,
    "allowSharedKeyAccess": True, "enableHttpsTrafficOnly": True, "isHnsEnabled": False, "kind": "StorageV2",
    "minimumTlsVersion": "TLS1_2", "resourceGroupName": "rg-mlops-prod", "sku": {"name": "Standard_RAGRS"},
    "publicNetworkAccess": "Disabled", "networkRuleSet": {"bypass": "AzureServices", "defaultAction": "Deny"},
}
VAULT = {
    "properties": {
        "enablePurgeProtection": True, "enableRbacAuthorization": True, "enableSoftDelete": True,
        "sku": {"family": "A", "name": "standard"}, "softDeleteRetentionInDays": 90,
        "tenantId": "11111111-1111-1111-1111-111111111111",
        "publicNetworkAccess": "disabled", "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny"},
    },
    "resourceGroupName": "rg-mlops-prod", "vaultName": "kv-mlops-prod-kdui",
}
REGISTRY = {
    "adminUserEnabled": False, "registryName": "crmlopsprodkdui", "sku": {"name": "Premium"},
    "publicNetworkAccess": "Disabled", "networkRuleBypassOptions": "AzureServices",
    "networkRuleSet": {"defaultAction": "Deny"},
}
APP_INSIGHTS = {
    "applicationType": "web", "ingestionMode": "LogAnalytics", "kind": "web", "resourceName": "appi-mlops-prod",
    "workspaceResourceId": "output<string>",
}
WORKSPACE = {
    "friendlyName": "mlw-mlops-prod", "identity": {"type": "SystemAssigned"}, "publicNetworkAccess": "Disabled",
    "workspaceName": "mlw-mlops-prod",
}
CLUSTER = {
    "computeName": "cpu-cluster", "workspaceName": "mlw-mlops-prod",
    "properties": {
        "computeType": "AmlCompute",
        "properties": {
            "vmSize": "STANDARD_D3_V2", "vmPriority": "Dedicated", "remoteLoginPortPublicAccess": "Disabled",
            "scaleSettings": {"minNodeCount": 0.0, "maxNodeCount": 3.0, "nodeIdleTimeBeforeScaleDown": "PT15M"},
        },
    },
}
INSTANCE = {
    "computeName": "ci-alice",
    "properties": {
        "computeType": "ComputeInstance",
        "properties": {
            "vmSize": "STANDARD_DS3_V2", "idleTimeBeforeShutdown": "PT30M",
            "sshSettings": {"sshPublicAccess": "Disabled"},
        },
    },
}
DATASTORE = {
    "name": "raw",
    "properties": {
        "datastoreType": "AzureBlob", "accountName": "stmlopsdataprod", "containerName": "raw",
        "credentials": {"credentialsType": "None"}, "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
    },
}

# An AKS cluster and its Azure ML extension as examples/Pulumi.aks-inference.yaml plans them.
AKS_CLUSTER = {
    "resourceName": "aks-mlops-dev-myaks", "disableLocalAccounts": True, "enableRBAC": True,
    "aadProfile": {"managed": True, "enableAzureRBAC": True}, "identity": {"type": "SystemAssigned"},
    "kubernetesVersion": "1.36",
    "apiServerAccessProfile": {"enablePrivateCluster": False, "authorizedIPRanges": ["203.0.113.0/24"]},
}
AML_EXTENSION = {
    "extensionName": "azureml-extension", "extensionType": "Microsoft.AzureML.Kubernetes",
    "configurationSettings": {
        "enableInference": "True", "enableTraining": "False", "allowInsecureConnections": "False",
        "inferenceRouterServiceType": "LoadBalancer", "sslCname": "scoring.contoso.com",
    },
    "configurationProtectedSettings": {"scoringFe.sslCert": "[secret]", "scoringFe.sslKey": "[secret]"},
}

# The Foundry account as examples/Pulumi.genai-private.yaml plans it.
FOUNDRY_ACCOUNT = {
    "accountName": "aif-genai-prod-0w11", "resourceGroupName": "rg-genai-prod", "kind": "AIServices",
    "sku": {"name": "S0"}, "identity": {"type": "SystemAssigned"}, "location": "westeurope",
    "properties": {"allowProjectManagement": True, "customSubDomainName": "aif-genai-prod-0w11",
                   "disableLocalAuth": True, "publicNetworkAccess": "Disabled",
                   "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}},
}


def good(props: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of ``props`` with ``changes`` at ``__``-separated paths
    (``properties__enableSoftDelete=False``; ``None`` deletes the key)."""
    result = copy.deepcopy(props)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = result
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return result
