"""Each rule on a compliant resource (no violation) and on one broken property (the exact message)."""

from __future__ import annotations

import pytest
import rules
from compliant import (
    AKS_CLUSTER,
    AML_EXTENSION,
    APP_INSIGHTS,
    CLUSTER,
    DATASTORE,
    FOUNDRY_ACCOUNT,
    INSTANCE,
    REGISTRY,
    STORAGE,
    VAULT,
    WORKSPACE,
    good,
)
from rules import BY_NAME

T_STORAGE = "azure-native:storage:StorageAccount"
T_VAULT = "azure-native:keyvault:Vault"
T_REGISTRY = "azure-native:containerregistry:Registry"
T_APPI = "azure-native:applicationinsights:Component"
T_WORKSPACE = "azure-native:machinelearningservices:Workspace"
T_COMPUTE = "azure-native:machinelearningservices:Compute"
T_DATASTORE = "azure-native:machinelearningservices:Datastore"


def check(rule: str, resource_type: str, props: dict, protect: bool = False) -> list[str]:
    return BY_NAME[rule].violations(resource_type, props, protect)


# (rule, type, compliant props, protect) — every rule passes on the resources the program builds.
COMPLIANT = [
    ("storage-secure-transfer", T_STORAGE, STORAGE, True),
    ("keyvault-soft-delete", T_VAULT, VAULT, True),
    ("keyvault-purge-protection", T_VAULT, VAULT, True),
    ("registry-no-admin-user", T_REGISTRY, REGISTRY, True),
    ("appinsights-workspace-based", T_APPI, APP_INSIGHTS, False),
    ("compute-scales-to-zero", T_COMPUTE, CLUSTER, False),
    ("compute-scales-to-zero", T_COMPUTE, INSTANCE, False),
    ("compute-no-ssh-password", T_COMPUTE, CLUSTER, False),
    ("compute-no-public-ssh", T_COMPUTE, CLUSTER, False),
    ("compute-no-public-ssh", T_COMPUTE, INSTANCE, False),
    ("prod-workspace-private", T_WORKSPACE, WORKSPACE, True),
    ("prod-dependencies-private", T_STORAGE, STORAGE, True),
    ("prod-dependencies-private", T_VAULT, VAULT, True),
    ("prod-dependencies-private", T_REGISTRY, REGISTRY, True),
    ("prod-datastore-identity", T_DATASTORE, DATASTORE, False),
    ("prod-protect-stateful", T_WORKSPACE, WORKSPACE, True),
    ("aks-no-local-accounts", "azure-native:containerservice:ManagedCluster", AKS_CLUSTER, False),
    ("prod-aks-api-server-restricted", "azure-native:containerservice:ManagedCluster", AKS_CLUSTER, False),
    ("inference-https-only", "azure-native:kubernetesconfiguration:Extension", AML_EXTENSION, False),
    ("foundry-local-auth-off", "azure-native:cognitiveservices:Account", FOUNDRY_ACCOUNT, True),
    ("prod-foundry-private", "azure-native:cognitiveservices:Account", FOUNDRY_ACCOUNT, True),
    ("prod-workspace-cmk", T_WORKSPACE, good(WORKSPACE, encryption={"status": "Enabled"}), True),
]


@pytest.mark.parametrize("rule,resource_type,props,protect", COMPLIANT)
def test_compliant_resource_passes(rule, resource_type, props, protect):
    assert check(rule, resource_type, props, protect) == []


def test_every_rule_has_a_compliant_case():
    # Stack rules have theirs in test_stack_rules.py.
    assert {case[0] for case in COMPLIANT} == {rule.name for rule in rules.RULES}


def test_rules_ignore_other_resource_types():
    broken_storage = good(STORAGE, enableHttpsTrafficOnly=False, minimumTlsVersion="TLS1_0")
    for rule in rules.RULES:
        if rule.name != "storage-secure-transfer":
            assert rule.violations(T_STORAGE, broken_storage, protect=True) == [], rule.name
    assert check("storage-secure-transfer", T_VAULT, broken_storage) == []


# --- storage ---------------------------------------------------------------------------


def test_storage_plain_http_fails():
    assert check("storage-secure-transfer", T_STORAGE, good(STORAGE, enableHttpsTrafficOnly=False)) == [
        "enableHttpsTrafficOnly is false: the account must refuse plain HTTP; set it to true"
    ]


def test_storage_old_tls_fails():
    assert check("storage-secure-transfer", T_STORAGE, good(STORAGE, minimumTlsVersion="TLS1_1")) == [
        "minimumTlsVersion is TLS1_1: set TLS1_2 or newer"
    ]


def test_storage_without_tls_setting_fails_because_azure_defaults_to_tls_1_0():
    assert check("storage-secure-transfer", T_STORAGE, good(STORAGE, minimumTlsVersion=None)) == [
        "minimumTlsVersion is not set (TLS1_0): set TLS1_2 or newer"
    ]


def test_storage_tls_1_3_passes():
    assert check("storage-secure-transfer", T_STORAGE, good(STORAGE, minimumTlsVersion="TLS1_3")) == []


def test_storage_anonymous_blob_access_fails():
    assert check("storage-secure-transfer", T_STORAGE, good(STORAGE, allowBlobPublicAccess=True)) == [
        "allowBlobPublicAccess is true: anonymous read access to blobs must stay off; set false"
    ]


# --- key vault -------------------------------------------------------------------------


def test_vault_without_soft_delete_fails():
    props = good(VAULT, properties__enableSoftDelete=False)
    assert check("keyvault-soft-delete", T_VAULT, props) == [
        "properties.enableSoftDelete is false: deleted secrets and keys must stay recoverable; set true"
    ]


def test_vault_without_purge_protection_fails():
    # The program leaves the property out rather than send false (Azure refuses false).
    props = good(VAULT, properties__enablePurgeProtection=None)
    assert check("keyvault-purge-protection", T_VAULT, props) == [
        "properties.enablePurgeProtection is not true: outside dev a deleted vault must not be purgeable "
        "before its retention ends; set workspace.keyVault.purgeProtection: true"
    ]


def test_purge_protection_is_not_required_in_dev():
    rule = BY_NAME["keyvault-purge-protection"]
    assert (rule.applies("dev"), rule.applies("test"), rule.applies("prod")) == (False, True, True)


# --- registry, application insights ----------------------------------------------------


def test_registry_admin_user_fails():
    assert check("registry-no-admin-user", T_REGISTRY, good(REGISTRY, adminUserEnabled=True)) == [
        "adminUserEnabled is true: the shared admin password bypasses Entra ID and RBAC; set false"
    ]


def test_classic_application_insights_fails():
    assert check("appinsights-workspace-based", T_APPI, good(APP_INSIGHTS, workspaceResourceId=None)) == [
        "workspaceResourceId is not set: classic Application Insights is retired; link it to a Log Analytics "
        "workspace"
    ]


# --- compute ---------------------------------------------------------------------------

SCALE = "properties__properties__scaleSettings__"


def test_cluster_that_keeps_nodes_fails():
    props = good(CLUSTER, **{SCALE + "minNodeCount": 1.0})
    assert check("compute-scales-to-zero", T_COMPUTE, props) == [
        "scaleSettings.minNodeCount is 1: outside prod a cluster must scale to zero when idle; set 0"
    ]


def test_cluster_idle_longer_than_two_hours_fails():
    props = good(CLUSTER, **{SCALE + "nodeIdleTimeBeforeScaleDown": "PT2H1M"})
    assert check("compute-scales-to-zero", T_COMPUTE, props) == [
        "scaleSettings.nodeIdleTimeBeforeScaleDown is PT2H1M: outside prod idle nodes must go within 2 hours; "
        "set PT2H or less"
    ]


def test_cluster_idle_exactly_two_hours_passes():
    props = good(CLUSTER, **{SCALE + "nodeIdleTimeBeforeScaleDown": "PT2H"})
    assert check("compute-scales-to-zero", T_COMPUTE, props) == []


def test_instance_without_idle_shutdown_fails():
    props = good(INSTANCE, properties__properties__idleTimeBeforeShutdown=None)
    assert check("compute-scales-to-zero", T_COMPUTE, props) == [
        "idleTimeBeforeShutdown is not set and no Stop schedule: outside prod a compute instance must shut down "
        "within 2 hours of idling or stop on a schedule; set idleTimeBeforeShutdown: PT2H or less, or add a Stop "
        "schedule (computeInstances[].schedules)"
    ]


def test_instance_idle_one_day_fails():
    props = good(INSTANCE, properties__properties__idleTimeBeforeShutdown="P1D")
    assert check("compute-scales-to-zero", T_COMPUTE, props) == [
        "idleTimeBeforeShutdown is P1D and no Stop schedule: outside prod a compute instance must shut down "
        "within 2 hours of idling or stop on a schedule; set idleTimeBeforeShutdown: PT2H or less, or add a Stop "
        "schedule (computeInstances[].schedules)"
    ]


def test_scale_to_zero_is_not_required_in_prod():
    rule = BY_NAME["compute-scales-to-zero"]
    assert (rule.applies("dev"), rule.applies("test"), rule.applies("prod")) == (True, True, False)


def test_ssh_password_fails_even_as_a_secret():
    props = good(CLUSTER, properties__properties__userAccountCredentials={
        "adminUserName": "azureuser", "adminUserPassword": "[secret]"})
    assert check("compute-no-ssh-password", T_COMPUTE, props) == [
        "userAccountCredentials.adminUserPassword is set: nodes must accept SSH keys only; remove the password "
        "and give adminUserSshPublicKey"
    ]


def test_ssh_key_only_passes():
    props = good(CLUSTER, properties__properties__userAccountCredentials={
        "adminUserName": "azureuser", "adminUserSshPublicKey": "ssh-ed25519 AAAA"})
    assert check("compute-no-ssh-password", T_COMPUTE, props) == []


def test_cluster_with_public_ssh_port_fails():
    props = good(CLUSTER, properties__properties__remoteLoginPortPublicAccess="Enabled")
    assert check("compute-no-public-ssh", T_COMPUTE, props) == [
        "remoteLoginPortPublicAccess is Enabled: the SSH port must not be reachable from the internet; "
        "set Disabled"
    ]


def test_cluster_not_specified_outside_a_vnet_fails():
    props = good(CLUSTER, properties__properties__remoteLoginPortPublicAccess="NotSpecified")
    assert check("compute-no-public-ssh", T_COMPUTE, props) == [
        "remoteLoginPortPublicAccess is NotSpecified without a subnet, which leaves port 22 open: the SSH port "
        "must not be reachable from the internet; set Disabled"
    ]


def test_cluster_not_specified_inside_a_vnet_passes():
    props = good(CLUSTER, properties__properties__remoteLoginPortPublicAccess="NotSpecified",
                 properties__properties__subnet={"id": "/subscriptions/s/resourceGroups/rg/providers/"
                                                 "Microsoft.Network/virtualNetworks/v/subnets/compute"})
    assert check("compute-no-public-ssh", T_COMPUTE, props) == []


def test_instance_with_public_ssh_fails():
    props = good(INSTANCE, properties__properties__sshSettings={"sshPublicAccess": "Enabled"})
    assert check("compute-no-public-ssh", T_COMPUTE, props) == [
        "sshSettings.sshPublicAccess is Enabled: the SSH port must not be reachable from the internet; "
        "set Disabled"
    ]


# --- prod ------------------------------------------------------------------------------


def test_public_prod_workspace_fails_in_prod_only():
    assert check("prod-workspace-private", T_WORKSPACE, good(WORKSPACE, publicNetworkAccess="Enabled")) == [
        "publicNetworkAccess is Enabled: a production workspace must be reached through private endpoints "
        "only; set azureml-infra:network.privateEndpoints"
    ]
    assert check("prod-workspace-private", T_WORKSPACE, good(WORKSPACE, publicNetworkAccess=None)) == [
        "publicNetworkAccess is not set (Enabled): a production workspace must be reached through private "
        "endpoints only; set azureml-infra:network.privateEndpoints"
    ]
    rule = BY_NAME["prod-workspace-private"]
    assert [rule.level_in(env) for env in ("dev", "test", "prod")] == ["disabled", "disabled", "mandatory"]


PUBLIC_DEPENDENCIES = {
    "storage": (T_STORAGE, good(STORAGE, publicNetworkAccess=None),
                "publicNetworkAccess is not set (Enabled)"),
    "vault": (T_VAULT, good(VAULT, properties__publicNetworkAccess="enabled"),
              "properties.publicNetworkAccess is enabled"),
    "registry": (T_REGISTRY, good(REGISTRY, publicNetworkAccess="Enabled"), "publicNetworkAccess is Enabled"),
}


@pytest.mark.parametrize("kind", PUBLIC_DEPENDENCIES)
def test_public_prod_dependency_fails_in_prod_only(kind):
    resource_type, props, start = PUBLIC_DEPENDENCIES[kind]
    assert check("prod-dependencies-private", resource_type, props) == [
        f"{start}: in prod a storage account, key vault or registry must be reached through private endpoints "
        "only; set azureml-infra:network.privateEndpoints"
    ]
    rule = BY_NAME["prod-dependencies-private"]
    assert [rule.level_in(env) for env in ("dev", "test", "prod")] == ["disabled", "disabled", "mandatory"]


def test_unknown_public_access_of_a_dependency_is_not_judged():
    assert check("prod-dependencies-private", T_STORAGE, good(STORAGE, publicNetworkAccess="output<string>")) == []


@pytest.mark.parametrize("kind", ["AccountKey", "Sas"])
def test_prod_datastore_with_key_or_sas_fails(kind):
    props = good(DATASTORE, properties__credentials={"credentialsType": kind, "secrets": "[secret]"})
    assert check("prod-datastore-identity", T_DATASTORE, props) == [
        f"credentials.credentialsType is {kind}: in prod a datastore must not hold a storage key or SAS token; "
        "use the workspace identity (credentialsType None) or a service principal"
    ]


def test_prod_service_principal_datastore_passes():
    props = good(DATASTORE, properties__credentials={"credentialsType": "ServicePrincipal"})
    assert check("prod-datastore-identity", T_DATASTORE, props) == []


@pytest.mark.parametrize("resource_type", sorted(rules.STATEFUL_TYPES))
def test_unprotected_stateful_resource_fails_in_prod(resource_type):
    assert check("prod-protect-stateful", resource_type, {}, protect=False) == [
        "protect is false: in prod a resource holding data, secrets or history must be protected from deletion "
        "and replacement; set azureml-infra:protect: true"
    ]


def test_application_insights_and_data_containers_must_be_protected_in_prod():
    # Both hold history or data; the pack once left them out of its own copy of the set.
    assert check("prod-protect-stateful", T_APPI, APP_INSIGHTS, protect=False) != []
    assert check("prod-protect-stateful", "azure-native:storage:BlobContainer", {}, protect=False) != []


def test_protect_is_not_asked_of_stateless_resources():
    assert check("prod-protect-stateful", T_COMPUTE, CLUSTER, protect=False) == []


# --- levels and helpers ----------------------------------------------------------------


def test_levels_are_advisory_in_dev_and_mandatory_elsewhere():
    rule = BY_NAME["storage-secure-transfer"]
    assert [rule.level_in(env) for env in ("dev", "test", "prod", "sandbox")] == [
        "advisory", "mandatory", "mandatory", "mandatory"]


def test_prod_only_rules_are_mandatory_in_prod_only():
    rule = BY_NAME["prod-protect-stateful"]
    assert [rule.level_in(env) for env in ("dev", "test", "prod")] == ["disabled", "disabled", "mandatory"]


@pytest.mark.parametrize("text,seconds", [
    ("PT120S", 120), ("PT15M", 900), ("PT2H", 7200), ("P1DT1H", 90000), ("PT1H30M", 5400),
])
def test_durations(text, seconds):
    assert rules.duration_seconds(text) == seconds


# One grammar with the config's (azureml_infra/facts.py): upper case, whole units only.
@pytest.mark.parametrize("text", ["PT", "P", "15M", "", None, "output<string>", 120, "pt30m", "PT1.5S"])
def test_not_durations(text):
    assert rules.duration_seconds(text) is None


def test_stack_from_urn_and_environment():
    urn = "urn:pulumi:prod::azureml-infra::azure-native:storage:StorageAccount::storage-account"
    assert rules.stack_from_urn(urn) == "prod"
    assert rules.stack_from_urn("not-a-urn") is None
    assert rules.environment_of("acme/azureml-infra/test") == "test"
    assert rules.environment_of("dev") == "dev"
