"""Compute clusters and instances as the engine receives them: the seed's cluster in dev and
test, the VNet/SSH variant (example stack file), identity kinds, instances, secrets, outputs."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from azureml_infra.arm import is_guid
from tests.conftest import plan, run_file, shipped_plan, stack
from tools.harness import (
    ROOT,
    SECRET_PLACEHOLDER,
    TENANT_ID,
    Registration,
    Run,
    is_secret_value,
)

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


def is_secret(output: pulumi.Output) -> bool:
    """Await ``output.is_secret()`` inside a test run of the SDK (after the program ran)."""
    seen: dict[str, bool] = {}

    @pulumi.runtime.test
    async def check():
        seen["secret"] = await output.is_secret()

    check()
    return seen["secret"]


def resolved(output: pulumi.Output) -> Any:
    seen: dict[str, Any] = {}

    @pulumi.runtime.test
    async def check():
        seen["value"] = await output.future()

    check()
    return seen["value"]


@pytest.fixture(scope="module", params=["dev", "test"])
def seed_run(request) -> Run:
    return shipped_plan(request.param)


@pytest.fixture(scope="module")
def example_run() -> Run:
    return run_file(EXAMPLE, shared=False)  # its tests read the components (program)


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


def test_principal_id_attribute_is_the_system_assigned_identity(seed_run):
    cluster = run_file(ROOT / f"Pulumi.{seed_run.stack}.yaml", shared=False).program["computes"]["cpu-compute"]
    assert resolved(cluster.principal_id) == seed_run.outputs["computes"].value["cpu-compute"]["identityPrincipalId"]


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


def test_example_password_stays_secret_in_the_outputs(example_run):
    cluster = example_run.program["computes"]["cpu-compute"]
    assert is_secret(cluster.compute.properties)


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


def test_example_outputs_list_cluster_and_instance(example_run):
    value = example_run.outputs["computes"].value
    assert set(value) == {"cpu-compute", "ci-analyst1"}
    assert set(value["ci-analyst1"]) == {"id"}
    assert value["ci-analyst1"]["id"].endswith("/workspaces/mlw-mlops-dev/computes/ci-analyst1")
    assert example_run.program["computes"]["ci-analyst1"].principal_id is None


def test_example_previews_like_a_first_deployment():
    run = run_file(EXAMPLE, preview=True)
    assert {r.name for r in run.of_type(COMPUTE)} == {"cpu-compute", "ci-analyst1"}
    assert run.outputs["computes"].known is False


# --- one cluster per setting, in one plan ---------------------------------------------------

# Each test below reads its own cluster of this one stack: a plan per setting would cost a plan
# each (0.15 s) for what one plan shows cluster by cluster.
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
    """A run of its own (shared=False): the identity tests read the compute components."""
    clusters = [{"name": name, "vmSize": "STANDARD_NC6s_v3", "maxNodes": 2, **settings}
                for name, settings in VARIANTS.items()]
    return plan(stack({"azureml-infra:computes": clusters}), shared=False)


# --- identity kinds ------------------------------------------------------------------------


def test_no_identity(variants):
    assert "identity" not in compute(variants, "no-identity").inputs
    assert variants.program["computes"]["no-identity"].principal_id is None
    assert set(variants.outputs["computes"].value["no-identity"]) == {"id"}


def test_user_assigned_identity(variants):
    identity = compute(variants, "user-assigned").inputs["identity"]
    assert identity == {"type": "UserAssigned", "userAssignedIdentities": [IDENTITY]}
    # Data roles go to the user-assigned identity itself, not to the cluster.
    assert variants.program["computes"]["user-assigned"].principal_id is None
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


def test_several_clusters_each_get_a_component():
    run = plan(
        stack(
            {
                "azureml-infra:computes": [
                    {"name": "cpu", "vmSize": "STANDARD_D3_V2", "maxNodes": 3},
                    {"name": "gpu", "vmSize": "STANDARD_NC6s_v3", "maxNodes": 1},
                ]
            }
        )
    )
    assert sorted(r.name for r in run.of_type(CLUSTER)) == ["cpu", "gpu"]
    assert {r.inputs["computeName"] for r in run.of_type(COMPUTE)} == {"cpu", "gpu"}
    assert set(run.outputs["computes"].value) == {"cpu", "gpu"}


def test_no_computes_configured():
    run = plan(stack())
    assert run.of_type(COMPUTE) == []
    assert run.outputs["computes"].value == {}
