"""The Pulumi package (azureml_package), through its own door: the schema the plugin serves, and
the construct call the engine makes for each component, run in-process under the harness's mocks.

MlEnvironment given a shipped stack's values registers what the program registers for that
stack (the shared preview plans of tests/conftest.py: this file runs with the files that plan
every shipped stack, tests/scheduling.py); an invalid input is refused with the stack file's
message at the input's path, before anything is registered.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pulumi.errors import InputPropertiesError
from pulumi.output import Unknown

from azureml_infra.config import parse_config
from azureml_infra.config.base import LOCATION_KEY, fields_by_key
from azureml_infra.config.stack import StackConfig
from azureml_infra.facts import PROJECT, SECRET_PLACEHOLDER
from azureml_package.environment import OUTPUTS, MlEnvironmentArgs, stack_file_config
from azureml_package.provider import AzuremlProvider
from tests.conftest import config_error, planned_file, problem_lines, stack
from tools import package_schema
from tools.harness import ROOT, Registration, Run, config_from_yaml, run_component, stack_config

INDEX = f"{PROJECT}:index:"
MlEnvironment = f"{INDEX}MlEnvironment"
SCHEMA = json.loads(package_schema.SCHEMA_PATH.read_text())


# --- the schema --------------------------------------------------------------------------------


def test_the_schema_in_the_repository_is_the_one_the_plugin_serves():
    assert package_schema.schema_text() == package_schema.SCHEMA_PATH.read_text(), (
        "schemas/package.json is stale: run make package-schema"
    )


def test_the_schema_validates_against_pulumis_package_metaschema():
    text = (ROOT / "schemas" / "pulumi-package.metaschema.json").read_text()
    # ECMAScript named groups, which Python's re refuses (schemas/README.md).
    metaschema = json.loads(text.replace("(?<", "(?P<"))
    jsonschema.Draft202012Validator(metaschema).validate(SCHEMA)
    # and the metaschema does refuse a broken one
    broken = {**SCHEMA, "resources": {"azureml-infra:index:X": {"isComponent": "yes"}}}
    assert list(jsonschema.Draft202012Validator(metaschema).iter_errors(broken))


def _undescribed(where: str, properties: dict[str, Any]) -> list[str]:
    return [f"{where}.{name}" for name, prop in properties.items() if not (prop.get("description") or "").strip()]


def test_every_component_input_and_output_is_described():
    assert set(SCHEMA["resources"]) >= {MlEnvironment}
    missing = []
    for token, resource in SCHEMA["resources"].items():
        assert resource["isComponent"] and token.startswith(f"{PROJECT}:index:")
        assert resource.get("description"), token
        missing += _undescribed(f"{token} input", resource["inputProperties"])
        missing += _undescribed(f"{token} output", resource["properties"])
    for token, type_ in SCHEMA.get("types", {}).items():
        missing += _undescribed(token, type_.get("properties", {}))
    assert missing == []


def test_the_environments_inputs_are_the_stack_files_sections_and_its_secrets():
    inputs = set(SCHEMA["resources"][MlEnvironment]["inputProperties"])
    assert inputs == set(fields_by_key(StackConfig)) | {"secrets"}
    assert SCHEMA["resources"][MlEnvironment]["requiredInputs"] == ["location", "prefix"]
    assert set(MlEnvironmentArgs.__annotations__) - {"secrets"} == set(StackConfig.model_fields)


# --- the construct path ------------------------------------------------------------------------


def inputs_of(raw: dict[str, str], secret_keys: set[str]) -> dict[str, Any]:
    """A stack file's config (as the CLI hands it over) as MlEnvironment inputs, in the schema's
    spelling (what the engine sends to construct): each section decoded, each secret named."""
    inputs: dict[str, Any] = {}
    secrets: dict[str, str] = {}
    for key, text in raw.items():
        namespace, _, name = key.partition(":")
        if key in secret_keys:
            secrets[name] = text
            continue
        if key == LOCATION_KEY:
            inputs["location"] = text
        elif namespace == PROJECT:
            try:
                inputs[name] = json.loads(text)
            except ValueError:
                inputs[name] = text
    return inputs | ({"secrets": secrets} if secrets else {})


@functools.cache
def _provider() -> AzuremlProvider:
    """One provider for the file: making one analyzes every component (about 0.2 s)."""
    return AzuremlProvider()


def construct(inputs: dict[str, Any], stack_name: str = "dev", preview: bool = True, raise_errors: bool = True,
              resource_type: str = MlEnvironment) -> Run:
    """What the engine does with a component of the package: the provider's construct, in a
    fresh root stack under the harness's mocks; Run.outputs is the component's state."""
    provider = _provider()

    def make() -> dict[str, Any]:
        result = provider.construct("env", resource_type, inputs, None)
        return dict(result.state)

    return run_component(make, stack=stack_name, preview=preview, raise_errors=raise_errors)


def _key(by_urn: dict[str, tuple[str, str]], urn: str) -> tuple[str, str] | None:
    """A URN as (type, name); None for the roots (the stack, a component of the package)."""
    found = by_urn.get(urn)
    return None if found is None or found[0].startswith(INDEX) else found


def _known(value: Any) -> Any:
    """Inputs with each unknown value (a preview's, an object per run) as one marker."""
    if isinstance(value, dict):
        return {k: _known(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known(v) for v in value]
    return "<unknown>" if isinstance(value, Unknown) else value


def comparable(registrations: list[Registration]) -> list[dict[str, Any]]:
    """What the engine receives for each resource, its parent and dependencies by (type, name): the
    package's resources sit under the MlEnvironment, the program's under the stack. In the order
    of (type, name, parent): independent registrations may interleave differently between runs."""
    by_urn = {r.urn: (r.type, r.name) for r in registrations}
    found = [
        {
            "type": r.type, "name": r.name, "parent": _key(by_urn, r.parent), "custom": r.custom,
            "inputs": _known(r.inputs),
            "dependencies": sorted(map(str, (_key(by_urn, u) for u in r.dependencies))),
            "protect": r.protect, "retainOnDelete": r.retain_on_delete, "ignoreChanges": r.ignore_changes,
            "deleteBeforeReplace": r.delete_before_replace, "replaceOnChanges": r.replace_on_changes,
            "additionalSecretOutputs": r.additional_secret_outputs, "importId": r.import_id,
        }
        for r in registrations
        if not r.type.startswith(INDEX)
    ]
    return sorted(found, key=lambda r: (r["type"], r["name"], str(r["parent"])))


# The shipped stacks, and an example whose secrets (an SSH password) go through the secrets input.
COMPARED = [ROOT / f"Pulumi.{name}.yaml" for name in ("dev", "test", "prod")] + [
    ROOT / "examples" / "Pulumi.compute-vnet-ssh.yaml"
]


@pytest.mark.parametrize("stack_file", COMPARED, ids=lambda p: p.name)
def test_the_environment_registers_what_the_program_registers(stack_file: Path):
    program = planned_file(stack_file)
    raw, secret_keys = stack_config(stack_file)
    package = construct(inputs_of(raw, secret_keys), program.stack)
    assert package.registrations[0].type == MlEnvironment
    assert len(package.registrations) == len(program.registrations) + 1
    assert comparable(package.registrations) == comparable(program.registrations)
    # Its outputs are the stack's outputs: the same names and values, unknown in a preview where those are.
    assert {k: (o.known, o.value) for k, o in package.outputs.items()} == {
        k: (o.known, o.value) for k, o in program.outputs.items()}
    assert set(package.outputs) <= {_camel(name) for name in OUTPUTS}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# --- refused inputs ----------------------------------------------------------------------------


BAD = {
    "azureml-infra:prefix": "ML",
    "azureml-infra:computes": [{"name": "cpu", "vmSize": "Standard_DS3_v2", "minNodes": 3, "maxNodes": 1}],
}


def test_a_bad_input_is_refused_with_the_stack_files_message_at_its_path():
    expected = problem_lines(config_error(stack(BAD))[0])
    raw, secret_keys = config_from_yaml(stack(BAD))
    run = construct(inputs_of(raw, secret_keys), "dev", raise_errors=False)
    assert isinstance(run.error, InputPropertiesError)
    assert [f"{PROJECT}:{e['property_path']}: {e['reason']}" for e in run.error.errors or []] == expected
    assert run.error.errors == [
        {"property_path": "prefix", "reason": "must be 2-10 lowercase letters or digits starting with a letter (it "
         "goes into storage account and registry names, which allow nothing else) (got \"ML\")"},
        {"property_path": "computes[0].maxNodes", "reason": "must be at least minNodes (3)"},
    ]
    assert run.error.message.startswith("Invalid inputs for MlEnvironment 'env': 2 problems. Nothing was deployed.")
    assert run.registrations == []  # refused before anything, the component included, is registered


def test_a_missing_required_input_is_refused_by_the_schema():
    run = construct({"location": "westeurope"}, "dev", raise_errors=False)
    assert "Missing required input 'prefix' on 'MlEnvironment'" in str(run.error)
    assert run.registrations == []


def test_a_secret_the_settings_do_not_name_is_refused_at_its_input():
    run = construct({"location": "westeurope", "prefix": "mlops", "secrets": {"sshPasword": "x"}}, "dev",
                    raise_errors=False)
    assert isinstance(run.error, InputPropertiesError)
    assert run.error.errors == [{"property_path": "secrets.sshPasword", "reason": "unknown key"}]
    assert run.registrations == []


def test_inputs_become_the_config_the_stack_file_gives():
    raw, secret_keys = stack_file_config(
        {"location": "westeurope", "prefix": "mlops", "compute_instances": [{"name": "ci"}], "secrets": {"pw": "x"}}
    )
    # The secret's value stays out of the config the rules read: they need its name only.
    assert raw == {LOCATION_KEY: "westeurope", f"{PROJECT}:prefix": "mlops",
                   f"{PROJECT}:computeInstances": '[{"name": "ci"}]', f"{PROJECT}:pw": SECRET_PLACEHOLDER}
    assert secret_keys == {f"{PROJECT}:pw"}


# --- the consumers -----------------------------------------------------------------------------


YAML_CONSUMER = ROOT / "examples" / "package-yaml" / "Pulumi.yaml"


def test_the_yaml_consumer_is_a_valid_project_that_the_environment_accepts():
    project = yaml.safe_load(YAML_CONSUMER.read_text())
    schema = json.loads((ROOT / "schemas" / "pulumi-project.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(project)
    source = project["packages"][PROJECT]
    assert source.startswith("github.com/") and "@v" in source
    environments = [r for r in project["resources"].values() if r["type"] == MlEnvironment]
    assert len(environments) == 1
    properties = environments[0]["properties"]
    assert set(properties) <= set(SCHEMA["resources"][MlEnvironment]["inputProperties"])
    # The rules accept it as they would the same stack file (a secret: a config value, named).
    snake = {_snake(k): v for k, v in properties.items()}
    raw, secret_keys = stack_file_config(snake)
    parse_config(raw, secret_keys, "dev")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def test_the_typescript_consumer_is_a_valid_project_that_adds_the_same_package():
    project = yaml.safe_load((ROOT / "examples" / "package-typescript" / "Pulumi.yaml").read_text())
    schema = json.loads((ROOT / "schemas" / "pulumi-project.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(project)
    assert project["packages"] == yaml.safe_load(YAML_CONSUMER.read_text())["packages"]


# --- the building blocks -----------------------------------------------------------------------

DEV = ROOT / "Pulumi.dev.yaml"
NAMING = {"location": "westeurope", "prefix": "mlops", "environment": "dev"}
# Hand-made ids of what a block does not make.
PLACE = {"resourceGroupName": "rg-team", "workspaceName": "mlw-team"}
IDS = {kind: f"/subscriptions/0/resourceGroups/rg-team/providers/hand/made/{kind}"
       for kind in ("resourceGroup", "workspace", "storageAccount", "keyVault", "containerRegistry")}


def test_the_workspace_block_registers_the_programs_workspace_and_its_dependencies_only():
    program = planned_file(DEV)
    dev = inputs_of(*stack_config(DEV))
    block = construct({key: dev[key] for key in ("location", "prefix", "tags", "workspace")},
                      resource_type=f"{INDEX}Workspace")
    workspace = program.one("azureml-infra:workspace:MachineLearningWorkspace")
    own = [workspace] + [r for r in program.registrations if r.parent == workspace.urn and r.custom]
    assert comparable(block.registrations) == comparable(own)
    assert {r.type for r in block.registrations} == {
        f"{INDEX}Workspace", "azureml-infra:workspace:MachineLearningWorkspace", "azure-native:resources:ResourceGroup",
        "azure-native:storage:StorageAccount", "azure-native:keyvault:Vault", "azure-native:operationalinsights:Workspace",
        "azure-native:applicationinsights:Component", "azure-native:containerregistry:Registry",
        "azure-native:machinelearningservices:Workspace",
    }
    assert set(block.outputs) == set(SCHEMA["resources"][f"{INDEX}Workspace"]["properties"])


def test_a_cluster_block_given_hand_made_ids_registers_the_cluster_only():
    program = planned_file(DEV)
    dev = inputs_of(*stack_config(DEV))
    block = construct(NAMING | {"tags": dev["tags"], "cluster": dev["computes"][0]} | PLACE,
                      resource_type=f"{INDEX}ComputeCluster", preview=False)
    assert [(r.type, r.name) for r in block.registrations] == [
        (f"{INDEX}ComputeCluster", "env"), ("azureml-infra:compute:ComputeCluster", "cpu-compute"),
        ("azure-native:machinelearningservices:Compute", "cpu-compute"),
    ]
    compute = block.one("azure-native:machinelearningservices:Compute")
    planned = program.one("azure-native:machinelearningservices:Compute")
    # The program's cluster, in the hand-made workspace.
    assert compute.inputs == planned.inputs | {"resourceGroupName": "rg-team", "workspaceName": "mlw-team"}
    assert block.outputs["computeId"].value.endswith("/workspaces/mlw-team/computes/cpu-compute")


KEYLESS = {"storageAccount": {"allowSharedKeyAccess": False}}
GPU = {"name": "gpu", "vmSize": "Standard_NC6s_v3", "maxNodes": 2}


def test_a_cluster_blocks_identity_gets_its_roles_on_the_hand_made_ids():
    # On keyless workspace storage the cluster's own identity reads and writes it (resolve._compute_grants).
    block = construct(NAMING | {"workspace": KEYLESS, "cluster": GPU, "dependencyIds": IDS} | PLACE,
                      resource_type=f"{INDEX}ComputeCluster", preview=False)
    assignments = block.of_type("azure-native:authorization:RoleAssignment")
    assert [r.inputs["scope"] for r in assignments] == [IDS["storageAccount"]] * 3
    assert {r.inputs["principalId"] for r in assignments} == {block.outputs["principalId"].value}
    assert {r.type for r in block.registrations} == {
        f"{INDEX}ComputeCluster", "azureml-infra:compute:ComputeCluster",
        "azure-native:machinelearningservices:Compute", "azure-native:authorization:RoleAssignment",
    }


def test_a_cluster_block_without_the_id_its_roles_need_is_refused_at_dependency_ids():
    run = construct(NAMING | {"workspace": KEYLESS, "cluster": GPU} | PLACE, resource_type=f"{INDEX}ComputeCluster",
                    raise_errors=False)
    assert isinstance(run.error, InputPropertiesError)
    assert [e["property_path"] for e in run.error.errors or []] == ["dependencyIds.storageAccount"]
    assert run.registrations == []


def test_a_cluster_block_is_refused_with_the_stack_files_message_at_its_input():
    bad = {"name": "cpu", "vmSize": "Standard_DS3_v2", "minNodes": 3, "maxNodes": 1}
    run = construct(NAMING | {"cluster": bad} | PLACE, resource_type=f"{INDEX}ComputeCluster", raise_errors=False)
    assert isinstance(run.error, InputPropertiesError)
    assert run.error.errors == [{"property_path": "cluster.maxNodes", "reason": "must be at least minNodes (3)"}]
    assert problem_lines(config_error(stack({"azureml-infra:computes": [bad]}))[0]) == [
        "azureml-infra:computes[0].maxNodes: must be at least minNodes (3)"
    ]
    assert run.registrations == []


def test_an_instance_block_registers_the_instance_only():
    instance = {"name": "ci-analyst1", "vmSize": "Standard_DS3_v2",
                "assignedUserObjectId": "55555555-5555-5555-5555-555555555555"}
    block = construct(NAMING | {"instance": instance} | PLACE, resource_type=f"{INDEX}ComputeInstance",
                      preview=False)
    assert [(r.type, r.name) for r in block.registrations] == [
        (f"{INDEX}ComputeInstance", "env"), ("azureml-infra:compute:ComputeInstance", "ci-analyst1"),
        ("azure-native:machinelearningservices:Compute", "ci-analyst1"),
    ]
    assert block.one("azure-native:machinelearningservices:Compute").inputs["workspaceName"] == "mlw-team"


ACCESS = [{"principalId": "66666666-6666-6666-6666-666666666666", "principalType": "Group",
           "role": "AzureML Data Scientist", "scope": "workspace"}]


def test_an_access_block_assigns_its_roles_on_the_hand_made_ids_only():
    block = construct(NAMING | {"access": ACCESS, "dependencyIds": IDS}, resource_type=f"{INDEX}Access",
                      preview=False)
    assignments = block.of_type("azure-native:authorization:RoleAssignment")
    assert [r.inputs["scope"] for r in assignments] == [IDS["workspace"]]
    assert [r.inputs["principalId"] for r in assignments] == ["66666666-6666-6666-6666-666666666666"]
    assert {r.type for r in block.registrations} == {
        f"{INDEX}Access", "azureml-infra:access:Access", "azure-native:authorization:RoleAssignment"
    }


def test_an_access_block_without_the_id_of_a_scope_is_refused_at_dependency_ids():
    ids = {kind: value for kind, value in IDS.items() if kind != "workspace"}
    run = construct(NAMING | {"access": ACCESS, "dependencyIds": ids}, resource_type=f"{INDEX}Access",
                    raise_errors=False)
    assert isinstance(run.error, InputPropertiesError)
    assert [e["property_path"] for e in run.error.errors or []] == ["dependencyIds.workspace"]
    assert run.registrations == []


# An identity-based datastore on existing storage, and one with a stored credential.
DATASTORES = [
    {"name": "features", "kind": "blob", "accountName": "stfeatures01", "container": "features",
     "resourceGroup": "rg-data"},
    {"name": "archive", "kind": "blob", "accountName": "starchive01", "container": "exports",
     "resourceGroup": "rg-archive", "auth": "accountKey", "secret": "archiveAccountKey"},
]
READER = [{"name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 3, "identity": "systemAssigned"}]
PRINCIPALS = {"workspacePrincipalId": "77777777-7777-7777-7777-777777777777",
              "computePrincipalIds": {"cpu-compute": "88888888-8888-8888-8888-888888888888"}}


def test_a_datastores_block_attaches_its_datastores_with_roles_for_the_hand_made_identities():
    block = construct(NAMING | PLACE | PRINCIPALS | {"computes": READER, "datastores": DATASTORES,
                                                     "secrets": {"archiveAccountKey": "key"}},
                      resource_type=f"{INDEX}Datastores", preview=False)
    assert {r.type for r in block.registrations} == {
        f"{INDEX}Datastores", "azureml-infra:datastores:AttachedDatastore",
        "azure-native:machinelearningservices:Datastore", "azure-native:authorization:RoleAssignment",
    }
    assert sorted(r.inputs["name"] for r in block.of_type("azure-native:machinelearningservices:Datastore")) == [
        "archive", "features"]
    assignments = block.of_type("azure-native:authorization:RoleAssignment")
    # The identity-based datastore only, for the workspace and the cluster; on its container.
    assert sorted(r.inputs["principalId"] for r in assignments) == sorted(
        [PRINCIPALS["workspacePrincipalId"], PRINCIPALS["computePrincipalIds"]["cpu-compute"]])
    assert {r.inputs["scope"] for r in assignments} == {
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-data/providers/Microsoft.Storage/"
        "storageAccounts/stfeatures01/blobServices/default/containers/features"}
    assert block.outputs["datastores"].value["archive"] == {
        "kind": "blob", "accountName": "starchive01", "container": "exports"}


def test_a_datastores_block_without_a_readers_principal_is_refused():
    run = construct(NAMING | PLACE | {"computes": READER, "datastores": DATASTORES[:1]},
                    resource_type=f"{INDEX}Datastores", raise_errors=False)
    assert isinstance(run.error, InputPropertiesError)
    assert run.error.errors == [
        {"property_path": "workspacePrincipalId", "reason": "is required: that identity reads the identity-based datastores"},
        {"property_path": "computePrincipalIds.cpu-compute",
         "reason": "is required: that identity reads the identity-based datastores"},
    ]
    assert run.registrations == []


def test_a_datastores_block_is_refused_with_the_stack_files_message():
    bad = [{**DATASTORES[1], "secret": "missing"}]
    run = construct(NAMING | PLACE | {"datastores": bad}, resource_type=f"{INDEX}Datastores", raise_errors=False)
    expected = problem_lines(config_error(stack({"azureml-infra:datastores": bad}))[0])
    assert isinstance(run.error, InputPropertiesError)
    assert [f"{PROJECT}:{e['property_path']}: {e['reason']}" for e in run.error.errors or []] == expected
    assert run.registrations == []


HUB = ROOT / "examples" / "Pulumi.private-hub.yaml"


def test_a_private_endpoints_block_makes_the_programs_endpoints_in_the_given_subnet_and_zones():
    hub = inputs_of(*stack_config(HUB))
    sections = {key: hub[key] for key in ("location", "prefix", "environment", "nameSuffix", "tags", "workspace",
                                          "computes", "network")}
    block = construct(sections | {"resourceGroupName": "rg-team", "dependencyIds": IDS,
                                  "workspacePrincipalId": PRINCIPALS["workspacePrincipalId"]},
                      resource_type=f"{INDEX}PrivateEndpoints", preview=False)
    program = planned_file(HUB)
    endpoint = "azure-native:network:PrivateEndpoint"
    made = {r.inputs["privateEndpointName"]: r for r in block.of_type(endpoint)}
    # The program's endpoints but the data lake's (dataStorage: not a section of this block).
    planned = {r.inputs["privateEndpointName"] for r in program.of_type(endpoint)}
    assert set(made) == {name for name in planned if "data" not in name}
    pe_subnet = hub["network"]["privateEndpoints"]["subnetId"]
    assert {r.inputs["subnet"]["id"] for r in made.values()} == {pe_subnet}
    targets = {c["privateLinkServiceId"] for r in made.values() for c in r.inputs["privateLinkServiceConnections"]}
    assert targets <= set(IDS.values())
    zones = {c["privateDnsZoneId"] for r in block.of_type("azure-native:network:PrivateDnsZoneGroup")
             for c in r.inputs["privateDnsZoneConfigs"]}
    assert zones <= set(hub["network"]["privateEndpoints"]["dnsZones"].values())
    assert {r.type for r in block.registrations} == {
        f"{INDEX}PrivateEndpoints", "azureml-infra:network:PrivateEndpoints", endpoint,
        "azure-native:network:PrivateDnsZoneGroup", "azure-native:authorization:RoleAssignment",
    }


def test_a_private_endpoints_block_needs_an_existing_subnet_and_every_zone():
    hub = inputs_of(*stack_config(HUB))
    network = json.loads(json.dumps(hub["network"]))
    del network["privateEndpoints"]["dnsZones"]["privatelink.azurecr.io"]
    run = construct(NAMING | {"workspace": hub["workspace"], "computes": hub["computes"], "network": network,
                              "resourceGroupName": "rg-team", "dependencyIds": IDS},
                    resource_type=f"{INDEX}PrivateEndpoints", raise_errors=False)
    assert isinstance(run.error, InputPropertiesError)
    assert run.error.errors == [
        {"property_path": "network.privateEndpoints.dnsZones",
         "reason": "needs the ARM id of privatelink.azurecr.io: this block makes no DNS zone (MlEnvironment does)"},
        {"property_path": "workspacePrincipalId",
         "reason": "is required: the workspace identity reads storage through its endpoints"},
    ]
    assert run.registrations == []


def test_the_plugin_manifest_runs_the_entry_point_with_the_programs_pins():
    # PluginProject in pulumi/pulumi sdk/go/common/workspace/project.go: runtime, packages,
    # requiredPulumiVersion, template; the python host runs the directory's __main__.py.
    plugin = ROOT / "azureml_package"
    manifest = yaml.safe_load((plugin / "PulumiPlugin.yaml").read_text())
    assert set(manifest) <= {"runtime", "packages", "requiredPulumiVersion", "template"}
    assert manifest["runtime"]["name"] == "python"
    assert (plugin / "__main__.py").exists()
    requirements = (plugin / "requirements.txt").read_text().split()
    assert requirements[requirements.index("-r") + 1] == "../requirements.txt"
    assert requirements[requirements.index("-c") + 1] == "../constraints.txt"
    # Its virtualenv outside the package, which ruff and mypy read; ignored by git.
    venv = (plugin / manifest["runtime"]["options"]["virtualenv"]).resolve()
    assert venv.parent == ROOT and venv.name + "/" in (ROOT / ".gitignore").read_text().split()
