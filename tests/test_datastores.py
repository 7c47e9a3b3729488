"""Datastores and the data lake account: what the engine receives, under mocks.

Every kind x auth combination Azure ML accepts, the role assignments of identity access (role,
scope, principal, deterministic name), the secrecy of every credential, the data lake's secure
defaults, and the example stack file.

One program run: the example stack file's, which holds the wiring between components (the
workspace's and the cluster's principals on the grants, the workspace's names and the lake's
containers on the datastores, what is whose child, the stack output). Every other config is
resolved (azureml_infra.resolve, pure) and, where the engine's inputs are checked, only the data
part of the recipe is built from its resolved specs (``data_run``, tools.harness.run_component).
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

import pulumi
import pytest

from azureml_infra.deployment import Deployment
from components.datastores import (
    DataStorage,
    DataStorageArgs,
    DatastoresArgs,
    create_datastores,
    datastores_output,
)
from components.options import child
from tests.conftest import mock_principal, resolved, run_file, shipped_plan, stack
from tools.harness import (
    ROOT,
    SECRET_PLACEHOLDER,
    SUBSCRIPTION_ID,
    Run,
    is_secret_value,
    run_component,
)

DS = "azure-native:machinelearningservices:Datastore"
RA = "azure-native:authorization:RoleAssignment"
SA = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
ATTACHED = "azureml-infra:datastores:AttachedDatastore"
DATA_STORAGE = "azureml-infra:datastores:DataStorage"
WORKSPACE = "azureml-infra:workspace:MachineLearningWorkspace"

READER = "/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
CONTRIBUTOR = "/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe"
CLIENT = "44445555-eeee-6666-ffff-7777aaaa8888"
TENANT = "bbbbcccc-1111-dddd-2222-eeee3333ffff"
OTHER_SUB = "22222222-3333-4444-5555-666666666666"
DATA_ACCOUNT = "stmlopsdevdatat0k7"  # generated: st + mlops + dev + data + suffix
EXAMPLE = ROOT / "examples" / "Pulumi.datastores.yaml"
EXAMPLE_LAKE, EXAMPLE_GROUP = "stmlopslakedatadc4f", "rg-mlops-lake"


def container_scope(account: str, container: str, group: str = "rg-mlops-dev", sub: str = SUBSCRIPTION_ID) -> str:
    return (
        f"/subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Storage/storageAccounts/"
        f"{account}/blobServices/default/containers/{container}"
    )


def datastores_stack(datastores: list[dict], data_storage: dict | None = None, secure=None, **extra) -> dict:
    config: dict[str, Any] = {"azureml-infra:datastores": datastores}
    if data_storage is not None:
        config["azureml-infra:dataStorage"] = data_storage
    config.update({f"azureml-infra:{k}": v for k, v in extra.items()})
    return stack(config, secure=secure)


def datastore(run: Run, name: str):
    return run.one(DS, name)


def properties(run: Run, name: str) -> dict:
    """The datastore's properties; a credential makes the SDK wrap the whole block as a secret."""
    value = datastore(run, name).inputs["properties"]
    return value["value"] if is_secret_value(value) else value


def assignments(run: Run, datastore_name: str) -> list:
    parent = run.one(ATTACHED, f"datastore-{datastore_name}").urn
    return sorted((r for r in run.of_type(RA) if r.parent == parent), key=lambda r: r.name)


def plain_leaks(value: Any, needle: str, path: str = "") -> list[str]:
    """Paths where ``needle`` appears outside a secret wrapper."""
    if is_secret_value(value):
        return []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in plain_leaks(v, needle, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in plain_leaks(v, needle, f"{path}[{i}]")]
    return [path] if isinstance(value, str) and needle in value else []


# --- the data part of the recipe, alone ------------------------------------------------------


class Workspace(pulumi.ComponentResource):
    """Stands in for the workspace component, the parent the recipe gives the lake and the datastores."""

    def __init__(self) -> None:
        super().__init__("tests:datastores:Workspace", "workspace")


def principal_ids(deployment: Deployment) -> dict[str | None, str]:
    """The principal ids the recipe hands the datastores: the workspace's (None) and each compute's
    that has one, as the mocks would report them (conftest.mock_principal)."""
    computes = [c.name for c in deployment.clusters if c.system_assigned] + [k.name for k in deployment.kubernetes]
    return {None: mock_principal(deployment.workspace.name)} | {name: mock_principal(name) for name in computes}


def build_data(deployment: Deployment) -> dict[str, Any]:
    """What azureml_package/recipe.py builds for data from ``deployment``: the lake, then the
    datastores with the workspace's names, the deployment's subscription, the readers' principal
    ids and each secret config key as a secret (its offline value, as __main__ reads it)."""
    workspace = Workspace()
    lake = (
        DataStorage("data-storage", DataStorageArgs(deployment.data_storage, deployment.workspace.resource_group),
                    opts=child(workspace))
        if deployment.data_storage is not None
        else None
    )
    secrets = {key: pulumi.Output.secret(SECRET_PLACEHOLDER) for key in deployment.secret_keys}
    made = create_datastores(
        DatastoresArgs(deployment.datastores, deployment.workspace.name, deployment.workspace.resource_group,
                       SUBSCRIPTION_ID, principal_ids(deployment), secrets, lake),
        parent=workspace,
    )
    return {"datastores": datastores_output(made)}


@functools.cache
def _data_run(config_json: str, stack_name: str) -> Run:
    deployment = resolved(json.loads(config_json), stack_name)
    return run_component(lambda: build_data(deployment), stack=stack_name).record()


def data_run(config: dict[str, Any], stack_name: str = "dev") -> Run:
    """The data part of the recipe built from ``config``'s resolved specs: one run per config in a
    test process, shared by the tests that read it (never change what it returns)."""
    return _data_run(json.dumps(config, sort_keys=True), stack_name)


# --- the example stack file ----------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Run:
    return run_file(EXAMPLE)


def test_example_registers_one_datastore_of_each_kind(example):
    kinds = {r.name: properties(example, r.name)["datastoreType"] for r in example.of_type(DS)}
    assert kinds == {
        "raw": "AzureBlob",
        "curated": "AzureDataLakeGen2",
        "partner_lake": "AzureDataLakeGen2",
        "archive": "AzureBlob",
        "reports": "AzureFile",
    }
    # Each in the workspace the program made.
    for ds in example.of_type(DS):
        assert (ds.inputs["name"], ds.inputs["workspaceName"], ds.inputs["resourceGroupName"]) == (
            ds.name, "mlw-mlops-lake", EXAMPLE_GROUP)


def test_example_credentials_are_secret_and_never_plain(example):
    for name in ("partner_lake", "archive", "reports"):
        assert is_secret_value(datastore(example, name).inputs["properties"]), name
    leaks = [(r.name, p) for r in example.registrations for p in plain_leaks(r.inputs, SECRET_PLACEHOLDER)]
    assert leaks == []
    assert SECRET_PLACEHOLDER not in repr({k: o.value for k, o in example.outputs.items()})


def test_example_grants_the_workspace_and_the_cluster_on_each_identity_container(example):
    workspace, cluster = mock_principal("mlw-mlops-lake"), mock_principal("cpu-compute")
    raw = [(r.inputs["principalId"], r.inputs["roleDefinitionId"], r.inputs["scope"]) for r in assignments(example, "raw")]
    scope = container_scope(EXAMPLE_LAKE, "raw", EXAMPLE_GROUP)
    assert sorted(raw) == sorted([
        (cluster, f"/subscriptions/{SUBSCRIPTION_ID}{READER}", scope),
        (workspace, f"/subscriptions/{SUBSCRIPTION_ID}{READER}", scope),
    ])
    curated = {r.inputs["principalId"]: r.inputs["roleDefinitionId"] for r in assignments(example, "curated")}
    assert curated == {
        workspace: f"/subscriptions/{SUBSCRIPTION_ID}{CONTRIBUTOR}",
        cluster: f"/subscriptions/{SUBSCRIPTION_ID}{CONTRIBUTOR}",
    }
    # Credential datastores grant nothing: the credential carries the access.
    assert [r for r in example.of_type(RA) if "curated" not in r.name and "raw" not in r.name] == []


def test_example_plan_shows_secrets_masked_and_the_role_assignments(example):
    # The plan document of the example's run (what `make plan` renders; the preview's ids are
    # unknown, which changes none of these lines).
    from tools.plan import make_plan, render_text

    _, document = make_plan(EXAMPLE, example)
    assert document is not None
    text = render_text(document)
    assert "properties: [secret]" in text
    for name in ("raw-reader-workspace", "raw-reader-compute-cpu-compute", "curated-contributor-workspace"):
        assert f"+ {name} (azure-native:authorization:RoleAssignment)" in text


def test_datastores_are_children_of_their_component_under_the_workspace(example):
    workspace = example.one(WORKSPACE)
    for ds in example.of_type(DS):
        component = example.by_urn(ds.parent)
        assert (component.type, component.name) == (ATTACHED, f"datastore-{ds.name}")
        assert component.parent == workspace.urn


def test_example_data_lake_is_the_workspaces_child_and_its_containers_reach_the_datastores(example):
    """The lake the recipe makes under the workspace, its account name and containers arriving at
    the datastores on it; an account key elsewhere (archive) leaves its shared keys off."""
    account = example.one(SA, "data-storage")
    assert account.inputs["accountName"] == EXAMPLE_LAKE
    assert account.inputs["allowSharedKeyAccess"] is False
    assert example.by_urn(account.parent).type == DATA_STORAGE
    assert example.by_urn(example.by_urn(account.parent).parent).type == WORKSPACE
    container = next(r for r in example.of_type(CONTAINER) if r.inputs["containerName"] == "raw")
    assert container.urn in datastore(example, "raw").dependencies
    assert (properties(example, "raw")["accountName"], properties(example, "raw")["containerName"]) == (
        EXAMPLE_LAKE, "raw")
    for grant in assignments(example, "raw"):
        assert container.urn in grant.dependencies


def test_example_datastores_output(example):
    output = example.outputs["datastores"]
    assert (output.known, output.secret) == (True, False)
    assert output.value["raw"] == {"kind": "blob", "accountName": EXAMPLE_LAKE, "container": "raw"}
    assert sorted(output.value) == ["archive", "curated", "partner_lake", "raw", "reports"]


# --- each kind x auth the API accepts ---------------------------------------------------


SP = {"auth": "servicePrincipal", "secret": "spSecret", "clientId": CLIENT, "tenantId": TENANT}
ACCEPTED = {
    "blob_identity": ({"kind": "blob"}, "AzureBlob", "containerName", "None"),
    "blob_key": ({"kind": "blob", "auth": "accountKey", "secret": "theKey"}, "AzureBlob", "containerName", "AccountKey"),
    "blob_sas": ({"kind": "blob", "auth": "sas", "secret": "theSas"}, "AzureBlob", "containerName", "Sas"),
    "lake_identity": ({"kind": "adlsGen2"}, "AzureDataLakeGen2", "filesystem", "None"),
    "lake_sp": ({"kind": "adlsGen2", **SP}, "AzureDataLakeGen2", "filesystem", "ServicePrincipal"),
    "share_key": ({"kind": "fileShare", "auth": "accountKey", "secret": "theKey"}, "AzureFile", "fileShareName", "AccountKey"),
    "share_sas": ({"kind": "fileShare", "auth": "sas", "secret": "theSas"}, "AzureFile", "fileShareName", "Sas"),
}
SECURE = {"spSecret": "s1", "theKey": "s2", "theSas": "s3"}
MATRIX = datastores_stack(
    [{"name": name, "accountName": "extdata", "container": "landing", **settings}
     for name, (settings, *_) in ACCEPTED.items()],
    secure=SECURE,
)


@pytest.fixture(scope="module")
def matrix() -> Run:
    return data_run(MATRIX)


@pytest.mark.parametrize("name", ACCEPTED)
def test_every_accepted_combination_registers_its_datastore(matrix, name):
    _, datastore_type, container_key, credentials_type = ACCEPTED[name]
    props = properties(matrix, name)
    assert props["datastoreType"] == datastore_type
    assert props["accountName"] == "extdata"
    assert props[container_key] == "landing"
    assert props["credentials"]["credentialsType"] == credentials_type
    assert props["protocol"] == "https"
    assert props["resourceGroup"] == "rg-mlops-dev"  # the workspace's, when not given
    ds = datastore(matrix, name)
    assert (ds.inputs["name"], ds.inputs["workspaceName"], ds.inputs["resourceGroupName"]) == (
        name, "mlw-mlops-dev", "rg-mlops-dev")


@pytest.mark.parametrize("name", [n for n, v in ACCEPTED.items() if v[3] != "None"])
def test_every_credential_is_a_secret_input(matrix, name):
    # Each secret config key is read as a secret, once (resolve's secret_keys, __main__).
    assert ACCEPTED[name][0]["secret"] in resolved(MATRIX).secret_keys
    value = datastore(matrix, name).inputs["properties"]
    assert is_secret_value(value)
    # and the whole properties output stays encrypted in the state
    assert datastore(matrix, name).additional_secret_outputs == ["properties"]
    secrets = value["value"]["credentials"]["secrets"]
    assert SECRET_PLACEHOLDER in secrets.values()  # the config key's value, inside the secret


def test_each_secret_goes_where_its_auth_expects_it(matrix):
    assert properties(matrix, "blob_key")["credentials"]["secrets"] == {"secretsType": "AccountKey", "key": "[secret]"}
    assert properties(matrix, "share_sas")["credentials"]["secrets"] == {"secretsType": "Sas", "sasToken": "[secret]"}
    sp = properties(matrix, "lake_sp")["credentials"]
    assert (sp["clientId"], sp["tenantId"]) == (CLIENT, TENANT)
    assert sp["secrets"] == {"secretsType": "ServicePrincipal", "clientSecret": "[secret]"}


def test_identity_datastores_store_nothing_and_let_the_workspace_preview_data(matrix):
    for name in ("blob_identity", "lake_identity"):
        props = datastore(matrix, name).inputs["properties"]
        assert not is_secret_value(props)
        assert props["credentials"] == {"credentialsType": "None"}
        assert props["serviceDataAccessAuthIdentity"] == "WorkspaceSystemAssignedIdentity"
    assert properties(matrix, "blob_key")["serviceDataAccessAuthIdentity"] == "None"


def test_no_credential_leaks_in_plain_text(matrix):
    leaks = [(r.name, p) for r in matrix.registrations for p in plain_leaks(r.inputs, SECRET_PLACEHOLDER)]
    assert leaks == []


# --- identity: role assignments -------------------------------------------------------------


ONE_RAW = datastores_stack([{"name": "raw", "kind": "blob", "accountName": "extdata", "container": "landing"}])


def test_identity_grants_reader_on_the_container_to_the_workspace():
    run = data_run(ONE_RAW)
    (grant,) = assignments(run, "raw")
    assert grant.inputs["principalId"] == mock_principal("mlw-mlops-dev")
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert grant.inputs["roleDefinitionId"] == f"/subscriptions/{SUBSCRIPTION_ID}{READER}"
    assert grant.inputs["scope"] == container_scope("extdata", "landing")
    # The datastore waits for its grants, so Azure can validate access when it is created.
    assert grant.urn in datastore(run, "raw").dependencies
    # Its name is fixed by the config while a replaced identity brings a new principal id:
    # the old assignment must be deleted before the new one takes the same name.
    assert grant.delete_before_replace


# One config for the two tests below: each reads only its own datastore's grant (a grant is its
# datastore component's child) and the two grant different roles on different scopes.
READ_WRITE_AND_ELSEWHERE = datastores_stack([
    {"name": "out", "kind": "adlsGen2", "accountName": "extdata", "container": "landing", "readWrite": True},
    {"name": "raw", "kind": "blob", "accountName": "extdata", "container": "landing",
     "resourceGroup": "rg-data", "subscriptionId": OTHER_SUB},
])


def test_read_write_grants_contributor():
    run = data_run(READ_WRITE_AND_ELSEWHERE)
    (grant,) = assignments(run, "out")
    assert grant.inputs["roleDefinitionId"] == f"/subscriptions/{SUBSCRIPTION_ID}{CONTRIBUTOR}"


def test_scope_and_role_use_the_datastores_own_group_and_subscription():
    run = data_run(READ_WRITE_AND_ELSEWHERE)
    (grant,) = assignments(run, "raw")
    assert grant.inputs["scope"] == container_scope("extdata", "landing", "rg-data", OTHER_SUB)
    assert grant.inputs["roleDefinitionId"] == f"/subscriptions/{OTHER_SUB}{READER}"
    props = properties(run, "raw")
    assert (props["resourceGroup"], props["subscriptionId"]) == ("rg-data", OTHER_SUB)


COMPUTES = [
    {"name": "cpu-cluster", "vmSize": "STANDARD_D3_V2", "maxNodes": 2, "identity": "systemAssigned"},
    {"name": "gpu-cluster", "vmSize": "STANDARD_NC6S_V3", "maxNodes": 1, "identity": "none"},
]
# Shared by the cluster test and the names test: the cluster test reads raw's grants only, and
# the names test counts the grants, which the cluster without an identity does not add to.
WITH_CLUSTERS = datastores_stack(
    [{"name": "raw", "kind": "blob", "accountName": "extdata", "container": "landing"},
     {"name": "out", "kind": "blob", "accountName": "extdata", "container": "results", "readWrite": True}],
    computes=COMPUTES)


def test_each_cluster_with_an_identity_is_granted_and_the_others_are_not():
    raw = resolved(WITH_CLUSTERS).datastores[0]
    assert [(r.compute, r.grant.logical_name) for r in raw.grants] == [
        (None, "raw-reader-workspace"), ("cpu-cluster", "raw-reader-compute-cpu-cluster")]
    principals = {r.name: r.inputs["principalId"] for r in assignments(data_run(WITH_CLUSTERS), "raw")}
    assert principals == {
        "raw-reader-compute-cpu-cluster": mock_principal("cpu-cluster"),
        "raw-reader-workspace": mock_principal("mlw-mlops-dev"),
    }


def test_two_datastores_on_one_container_share_its_grant():
    # Azure refuses the same role for the same principal on the same scope twice.
    run = data_run(datastores_stack([
        {"name": "raw_blob", "kind": "blob", "accountName": "extdata", "container": "landing"},
        {"name": "raw_lake", "kind": "adlsGen2", "accountName": "extdata", "container": "landing"},
    ]))
    (grant,) = run.of_type(RA)
    assert grant.inputs["scope"] == container_scope("extdata", "landing")
    assert grant.urn in datastore(run, "raw_blob").dependencies
    assert grant.urn in datastore(run, "raw_lake").dependencies


def names_of(run: Run) -> dict[str, str]:
    return {r.name: r.inputs["roleAssignmentName"] for r in run.of_type(RA)}


def resolved_names(deployment: Deployment) -> dict[str, str]:
    return {r.grant.logical_name: r.grant.name for d in deployment.datastores for r in d.grants}


def test_assignment_names_come_from_config_only():
    # resolve names every assignment from the config before any principal id exists (in a
    # preview none ever does), and the engine receives exactly those names.
    names = resolved_names(resolved(WITH_CLUSTERS))
    assert names_of(data_run(WITH_CLUSTERS)) == names
    assert all(isinstance(n, str) and uuid.UUID(n) for n in names.values())
    assert len(set(names.values())) == 4  # per principal, per container and role


def test_assignment_names_differ_between_environments():
    dev = resolved_names(resolved(ONE_RAW))
    test = resolved_names(resolved(ONE_RAW, stack_name="test"))
    assert dev["raw-reader-workspace"] != test["raw-reader-workspace"]


def test_assignment_names_are_frozen():
    # Frozen on purpose: a new name replaces the assignment (a brief loss of access).
    assert names_of(data_run(ONE_RAW)) == {"raw-reader-workspace": "ef827600-02ee-5182-89be-7464342516f2"}


# --- the data lake account --------------------------------------------------------------------


def lake_stack(datastores: list[dict], secure=None, **storage) -> dict:
    return datastores_stack(datastores, {"containers": ["raw", "curated"], **storage}, secure=secure)


ON_LAKE = {"name": "raw", "kind": "blob", "accountName": "dataStorage", "container": "raw"}


def on_lake() -> Run:
    """The lake with one identity datastore on it, marked default: one run shared by the tests
    of the account's defaults, of the datastore's grant and of the output (``default`` changes
    only the output and a warning, test_a_default_datastore_warns_that_azure_cannot_set_it)."""
    return data_run(lake_stack([{**ON_LAKE, "default": True}]))


def test_data_storage_is_secure_by_default():
    run = on_lake()
    account = run.one(SA, "data-storage")
    inputs = account.inputs
    assert inputs["accountName"] == DATA_ACCOUNT
    assert inputs["enableHttpsTrafficOnly"] is True
    assert inputs["minimumTlsVersion"] == "TLS1_2"
    assert inputs["allowBlobPublicAccess"] is False
    assert inputs["allowSharedKeyAccess"] is False
    assert inputs["isHnsEnabled"] is True
    assert inputs["kind"] == "StorageV2"
    assert inputs["resourceGroupName"] == "rg-mlops-dev"
    # Its component's parent is the workspace's: test_example_data_lake_is_the_workspaces_child...
    assert run.by_urn(account.parent).type == DATA_STORAGE


def test_data_storage_creates_private_containers():
    run = data_run(lake_stack([]))
    containers = {r.inputs["containerName"]: r for r in run.of_type(CONTAINER)}
    assert sorted(containers) == ["curated", "raw"]
    for c in containers.values():
        assert c.inputs["publicAccess"] == "None"
        assert c.inputs["accountName"] == DATA_ACCOUNT
    # No datastores: nothing attached.
    assert run.of_type(DS) == [] and run.outputs["datastores"].value == {}


def test_a_datastore_on_data_storage_waits_for_its_container_and_grants_on_it():
    run = on_lake()
    container = next(r for r in run.of_type(CONTAINER) if r.inputs["containerName"] == "raw")
    assert container.urn in datastore(run, "raw").dependencies
    (grant,) = assignments(run, "raw")
    assert grant.inputs["scope"] == container_scope(DATA_ACCOUNT, "raw")
    assert container.urn in grant.dependencies


def test_account_key_of_data_storage_is_read_from_the_account_as_a_secret():
    run = data_run(lake_stack([{**ON_LAKE, "auth": "accountKey"}]))
    value = datastore(run, "raw").inputs["properties"]
    assert is_secret_value(value)
    assert value["value"]["credentials"]["secrets"]["key"] == "mock-account-key"  # listStorageAccountKeys
    # A datastore authenticates with the key, so the account must accept it.
    assert run.one(SA, "data-storage").inputs["allowSharedKeyAccess"] is True
    assert [p for r in run.registrations for p in plain_leaks(r.inputs, "mock-account-key")] == []


# One config for the two tests below: one checks the account's shared keys, the other its name.
SAS_ON_NAMED_LAKE = lake_stack([{**ON_LAKE, "auth": "sas", "secret": "lakeSas"}], secure={"lakeSas": "x"},
                               name="mlopsrawdata")


def test_sas_on_data_storage_turns_shared_keys_on():
    assert resolved(SAS_ON_NAMED_LAKE).data_storage.allow_shared_key_access is True
    assert data_run(SAS_ON_NAMED_LAKE).one(SA, "data-storage").inputs["allowSharedKeyAccess"] is True


def test_identity_and_service_principal_keep_shared_keys_off():
    # A decision from config (the account's input follows it: test_data_storage_is_secure_by_default).
    entries = [ON_LAKE, {"name": "lake", "kind": "adlsGen2", "accountName": "dataStorage", "container": "curated", **SP},
               {"name": "other", "kind": "blob", "accountName": "extdata", "container": "landing",
                "auth": "accountKey", "secret": "theKey"}]
    lake = resolved(lake_stack(entries, secure={"spSecret": "s1", "theKey": "s2"})).data_storage
    assert lake is not None and lake.allow_shared_key_access is False


def test_a_named_data_storage_keeps_its_name():
    run = data_run(SAS_ON_NAMED_LAKE)
    assert run.one(SA, "data-storage").inputs["accountName"] == "mlopsrawdata"
    assert properties(run, "raw")["accountName"] == "mlopsrawdata"


def test_protect_protects_and_retains_the_data_storage_but_not_the_datastores():
    run = data_run(datastores_stack([ON_LAKE], {"containers": ["raw"]}, protect=True))
    for r in [run.one(SA, "data-storage"), *run.of_type(CONTAINER)]:
        assert (r.protect, r.retain_on_delete) == (True, True), r.name
    for r in [*run.of_type(DS), *run.of_type(RA)]:
        assert (r.protect, r.retain_on_delete) == (False, False), r.name


def test_unprotected_by_default():
    run = on_lake()
    assert run.one(SA, "data-storage").protect is False


# --- the stack output -----------------------------------------------------------------------


def test_datastores_output_names_kind_account_and_container_only(matrix):
    output = matrix.outputs["datastores"]
    assert (output.known, output.secret) == (True, False)
    assert output.value["lake_sp"] == {"kind": "adlsGen2", "accountName": "extdata", "container": "landing"}
    assert sorted(output.value) == sorted(ACCEPTED)


def test_output_resolves_the_data_storage_account_and_marks_the_default():
    run = on_lake()
    assert run.outputs["datastores"].value == {
        "raw": {"kind": "blob", "accountName": DATA_ACCOUNT, "container": "raw", "default": True},
    }


def test_a_default_datastore_warns_that_azure_cannot_set_it(caplog):
    # Built here, not shared: the warning is logged while the datastores are made. Of the two
    # datastores only the default one warns.
    deployment = resolved(lake_stack([{**ON_LAKE, "default": True},
                                      {**ON_LAKE, "name": "curated", "container": "curated"}]))
    run_component(lambda: build_data(deployment))
    warning = "datastore 'raw' has default: true, but Azure's datastore API treats isDefault as read-only"
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(warning in m for m in warnings)
    assert len([m for m in warnings if "isDefault" in m]) == 1


def test_no_datastores_no_resources():
    run = shipped_plan("dev")  # no datastores and no data lake
    assert run.of_type(DS) == run.of_type(RA) == run.of_type(ATTACHED) == run.of_type(DATA_STORAGE) == []
    assert run.outputs["datastores"].value == {}
