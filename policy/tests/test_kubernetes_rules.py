"""The AKS and Azure ML extension rules: no local accounts, no plain-HTTP scoring outside dev."""

from __future__ import annotations

import pytest
from compliant import AKS_CLUSTER, AML_EXTENSION, good
from rules import BY_NAME, pack_config

T_AKS = "azure-native:containerservice:ManagedCluster"
T_EXTENSION = "azure-native:kubernetesconfiguration:Extension"


def check(rule: str, resource_type: str, props: dict) -> list[str]:
    return BY_NAME[rule].violations(resource_type, props, False)


def test_aks_with_local_accounts_fails():
    assert check("aks-no-local-accounts", T_AKS, good(AKS_CLUSTER, disableLocalAccounts=False)) == [
        "disableLocalAccounts is false: the cluster must accept Entra ID identities only, no local admin "
        "certificate; set kubernetesComputes[].cluster.disableLocalAccounts: true"
    ]


def test_aks_without_the_setting_fails_because_azure_keeps_local_accounts_by_default():
    assert check("aks-no-local-accounts", T_AKS, good(AKS_CLUSTER, disableLocalAccounts=None)) == [
        "disableLocalAccounts is not set: the cluster must accept Entra ID identities only, no local admin "
        "certificate; set kubernetesComputes[].cluster.disableLocalAccounts: true"
    ]


HTTP = (
    "configurationSettings.allowInsecureConnections is True: scoring endpoints would accept plain HTTP; "
    "remove allowInsecureConnections and set https with the certificate and key secrets"
)


@pytest.mark.parametrize("value", ["True", "true"])
def test_plain_http_scoring_fails(value):
    props = good(AML_EXTENSION, configurationSettings__allowInsecureConnections=value)
    assert check("inference-https-only", T_EXTENSION, props) == [HTTP]


def test_extension_type_compares_ignoring_case():
    props = good(AML_EXTENSION, extensionType="microsoft.azureml.kubernetes",
                 configurationSettings__allowInsecureConnections="True")
    assert check("inference-https-only", T_EXTENSION, props) == [HTTP]


def test_other_extensions_are_not_checked():
    props = good(AML_EXTENSION, extensionType="Microsoft.Flux", configurationSettings__allowInsecureConnections="True")
    assert check("inference-https-only", T_EXTENSION, props) == []


def test_levels_no_plain_http_in_test_and_prod_advisory_local_accounts_in_dev():
    assert pack_config("dev")["inference-https-only"]["enforcementLevel"] == "disabled"
    assert pack_config("test")["inference-https-only"]["enforcementLevel"] == "mandatory"
    assert pack_config("prod")["inference-https-only"]["enforcementLevel"] == "mandatory"
    assert pack_config("dev")["aks-no-local-accounts"]["enforcementLevel"] == "advisory"
    assert pack_config("prod")["aks-no-local-accounts"]["enforcementLevel"] == "mandatory"


UNRESTRICTED = (
    "apiServerAccessProfile has neither enablePrivateCluster: true nor authorizedIPRanges: a production cluster's "
    "API server must not be reachable from the whole internet; set kubernetesComputes[].cluster.authorizedIpRanges, "
    "or network.privateEndpoints (a private cluster)"
)


@pytest.mark.parametrize("profile", [None, {"enablePrivateCluster": False}, {"authorizedIPRanges": []}])
def test_prod_aks_with_an_unrestricted_public_api_server_fails(profile):
    props = good(AKS_CLUSTER, apiServerAccessProfile=profile)
    assert check("prod-aks-api-server-restricted", T_AKS, props) == [UNRESTRICTED]


def test_prod_aks_with_a_private_api_server_passes():
    props = good(AKS_CLUSTER, apiServerAccessProfile={"enablePrivateCluster": True})
    assert check("prod-aks-api-server-restricted", T_AKS, props) == []


def test_api_server_rule_is_prod_only():
    assert pack_config("prod")["prod-aks-api-server-restricted"]["enforcementLevel"] == "mandatory"
    assert pack_config("test")["prod-aks-api-server-restricted"]["enforcementLevel"] == "disabled"
    assert pack_config("dev")["prod-aks-api-server-restricted"]["enforcementLevel"] == "disabled"

