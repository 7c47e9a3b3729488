"""The shared Azure ML registry under mocks: created (stateful, protected) with its outputs, or
used by id with nothing created; AzureML Registry User for the workspace and compute identities.

Read from the registry examples' plans, one variant plan (tests.variant_plans.py's
TEAM_REGISTRY) and the registry component built alone from a resolved reused registry."""

from __future__ import annotations

import uuid

import pytest

from azureml_infra import facts
from azureml_infra.keys import assignment_name
from azureml_infra.resolve import resolve
from azureml_infra.roles import Role
from tests.conftest import accepted, assert_refused, mock_principal, plan, run_file, stack
from tests.variant_plans import OTHER, TEAM_REGISTRY, reused_registry_deployment, reused_registry_run
from tools.graph import deployment_depth, nodes_from_registrations
from tools.harness import ROOT

REGISTRY = "azure-native:machinelearningservices:Registry"
ROLE = "azure-native:authorization:RoleAssignment"
SUB = "00000000-0000-0000-0000-000000000000"
OWNER_ID = f"/subscriptions/{SUB}/resourceGroups/rg-mlops-shared/providers/Microsoft.MachineLearningServices/registries/mlr-mlops"
# AzureML Registry User (MicrosoftDocs/azure-docs built-in-roles/ai-machine-learning.md).
REGISTRY_USER = "1823dd4f-9b8c-4ab6-ab4e-7397a3684615"


def example(name: str, preview: bool = False):
    """An example's run; its preview is the offline plan's, which the suite makes anyway
    (conftest.planned_file: tests/test_plan.py and the other files of every shipped stack)."""
    return run_file(ROOT / "examples" / f"Pulumi.{name}.yaml", preview=preview)


@pytest.fixture(scope="module")
def owner():
    # Not a preview: the tests read the created registry's id, which only Azure knows.
    return example("registry-owner")


@pytest.fixture(scope="module")
def consumer():
    # Everything its tests read comes from config (the registry's id included): known in a preview.
    return example("registry-consumer", preview=True)


def registry_roles(run):
    return {r.name: r for r in run.of_type(ROLE) if r.name.startswith("registry-user-")}


def test_created_registry_mirrors_the_documented_body(owner):
    reg = owner.one(REGISTRY)
    i = reg.inputs
    assert reg.azure_name == "mlr-mlops" and i["location"] == "westeurope"
    assert i["resourceGroupName"] == "rg-mlops-shared"
    assert i["identity"] == {"type": "SystemAssigned"} and i["publicNetworkAccess"] == "Enabled"
    assert i["regionDetails"] == [
        {"location": region,
         "acrDetails": [{"systemCreatedAcrAccount": {"acrAccountSku": "Premium"}}],
         "storageAccountDetails": [{"systemCreatedStorageAccount": {
             "storageAccountType": "Standard_LRS", "allowBlobPublicAccess": False}}]}
        for region in ("westeurope", "northeurope")
    ]


def test_created_registry_is_stateful_and_protected(owner):
    assert facts.ML_REGISTRY in facts.STATEFUL_TYPES
    reg = owner.one(REGISTRY)
    assert reg.protect and reg.retain_on_delete


@pytest.fixture(scope="module")
def team():
    """A stack that creates its registry, unprotected, and has a Kubernetes compute: the file's one
    variant plan (shared with tests/test_personas.py)."""
    return plan(TEAM_REGISTRY)


def test_created_registry_unprotected_without_protect(team):
    spec = resolve(accepted(TEAM_REGISTRY)).registry
    assert spec is not None and spec.existing_id is None and not spec.protect
    reg = team.one(REGISTRY)
    assert not reg.protect and not reg.retain_on_delete


def test_owner_outputs_registry_id_and_name(owner):
    assert owner.outputs["registryId"].value == OWNER_ID
    assert owner.outputs["registryName"].value == "mlr-mlops"


def test_owner_grants_its_own_workspace_and_cluster(owner):
    roles = registry_roles(owner)
    assert set(roles) == {"registry-user-workspace", "registry-user-compute-cpu-compute"}
    for role in roles.values():
        assert role.inputs["scope"] == OWNER_ID
        assert role.inputs["roleDefinitionId"] == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{REGISTRY_USER}"
        assert role.inputs["principalType"] == "ServicePrincipal" and role.inputs["principalId"]


def test_consumer_creates_nothing_for_the_registry_and_grants_the_roles(consumer):
    assert consumer.of_type(REGISTRY) == []
    roles = registry_roles(consumer)
    assert set(roles) == {"registry-user-workspace", "registry-user-compute-cpu-compute"}
    assert {r.inputs["scope"] for r in roles.values()} == {OWNER_ID}
    # Names from config values only: the registry, the role, the identity's config key.
    assert roles["registry-user-workspace"].inputs["roleAssignmentName"] == assignment_name(
        "mlregistry/mlr-mlops", Role.AZUREML_REGISTRY_USER.id, "mlw-mlops-test/workspace")
    uuid.UUID(roles["registry-user-compute-cpu-compute"].inputs["roleAssignmentName"])


def test_consumer_passes_on_the_id_as_its_own_output(consumer):
    assert consumer.outputs["registryId"].value == OWNER_ID
    assert consumer.outputs["registryName"].value == "mlr-mlops"


def test_role_definition_is_in_the_registrys_subscription():
    # The registry component built alone from a resolved stack that reuses a registry in another
    # subscription (tests.variant_plans.py).
    d = reused_registry_deployment()
    assert d.registry is not None and [r.grant.subscription_id for r in d.registry.grants] == [OTHER]
    (role,) = registry_roles(reused_registry_run()).values()
    assert role.inputs["roleDefinitionId"].startswith(f"/subscriptions/{OTHER}/providers/")


def test_kubernetes_compute_identity_gets_the_role(team):
    roles = registry_roles(team)
    assert set(roles) == {"registry-user-workspace", "registry-user-compute-myaks"}
    # The Kubernetes compute's own principal, as the mocks give the compute with its identity.
    assert roles["registry-user-compute-myaks"].inputs["principalId"] == mock_principal("myaks")


def test_no_registry_no_outputs(dev_run):
    assert "registryId" not in dev_run.outputs and dev_run.of_type(REGISTRY) == []


def test_depth_each_added_wave_is_forced(owner, consumer, dev_run):
    dev = deployment_depth(nodes_from_registrations(dev_run.registrations))
    for run in (owner, consumer):
        depth = deployment_depth(nodes_from_registrations(run.registrations))
        # One wave more than dev: a cluster's role needs the cluster's identity.
        assert depth.waves == dev.waves + 1 == 6
        assert depth.critical_path[-2:] == ["cpu-compute", "registry-user-compute-cpu-compute"]


# --- config rules --------------------------------------------------------------------------------


def refused(registry, expected):
    assert_refused(stack({"azureml-infra:registry": registry}), [f"azureml-infra:registry{expected}"])


def test_neither_create_nor_id():
    refused({}, ": set exactly one of create (this stack creates the registry) or id (use an existing one)")


def test_both_create_and_id():
    refused({"create": {"name": "mlr-mlops", "regions": ["westeurope"]}, "id": OWNER_ID},
            ": set exactly one of create (this stack creates the registry) or id (use an existing one), not both")


def test_id_of_the_wrong_type():
    wrong = OWNER_ID.replace("registries", "workspaces")
    refused({"id": wrong}, f".id: is the id of a Microsoft.MachineLearningServices/workspaces, not of a "
                           f'Microsoft.MachineLearningServices/registries (got "{wrong}")')


@pytest.mark.parametrize("name,message", [
    ("-mlr", 'a machine learning registry name may contain only letters, digits, hyphens and underscores, and '
             'must start with a letter or digit (got "-mlr")'),
    ("ml", 'a machine learning registry name must be 3-32 characters long (this one has 2) (got "ml")'),
    ("m" * 33, f'a machine learning registry name must be 3-32 characters long (this one has 33) (got "{"m" * 33}")'),
])
def test_bad_names(name, message):
    refused({"create": {"name": name, "regions": ["westeurope"]}}, f".create.name: {message}")


def test_regions_rules():
    refused({"create": {"name": "mlr-mlops", "regions": []}},
            ".create.regions: list should have at least 1 item after validation, not 0")
    refused({"create": {"name": "mlr-mlops", "regions": ["West Europe"]}},
            '.create.regions[0]: must be an Azure region name such as westeurope (lowercase, no spaces) '
            '(got "West Europe")')
    refused({"create": {"name": "mlr-mlops", "regions": ["westeurope", "westeurope"]}},
            ".create.regions: lists westeurope more than once")
    refused({"create": {"name": "mlr-mlops", "regions": ["northeurope", "westeurope"]}},
            ".create.regions: must start with the stack's region westeurope (the registry's primary region, "
            "where it is created; got northeurope): list westeurope first")


# --- the second workspace ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def second():
    return example("second-workspace", preview=True)  # the ids it reads are config's


def test_second_workspace_creates_nothing_for_the_shared_dependencies(second):
    created = {r.type for r in second.registrations if r.custom}
    assert not created & {
        "azure-native:resources:ResourceGroup", "azure-native:storage:StorageAccount", "azure-native:keyvault:Vault",
        "azure-native:applicationinsights:Component", "azure-native:operationalinsights:Workspace",
        "azure-native:containerregistry:Registry", REGISTRY,
    }


def test_second_workspace_points_at_devs_resources(second):
    ws = second.one("azure-native:machinelearningservices:Workspace")
    group = f"/subscriptions/{SUB}/resourceGroups/rg-mlops-dev/providers"
    i = ws.inputs
    assert ws.azure_name == "mlw-mlops-dev-forecast" and i["resourceGroupName"] == "rg-mlops-dev"
    assert i["storageAccount"] == f"{group}/Microsoft.Storage/storageAccounts/stmlopsdevt0k7"
    assert i["keyVault"] == f"{group}/Microsoft.KeyVault/vaults/kv-mlops-dev-t0k7"
    assert i["applicationInsights"] == f"{group}/Microsoft.Insights/components/appi-mlops-dev"
    assert i["containerRegistry"] == f"{group}/Microsoft.ContainerRegistry/registries/crmlopsdevt0k7"
    assert {r.inputs["scope"] for r in registry_roles(second).values()} == {OWNER_ID}


def test_second_workspace_uses_the_names_dev_generates(second, dev_run):
    dev_names = {r.type: r.azure_name for r in dev_run.registrations if r.custom}
    ws = second.one("azure-native:machinelearningservices:Workspace").inputs
    for type_, key in (("azure-native:storage:StorageAccount", "storageAccount"),
                       ("azure-native:keyvault:Vault", "keyVault"),
                       ("azure-native:applicationinsights:Component", "applicationInsights"),
                       ("azure-native:containerregistry:Registry", "containerRegistry")):
        assert ws[key].endswith("/" + dev_names[type_]), key
    assert ws["workspaceName"] != dev_names["azure-native:machinelearningservices:Workspace"]


def test_a_registry_without_public_access_is_refused_as_unreachable():
    assert_refused(stack({"azureml-infra:registry": {"create": {
        "name": "mlr-mlops", "regions": ["westeurope"], "publicNetworkAccess": "Disabled"}}}), [
        "azureml-infra:registry.create.publicNetworkAccess: Disabled would leave the registry unreachable: this "
        "stack has no network.privateEndpoints to give it a private endpoint; add network.privateEndpoints, or "
        "keep Enabled (access still needs Entra ID and the AzureML Registry User role)"
    ])
