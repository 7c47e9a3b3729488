"""Compute clusters and instances as the engine receives them: the seed's cluster in dev and
test, the VNet/SSH variant (example stack file), identity kinds, instances, secrets, outputs.

End to end: the dev plan and the example's offline plan (both shared across the suite), and the
stack without computes. The clusters of other stack files are resolved from their config
(azureml_infra.resolve) and built into the compute components alone (create_computes), which is
also where a compute's own attributes (its principal, its secret properties) are read.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from azureml_infra.arm import is_guid
from azureml_infra.config import parse_config
from azureml_infra.deployment import Deployment
from azureml_infra.resolve import resolve
from components.compute import ComputesArgs, computes_output, create_computes
from components.placement import Placement
from tests.conftest import accepted, mock_principal, plan, planned_file, shipped_plan, stack
from tests.test_components import Holder
from tools.harness import (
    ROOT,
    SECRET_PLACEHOLDER,
    TENANT_ID,
    Registration,
    Run,
    is_secret_value,
    run_component,
    stack_config,
)
from tools.plan import stack_name_of

COMPUTE = "azure-native:machinelearningservices:Compute"
CLUSTER = "azureml-infra:compute:ComputeCluster"
INSTANCE = "azureml-infra:compute:ComputeInstance"
WORKSPACE_COMPONENT = "azureml-infra:workspace:MachineLearningWorkspace"
SUB = "00000000-0000-0000-0000-000000000000"
SUBNET = (
    f"/subscriptions/{SUB}/resourceGroups/rg-network-dev/providers/Microsoft.Network/virtualNetworks/"
    "vnet-mlops-dev/subnets/snet-training"
)
IDENTITY = f"/subscriptions/{SUB}/resourceGroups/rg-id/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-jobs"
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJiEvxIG0oNp769+ZDL64F49aTDZ9f/YPkTVRc3QknqQ azureuser@example"
EXAMPLE = ROOT / "examples" / "Pulumi.compute-vnet-ssh.yaml"


def compute(run: Run, name: str) -> Registration:
    return run.one(COMPUTE, name)


def unwrap(value: Any) -> Any:
    """A registered input with its secret wrapper (if any) removed."""
    return value["value"] if is_secret_value(value) else value


def aml(run: Run, name: str) -> dict:
    """The AmlCompute / ComputeInstance properties of a compute, as sent on the wire."""
    return unwrap(compute(run, name).inputs["properties"])["properties"]


def built(d: Deployment) -> Run:
    """The deployment's clusters and instances built into their components alone, under a stand-in
    for the workspace, placed and given secrets as the recipe places them. Outputs: ``computes``
    (the stack output's value), ``principals`` (each compute's principal_id), the computes with no
    principal_id at all (``without_principal``) and each compute's ``properties:<name>``."""
    placement = Placement(d.names.resource_group, d.names.ml_workspace, d.location, d.tags)
    secrets = {key: pulumi.Output.secret(SECRET_PLACEHOLDER) for key in d.secret_keys}

    def build() -> dict[str, Any]:
        made = create_computes(ComputesArgs(d.clusters, d.instances, placement, TENANT_ID, secrets=secrets),
                               parent=Holder())
        return {
            "computes": computes_output(made),
            "principals": {name: c.principal_id for name, c in made.items() if c.principal_id is not None},
            "without_principal": sorted(name for name, c in made.items() if c.principal_id is None),
            **{f"properties:{name}": c.compute.properties for name, c in made.items()},
        }

    return run_component(build).record()


def stack_file_deployment(path) -> Deployment:
    return resolve(parse_config(*stack_config(path), stack_name_of(path)))


@pytest.fixture(scope="module")
def seed_run() -> Run:
    return shipped_plan("dev")


@pytest.fixture(scope="module")
def example_run() -> Run:
    """The example's offline plan (a preview: ids unknown), shared with the plan and policy tests."""
    return planned_file(EXAMPLE)


@pytest.fixture(scope="module")
def example_built() -> Run:
    """The example's computes, resolved from its stack file and built into their components."""
    return built(stack_file_deployment(EXAMPLE))


# --- the seed's cluster in dev and test ---------------------------------------------------


def test_seed_cluster_has_the_seed_settings(seed_run):
    inputs = compute(seed_run, "cpu-compute").inputs
    assert inputs["computeName"] == "cpu-compute"
    assert inputs["workspaceName"] == f"mlw-mlops-{seed_run.stack}"
    assert inputs["resourceGroupName"] == f"rg-mlops-{seed_run.stack}"
    assert inputs["location"] == "westeurope"
    assert inputs["properties"]["computeType"] == "AmlCompute"
    props = inputs["properties"]["properties"]
    assert props["vmSize"] == "STANDARD_D3_V2"
    assert props["vmPriority"] == "Dedicated"
    assert props["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": 3, "nodeIdleTimeBeforeScaleDown": "PT15M"}


def test_seed_cluster_is_secure_by_default(seed_run):
    inputs = compute(seed_run, "cpu-compute").inputs
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert inputs["properties"]["disableLocalAuth"] is True
    props = inputs["properties"]["properties"]
    assert props["remoteLoginPortPublicAccess"] == "Disabled"
    assert "userAccountCredentials" not in props
    assert "subnet" not in props


def test_cluster_is_a_component_under_the_workspace(seed_run):
    component = seed_run.one(CLUSTER, "cpu-compute")
    workspace = seed_run.one(WORKSPACE_COMPONENT)
    assert component.parent == workspace.urn
    assert not component.custom
    resource = compute(seed_run, "cpu-compute")
    assert resource.parent == component.urn
    # Needs the workspace to exist: its name comes from the workspace resource.
    ml_workspace = seed_run.one("azure-native:machinelearningservices:Workspace")
    assert ml_workspace.urn in resource.property_dependencies["workspaceName"]


def test_fixed_compute_name_is_deleted_before_it_is_replaced(seed_run):
    assert compute(seed_run, "cpu-compute").delete_before_replace is True


def test_computes_output_gives_id_and_principal(seed_run):
    output = seed_run.outputs["computes"]
    assert output.known and not output.secret
    entry = output.value["cpu-compute"]
    assert entry["id"] == (
        f"/subscriptions/{SUB}/resourceGroups/rg-mlops-{seed_run.stack}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/mlw-mlops-{seed_run.stack}/computes/cpu-compute"
    )
    assert is_guid(entry["identityPrincipalId"])


def test_principal_id_attribute_is_the_system_assigned_identity(seed_run, variants):
    # The seed cluster's principal in the dev plan's output is the cluster's system-assigned identity
    # (the mocks' principal of its compute); the attribute resolves to that same principal, for each
    # cluster that has one.
    assert seed_run.outputs["computes"].value["cpu-compute"]["identityPrincipalId"] == mock_principal("cpu-compute")
    principals = variants.outputs["principals"].value
    assert sorted(principals) == ["both-identities", "defaults", "in-subnet", "low-priority", "ssh-key"]
    for name, principal in principals.items():
        assert principal == variants.outputs["computes"].value[name]["identityPrincipalId"] == mock_principal(name)


def test_the_test_stack_has_the_seed_cluster_too():
    """Pulumi.test.yaml's seed cluster is dev's (both resolved from their stack files), so what the dev
    plan shows above holds for it; only the workspace it goes into differs."""
    dev, test = stack_file_deployment(ROOT / "Pulumi.dev.yaml"), stack_file_deployment(ROOT / "Pulumi.test.yaml")
    assert [c.name for c in test.clusters] == ["cpu-compute"]
    assert test.clusters == dev.clusters
    assert (test.names.ml_workspace, test.names.resource_group, test.location) == (
        "mlw-mlops-test", "rg-mlops-test", "westeurope")


# --- the VNet/SSH variant, from the example stack file -----------------------------------


def test_example_cluster_is_in_the_subnet_with_an_admin_user(example_run):
    props = aml(example_run, "cpu-compute")
    assert props["subnet"] == {"id": SUBNET}
    assert props["enableNodePublicIp"] is True
    assert props["userAccountCredentials"]["adminUserName"] == "azureuser"
    assert "adminUserSshPublicKey" not in props["userAccountCredentials"]
    assert props["remoteLoginPortPublicAccess"] == "Disabled"
    assert props["scaleSettings"] == {"minNodeCount": 0, "maxNodeCount": 3, "nodeIdleTimeBeforeScaleDown": "PT15M"}


def test_example_password_is_read_from_the_secret_key_and_sent_as_a_secret(example_run):
    wire = compute(example_run, "cpu-compute").inputs["properties"]
    assert is_secret_value(wire)
    # The harness's stand-in for the decrypted `secure:` value of cpuComputeAdminPassword.
    assert wire["value"]["properties"]["userAccountCredentials"]["adminUserPassword"] == SECRET_PLACEHOLDER


def test_example_password_stays_secret_in_the_outputs(example_built):
    assert example_built.outputs["properties:cpu-compute"].secret
    assert not example_built.outputs["properties:ci-analyst1"].secret


def test_example_compute_instance(example_run):
    component = example_run.one(INSTANCE, "ci-analyst1")
    assert component.parent == example_run.one(WORKSPACE_COMPONENT).urn
    inputs = compute(example_run, "ci-analyst1").inputs
    assert inputs["properties"]["computeType"] == "ComputeInstance"
    assert inputs["properties"]["disableLocalAuth"] is True
    assert "identity" not in inputs
    props = inputs["properties"]["properties"]
    assert props["vmSize"] == "STANDARD_DS3_V2"
    assert props["subnet"] == {"id": SUBNET}
    assert props["idleTimeBeforeShutdown"] == "PT60M"
    assert props["computeInstanceAuthorizationType"] == "personal"
    assert props["personalComputeInstanceSettings"] == {
        "assignedUser": {"objectId": "4f1c2a9e-8d3b-4c6a-9e7f-2b5d8a1c3e60", "tenantId": TENANT_ID}
    }
    assert props["applicationSharingPolicy"] == "Personal"
    assert props["sshSettings"] == {"sshPublicAccess": "Disabled"}
    assert compute(example_run, "ci-analyst1").delete_before_replace is True


def test_example_outputs_list_cluster_and_instance(example_built):
    value = example_built.outputs["computes"].value
    assert set(value) == {"cpu-compute", "ci-analyst1"}
    assert set(value["ci-analyst1"]) == {"id"}
    assert value["ci-analyst1"]["id"].endswith("/workspaces/mlw-mlops-dev/computes/ci-analyst1")
    assert example_built.outputs["without_principal"].value == ["ci-analyst1"]


def test_example_previews_like_a_first_deployment(example_run):
    run = example_run
    assert {r.name for r in run.of_type(COMPUTE)} == {"cpu-compute", "ci-analyst1"}
    assert run.outputs["computes"].known is False


# --- one cluster per setting, in one plan ---------------------------------------------------

# Each test below reads its own cluster of this one stack, resolved and built into the compute
# components alone: a plan per setting would cost a plan each for what one run shows cluster by cluster.
VARIANTS = {
    "no-identity": {"identity": "none"},
    "user-assigned": {"identity": {"userAssigned": [IDENTITY]}},
    "both-identities": {"identity": {"userAssigned": [IDENTITY], "systemAssigned": True}},
    "ssh-key": {"ssh": {"adminUserName": "azureuser", "publicKey": ED25519, "publicAccess": True}},
    "in-subnet": {"subnetId": SUBNET, "nodePublicIp": False},
    "low-priority": {"priority": "LowPriority", "minNodes": 1, "maxNodes": 4, "idleTimeBeforeScaleDown": "PT30M",
                     "disableLocalAuth": False},
    "defaults": {},
}


@pytest.fixture(scope="module")
def variants() -> Run:
    clusters = [{"name": name, "vmSize": "STANDARD_NC6s_v3", "maxNodes": 2, **settings}
                for name, settings in VARIANTS.items()]
    return built(resolve(accepted(stack({"azureml-infra:computes": clusters}))))


# --- identity kinds ------------------------------------------------------------------------


def test_no_identity(variants):
    assert "identity" not in compute(variants, "no-identity").inputs
    assert "no-identity" in variants.outputs["without_principal"].value
    assert set(variants.outputs["computes"].value["no-identity"]) == {"id"}


def test_user_assigned_identity(variants):
    identity = compute(variants, "user-assigned").inputs["identity"]
    assert identity == {"type": "UserAssigned", "userAssignedIdentities": [IDENTITY]}
    # Data roles go to the user-assigned identity itself, not to the cluster.
    assert "user-assigned" in variants.outputs["without_principal"].value
    assert set(variants.outputs["computes"].value["user-assigned"]) == {"id"}


def test_system_and_user_assigned_identity(variants):
    assert compute(variants, "both-identities").inputs["identity"] == {
        "type": "SystemAssigned,UserAssigned",
        "userAssignedIdentities": [IDENTITY],
    }
    assert is_guid(variants.outputs["computes"].value["both-identities"]["identityPrincipalId"])


# --- other settings reach the engine -------------------------------------------------------


def test_ssh_public_key_variant_is_not_secret(variants):
    wire = compute(variants, "ssh-key").inputs["properties"]
    assert not is_secret_value(wire)
    props = wire["properties"]
    assert props["userAccountCredentials"] == {"adminUserName": "azureuser", "adminUserSshPublicKey": ED25519}
    assert props["remoteLoginPortPublicAccess"] == "Enabled"


def test_nodes_without_public_ip_in_a_subnet(variants):
    props = aml(variants, "in-subnet")
    assert props["subnet"] == {"id": SUBNET}
    assert props["enableNodePublicIp"] is False


def test_low_priority_scaling_and_local_auth_on_purpose(variants):
    inputs = compute(variants, "low-priority").inputs
    assert inputs["properties"]["disableLocalAuth"] is False
    props = inputs["properties"]["properties"]
    assert props["vmPriority"] == "LowPriority"
    assert props["vmSize"] == "STANDARD_NC6s_v3"
    assert props["scaleSettings"] == {"minNodeCount": 1, "maxNodeCount": 4, "nodeIdleTimeBeforeScaleDown": "PT30M"}


def test_default_idle_time_is_azures_two_minutes(variants):
    assert aml(variants, "defaults")["scaleSettings"]["nodeIdleTimeBeforeScaleDown"] == "PT120S"


def test_several_clusters_each_get_a_component(variants):
    # The seven clusters of VARIANTS, each its own component holding its compute.
    assert sorted(r.name for r in variants.of_type(CLUSTER)) == sorted(VARIANTS)
    assert {r.inputs["computeName"] for r in variants.of_type(COMPUTE)} == set(VARIANTS)
    assert {variants.by_urn(r.parent).name for r in variants.of_type(COMPUTE)} == set(VARIANTS)
    assert set(variants.outputs["computes"].value) == set(VARIANTS)


def test_no_computes_configured():
    run = plan(stack())
    assert run.of_type(COMPUTE) == []
    assert run.outputs["computes"].value == {}
