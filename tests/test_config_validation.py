"""Every config rule of the foundation: the exact problem line it prints, and that the program
stops before registering anything."""

from __future__ import annotations

import json

import pytest

from azureml_infra.config import ConfigError, parse_config
from azureml_infra.config.loader import SECRET_SETTINGS
from tests.conftest import assert_refused, config_error, stack

SUB = "00000000-0000-0000-0000-000000000000"


def rid(provider_type: str, name: str = "existing1") -> str:
    return f"/subscriptions/{SUB}/resourceGroups/rg-shared/providers/{provider_type}/{name}"


def problems(config: dict, stack_name: str = "dev") -> list[str]:
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, set(), stack_name)
    return [str(p) for p in caught.value.problems]


def ws(**section) -> dict:
    return stack({"azureml-infra:workspace": section})


CASES = {
    "unknown top-level key": (
        stack({"azureml-infra:workspce": {}}),
        "azureml-infra:workspce: unknown key; did you mean 'workspace'?",
    ),
    "unknown nested key": (
        ws(keyVault={"skuu": "standard"}),
        "azureml-infra:workspace.keyVault.skuu: unknown key; did you mean 'sku'? "
        "(known keys: id, name, sku, purgeProtection, softDeleteRetentionInDays, authorization, "
        "enabledForTemplateDeployment)",
    ),
    "storage name characters": (
        ws(storageAccount={"name": "My_Storage"}),
        'azureml-infra:workspace.storageAccount.name: a storage account name may contain only '
        'lowercase letters and digits (got "My_Storage")',
    ),
    "storage name too long": (
        ws(storageAccount={"name": "a" * 25}),
        "azureml-infra:workspace.storageAccount.name: a storage account name must be 3-24 characters "
        f'long (this one has 25) (got "{"a" * 25}")',
    ),
    "key vault double hyphen": (
        ws(keyVault={"name": "kv--mlops"}),
        "azureml-infra:workspace.keyVault.name: a key vault name may contain only letters, digits and "
        "hyphens, must start with a letter, end with a letter or digit, and must not contain two "
        'hyphens in a row (got "kv--mlops")',
    ),
    "key vault starts with a digit": (
        ws(keyVault={"name": "1kv-mlops"}),
        "azureml-infra:workspace.keyVault.name: a key vault name may contain only letters, digits and "
        "hyphens, must start with a letter, end with a letter or digit, and must not contain two "
        'hyphens in a row (got "1kv-mlops")',
    ),
    "registry hyphen": (
        ws(containerRegistry={"name": "cr-mlops"}),
        'azureml-infra:workspace.containerRegistry.name: a container registry name may contain only '
        'letters and digits (got "cr-mlops")',
    ),
    "log analytics too short": (
        ws(logAnalytics={"name": "log"}),
        "azureml-infra:workspace.logAnalytics.name: a Log Analytics workspace name must be 4-63 "
        'characters long (this one has 3) (got "log")',
    ),
    "application insights ends with a period": (
        ws(applicationInsights={"name": "appi-mlops."}),
        "azureml-infra:workspace.applicationInsights.name: an Application Insights name must not contain "
        '% & \\ ? / or control characters, and must not end with a space or period (got "appi-mlops.")',
    ),
    "workspace name starts with underscore": (
        ws(name="_mlw"),
        "azureml-infra:workspace.name: a machine learning workspace name may contain only letters, "
        'digits, hyphens and underscores, and must start with a letter or digit (got "_mlw")',
    ),
    "resource group ends with a period": (
        stack({"azureml-infra:resourceGroup": {"name": "rg-mlops."}}),
        "azureml-infra:resourceGroup.name: a resource group name may contain letters, digits, "
        "underscores, hyphens, periods and parentheses, and must not end with a period "
        '(got "rg-mlops.")',
    ),
    "existing resource group without a name": (
        stack({"azureml-infra:resourceGroup": {"existing": True}}),
        "azureml-infra:resourceGroup.name: is required when existing is true (the group to deploy into)",
    ),
    "id that is not an ARM id": (
        ws(keyVault={"id": "kv-shared"}),
        "azureml-infra:workspace.keyVault.id: is not an ARM resource id; expected /subscriptions/"
        "<subscription-guid>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>",
    ),
    "id of the wrong resource type": (
        ws(containerRegistry={"id": rid("Microsoft.Storage/storageAccounts")}),
        "azureml-infra:workspace.containerRegistry.id: is the id of a Microsoft.Storage/storageAccounts, "
        "not of a Microsoft.ContainerRegistry/registries",
    ),
    "id together with settings": (
        ws(storageAccount={"id": rid("Microsoft.Storage/storageAccounts"), "sku": "Standard_LRS"}),
        "azureml-infra:workspace.storageAccount: 'id' reuses an existing resource, so sku cannot be set "
        "beside it: remove them, or remove 'id' to have this stack create the resource",
    ),
    "log analytics settings with reused application insights": (
        ws(applicationInsights={"id": rid("Microsoft.Insights/components")}, logAnalytics={"retentionInDays": 60}),
        "azureml-infra:workspace.logAnalytics: has no effect when applicationInsights reuses an existing "
        "resource (it only backs a new Application Insights): remove it",
    ),
    "unsupported storage sku": (
        ws(storageAccount={"sku": "Premium_LRS"}),
        "azureml-infra:workspace.storageAccount.sku: input should be 'Standard_LRS', 'Standard_GRS', "
        "'Standard_RAGRS', 'Standard_ZRS', 'Standard_GZRS' or 'Standard_RAGZRS' (got \"Premium_LRS\")",
    ),
    "unsupported storage kind": (
        ws(storageAccount={"kind": "BlobStorage"}),
        "azureml-infra:workspace.storageAccount.kind: input should be 'StorageV2' (got \"BlobStorage\")",
    ),
    "unsupported access tier": (
        ws(storageAccount={"accessTier": "Archive"}),
        "azureml-infra:workspace.storageAccount.accessTier: input should be 'Hot', 'Cool' or 'Cold' "
        '(got "Archive")',
    ),
    "unsupported registry sku": (
        ws(containerRegistry={"sku": "Classic"}),
        "azureml-infra:workspace.containerRegistry.sku: input should be 'Basic', 'Standard' or 'Premium' "
        '(got "Classic")',
    ),
    "unsupported key vault sku": (
        ws(keyVault={"sku": "Standard"}),
        "azureml-infra:workspace.keyVault.sku: input should be 'standard' or 'premium' (got \"Standard\")",
    ),
    "public network access value": (
        ws(publicNetworkAccess="enabled"),
        "azureml-infra:workspace.publicNetworkAccess: input should be 'Enabled' or 'Disabled' "
        '(got "enabled")',
    ),
    "number given as text": (
        ws(logAnalytics={"retentionInDays": "30"}),
        'azureml-infra:workspace.logAnalytics.retentionInDays: input should be a valid integer (got "30")',
    ),
    "retention out of range": (
        ws(logAnalytics={"retentionInDays": 7}),
        "azureml-infra:workspace.logAnalytics.retentionInDays: input should be greater than or equal to 30 (got 7)",
    ),
    "boolean given as text": (
        ws(containerRegistry={"adminUserEnabled": "yes"}),
        'azureml-infra:workspace.containerRegistry.adminUserEnabled: input should be a valid boolean (got "yes")',
    ),
    "protect given as text": (
        stack({"azureml-infra:protect": "yes"}),
        'azureml-infra:protect: input should be a valid boolean (got "yes")',
    ),
    "section that is not an object": (
        stack({"azureml-infra:workspace": "mlw-mlops"}),
        'azureml-infra:workspace: input should be a valid dictionary or instance of WorkspaceSettings (got "mlw-mlops")',
    ),
    "prefix with capitals": (
        stack({"azureml-infra:prefix": "MLOps"}),
        "azureml-infra:prefix: must be 2-10 lowercase letters or digits starting with a letter (it goes "
        'into storage account and registry names, which allow nothing else) (got "MLOps")',
    ),
    "prefix too long": (
        stack({"azureml-infra:prefix": "machinelearning"}),
        "azureml-infra:prefix: must be 2-10 lowercase letters or digits starting with a letter (it goes "
        'into storage account and registry names, which allow nothing else) (got "machinelearning")',
    ),
    "environment with a hyphen": (
        stack({"azureml-infra:environment": "dev-1"}),
        'azureml-infra:environment: must be 1-8 lowercase letters or digits starting with a letter, e.g. dev (got "dev-1")',
    ),
    "name suffix too long": (
        stack({"azureml-infra:nameSuffix": "abcde"}),
        'azureml-infra:nameSuffix: must be 1-4 lowercase letters or digits (got "abcde")',
    ),
    "tag name with a forbidden character": (
        stack({"azureml-infra:tags": {"cost/center": "42"}}),
        "azureml-infra:tags: tag name 'cost/center' must be 1-128 characters without < > % & \\ ? /",
    ),
    "tag value too long": (
        stack({"azureml-infra:tags": {"note": "x" * 257}}),
        "azureml-infra:tags: tag 'note' has a value longer than 256 characters",
    ),
    "too many tags": (
        stack({"azureml-infra:tags": {f"t{i}": "v" for i in range(49)}}),
        "azureml-infra:tags: at most 48 tags (Azure allows 50, and this program adds two)",
    ),
    "region with capitals": (
        stack({"azure-native:location": "West Europe"}),
        'azure-native:location: must be an Azure region name such as westeurope (lowercase, no spaces) (got "West Europe")',
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_prints_its_exact_problem_and_registers_nothing(case):
    config, expected = CASES[case]
    assert_refused(config, [expected])


def test_missing_required_keys_say_how_to_set_them():
    assert problems({}) == [
        "azure-native:location: is required; set it with: pulumi config set azure-native:location <value>",
        "azureml-infra:prefix: is required; set it with: pulumi config set azureml-infra:prefix <value>",
    ]


def test_environment_defaults_to_the_stack_name_and_says_so_when_invalid():
    assert problems(stack(), stack_name="my-stack") == [
        "azureml-infra:environment: not set, so it defaults to the stack name 'my-stack', which must be "
        "1-8 lowercase letters or digits starting with a letter, e.g. dev (got \"my-stack\"); set "
        "azureml-infra:environment"
    ]
    assert parse_config({k: str(v) for k, v in stack().items()}, set(), "qa").environment == "qa"


def test_every_problem_is_reported_together_with_the_stack_named():
    config = stack(
        {
            "azureml-infra:workspce": {},
            "azureml-infra:workspace": {"storageAccount": {"name": "My_Storage"}, "keyVault": {"sku": "gold"}},
        }
    )
    text, run = config_error(config, stack_name="test")
    assert text.splitlines()[0] == (
        "Invalid configuration for stack 'test' (Pulumi.test.yaml): 3 problems. Nothing was deployed."
    )
    assert "storageAccount.name" in text and "keyVault.sku" in text and "workspce" in text
    assert run.registrations == []


def test_config_error_is_a_run_error_so_the_cli_prints_it_without_a_traceback():
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


def test_other_namespaces_are_not_checked():
    config = {k: str(v) for k, v in stack().items()}
    config["azure-native:subscriptionId"] = SUB
    config["pulumi:tags"] = "{}"
    assert parse_config(config, set(), "dev").prefix == "mlops"


def test_a_value_pasted_where_a_secret_name_goes_is_never_echoed():
    pasted = "sv=2024-01-01&sig=Zm9vYmFy"
    config = stack(
        {
            "azureml-infra:datastores": [
                {"name": "raw", "kind": "blob", "accountName": "stdata", "container": "raw",
                 "auth": "sas", "secret": pasted}
            ]
        }
    )
    assert_refused(
        config,
        ["azureml-infra:datastores[0].secret: must be the name of a config key (letters, digits, _ and -), "
         "e.g. myPassword"],
    )


@pytest.mark.parametrize(
    "key,value",
    [
        ("tags", {"owner": "s3cr3t"}),
        ("workspace", {"name": "s3cr3t value!"}),
        ("datastores", [{"name": "raw", "secret": "s3cr3t"}]),
        ("prefix", "s3cr3t"),
    ],
)
def test_settings_stored_as_a_secret_are_refused_and_never_echoed(key, value):
    # Under the CLI such a key arrives decrypted; read as settings it would reach the state
    # in clear text, and quoting it in the error would print it in the CI log.
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack().items()}
    raw[f"azureml-infra:{key}"] = value if isinstance(value, str) else json.dumps(value)
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, {f"azureml-infra:{key}"}, "dev")
    assert "s3cr3t" not in str(caught.value)
    assert [str(p) for p in caught.value.problems] == [f"azureml-infra:{key}: {SECRET_SETTINGS}"]


def test_a_secure_value_inside_settings_stops_the_program_before_any_resource():
    assert_refused(
        stack({"azureml-infra:tags": {"owner": {"secure": "v1:AAAA"}}}),
        [f"azureml-infra:tags: {SECRET_SETTINGS}"],
    )
