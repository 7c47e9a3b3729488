"""Journeys (azureml_infra.journeys): every shipped stack and example gives every journey it offers
what it needs, and ``unmet`` names the journey and the missing piece for each kind of gap.

Resolved directly (no program run): a gap is made by changing the stack file, or the resolved
Deployment with dataclasses.replace where no stack file can express it.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from azureml_infra.config import parse_config
from azureml_infra.deployment import Deployment
from azureml_infra.journeys import JOURNEYS, unmet
from azureml_infra.resolve import resolve
from azureml_infra.roles import Role
from tests.conftest import ROOT, SHIPPED_STACK_FILES, accepted, stack
from tools.harness import stack_config
from tools.plan import stack_name_of

JOB = "submit a command job that reads and writes workspaceblobstore"
STUDIO = "open a notebook and browse files in the studio"
IMAGE = "build an environment image from a conda file"
DATASTORES = "read each datastore"
ENDPOINT = "deploy and score an online endpoint on a Kubernetes compute"
BATCH = "run a batch endpoint"
REGISTRY = "register a model and share it through the registry"
MODEL = "call a hosted model from a job"  # its gaps: tests/test_foundry.py


@functools.cache
def shipped(path: Path) -> Deployment:
    """The resolved deployment of a shipped stack file (frozen dataclasses: shared safely)."""
    raw, secrets = stack_config(path)
    return resolve(parse_config(raw, secrets, stack_name_of(path)))


def stack_file(name: str) -> dict[str, Any]:
    """The ``config:`` map of a shipped stack file, to change."""
    path = ROOT / f"Pulumi.{name}.yaml" if (ROOT / f"Pulumi.{name}.yaml").exists() else ROOT / "examples" / f"Pulumi.{name}.yaml"
    return copy.deepcopy(yaml.safe_load(path.read_text())["config"])


def resolved(config: dict[str, Any], stack_name: str = "dev") -> Deployment:
    return resolve(accepted(config, stack_name))


def gaps(d: Deployment) -> list[tuple[str, str]]:
    return [(journey, need.piece) for journey, need in unmet(d)]


# --- every shipped stack file ----------------------------------------------------------------


def test_the_journey_names():
    assert [j.name for j in JOURNEYS] == [JOB, STUDIO, IMAGE, DATASTORES, ENDPOINT, BATCH, REGISTRY, MODEL]


@pytest.mark.parametrize("path", SHIPPED_STACK_FILES, ids=lambda p: p.name)
def test_every_shipped_stack_gives_each_journey_it_offers_what_it_needs(path):
    missing = unmet(shipped(path))
    assert not missing, f"{path.relative_to(ROOT)}: " + "; ".join(
        f"journey '{journey}' lacks {need.piece} ({need.source})" for journey, need in missing)


def test_the_shipped_stacks_between_them_offer_every_journey():
    """So the test above holds every journey to its needs somewhere."""
    offered = {j.name for path in SHIPPED_STACK_FILES for d in (shipped(path),) for j in JOURNEYS if j.offered(d)}
    assert offered == {j.name for j in JOURNEYS}


# --- each kind of gap --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod() -> Deployment:
    return shipped(ROOT / "Pulumi.prod.yaml")


def without_role(grants: tuple, role: Role) -> tuple:
    return tuple(g for g in grants if g.grant.role_id != role.id)


def test_a_cluster_without_its_storage_grant(prod):
    (cluster,) = prod.clusters
    d = replace(prod, clusters=(replace(cluster, grants=without_role(cluster.grants, Role.STORAGE_BLOB_DATA_CONTRIBUTOR)),))
    assert gaps(d) == [(JOB, "Storage Blob Data Contributor on the workspace storage for compute cpu-compute")]


def test_a_cluster_whose_storage_grant_is_on_another_resource(prod):
    (cluster,) = prod.clusters
    grants = tuple(replace(g, target="dataStorage") if g.grant.role_id == Role.STORAGE_BLOB_DATA_CONTRIBUTOR.id else g
                   for g in cluster.grants)
    d = replace(prod, clusters=(replace(cluster, grants=grants),))
    assert gaps(d) == [(JOB, "Storage Blob Data Contributor on the workspace storage for compute cpu-compute")]


def test_a_cluster_without_its_queue_and_table_grants(prod):
    (cluster,) = prod.clusters
    grants = without_role(without_role(cluster.grants, Role.STORAGE_QUEUE_DATA_CONTRIBUTOR),
                          Role.STORAGE_TABLE_DATA_CONTRIBUTOR)
    assert gaps(replace(prod, clusters=(replace(cluster, grants=grants),))) == [
        (BATCH, "Storage Queue Data Contributor on the workspace storage for compute cpu-compute"),
        (BATCH, "Storage Table Data Contributor on the workspace storage for compute cpu-compute"),
    ]


def test_a_keyless_stack_whose_cluster_has_only_a_user_assigned_identity():
    uai = ("/subscriptions/22222222-3333-4444-5555-666666666666/resourceGroups/rg-id/providers/"
           "Microsoft.ManagedIdentity/userAssignedIdentities/id-jobs")
    d = resolved(stack({"azureml-infra:workspace": {"storageAccount": {"allowSharedKeyAccess": False}},
                        "azureml-infra:computes": [{"name": "jobs", "vmSize": "STANDARD_D3_V2", "maxNodes": 1,
                                                    "identity": {"userAssigned": [uai]}}]}))
    assert gaps(d) == [
        (JOB, "compute jobs has an identity of its own to reach workspaceblobstore with"),
        (JOB, "Storage Blob Data Contributor on the workspace storage for compute jobs"),
        (STUDIO, "someone has Storage Blob Data Contributor on the workspace storage (access[].persona: "
                 "dataScientist or mlEngineer)"),
        (STUDIO, "someone has Storage File Data Privileged Contributor on the workspace storage (access[].persona: "
                 "dataScientist or mlEngineer)"),
        (BATCH, "Storage Queue Data Contributor on the workspace storage for compute jobs"),
        (BATCH, "Storage Table Data Contributor on the workspace storage for compute jobs"),
    ]


def test_an_approved_only_stack_without_the_conda_preset():
    config = stack_file("prod")
    config["azureml-infra:network"]["outboundPresets"] = ["pypi"]
    assert gaps(resolved(config, "prod")) == [
        (IMAGE, "outbound rules to the conda hosts (anaconda.com, *.anaconda.com, *.anaconda.org): "
                "network.outboundPresets: [conda]"),
    ]
    del config["azureml-infra:network"]["outboundPresets"]
    del config["azureml-infra:network"]["firewallSku"]  # only with fqdn rules
    assert gaps(resolved(config, "prod")) == [
        (IMAGE, "outbound rules to the conda hosts (anaconda.com, *.anaconda.com, *.anaconda.org): "
                "network.outboundPresets: [conda]"),
        (IMAGE, "outbound rules to the pypi hosts (pypi.org, *.pythonhosted.org): network.outboundPresets: [pypi]"),
    ]


def test_the_hosts_count_not_the_preset_that_gives_them():
    config = stack_file("prod")
    config["azureml-infra:network"]["outboundPresets"] = ["pypi"]
    config["azureml-infra:network"]["outboundRules"] = [
        {"name": f"conda-{i}", "fqdn": host} for i, host in enumerate(("anaconda.com", "*.anaconda.com", "*.anaconda.org"))]
    assert gaps(resolved(config, "prod")) == []


def test_prod_without_its_persona_entries():
    config = stack_file("prod")
    del config["azureml-infra:access"]
    studio = [
        (STUDIO, "someone has Storage Blob Data Contributor on the workspace storage (access[].persona: "
                 "dataScientist or mlEngineer)"),
        (STUDIO, "someone has Storage File Data Privileged Contributor on the workspace storage (access[].persona: "
                 "dataScientist or mlEngineer)"),
    ]
    assert gaps(resolved(config, "prod")) == studio
    # A reader alone reads: the studio's file explorer needs a contributor.
    config["azureml-infra:access"] = [
        {"principalId": "4a9d2c7e-8b1f-4d3a-9e6c-5b0a1f2e3d73", "principalType": "Group", "persona": "reader"}]
    assert gaps(resolved(config, "prod")) == studio


def test_the_workspace_identity_without_reader_on_a_storage_endpoint(prod):
    endpoints = tuple(replace(e, reader=None) if e.key == "storage-account-file" else e for e in prod.endpoints)
    assert gaps(replace(prod, endpoints=endpoints)) == [
        (STUDIO, "the workspace identity has Reader on the storage's file private endpoint")]


def test_a_kubernetes_inference_compute_without_acr_pull():
    d = shipped(ROOT / "examples" / "Pulumi.aks-inference.yaml")
    (k,) = d.kubernetes
    assert k.inference
    d = replace(d, kubernetes=(replace(k, grants=without_role(k.grants, Role.ACR_PULL)),))
    assert gaps(d) == [(ENDPOINT, "AcrPull on the workspace registry for compute myaks")]


def test_a_kubernetes_training_compute_without_its_storage_grant():
    d = resolved(stack({
        "azureml-infra:workspace": {"storageAccount": {"allowSharedKeyAccess": False}},
        "azureml-infra:kubernetesComputes": [
            {"name": "trainaks", "inference": False, "training": True, "cluster": {"vmSize": "Standard_D4s_v5"}}],
        "azureml-infra:access": [
            {"principalId": "2b7c9e4a-5d1f-4c3b-8a6e-9f0d1c2b3a41", "principalType": "Group", "persona": "dataScientist"}],
    }))
    assert gaps(d) == []
    (k,) = d.kubernetes
    d = replace(d, kubernetes=(replace(k, grants=without_role(k.grants, Role.STORAGE_BLOB_DATA_CONTRIBUTOR)),))
    assert gaps(d) == [(JOB, "Storage Blob Data Contributor on the workspace storage for compute trainaks")]


@pytest.mark.parametrize("missing", ["storage-account-queue", "storage-account-table"])
def test_a_managed_network_without_the_queue_or_table_rule(prod, missing):
    assert prod.outbound_rules is not None
    rules = tuple(r for r in prod.outbound_rules.rules if r.name != missing)
    d = replace(prod, outbound_rules=replace(prod.outbound_rules, rules=rules))
    assert gaps(d) == [(BATCH, "managed network rules to the default storage's queue and table")]


def test_a_private_stack_without_the_queue_and_table_endpoints():
    # No shipped stack is private without a managed network: its computes run in the stack's subnet.
    d = resolved(stack({
        "azureml-infra:workspace": {"containerRegistry": {"sku": "Premium"}, "imageBuildCompute": "cpu"},
        "azureml-infra:network": {"privateEndpoints": {"vnet": {
            "addressSpace": "10.20.0.0/16", "privateEndpointSubnet": "10.20.1.0/24", "trainingSubnet": "10.20.2.0/24"}}},
        "azureml-infra:computes": [{"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 2, "subnetId": "training"}],
    }))
    assert gaps(d) == []
    d = replace(d, endpoints=tuple(e for e in d.endpoints if e.group_id != "table"))
    assert gaps(d) == [(BATCH, "private endpoints to the default storage's queue and table")]


def test_a_missing_registry_grant():
    d = shipped(ROOT / "examples" / "Pulumi.registry-consumer.yaml")
    assert d.registry is not None
    workspace_only = tuple(g for g in d.registry.grants if g.compute is not None)
    assert gaps(replace(d, registry=replace(d.registry, grants=workspace_only))) == [
        (REGISTRY, "AzureML Registry User on the registry for the workspace identity")]
    clusters_only = tuple(g for g in d.registry.grants if g.compute is None)
    assert gaps(replace(d, registry=replace(d.registry, grants=clusters_only))) == [
        (REGISTRY, "AzureML Registry User on the registry for compute cpu-compute")]


REGISTRY_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers/"
               "Microsoft.MachineLearningServices/registries/mlr-x")


def test_an_approved_only_stack_with_a_registry_needs_its_service_tags():
    config = stack_file("prod")
    config["azureml-infra:registry"] = {"id": REGISTRY_ID}
    assert gaps(resolved(config, "prod")) == [
        (REGISTRY, "a serviceTag outbound rule to Storage.westeurope"),
        (REGISTRY, "a serviceTag outbound rule to AzureContainerRegistry.westeurope"),
    ]
    config["azureml-infra:network"]["outboundRules"] = [
        {"name": name, "serviceTag": {"tag": tag, "protocol": "TCP", "ports": "443"}}
        for name, tag in (("storage", "Storage.westeurope"), ("acr", "AzureContainerRegistry.westeurope"))]
    assert gaps(resolved(config, "prod")) == []


def test_an_identity_datastore_without_the_workspaces_grant():
    d = shipped(ROOT / "examples" / "Pulumi.datastores.yaml")
    identity = [ds for ds in d.datastores if ds.auth.credentials_type == "None"]
    assert identity, "examples/Pulumi.datastores.yaml has an identity-based datastore"
    first = identity[0]
    datastores = tuple(replace(ds, grants=tuple(g for g in ds.grants if g.compute is not None)) if ds is first else ds
                       for ds in d.datastores)
    assert gaps(replace(d, datastores=datastores)) == [
        (DATASTORES, f"the workspace identity has a data role on datastore {first.name}'s container")]


def test_a_private_stack_without_an_image_build_compute(prod):
    d = replace(prod, workspace=replace(prod.workspace, image_build_compute=None))
    assert gaps(d) == [(IMAGE, "a compute cluster builds images (workspace.imageBuildCompute): a private registry cannot")]


def test_a_journey_not_offered_is_not_checked(prod):
    # Without clusters no job or batch journey is offered, whatever else is missing.
    assert prod.outbound_rules is not None
    d = replace(prod, clusters=(), outbound_rules=replace(prod.outbound_rules, rules=()))
    assert gaps(d) == [
        (IMAGE, "outbound rules to the conda hosts (anaconda.com, *.anaconda.com, *.anaconda.org): "
                "network.outboundPresets: [conda]"),
        (IMAGE, "outbound rules to the pypi hosts (pypi.org, *.pythonhosted.org): network.outboundPresets: [pypi]"),
    ]


def test_the_program_warns_of_a_journey_a_stack_cannot_complete(caplog):
    # A keyless stack whose only cluster has no identity of its own: its jobs cannot reach
    # workspaceblobstore. Run on its own (shared=False): the warning is logged while it runs.
    from tests.conftest import plan

    plan(stack({"azureml-infra:workspace": {"storageAccount": {"allowSharedKeyAccess": False}},
                "azureml-infra:computes": [{"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 1,
                                            "identity": "none"}]}), shared=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "journey" in r.getMessage()]
    assert warnings[0] == (
        f"journey '{JOB}' will fail: it needs compute cpu has an identity of its own to reach workspaceblobstore "
        "with (how-to-identity-based-service-authentication.md: \"If the identity property is left unspecified and "
        "datastore doesn't have cached credentials, then compute managed identity becomes the fallback option\")"
    )
