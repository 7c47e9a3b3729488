"""schemas/stack-config.schema.json: current, a valid schema, and agreeing with the program.

Every comparison is against a fresh generation (``tools.stack_schema.render_schema()``), so the
tests follow the config models as sections are added; only the staleness test reads the
committed file (``make docs`` regenerates it).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import Result

from azureml_infra.config import ConfigError, parse_config
from azureml_infra.config.base import fields_by_key
from azureml_infra.config.stack import StackConfig
from tests.conftest import MINIMAL, config_error, problem_lines, stack
from tests.schema_cli import check_jsonschema, refused
from tools import stack_schema
from tools.harness import config_from_yaml

ROOT = Path(__file__).resolve().parent.parent
STACK_FILES = sorted(
    [p for p in ROOT.glob("Pulumi.*.yaml") if p.name != "Pulumi.yaml"]
    + list(ROOT.glob("examples/*.yaml"))
    + list(ROOT.glob("tests/fixtures/Pulumi.*.yaml"))
)
SUBNET = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-net/providers/"
          "Microsoft.Network/virtualNetworks/vnet/subnets/snet")
CLUSTER = {"name": "cpu-compute", "vmSize": "STANDARD_D3_V2", "maxNodes": 2}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return stack_schema.render_schema()


@pytest.fixture(scope="module")
def validator(schema) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def schema_errors(validator, config: dict[str, Any]) -> list[str]:
    document = {"config": config}
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def program_accepts(config: dict[str, Any], stack_name: str = "dev") -> bool:
    raw, secrets = config_from_yaml(config)
    try:
        parse_config(raw, secrets, stack_name)
    except ConfigError:
        return False
    return True


# --- the file -----------------------------------------------------------------------------------


def test_the_committed_schema_is_current():
    """Fails while the config models change; `make docs` regenerates the file."""
    assert stack_schema.TARGET.exists(), "run `make docs`"
    assert stack_schema.TARGET.read_text() == stack_schema.render(), "stale: run `make docs`"


def test_the_schema_is_valid_against_its_metaschema(schema):
    # The draft-07 metaschema (what editors support fully), patterns included (format "regex" is checked with Python's re;
    # the patterns avoid syntax that Python and ECMA-262 read differently).
    jsonschema.Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"


def _patterns(node: Any) -> list[str]:
    if isinstance(node, list):
        return [p for item in node for p in _patterns(item)]
    if not isinstance(node, dict):
        return []
    found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
    found += list(node.get("patternProperties", {}))
    return found + [p for value in node.values() for p in _patterns(value)]


def test_patterns_use_no_python_only_syntax(schema):
    """Editors run the patterns as ECMA-262 regexes: no (?P<name>, inline flags, \\A or \\Z."""
    patterns = _patterns(schema)
    assert len(patterns) > 10
    for pattern in patterns:
        assert not re.search(r"\(\?P|\(\?[aiLmsux]+[):]|\\[AZ]", pattern), pattern
        assert pattern.startswith("^") and pattern.endswith("$"), pattern


def test_every_key_of_the_config_models_is_in_the_schema(schema):
    properties = schema["properties"]["config"]["properties"]
    expected = {("azure-native:location" if k == "location" else f"azureml-infra:{k}") for k in fields_by_key(StackConfig)}
    assert set(properties) == expected
    assert sorted(schema["properties"]["config"]["required"]) == ["azure-native:location", "azureml-infra:prefix"]


def test_descriptions_defaults_enums_and_naming_patterns_come_through(schema):
    defs = schema["definitions"]
    account = defs["StorageAccountSettings"]["properties"]
    assert account["sku"]["default"] == "Standard_LRS"
    assert "Standard_RAGRS" in account["sku"]["enum"]
    name = next(b for b in account["name"]["anyOf"] if b.get("type") == "string")
    assert (name["pattern"], name["minLength"], name["maxLength"]) == ("^(?:[a-z0-9]+)$", 3, 24)
    vault = next(b for b in defs["KeyVaultSettings"]["properties"]["name"]["anyOf"] if b.get("type") == "string")
    assert vault["pattern"].startswith("^(?!.*--)")
    retention = defs["KeyVaultSettings"]["properties"]["softDeleteRetentionInDays"]
    assert (retention["minimum"], retention["maximum"], retention["default"]) == (7, 90, 90)
    assert defs["ComputeCluster"]["properties"]["maxNodes"]["description"].startswith("Most nodes")


# --- shipped stack files ---------------------------------------------------------------------


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_stack_file_validates(validator, path):
    document = yaml.safe_load(path.read_text())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_stack_file_points_at_the_schema(path):
    first = path.read_text().splitlines()[0]
    relative = Path(*[".."] * (len(path.relative_to(ROOT).parts) - 1), "schemas", "stack-config.schema.json")
    assert first == f"# yaml-language-server: $schema={relative.as_posix()}"


def _check_jsonschema(schema: dict[str, Any], tmp_path: Path, files: list[Path]) -> Result:
    """check-jsonschema with its default, ECMA-262 regex engine: the patterns as editors run them."""
    schema_file = tmp_path / "stack-config.schema.json"
    schema_file.write_text(json.dumps(schema))
    return check_jsonschema("--schemafile", str(schema_file), *map(str, files))


def test_shipped_stack_files_validate_with_ecma_regexes(schema, tmp_path):
    result = _check_jsonschema(schema, tmp_path, STACK_FILES)
    assert result.exit_code == 0, result.output


def test_bad_stack_files_are_refused_with_ecma_regexes(schema, tmp_path):
    files = []
    for index, name in enumerate(BAD):
        path = tmp_path / f"Pulumi.bad{index}.yaml"
        path.write_text(yaml.safe_dump({"config": _config(BAD[name])}))
        files.append(path)
    result = _check_jsonschema(schema, tmp_path, files)
    assert refused(result)
    assert [p.name for p in files if p.name not in result.output] == []


def test_pulumi_stack_keys_are_accepted_and_others_refused(validator):
    document = {"secretsprovider": "passphrase", "encryptionsalt": "v1:abc", "encryptedkey": "xyz",
                "environment": ["azureml-infra/dev"], "config": stack()}
    assert list(validator.iter_errors(document)) == []
    assert [e.message for e in validator.iter_errors({**document, "confg": {}})] == [
        "Additional properties are not allowed ('confg' was unexpected)"]


# --- schema and program agree ------------------------------------------------------------------

GOOD: dict[str, dict[str, Any]] = {
    "other namespaces are open": {"azure-native:subscriptionId": "anything", "pulumi:tags": {"a": "b"}},
    "a secret key that a setting names": {
        "azureml-infra:computes": [{**CLUSTER, "ssh": {"adminUserName": "azureuser", "passwordSecret": "adminPw"}}],
        "azureml-infra:adminPw": {"secure": "v1:abc"},
    },
    "identity shorthand": {"azureml-infra:computes": [{**CLUSTER, "identity": "none"}]},
    "identity as an object": {"azureml-infra:computes": [{**CLUSTER, "identity": {"systemAssigned": True}}]},
    "a region": {"azure-native:location": "northeurope"},
    "names at their limits": {"azureml-infra:workspace": {"storageAccount": {"name": "a" * 24},
                                                          "keyVault": {"name": "kv-a-b"}}},
    "a datastore on the stack's data lake": {
        "azureml-infra:dataStorage": {"containers": ["raw"]},
        "azureml-infra:datastores": [{"name": "raw", "kind": "blob", "accountName": "dataStorage", "container": "raw"}],
    },
}

AKS_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-shared"

BAD: dict[str, dict[str, Any]] = {
    "no prefix": {"azureml-infra:prefix": None},
    "a prefix with capitals": {"azureml-infra:prefix": "MLops"},
    "an environment too long": {"azureml-infra:environment": "production"},
    "a region with spaces": {"azure-native:location": "West Europe"},
    "a typo in a top-level key": {"azureml-infra:prefx": "mlops"},
    "an unknown nested key": {"azureml-infra:workspace": {"keyVault": {"skuu": "premium"}}},
    "a secure value on a settings key": {"azureml-infra:workspace": {"secure": "v1:abc"}},
    "a value outside the enum": {"azureml-infra:workspace": {"storageAccount": {"sku": "Premium_LRS"}}},
    "a string for a boolean": {"azureml-infra:protect": "yes"},
    "a storage account name with capitals": {"azureml-infra:workspace": {"storageAccount": {"name": "StMlops"}}},
    "a storage account name too long": {"azureml-infra:workspace": {"storageAccount": {"name": "a" * 25}}},
    "a key vault name with two hyphens": {"azureml-infra:workspace": {"keyVault": {"name": "kv--mlops"}}},
    "retention below the minimum": {"azureml-infra:workspace": {"keyVault": {"softDeleteRetentionInDays": 5}}},
    "a cluster name starting with a digit": {"azureml-infra:computes": [{**CLUSTER, "name": "1cpu"}]},
    "a cluster without maxNodes": {"azureml-infra:computes": [{"name": "cpu", "vmSize": "STANDARD_D3_V2"}]},
    "zero maxNodes": {"azureml-infra:computes": [{**CLUSTER, "maxNodes": 0}]},
    "a duration in words": {"azureml-infra:computes": [{**CLUSTER, "idleTimeBeforeScaleDown": "15 minutes"}]},
    "an identity shorthand that does not exist": {"azureml-infra:computes": [{**CLUSTER, "identity": "userAssigned"}]},
    "a subnet id that is a VNet": {"azureml-infra:computes": [{**CLUSTER, "subnetId": SUBNET.rsplit("/subnets", 1)[0]}]},
    "an object id that is no GUID": {"azureml-infra:computeInstances": [
        {"name": "ci-me", "vmSize": "STANDARD_DS3_V2", "assignedUserObjectId": "me@example.com"}]},
    "a reserved datastore name": {"azureml-infra:datastores": [
        {"name": "workspaceblobstore", "kind": "blob", "accountName": "starchive01", "container": "exports"}]},
    "a datastore secret that is no key name": {"azureml-infra:datastores": [
        {"name": "archive", "kind": "blob", "accountName": "starchive01", "container": "exports",
         "auth": "accountKey", "secret": "my key!"}]},
    "a container listed twice": {"azureml-infra:dataStorage": {"containers": ["raw", "raw"]}},
    # The sections of issues 9-11 (found in review: the schema accepted each of these).
    "a CIDR prefix over 32": {"azureml-infra:network": {"privateEndpoints": {"vnet": {
        "addressSpace": "10.20.0.0/33", "privateEndpointSubnet": "10.20.1.0/24"}}}},
    "an outbound rule name with a space": {"azureml-infra:network": {
        "isolation": "AllowOnlyApprovedOutbound", "outboundRules": [{"name": "py pi", "fqdn": "pypi.org"}]}},
    "an fqdn that is no host name": {"azureml-infra:network": {
        "isolation": "AllowOnlyApprovedOutbound", "outboundRules": [{"name": "pypi", "fqdn": "pypi org"}]}},
    "an unknown role name": {"azureml-infra:access": [{"principalId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                                                      "principalType": "Group", "role": "Data Wizard",
                                                      "scope": "workspace"}]},
    "a namespace with capitals": {"azureml-infra:kubernetesComputes": [
        {"name": "myaks", "clusterId": AKS_ID, "namespace": "Bad_NS", "inference": False, "training": True}]},
    "zero AKS nodes": {"azureml-infra:kubernetesComputes": [
        {"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5", "nodeCount": 0}, "inference": False,
         "training": True}]},
    "a key URI that is no Key Vault key's": {"azureml-infra:workspace": {"identity": "userAssigned", "encryption": {
        "keyVaultId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
                      "Microsoft.KeyVault/vaults/kv-cmk",
        "keyUri": "https://kv-cmk.vault.azure.net/secrets/mlw"}}},
    "an event hub name that ends in a hyphen": {"azureml-infra:diagnostics": {"eventHub": {
        "authorizationRuleId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
                               "Microsoft.EventHub/namespaces/evhns/authorizationRules/send",
        "name": "aml-audit-"}}},
    "a Kubernetes version in words": {"azureml-infra:kubernetesComputes": [
        {"name": "myaks", "cluster": {"vmSize": "Standard_D4s_v5", "kubernetesVersion": "latest"},
         "inference": False, "training": True}]},
    "a plain value under a secret's key": {
        "azureml-infra:computes": [{**CLUSTER, "ssh": {"adminUserName": "azureuser", "passwordSecret": "adminPw"}}],
        "azureml-infra:adminPw": "hunter2",
    },
}


def _config(change: dict[str, Any]) -> dict[str, Any]:
    config = copy.deepcopy(MINIMAL)
    for key, value in change.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = copy.deepcopy(value)
    return config


@pytest.mark.parametrize("name", GOOD)
def test_schema_and_program_accept(validator, name):
    config = _config(GOOD[name])
    assert schema_errors(validator, config) == []
    assert program_accepts(config)


# Where the two point at different keys for the same mistake: (schema's, program's).
KEYS_DIFFER = {
    # The schema sees a plain value where a secret must be; the program, the setting naming it.
    "a plain value under a secret's key": ({"azureml-infra:adminPw"}, {"azureml-infra:computes"}),
}


def _top_key(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


@pytest.mark.parametrize("name", BAD)
def test_schema_and_program_refuse_at_the_same_key(validator, name):
    config = _config(BAD[name])
    schema_keys = set()
    for error in validator.iter_errors({"config": config}):
        missing = re.fullmatch(r"'(.+)' is a required property", error.message)
        path = list(error.absolute_path)
        schema_keys.add(missing.group(1) if missing and len(path) == 1 else path[1])
    text, _ = config_error(config)  # the program refuses it too, before registering anything
    program_keys = {_top_key(line.split(": ", 1)[0]) for line in problem_lines(text)}
    assert (schema_keys, program_keys) == KEYS_DIFFER.get(name, (program_keys, program_keys))


def test_a_stack_file_without_location_is_refused_by_both(validator):
    config = {k: v for k, v in MINIMAL.items() if k != "azure-native:location"}
    assert schema_errors(validator, config) == ["config: 'azure-native:location' is a required property"]
    config_error(config)
