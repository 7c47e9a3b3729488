"""The preflight's logic against fake and recorded Azure answers (no Azure SDK, no network).

The checks (tools/preflight/checks.py) see Azure only through an object with the methods of
``checks.Azure``; ``FakeAzure`` below answers like a healthy subscription unless a test says
otherwise. Usage rows are shaped as Azure's own example (azure-rest-api-specs,
machinelearningservices stable/2024-04-01 examples/Usage/list.json); VM size families as
VirtualMachineSize.family writes them (``standardDv2Family``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from azureml_infra.facts import ARM_TYPES
from tests.conftest import SHIPPED_STACK_FILES, accepted, planned_file
from tools.preflight import checks, needs, report
from tools.preflight.__main__ import subscription_of
from tools.preflight.checks import (
    ERROR,
    FAIL,
    PASS,
    WARN,
    DeletedVault,
    KubernetesVersion,
    NameStatus,
    Permission,
    Provider,
    Usage,
    VmSize,
    VmSku,
    allowed,
    exit_status,
    family_key,
    run_checks,
)

ROOT = Path(__file__).resolve().parent.parent
SUB = "99999999-8888-7777-6666-555555555555"
GROUP = "rg-mlops-dev"
# Contributor: everything but authorization writes/deletes (built-in role definition).
CONTRIBUTOR = Permission(
    ("*",),
    ("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
     "Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write"),
)
# User Access Administrator: reads, and all of Microsoft.Authorization.
USER_ACCESS_ADMINISTRATOR = Permission(("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"))
OWNER = Permission(("*",))


def family_row(family: str, priority: str, current: int, limit: int) -> Usage:
    return Usage("Microsoft.MachineLearningServices/vmFamily/usages",
                 f"Standard {family} Family Cluster {priority} vCPUs", current, limit)


def usage_rows(dedicated: tuple[int, int] = (0, 100), low: tuple[int, int] = (0, 100),
               dv2: tuple[int, int] = (0, 24)) -> list[Usage]:
    return [
        Usage("Microsoft.MachineLearningServices/totalCores/usages", "Clusters", 1, 100),
        Usage("Microsoft.MachineLearningServices/dedicatedCores/usages",
              "Total Cluster Dedicated Regional vCPUs", *dedicated),
        Usage("Microsoft.MachineLearningServices/lowPriorityCores/usages",
              "Total Cluster LowPriority Regional vCPUs", *low),
        family_row("Dv2", "Dedicated", *dv2),
        family_row("DSv2", "Dedicated", 0, 24),
        family_row("Dv2", "LowPriority", 0, -1),
        family_row("DSv2", "LowPriority", 0, -1),
        # Another workspace's row of the same family: not a subscription quota.
        Usage("Microsoft.MachineLearningServices/workspaces/usages",
              "Standard Dv2 Family Cluster Dedicated vCPUs", 20, 24),
    ]


SIZES = [
    VmSize("STANDARD_D3_V2", "standardDv2Family", 4),
    VmSize("STANDARD_D4_V2", "standardDv2Family", 8),
    VmSize("STANDARD_DS3_V2", "standardDSv2Family", 4),
    VmSize("Standard_NC6s_v3", "standardNCSv3Family", 6, low_priority_capable=False),
]


# AKS's versions in a region, shaped as KubernetesVersionListResult (azure-rest-api-specs,
# containerservice aks/stable/2024-09-01 examples/KubernetesVersions_List.json), in no order.
AKS_VERSIONS = [
    KubernetesVersion("1.35", patch_versions=("1.35.4", "1.35.5")),
    KubernetesVersion("1.37", is_preview=True, patch_versions=("1.37.0",)),
    KubernetesVersion("1.36", is_default=True, patch_versions=("1.36.1", "1.36.10", "1.36.9")),
]
VERSION_KEY = "kubernetesComputes[0].cluster.kubernetesVersion"


def aks_cluster(version: str, name: str = "aks-mlops-dev-myaks", key: str | None = VERSION_KEY, **nodes) -> dict:
    """A created AKS cluster as the needs list it (``nodes``: vmSize, osDiskType, encryptionAtHost)."""
    return {"name": name, "kubernetesVersion": version, "location": "westeurope", "key": key,
            "vmSize": "Standard_D4s_v5", "osDiskType": "Managed", "encryptionAtHost": False, **nodes}


# Resource SKUs' capabilities, as Azure lists them (strings): a size with no local disk, and one
# with a 150 GiB temporary disk and a 100 GiB cache (Ddsv5-like); another with a small cache.
VM_SKUS = [
    VmSku("Standard_D4s_v5", {"EphemeralOSDiskSupported": "False", "EncryptionAtHostSupported": "True"}),
    VmSku("Standard_D4ds_v5", {"EphemeralOSDiskSupported": "True", "EncryptionAtHostSupported": "True",
                               "CachedDiskBytes": str(100 * 1024**3), "MaxResourceVolumeMB": str(150 * 1024)}),
    VmSku("Standard_DS2_v2", {"EphemeralOSDiskSupported": "True", "EncryptionAtHostSupported": "False",
                              "CachedDiskBytes": str(86 * 1024**3), "MaxResourceVolumeMB": str(7 * 1024)}),
]


class FakeAzure:
    """A subscription that answers like a healthy one, with each answer replaceable."""

    subscription_id = SUB

    def __init__(self, **answers):
        self.answers = answers
        self.calls: list[tuple] = []

    def _answer(self, name, *args, default):
        self.calls.append((name, *args))
        value = self.answers.get(name, default)
        if isinstance(value, Exception):
            raise value
        return value(*args) if callable(value) else value

    def provider(self, namespace):
        return self._answer("provider", namespace, default=Provider("Registered"))

    def resource_group_exists(self, name):
        return self._answer("resource_group_exists", name, default=False)

    def resources_in_group(self, name):
        return self._answer("resources_in_group", name, default=[])

    def name_available(self, kind, name):
        return self._answer("name_available", kind, name, default=NameStatus(True))

    def deleted_vaults(self):
        return self._answer("deleted_vaults", default=[])

    def usages(self, location):
        return self._answer("usages", location, default=usage_rows())

    def vm_sizes(self, location):
        return self._answer("vm_sizes", location, default=SIZES)

    def permissions(self, scope):
        return self._answer("permissions", scope, default=[OWNER])

    def kubernetes_versions(self, location):
        return self._answer("kubernetes_versions", location, default=AKS_VERSIONS)

    def vm_skus(self, location):
        return self._answer("vm_skus", location, default=VM_SKUS)

    def feature_state(self, namespace, feature):
        return self._answer("feature_state", namespace, feature, default="Registered")


def stack_needs(computes=None, names=None, actions=None, create_group=True, providers=None, types=None, clusters=None):
    """Needs as tools.preflight.export writes them, for a small stack."""
    return {
        "stack": "dev",
        "stackFile": "Pulumi.dev.yaml",
        "subscriptionId": None,
        "location": "westeurope",
        "resourceGroup": {"name": GROUP, "create": create_group},
        "providers": providers if providers is not None else ["Microsoft.MachineLearningServices", "Microsoft.Storage"],
        "createdTypes": types if types is not None else ["Microsoft.MachineLearningServices/workspaces"],
        "actions": actions if actions is not None else [
            {"action": "Microsoft.Resources/subscriptions/resourceGroups/write", "for": [f"resource group {GROUP}"]},
            {"action": "Microsoft.Storage/storageAccounts/write", "for": ["storageAccounts stmlopsdevt0k7"]},
            {"action": "Microsoft.Authorization/roleAssignments/write", "for": ["roleAssignments a", "roleAssignments b"]},
        ],
        "externalScopes": [],
        "globalNames": names if names is not None else [
            {"kind": "storageAccount", "type": "Microsoft.Storage/storageAccounts", "name": "stmlopsdevt0k7",
             "key": "workspace.storageAccount.name"},
            {"kind": "keyVault", "type": "Microsoft.KeyVault/vaults", "name": "kv-mlops-dev-t0k7",
             "key": "workspace.keyVault.name"},
        ],
        "computes": computes if computes is not None else [
            {"name": "cpu-compute", "kind": "cluster", "vmSize": "STANDARD_D3_V2", "maxNodes": 3, "priority": "Dedicated"},
        ],
        "kubernetesClusters": clusters if clusters is not None else [],
        "unknownTypes": [],
    }


def lines(results, check=None, status=None):
    return [r for r in results if (check is None or r.check == check) and (status is None or r.status == status)]


def only(results, check, subject):
    found = [r for r in results if r.check == check and r.subject == subject]
    assert len(found) == 1, (check, subject, results)
    return found[0]


# --- a healthy stack ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_needs():
    from tools.preflight.export import export

    return export(ROOT / "Pulumi.dev.yaml")


def test_a_healthy_stack_passes_every_check(dev_needs):
    results = run_checks(dev_needs, FakeAzure())
    assert [r for r in results if r.status != PASS] == []
    assert exit_status(results) == 0
    checked = {r.check for r in results}
    assert {"resource group", "providers", "names", "soft-deleted vaults", "vm sizes", "quota", "permissions"} <= checked
    assert only(results, "providers", "Microsoft.MachineLearningServices").detail == "Registered"
    assert only(results, "vm sizes", "cpu-compute (STANDARD_D3_V2)").detail == \
        "offered in westeurope (4 vCPUs, family standardDv2Family)"


def test_the_dev_stack_needs_what_it_creates(dev_needs):
    assert dev_needs["location"] == "westeurope"
    assert dev_needs["resourceGroup"] == {"name": "rg-mlops-dev", "create": True}
    assert {"Microsoft.MachineLearningServices", "Microsoft.Storage", "Microsoft.KeyVault",
            "Microsoft.ContainerRegistry", "Microsoft.Notebooks", "Microsoft.Insights",
            "Microsoft.OperationalInsights"} <= set(dev_needs["providers"])
    assert {n["kind"] for n in dev_needs["globalNames"]} == {"storageAccount", "keyVault", "containerRegistry"}
    assert dev_needs["computes"] == [
        {"name": "cpu-compute", "kind": "cluster", "vmSize": "STANDARD_D3_V2", "maxNodes": 3, "priority": "Dedicated"}
    ]
    actions = {a["action"] for a in dev_needs["actions"]}
    assert {"Microsoft.Resources/subscriptions/resourceGroups/write",
            "Microsoft.MachineLearningServices/workspaces/write",
            "Microsoft.MachineLearningServices/workspaces/computes/write"} <= actions
    assert dev_needs["unknownTypes"] == []


def test_every_shipped_stack_maps_every_resource_type():
    """A resource type the preflight cannot map is a warning at run time; none ships unmapped."""
    from tools.preflight.export import export

    for path in SHIPPED_STACK_FILES:
        assert export(path, planned_file(path))["unknownTypes"] == [], path.name


# --- names ---------------------------------------------------------------------------------------


def test_a_name_taken_by_someone_else_fails_with_the_key_to_change():
    taken = NameStatus(False, "AlreadyExists", "The storage account named stmlopsdevt0k7 is already taken.")
    azure = FakeAzure(name_available=lambda kind, name: taken if kind == "storageAccount" else NameStatus(True))
    result = only(run_checks(stack_needs(), azure), "names", "storage account stmlopsdevt0k7")
    assert result.status == FAIL
    assert result.detail == (f"taken by a resource outside {GROUP}: AlreadyExists The storage account named "
                             "stmlopsdevt0k7 is already taken.")
    assert result.fix == ("choose another name: set azureml-infra:workspace.storageAccount.name, or "
                          "azureml-infra:nameSuffix (it changes every generated global name)")


def test_a_name_that_is_the_stacks_own_is_no_conflict():
    azure = FakeAzure(
        resource_group_exists=True,
        resources_in_group=[("Microsoft.Storage/storageAccounts", "STMLOPSDEVT0K7")],
        name_available=NameStatus(False, "AlreadyExists", "taken"),
    )
    results = run_checks(stack_needs(), azure)
    mine = only(results, "names", "storage account stmlopsdevt0k7")
    assert (mine.status, mine.detail) == (PASS, f"already this stack's own (in {GROUP})")
    assert ("name_available", "storageAccount", "stmlopsdevt0k7") not in azure.calls
    # The vault is not in the group: taken by someone else.
    assert only(results, "names", "key vault kv-mlops-dev-t0k7").status == FAIL


def test_a_taken_name_is_an_error_when_the_group_cannot_be_read():
    azure = FakeAzure(resource_group_exists=True, resources_in_group=RuntimeError("403 Forbidden"),
                      name_available=NameStatus(False, "AlreadyExists", "taken"))
    results = run_checks(stack_needs(), azure)
    assert only(results, "resource group", GROUP).status == ERROR
    assert only(results, "names", "storage account stmlopsdevt0k7").status == ERROR


def test_a_soft_deleted_vault_holding_the_name_fails_with_the_purge_command():
    deleted = [DeletedVault("KV-mlops-dev-t0k7", "westeurope", "2027-02-26 10:00:00+00:00", purge_protection=False)]
    azure = FakeAzure(deleted_vaults=deleted,
                      name_available=lambda k, n: NameStatus(k != "keyVault", "AlreadyExists", "in use"))
    results = run_checks(stack_needs(), azure)
    vault = only(results, "soft-deleted vaults", "kv-mlops-dev-t0k7")
    assert vault.status == FAIL
    assert vault.detail == "a soft-deleted vault in westeurope holds the name"
    assert vault.fix == ("purge it: az keyvault purge --name KV-mlops-dev-t0k7 --location westeurope "
                         "(or recover it: az keyvault recover --name KV-mlops-dev-t0k7, and import it into the stack)")
    assert lines(results, "names", FAIL) == []  # one line for it, not two


def test_a_purge_protected_soft_deleted_vault_cannot_be_purged():
    deleted = [DeletedVault("kv-mlops-dev-t0k7", "northeurope", "2027-02-26", purge_protection=True)]
    vault = only(run_checks(stack_needs(), FakeAzure(deleted_vaults=deleted)), "soft-deleted vaults", "kv-mlops-dev-t0k7")
    assert vault.status == FAIL
    assert vault.fix == ("purge protection keeps it until 2027-02-26: recover it (az keyvault recover --name "
                         "kv-mlops-dev-t0k7) and import it into the stack, or choose another name "
                         "(azureml-infra:workspace.keyVault.name)")


# --- quota and VM sizes --------------------------------------------------------------------------


def test_family_spellings_meet():
    assert family_key("standardDSv2Family") == family_key("Standard DSv2 Family Cluster Dedicated vCPUs") == "dsv2"
    assert family_key("standardDv2Family") == "dv2" != family_key("standardDSv2Family")
    assert family_key("standardNCADSA100v4Family") == family_key(
        "Standard NCADS A100 v4 Family Cluster LowPriority vCPUs")


def test_quota_exactly_at_the_limit_passes():
    # 3 nodes x 4 vCPUs = 12; the family has 24 - 12 = 12 free, the region 100 - 88 = 12.
    azure = FakeAzure(usages=usage_rows(dedicated=(88, 100), dv2=(12, 24)))
    results = run_checks(stack_needs(), azure)
    family = only(results, "quota", "standardDv2Family Dedicated")
    assert family.status == PASS
    assert family.detail == ("needs 12 vCPUs at most (cpu-compute: 3 x 4); Standard Dv2 Family Cluster Dedicated "
                             "vCPUs in westeurope: 12 of 24 in use, 12 free")
    assert only(results, "quota", "regional Dedicated").status == PASS


def test_quota_one_over_the_limit_fails_with_how_much_to_request():
    azure = FakeAzure(usages=usage_rows(dedicated=(89, 100), dv2=(13, 24)))
    results = run_checks(stack_needs(), azure)
    family = only(results, "quota", "standardDv2Family Dedicated")
    assert family.status == FAIL
    assert family.fix == ("request at least 1 more: Azure portal > Quotas > Machine learning (Standard Dv2 Family "
                          "Cluster Dedicated vCPUs in westeurope), or lower maxNodes")
    assert only(results, "quota", "regional Dedicated").status == FAIL
    assert exit_status(results) == 1


def test_dedicated_and_low_priority_are_counted_apart():
    computes = [
        {"name": "cpu", "kind": "cluster", "vmSize": "STANDARD_D3_V2", "maxNodes": 3, "priority": "Dedicated"},
        {"name": "cheap", "kind": "cluster", "vmSize": "STANDARD_D4_V2", "maxNodes": 5, "priority": "LowPriority"},
        {"name": "ci-me", "kind": "instance", "vmSize": "STANDARD_D3_V2", "maxNodes": 1, "priority": "Dedicated"},
    ]
    # Dedicated: 3 x 4 + 1 x 4 = 16 of 16 free; low priority: 5 x 8 = 40 > 39 free.
    azure = FakeAzure(usages=usage_rows(dedicated=(0, 16), low=(11, 50), dv2=(0, 16)))
    results = run_checks(stack_needs(computes=computes), azure)
    dedicated = only(results, "quota", "standardDv2Family Dedicated")
    assert dedicated.status == PASS
    assert dedicated.detail.startswith("needs 16 vCPUs at most (cpu: 3 x 4, ci-me: 1 x 4)")
    low = only(results, "quota", "regional LowPriority")
    assert low.status == FAIL
    assert low.detail == ("needs 40 vCPUs at most (cheap: 5 x 8); Total Cluster LowPriority Regional vCPUs in "
                          "westeurope: 11 of 50 in use, 39 free")
    # Per-family low-priority rows have no limit of their own (-1): no line for them.
    assert lines(results, "quota", None) and not [r for r in results if r.subject == "standardDv2Family LowPriority"]


def test_a_vm_size_azure_ml_does_not_offer_in_the_region_fails():
    computes = [{"name": "gpu", "kind": "cluster", "vmSize": "Standard_ND96amsr_A100_v4", "maxNodes": 1,
                 "priority": "Dedicated"}]
    result = only(run_checks(stack_needs(computes=computes), FakeAzure()), "vm sizes", "gpu (Standard_ND96amsr_A100_v4)")
    assert result.status == FAIL
    assert result.detail == "Standard_ND96amsr_A100_v4 is not offered to Azure ML in westeurope"
    assert result.fix.startswith("choose a vmSize Azure ML offers there, e.g. Standard_NC6s_v3")


def test_a_size_that_cannot_run_low_priority_fails():
    computes = [{"name": "gpu", "kind": "cluster", "vmSize": "standard_nc6s_v3", "maxNodes": 1, "priority": "LowPriority"}]
    result = only(run_checks(stack_needs(computes=computes), FakeAzure()), "vm sizes", "gpu (standard_nc6s_v3)")
    assert (result.status, result.detail) == (FAIL, "Standard_NC6s_v3 cannot run as LowPriority")


def test_a_family_without_a_quota_row_is_a_warning_not_a_pass():
    computes = [{"name": "ds", "kind": "cluster", "vmSize": "STANDARD_DS3_V2", "maxNodes": 2, "priority": "Dedicated"}]
    rows = [u for u in usage_rows() if "DSv2" not in u.name]
    result = only(run_checks(stack_needs(computes=computes), FakeAzure(usages=rows)), "quota",
                  "standardDSv2Family Dedicated")
    assert result.status == WARN


# --- AKS: Kubernetes versions ---------------------------------------------------------------------


def version_lines(version: str, **answers) -> list[str]:
    """The table lines of the kubernetes versions check for one cluster at ``version``."""
    document = stack_needs(clusters=[aks_cluster(version)])
    results = lines(run_checks(document, FakeAzure(**answers)), "kubernetes versions")
    table = report.render_table(document, SUB, results).splitlines()
    return table[4:-2]  # header, blank, column names, rule ... blank, summary


def test_an_offered_major_minor_passes():
    assert version_lines("1.36") == [
        "PASS    kubernetes versions  aks-mlops-dev-myaks (1.36)  offered in westeurope (GA, AKS's default)"]
    assert version_lines("1.35") == [
        "PASS    kubernetes versions  aks-mlops-dev-myaks (1.35)  offered in westeurope (GA)"]


def test_a_version_not_offered_fails_listing_the_offered_ones_newest_first():
    assert version_lines("1.33") == [
        "FAIL    kubernetes versions  aks-mlops-dev-myaks (1.33)  Kubernetes 1.33 is not offered by AKS in westeurope",
        "                             fix: set azureml-infra:kubernetesComputes[0].cluster.kubernetesVersion to a",
        "                                  version AKS offers in westeurope: 1.37 (preview), 1.36 (AKS's default), 1.35",
    ]
    results = run_checks(stack_needs(clusters=[aks_cluster("1.3")]), FakeAzure())
    assert only(results, "kubernetes versions", "aks-mlops-dev-myaks (1.3)").status == FAIL  # no prefix match
    assert exit_status(results) == 1


def test_a_patch_version_is_offered_when_a_minor_lists_it():
    assert version_lines("1.36.9") == [
        "PASS    kubernetes versions  aks-mlops-dev-myaks (1.36.9)  offered in westeurope (a patch of 1.36, GA, "
        "AKS's default)"]
    # A patch AKS does not list fails, with the patches of its minor, newest first.
    result = only(run_checks(stack_needs(clusters=[aks_cluster("1.36.2")]), FakeAzure()), "kubernetes versions",
                  "aks-mlops-dev-myaks (1.36.2)")
    assert (result.status, result.detail) == (FAIL, "Kubernetes 1.36.2 is not offered by AKS in westeurope")
    assert result.fix == ("set azureml-infra:kubernetesComputes[0].cluster.kubernetesVersion to a version AKS offers "
                          "in westeurope: 1.37 (preview), 1.36 (AKS's default), 1.35; patches of 1.36: 1.36.10, "
                          "1.36.9, 1.36.1")


def test_a_preview_version_is_a_warning():
    assert version_lines("1.37") == [
        "WARN    kubernetes versions  aks-mlops-dev-myaks (1.37)  offered in westeurope only as a preview: AKS's "
        "support covers GA versions",
        "                             fix: set azureml-infra:kubernetesComputes[0].cluster.kubernetesVersion to a GA",
        "                                  version AKS offers in westeurope: 1.37 (preview), 1.36 (AKS's default), 1.35",
    ]
    results = run_checks(stack_needs(clusters=[aks_cluster("1.37.0")]), FakeAzure())
    assert only(results, "kubernetes versions", "aks-mlops-dev-myaks (1.37.0)").detail == (
        "offered in westeurope only as a preview (a patch of 1.37): AKS's support covers GA versions")
    assert exit_status(results) == 0


def test_an_api_error_on_the_versions_is_could_not_check():
    failure = RuntimeError("(AuthorizationFailed) The client does not have authorization to perform action")
    assert version_lines("1.36", kubernetes_versions=failure) == [
        "ERROR   kubernetes versions  westeurope  Azure did not answer: RuntimeError: (AuthorizationFailed) The client "
        "does not have authorization to perform action",
        "                             fix: check the sign-in and the subscription (az account show), then run the",
        "                                  preflight again",
    ]


def test_the_versions_are_asked_once_per_region_and_only_for_created_clusters():
    azure = FakeAzure()
    run_checks(stack_needs(clusters=[aks_cluster("1.36"), aks_cluster("1.35", name="aks-mlops-dev-other")]), azure)
    assert [c for c in azure.calls if c[0] == "kubernetes_versions"] == [("kubernetes_versions", "westeurope")]
    azure = FakeAzure()
    assert lines(run_checks(stack_needs(), azure), "kubernetes versions") == []
    assert [c for c in azure.calls if c[0] == "kubernetes_versions"] == []


def test_the_version_key_names_the_created_clusters_entry():
    from tools.preflight.export import _version_keys

    https = {"certificateSecret": "tlsCert", "keySecret": "tlsKey", "cname": "scoring.contoso.com"}
    attached = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks/providers/"
                "Microsoft.ContainerService/managedClusters/aks-shared")
    config = accepted({
        "azure-native:location": "westeurope", "azureml-infra:prefix": "mlops",
        "azureml-infra:kubernetesComputes": [
            {"name": "shared", "clusterId": attached, "https": https},
            {"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5"}, "https": https},
        ],
        "azureml-infra:tlsCert": {"secure": "x"}, "azureml-infra:tlsKey": {"secure": "y"},
    })
    assert _version_keys(config) == {"aks-mlops-dev-myaks": "kubernetesComputes[1].cluster.kubernetesVersion"}


def test_the_aks_example_needs_its_clusters_version():
    from tools.preflight.export import export

    path = ROOT / "examples" / "Pulumi.aks-inference.yaml"
    assert export(path, planned_file(path))["kubernetesClusters"] == [
        {"name": "aks-mlops-dev-myaks", "kubernetesVersion": "1.36", "location": "westeurope", "key": VERSION_KEY,
         "vmSize": "Standard_D4s_v5", "osDiskType": "Managed", "encryptionAtHost": False}]


# --- providers and regions -----------------------------------------------------------------------


def test_a_provider_not_registered_fails_with_the_register_command():
    azure = FakeAzure(provider=lambda ns: Provider("NotRegistered" if ns == "Microsoft.Storage" else "Registered"))
    result = only(run_checks(stack_needs(), azure), "providers", "Microsoft.Storage")
    assert result.status == FAIL
    assert result.detail == "NotRegistered: resources of Microsoft.Storage cannot be created"
    assert result.fix == (f"az provider register --namespace Microsoft.Storage --subscription {SUB} "
                          "(needs */register/action, e.g. Contributor on the subscription)")


def test_a_provider_still_registering_is_a_warning():
    azure = FakeAzure(provider=Provider("Registering"))
    results = run_checks(stack_needs(), azure)
    assert only(results, "providers", "Microsoft.Storage").status == WARN
    assert exit_status(results) == 0


def test_a_resource_type_not_offered_in_the_region_fails():
    provider = Provider("Registered", {"workspaces": ["East US", "North Europe"], "workspaces/computes": []})
    azure = FakeAzure(provider=lambda ns: provider if ns == "Microsoft.MachineLearningServices" else Provider("Registered"))
    result = only(run_checks(stack_needs(), azure), "regions", "Microsoft.MachineLearningServices/workspaces")
    assert (result.status, result.detail) == (FAIL, "not offered in westeurope")
    ok = Provider("Registered", {"workspaces": ["West Europe"]})
    assert lines(run_checks(stack_needs(), FakeAzure(provider=ok)), "regions") == []


# --- permissions ---------------------------------------------------------------------------------


def test_wildcards_and_not_actions():
    assert allowed("Microsoft.Storage/storageAccounts/write", [Permission(("Microsoft.Storage/*",))])
    assert allowed("Microsoft.Network/virtualNetworks/read", [Permission(("Microsoft.Network/*/read",))])
    assert not allowed("Microsoft.Network/virtualNetworks/write", [Permission(("*/read",))])
    assert allowed("microsoft.storage/STORAGEACCOUNTS/write", [Permission(("Microsoft.Storage/storageAccounts/write",))])
    assert not allowed("Microsoft.Authorization/roleAssignments/write", [CONTRIBUTOR])
    assert allowed("Microsoft.Storage/storageAccounts/write", [CONTRIBUTOR])
    # A NotAction is no deny: another role granting the action allows it.
    assert allowed("Microsoft.Authorization/roleAssignments/write", [CONTRIBUTOR, USER_ACCESS_ADMINISTRATOR])
    assert not allowed("Microsoft.Storage/storageAccounts/write", [])


def test_a_missing_permission_fails_naming_the_role_to_grant():
    results = run_checks(stack_needs(), FakeAzure(permissions=[CONTRIBUTOR]))
    missing = only(results, "permissions", "Microsoft.Authorization/roleAssignments/write")
    assert missing.status == FAIL
    assert missing.detail == (f"not allowed on subscription (group {GROUP} does not exist yet); needed for "
                              "roleAssignments a, roleAssignments b")
    assert missing.fix == ("grant the deploying identity Owner, User Access Administrator or Role Based Access "
                           f"Control Administrator on /subscriptions/{SUB}")
    assert only(results, "permissions", "Microsoft.Storage/storageAccounts/write").status == PASS


def test_permissions_are_read_at_the_group_once_it_exists():
    azure = FakeAzure(resource_group_exists=True)
    run_checks(stack_needs(), azure)
    assert [c for c in azure.calls if c[0] == "permissions"] == [
        ("permissions", f"/subscriptions/{SUB}/resourceGroups/{GROUP}")]
    azure = FakeAzure(resource_group_exists=False)
    run_checks(stack_needs(), azure)
    assert [c for c in azure.calls if c[0] == "permissions"] == [("permissions", f"/subscriptions/{SUB}")]


def test_an_extension_resource_outside_the_group_is_checked_at_its_scope():
    scope = f"/subscriptions/{needs.SUBSCRIPTION_PLACEHOLDER}/resourceGroups/rg-archive/providers/Microsoft.Storage/storageAccounts/starchive01"
    document = {**stack_needs(), "externalScopes": [{"scope": scope, "actions": ["Microsoft.Authorization/roleAssignments/write"]}]}
    real = scope.replace(needs.SUBSCRIPTION_PLACEHOLDER, SUB)
    azure = FakeAzure(permissions=lambda s: [CONTRIBUTOR] if s == real else [OWNER])
    results = run_checks(document, azure)
    external = [r for r in results if r.check == "permissions" and real in r.detail]
    assert [(r.subject, r.status) for r in external] == [("Microsoft.Authorization/roleAssignments/write", FAIL)]


def test_an_existing_group_that_is_missing_fails():
    result = only(run_checks(stack_needs(create_group=False), FakeAzure()), "resource group", GROUP)
    assert result.status == FAIL
    assert result.fix.startswith(f"create it (az group create --name {GROUP} --location westeurope)")


# --- API errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method, check, subject", [
    ("provider", "providers", "Microsoft.Storage"),
    ("name_available", "names", "storage account stmlopsdevt0k7"),
    ("deleted_vaults", "soft-deleted vaults", "kv-mlops-dev-t0k7"),
    ("vm_sizes", "vm sizes", "westeurope"),
    ("usages", "quota", "westeurope"),
    ("permissions", "permissions", f"subscription (group {GROUP} does not exist yet)"),
    ("resource_group_exists", "resource group", GROUP),
])
def test_an_api_error_is_reported_as_an_error_never_a_pass(method, check, subject):
    failure = RuntimeError("(AuthorizationFailed) The client does not have authorization to perform action")
    results = run_checks(stack_needs(), FakeAzure(**{method: failure}))
    result = only(results, check, subject)
    assert result.status == ERROR
    assert result.detail == ("Azure did not answer: RuntimeError: (AuthorizationFailed) The client does not have "
                             "authorization to perform action")
    assert exit_status(results) == 1


# --- needs from a plan ---------------------------------------------------------------------------


def test_needs_from_a_plan():
    plan = [
        {"type": "azureml-infra:workspace:MachineLearningWorkspace", "custom": False, "name": "workspace", "inputs": {}},
        {"type": "azure-native:resources:ResourceGroup", "custom": True, "azureName": "rg-x", "inputs": {}},
        {"type": "azure-native:storage:StorageAccount", "custom": True, "azureName": "stx", "inputs": {}},
        {"type": "azure-native:machinelearningservices:Workspace", "custom": True, "azureName": "mlw-x",
         "inputs": {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}}},
        {"type": "azure-native:machinelearningservices:Compute", "custom": True, "azureName": "gpu", "inputs": {
            "properties": {"computeType": "AmlCompute", "properties": {
                "vmSize": "Standard_NC6s_v3", "vmPriority": "LowPriority", "scaleSettings": {"maxNodeCount": 4.0}}}}},
        {"type": "azure-native:machinelearningservices:Compute", "custom": True, "azureName": "ci", "inputs": {
            "properties": {"computeType": "ComputeInstance", "properties": {"vmSize": "STANDARD_DS3_V2"}}}},
        {"type": "azure-native:authorization:RoleAssignment", "custom": True, "azureName": "guid-1",
         "inputs": {"scope": f"/subscriptions/{needs.MOCK_SUBSCRIPTION}/resourceGroups/rg-other/providers/"
                             "Microsoft.Storage/storageAccounts/stother"}},
        {"type": "azure-native:newthing:Widget", "custom": True, "azureName": "w", "inputs": {}},
    ]
    derived = needs.derive_needs(plan, stack="x", stack_file="Pulumi.x.yaml", location="westeurope",
                                 resource_group="rg-x", create_resource_group=True, name_keys={"stx": "dataStorage.name"})
    assert derived["providers"] == ["Microsoft.ContainerRegistry", "Microsoft.KeyVault",
                                    "Microsoft.MachineLearningServices", "Microsoft.Network", "Microsoft.Notebooks",
                                    "Microsoft.Storage"]
    assert {a["action"] for a in derived["actions"]} == {
        "Microsoft.Resources/subscriptions/resourceGroups/write", "Microsoft.Storage/storageAccounts/write",
        "Microsoft.MachineLearningServices/workspaces/write", "Microsoft.MachineLearningServices/workspaces/computes/write"}
    assert derived["externalScopes"] == [{
        "scope": f"/subscriptions/{needs.SUBSCRIPTION_PLACEHOLDER}/resourceGroups/rg-other/providers/"
                 "Microsoft.Storage/storageAccounts/stother",
        "actions": ["Microsoft.Authorization/roleAssignments/write"]}]
    assert derived["globalNames"] == [{"kind": "storageAccount", "type": "Microsoft.Storage/storageAccounts",
                                       "name": "stx", "key": "dataStorage.name"}]
    assert derived["computes"] == [
        {"name": "gpu", "kind": "cluster", "vmSize": "Standard_NC6s_v3", "maxNodes": 4, "priority": "LowPriority"},
        {"name": "ci", "kind": "instance", "vmSize": "STANDARD_DS3_V2", "maxNodes": 1, "priority": "Dedicated"},
    ]
    assert derived["kubernetesClusters"] == []
    assert derived["unknownTypes"] == ["azure-native:newthing:Widget"]


def test_needs_of_created_aks_clusters():
    plan = [
        {"type": "azure-native:containerservice:ManagedCluster", "custom": True, "azureName": "aks-x",
         "inputs": {"kubernetesVersion": "1.36.2", "location": "northeurope"}},
        # No version: AKS's default, nothing to check.
        {"type": "azure-native:containerservice:ManagedCluster", "custom": True, "azureName": "aks-y", "inputs": {}},
    ]
    derived = needs.derive_needs(plan, stack="x", stack_file="Pulumi.x.yaml", location="westeurope",
                                 resource_group="rg-x", create_resource_group=True,
                                 version_keys={"aks-x": "kubernetesComputes[2].cluster.kubernetesVersion"})
    assert derived["kubernetesClusters"] == [{"name": "aks-x", "kubernetesVersion": "1.36.2", "location": "northeurope",
                                              "key": "kubernetesComputes[2].cluster.kubernetesVersion",
                                              "vmSize": None, "osDiskType": None, "encryptionAtHost": False}]


def test_a_subnet_or_identity_used_from_elsewhere_needs_its_linked_action():
    subnet = ("/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-net/providers/"
              "Microsoft.Network/virtualNetworks/vnet/subnets/snet")
    identity = (f"/subscriptions/{needs.MOCK_SUBSCRIPTION}/resourceGroups/rg-x/providers/"
                "Microsoft.ManagedIdentity/userAssignedIdentities/id-jobs")
    plan = [
        {"type": "azure-native:machinelearningservices:Compute", "custom": True, "azureName": "cpu", "inputs": {
            "identity": {"userAssignedIdentities": [identity]},
            "properties": {"computeType": "AmlCompute", "properties": {
                "vmSize": "STANDARD_D3_V2", "subnet": {"id": subnet}, "scaleSettings": {"maxNodeCount": 2}}}}},
        {"type": "azure-native:machinelearningservices:Compute", "custom": True, "azureName": "aks", "inputs": {
            "properties": {"computeType": "Kubernetes", "resourceId": "/subscriptions/x/resourceGroups/rg-aks/providers/"
                           "Microsoft.ContainerService/managedClusters/aks"}}},
    ]
    derived = needs.derive_needs(plan, stack="x", stack_file="Pulumi.x.yaml", location="westeurope",
                                 resource_group="rg-x", create_resource_group=False)
    assert derived["externalScopes"] == [
        {"scope": subnet, "actions": ["Microsoft.Network/virtualNetworks/subnets/join/action"]}]
    assigned = [a for a in derived["actions"] if a["action"].endswith("/assign/action")]
    assert assigned == [{"action": "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
                         "for": ["id-jobs (used by cpu)"]}]
    assert "Microsoft.ContainerService" in derived["providers"]
    assert [c["name"] for c in derived["computes"]] == ["cpu"]  # Kubernetes computes use no Azure ML quota


def test_each_module_gives_the_namespace_of_its_types():
    assert {t: arm.namespace for t, arm in ARM_TYPES.items()
            if needs.MODULE_NAMESPACES[t.split(":")[1]] != arm.namespace} == {}
    assert needs.namespace_of("azure-native:network:Widget", None) == "Microsoft.Network"


def test_an_unmapped_type_is_a_warning():
    document = {**stack_needs(), "unknownTypes": ["azure-native:newthing:Widget"]}
    result = only(run_checks(document, FakeAzure()), "coverage", "azure-native:newthing:Widget")
    assert result.status == WARN


# --- output and entry point ----------------------------------------------------------------------


def test_table_and_json_output():
    results = run_checks(stack_needs(), FakeAzure(permissions=[CONTRIBUTOR]))
    table = report.render_table(stack_needs(), SUB, results)
    assert table.splitlines()[0] == (f"Preflight of stack 'dev' (Pulumi.dev.yaml): subscription {SUB}, "
                                     f"region westeurope, resource group {GROUP}")
    assert any(line.startswith("FAIL    permissions") for line in table.splitlines())
    assert "fix: grant the deploying identity Owner" in table
    assert table.rstrip().endswith("preflight FAILED: 11 pass, 0 warn, 1 fail, 0 error")
    document = json.loads(report.render_json(stack_needs(), SUB, results))
    assert document["ok"] is False
    assert document["counts"] == {"pass": 11, "warn": 0, "fail": 1, "error": 0}
    assert {"check", "subject", "status", "detail", "fix"} == set(document["results"][0])


def test_the_subscription_is_the_stacks_then_the_environments():
    assert subscription_of({"subscriptionId": "a"}, {"AZURE_SUBSCRIPTION_ID": "b"}) == "a"
    assert subscription_of({}, {"AZURE_SUBSCRIPTION_ID": "b", "ARM_SUBSCRIPTION_ID": "c"}) == "b"
    assert subscription_of({}, {"ARM_SUBSCRIPTION_ID": "c"}) == "c"
    assert subscription_of({}, {}, lambda: "d") == "d"
    assert subscription_of({}, {}) is None


def test_the_logic_imports_no_azure_sdk():
    """The Azure SDKs live in .venv-preflight only; the program's venv tests the logic without them."""
    code = ("import sys, tools.preflight.checks, tools.preflight.needs, tools.preflight.report, "
            "tools.preflight.__main__; print([m for m in sys.modules if m.split('.')[0] == 'azure'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    import importlib.util

    def installed(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            return False

    assert not installed("azure.mgmt.resource") and not installed("azure.identity")


def test_module_checks_names_every_check_in_order():
    """run_checks runs every check function of the module (a new one cannot be forgotten)."""
    defined = sorted(name for name in vars(checks) if name.startswith("check_"))
    source = (ROOT / "tools" / "preflight" / "checks.py").read_text().split("def run_checks", 1)[1]
    assert [name for name in defined if name not in source] == []


# --- AKS: ephemeral OS disks and host encryption --------------------------------------------------


def node_results(cluster: dict, **answers) -> list:
    return lines(run_checks(stack_needs(clusters=[cluster]), FakeAzure(**answers)), "aks nodes")


def test_nodes_are_not_checked_unless_a_cluster_asks():
    azure = FakeAzure()
    assert lines(run_checks(stack_needs(clusters=[aks_cluster("1.36")]), azure), "aks nodes") == []
    assert [c for c in azure.calls if c[0] in ("vm_skus", "feature_state")] == []


def test_ephemeral_os_disk_on_a_size_without_a_local_disk_fails():
    (result,) = node_results(aks_cluster("1.36", osDiskType="Ephemeral"))
    assert (result.status, result.subject, result.detail, result.fix) == (
        FAIL, "aks-mlops-dev-myaks ephemeral OS disk (Standard_D4s_v5)",
        "Standard_D4s_v5 does not support ephemeral OS disks",
        "set azureml-infra:kubernetesComputes[0].cluster.osDiskType: Managed, or a VM size with a local disk")


def test_ephemeral_os_disk_on_a_size_with_a_large_enough_local_disk_passes():
    (result,) = node_results(aks_cluster("1.36", osDiskType="Ephemeral", vmSize="standard_d4ds_v5"))
    assert (result.status, result.detail) == (
        PASS, "standard_d4ds_v5 supports ephemeral OS disks (cache 100 GiB, temporary disk 150 GiB)")


def test_ephemeral_os_disk_on_a_small_local_disk_is_a_warning():
    (result,) = node_results(aks_cluster("1.36", osDiskType="Ephemeral", vmSize="Standard_DS2_v2"))
    assert (result.status, result.detail) == (
        WARN, "Standard_DS2_v2's cache (86 GiB) and temporary disk (7 GiB) are smaller than 128 GB: AKS may not fit "
              "the OS disk there")


def test_host_encryption_needs_the_subscription_feature():
    (result,) = node_results(aks_cluster("1.36", encryptionAtHost=True), feature_state="NotRegistered")
    assert (result.status, result.detail) == (
        FAIL, "the subscription's Microsoft.Compute/EncryptionAtHost feature is NotRegistered")
    assert result.fix == (
        "az feature register --namespace Microsoft.Compute --name EncryptionAtHost, wait for Registered (az feature "
        "show), then az provider register --namespace Microsoft.Compute; or set "
        "azureml-infra:kubernetesComputes[0].cluster.encryptionAtHost: false")
    (ok,) = node_results(aks_cluster("1.36", encryptionAtHost=True))
    assert (ok.status, ok.detail) == (
        PASS, "Standard_D4s_v5 supports host encryption; the subscription's EncryptionAtHost feature is Registered")


def test_host_encryption_on_a_size_without_it_fails_before_asking_for_the_feature():
    azure = FakeAzure()
    cluster = aks_cluster("1.36", encryptionAtHost=True, vmSize="Standard_DS2_v2")
    (result,) = lines(run_checks(stack_needs(clusters=[cluster]), azure), "aks nodes")
    assert (result.status, result.detail) == (FAIL, "Standard_DS2_v2 does not support host encryption in westeurope")
    assert [c for c in azure.calls if c[0] == "feature_state"] == []


def test_an_api_error_on_the_skus_is_could_not_check():
    (result,) = node_results(aks_cluster("1.36", encryptionAtHost=True), vm_skus=RuntimeError("(AuthorizationFailed)"))
    assert (result.status, result.subject) == (ERROR, "westeurope")


def test_the_needs_carry_the_node_pools_disk_settings():
    from tools.preflight.needs import _kubernetes_cluster

    resource = {"azureName": "aks-mlops-dev-myaks", "inputs": {
        "kubernetesVersion": "1.36", "location": "westeurope",
        "agentPoolProfiles": [{"vmSize": "Standard_D4ds_v5", "osDiskType": "Ephemeral", "enableEncryptionAtHost": True}]}}
    cluster = _kubernetes_cluster(resource, "westeurope", {"aks-mlops-dev-myaks": VERSION_KEY})
    assert cluster is not None
    assert (cluster["vmSize"], cluster["osDiskType"], cluster["encryptionAtHost"]) == ("Standard_D4ds_v5", "Ephemeral", True)



# --- a customer-managed key in a vault of someone else's (issue 21) ---------------------------------

CMK_VAULT = f"/subscriptions/{SUB}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-cmk"


def cmk_needs(own: bool = False) -> dict:
    return {**stack_needs(), "customerManagedKeys": [{
        "workspace": "mlw-mlops-dev", "vaultId": CMK_VAULT, "keyUri": "https://kv-cmk.vault.azure.net/keys/mlw/abc",
        "ownVault": own}]}


class KeyFakeAzure(FakeAzure):
    def key_vault(self, vault_id):
        from tools.preflight.encryption import VaultState

        return self._answer("key_vault", vault_id, default=VaultState(True, True))

    def vault_key(self, vault_id, key_name):
        from tools.preflight.encryption import KeyState

        return self._answer("vault_key", vault_id, key_name, default=KeyState("RSA", 3072))


def test_the_enterprise_example_needs_its_key_checked():
    from tools.preflight.export import export

    path = ROOT / "examples" / "Pulumi.enterprise.yaml"
    assert export(path, planned_file(path))["customerManagedKeys"] == [{
        "workspace": "mlw-mlops-ent",
        "vaultId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-keys/providers/"
                   "Microsoft.KeyVault/vaults/kv-mlops-cmk",
        "keyUri": "https://kv-mlops-cmk.vault.azure.net/keys/mlw-mlops-ent/0123456789abcdef0123456789abcdef",
        "ownVault": False,
    }]


def test_a_protected_vault_and_an_rsa_key_pass():
    result = only(run_checks(cmk_needs(), KeyFakeAzure()), "customer-managed key", "kv-cmk/mlw")
    assert (result.status, result.detail) == (
        PASS, "vault kv-cmk has soft delete and purge protection; key mlw is RSA of 3072 bits")


def test_a_vault_without_purge_protection_fails():
    from tools.preflight.encryption import VaultState

    result = only(run_checks(cmk_needs(), KeyFakeAzure(key_vault=VaultState(True, False))),
                  "customer-managed key", "kv-cmk/mlw")
    assert (result.status, result.detail, result.fix) == (
        "fail", "vault kv-cmk has purge protection off: a purged key would make the workspace's data unreadable for good",
        "turn it on: az keyvault update --name kv-cmk --enable-purge-protection true")


@pytest.mark.parametrize("kty,size", [("EC", None), ("RSA", 1024)])
def test_a_key_that_is_not_rsa_2048_or_more_fails(kty, size):
    from tools.preflight.encryption import KeyState

    result = only(run_checks(cmk_needs(), KeyFakeAzure(vault_key=KeyState(kty, size))), "customer-managed key",
                  "kv-cmk/mlw")
    shown = f"{kty} of {size} bits" if size else kty
    assert (result.status, result.detail) == (
        "fail", f"key mlw is {shown}: the workspace needs an RSA key (RSA or RSA-HSM) of 2048 bits or more")


def test_the_stacks_own_vault_is_the_configs_to_check():
    azure = KeyFakeAzure()
    assert lines(run_checks(cmk_needs(own=True), azure), "customer-managed key") == []
    assert not [c for c in azure.calls if c[0] in ("key_vault", "vault_key")]


def test_an_unanswered_vault_is_an_error_not_a_pass():
    result = only(run_checks(cmk_needs(), KeyFakeAzure(key_vault=RuntimeError("forbidden"))), "customer-managed key",
                  "kv-cmk/mlw")
    assert result.status == "error"
