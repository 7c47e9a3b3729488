"""The plan as an ARM template (tools/arm_export.py, `make scan`): one ARM resource per custom
resource, ARM types and the SDK's API versions, bodies in ARM's shape, unknowns as expressions,
secrets masked; and the gate over checkov's results. No checkov here: `make scan` runs it in its
own venv."""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from azureml_infra.facts import ARM_TYPES, SECRET_PLACEHOLDER
from tests.conftest import planned_file, run_file
from tools import arm_export
from tools.arm_export import api_version, export_template, gate
from tools.harness import ROOT
from tools.plan import opened, plan_document

EXAMPLES = ROOT / "examples"


@cache
def documents(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plan (preview) and the applied run's document, as tools.arm_export.plan_documents makes
    them, from the shared runs of conftest."""
    return (
        plan_document(opened(planned_file(path)), str(path)),
        plan_document(opened(run_file(path)), str(path)),
    )


def _path(name: str) -> Path:
    return ROOT / f"Pulumi.{name}.yaml" if (ROOT / f"Pulumi.{name}.yaml").exists() else EXAMPLES / f"Pulumi.{name}.yaml"


@cache
def template(name: str) -> dict[str, Any]:
    """The template of a shipped stack or example, as `make scan` exports it (with the applied run)."""
    return export_template(*documents(_path(name)))


@cache
def preview_template(name: str) -> dict[str, Any]:
    """The template from the plan alone (one program run less: the examples' tests need no more)."""
    return export_template(plan_document(opened(planned_file(_path(name))), name))


def resource(tpl: dict[str, Any], arm_type: str, name: str) -> dict[str, Any]:
    found = [r for r in tpl["resources"] if r["type"] == arm_type and r["name"] == name]
    assert len(found) == 1, f"{arm_type} {name}: {[(r['type'], r['name']) for r in tpl['resources']]}"
    return found[0]


# --- one resource per custom resource, its type, API version and name --------------------------


@pytest.mark.parametrize("stack_name", ["dev", "prod"])
def test_one_arm_resource_per_custom_resource_with_its_type_api_version_and_name(stack_name):
    plan, _ = documents(ROOT / f"Pulumi.{stack_name}.yaml")
    custom = [r for r in plan["resources"] if r["custom"]]
    tpl = template(stack_name)
    assert tpl["$schema"] == "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    assert tpl["contentVersion"] == "1.0.0.0"
    assert len(tpl["resources"]) == len(custom)
    for res, arm in zip(custom, tpl["resources"], strict=True):
        assert arm["type"] == ARM_TYPES[res["type"]].type, res["name"]
        assert arm["apiVersion"] == api_version(res["type"])
        if "scope" in arm or res["type"] == "azure-native:monitor:DiagnosticSetting":
            assert arm["name"] == (res["azureName"] or res["inputs"]["lockName"])
        else:  # parent/child names end in the resource's own Azure name
            assert arm["name"].split("/")[-1] == res["azureName"], res["name"]


def test_the_prod_template_has_the_resources_and_names_azure_would_see():
    tpl = template("prod")
    names = {(r["type"], r["name"]) for r in tpl["resources"]}
    assert ("Microsoft.Resources/resourceGroups", "rg-mlops-prod") in names
    assert ("Microsoft.MachineLearningServices/workspaces/computes", "mlw-mlops-prod/cpu-compute") in names
    assert ("Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "pe-mlw-mlops-prod-amlworkspace/default") in names
    assert ("Microsoft.Network/privateDnsZones/virtualNetworkLinks",
            "privatelink.api.azureml.ms/vnet-mlops-prod-link") in names
    locks = [r for r in tpl["resources"] if r["type"] == "Microsoft.Authorization/locks"]
    assert sorted(r["scope"] for r in locks) == [
        "Microsoft.ContainerRegistry/registries/crmlopsprodkdui",
        "Microsoft.KeyVault/vaults/kv-mlops-prod-kdui",
        "Microsoft.Storage/storageAccounts/stmlopsprodkdui",
    ]
    diagnostics = {r["scope"] for r in tpl["resources"] if r["type"] == "Microsoft.Insights/diagnosticSettings"}
    assert "Microsoft.Storage/storageAccounts/stmlopsprodkdui/blobServices/default" in diagnostics


def test_api_versions_come_from_the_installed_sdk():
    # The pinned azure-native 3.29.0 says so in each class ("Uses Azure REST API version ...").
    assert api_version("azure-native:storage:StorageAccount") == "2024-01-01"
    assert api_version("azure-native:machinelearningservices:Workspace") == "2025-12-01"
    assert api_version("azure-native:containerregistry:Registry") == "2023-01-01-preview"
    assert api_version("azure-native:authorization:ManagementLockByScope") == "2020-05-01"
    import inspect

    import pulumi_azure_native.network as network

    source = inspect.getsource(network.PrivateDnsZoneGroup)
    assert f"Uses Azure REST API version {api_version('azure-native:network:PrivateDnsZoneGroup')}." in source


def test_every_type_the_program_registers_has_a_shape_and_an_arm_type():
    for pulumi_type in arm_export.SHAPES:
        assert pulumi_type in ARM_TYPES, pulumi_type
    unmapped = {t for t in ARM_TYPES if t not in arm_export.SHAPES}
    # Types in the facts table no stack file registers yet: an export of one fails loudly.
    assert unmapped == {
        "azure-native:managedidentity:FederatedIdentityCredential",
        "azure-native:network:Subnet",
        "azure-native:containerservice:TrustedAccessRoleBinding",
    }
    plan = {"resources": [{"urn": "u", "type": "azure-native:network:Subnet", "name": "s", "custom": True,
                           "inputs": {}, "propertyDependencies": {}, "dependsOn": []}]}
    with pytest.raises(KeyError, match="no ARM mapping for azure-native:network:Subnet"):
        export_template(plan)


# --- bodies in ARM's shape ---------------------------------------------------------------------


def test_storage_account_properties_in_arm_shape():
    arm = resource(template("prod"), "Microsoft.Storage/storageAccounts", "stmlopsprodkdui")
    assert arm["sku"] == {"name": "Standard_RAGRS"} and arm["kind"] == "StorageV2"
    assert arm["location"] == "westeurope" and arm["tags"]["environment"] == "prod"
    assert arm["properties"] == {
        "accessTier": "Hot",
        "allowBlobPublicAccess": False,
        "allowSharedKeyAccess": False,
        "supportsHttpsTrafficOnly": True,  # the SDK's enableHttpsTrafficOnly
        "isHnsEnabled": False,
        "minimumTlsVersion": "TLS1_2",
        "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny"},  # the SDK's networkRuleSet
        "publicNetworkAccess": "Disabled",
    }


def test_key_vault_and_log_analytics_properties_in_arm_shape():
    tpl = template("prod")
    vault = resource(tpl, "Microsoft.KeyVault/vaults", "kv-mlops-prod-kdui")
    assert "sku" not in vault  # a vault's sku is one of its properties
    assert vault["properties"]["sku"] == {"family": "A", "name": "standard"}
    assert vault["properties"]["enablePurgeProtection"] is True
    assert vault["properties"]["networkAcls"] == {"bypass": "AzureServices", "defaultAction": "Deny"}
    logs = resource(tpl, "Microsoft.OperationalInsights/workspaces", "log-mlops-prod")
    assert "sku" not in logs
    assert logs["properties"] == {"retentionInDays": 90, "sku": {"name": "PerGB2018"}}
    insights = resource(tpl, "Microsoft.Insights/components", "appi-mlops-prod")
    assert insights["kind"] == "web"
    assert insights["properties"]["Application_Type"] == "web"
    assert insights["properties"]["WorkspaceResourceId"] == (
        "[resourceId('Microsoft.OperationalInsights/workspaces', 'log-mlops-prod')]"
    )


def test_workspace_with_a_managed_network_in_arm_shape():
    arm = resource(template("prod"), "Microsoft.MachineLearningServices/workspaces", "mlw-mlops-prod")
    assert arm["identity"] == {"type": "SystemAssigned"}
    assert arm["sku"] == {"name": "Basic", "tier": "Basic"}
    props = arm["properties"]
    assert props["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    # Its rules are resources of their own: workspaces/outboundRules children.
    assert "outboundRules" not in props["managedNetwork"]
    rule = resource(template("prod"), "Microsoft.MachineLearningServices/workspaces/outboundRules",
                    "mlw-mlops-prod/pypi")
    assert rule["properties"] == {"category": "UserDefined", "destination": "pypi.org", "type": "FQDN"}
    assert props["publicNetworkAccess"] == "Disabled"
    # what only Azure knows in the preview: the ids of the resources the template creates
    assert props["storageAccount"] == "[resourceId('Microsoft.Storage/storageAccounts', 'stmlopsprodkdui')]"
    assert props["keyVault"] == "[resourceId('Microsoft.KeyVault/vaults', 'kv-mlops-prod-kdui')]"
    assert not {"workspaceName", "resourceGroupName", "location", "identity", "sku"} & set(props)
    assert "[resourceId('Microsoft.Storage/storageAccounts', 'stmlopsprodkdui')]" in arm["dependsOn"]


def test_user_assigned_identities_become_a_map_of_ids():
    identity = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/" \
        "Microsoft.ManagedIdentity/userAssignedIdentities/id-x"
    plan = {"stack": "x", "resources": [{
        "urn": "u", "type": "azure-native:machinelearningservices:Workspace", "name": "workspace", "custom": True,
        "inputs": {"resourceGroupName": "rg", "workspaceName": "mlw-x", "location": "westeurope",
                   "identity": {"type": "UserAssigned", "userAssignedIdentities": [identity]},
                   "primaryUserAssignedIdentity": identity},
        "propertyDependencies": {}, "dependsOn": [],
    }]}
    arm = export_template(plan)["resources"][0]
    assert arm["identity"] == {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}}
    assert arm["properties"] == {"primaryUserAssignedIdentity": identity}


def test_compute_cluster_is_a_child_of_the_workspace():
    arm = resource(template("prod"), "Microsoft.MachineLearningServices/workspaces/computes", "mlw-mlops-prod/cpu-compute")
    assert arm["identity"] == {"type": "SystemAssigned"}
    assert arm["properties"]["computeType"] == "AmlCompute"
    assert arm["properties"]["properties"]["scaleSettings"]["minNodeCount"] == 0
    assert arm["dependsOn"] == ["[resourceId('Microsoft.MachineLearningServices/workspaces', 'mlw-mlops-prod')]"]


def test_private_endpoint_and_its_dns_zone_group_in_arm_shape():
    tpl = template("prod")
    arm = resource(tpl, "Microsoft.Network/privateEndpoints", "pe-stmlopsprodkdui-blob")
    assert arm["properties"]["privateLinkServiceConnections"] == [
        {
            "name": "pe-stmlopsprodkdui-blob",
            "properties": {
                "groupIds": ["blob"],
                "privateLinkServiceId": "[resourceId('Microsoft.Storage/storageAccounts', 'stmlopsprodkdui')]",
            },
        }
    ]
    assert arm["properties"]["subnet"] == {
        "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-mlops-prod', 'snet-private-endpoints')]"
    }
    group = resource(tpl, "Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "pe-mlw-mlops-prod-amlworkspace/default")
    assert group["properties"]["privateDnsZoneConfigs"] == [
        {"name": "privatelink-api-azureml-ms",
         "properties": {"privateDnsZoneId": "[resourceId('Microsoft.Network/privateDnsZones', 'privatelink.api.azureml.ms')]"}},
        {"name": "privatelink-notebooks-azure-net",
         "properties": {"privateDnsZoneId": "[resourceId('Microsoft.Network/privateDnsZones', 'privatelink.notebooks.azure.net')]"}},
    ]
    vnet = resource(tpl, "Microsoft.Network/virtualNetworks", "vnet-mlops-prod")
    assert vnet["properties"]["subnets"][0]["name"] == "snet-private-endpoints"
    assert vnet["properties"]["subnets"][0]["properties"]["addressPrefix"] == "10.20.1.0/24"


def test_role_assignment_is_an_extension_resource_on_its_scope():
    tpl = preview_template("datastores")
    ours = [r for r in tpl["resources"] if r["type"] == "Microsoft.Authorization/roleAssignments"
            and r["scope"].endswith("/containers/curated") and "workspace reads and writes" in r["properties"]["description"]]
    assert len(ours) == 1
    arm = ours[0]
    assert arm["scope"] == "Microsoft.Storage/storageAccounts/stmlopslakedatadc4f/blobServices/default/containers/curated"
    assert re.fullmatch(r"[0-9a-f-]{36}", arm["name"])
    assert arm["properties"]["principalId"] == (
        "[reference(resourceId('Microsoft.MachineLearningServices/workspaces', 'mlw-mlops-lake'), '2025-12-01', "
        "'Full').identity.principalId]"
    )
    assert arm["properties"]["roleDefinitionId"].endswith("/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe")
    assert set(arm["properties"]) == {"description", "principalId", "principalType", "roleDefinitionId"}


def test_blob_container_and_cluster_extension_names_and_scopes():
    container = resource(preview_template("datastores"), "Microsoft.Storage/storageAccounts/blobServices/containers",
                         "stmlopslakedatadc4f/default/raw")
    assert container["properties"] == {"publicAccess": "None"}
    extension = resource(preview_template("aks-inference"), "Microsoft.KubernetesConfiguration/extensions",
                         "azureml-extension")
    assert extension["scope"] == "Microsoft.ContainerService/managedClusters/aks-mlops-dev-myaks"
    assert extension["properties"]["extensionType"] == "Microsoft.AzureML.Kubernetes"
    # From the plan alone, the cluster's id is known after deployment only; `make scan` (with the
    # applied run) writes [resourceId('Microsoft.ContainerService/managedClusters', ...)] instead.
    assert extension["properties"]["configurationSettings"]["clusterId"] == (
        "[parameters('unknown_myaks_extension_configurationSettings_clusterId')]"
    )
    assert not {"clusterName", "clusterRp", "clusterResourceName", "extensionName"} & set(extension["properties"])


# --- secrets, unknowns, literals ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["aks-inference", "datastores"])
def test_secrets_are_securestring_parameters_without_a_value(name):
    tpl = preview_template(name)
    text = json.dumps(tpl)
    assert SECRET_PLACEHOLDER not in text.replace("[parameters(", "")
    assert "W3NlY3JldF0=" not in text  # the placeholder base64-encoded (the extension's certificate)
    secrets = {k: v for k, v in tpl["parameters"].items() if k.startswith("secret_")}
    assert secrets and all(v["type"] == "securestring" and "defaultValue" not in v for v in secrets.values())
    for key in secrets:
        assert f"[parameters('{key}')]" in text


def test_the_extension_protected_settings_are_each_a_secret():
    extension = resource(preview_template("aks-inference"), "Microsoft.KubernetesConfiguration/extensions",
                         "azureml-extension")
    assert extension["properties"]["configurationProtectedSettings"] == {
        "scoringFe.sslCert": "[parameters('secret_myaks_extension_configurationProtectedSettings_scoringFe_sslCert')]",
        "scoringFe.sslKey": "[parameters('secret_myaks_extension_configurationProtectedSettings_scoringFe_sslKey')]",
    }


def test_without_the_applied_run_unknown_ids_are_parameters_and_principals_references():
    tpl = preview_template("datastores")
    workspace = resource(tpl, "Microsoft.MachineLearningServices/workspaces", "mlw-mlops-lake")
    assert workspace["properties"]["storageAccount"] == "[parameters('unknown_workspace_storageAccount')]"
    assert tpl["parameters"]["unknown_workspace_storageAccount"]["type"] == "string"
    assigned = [r for r in tpl["resources"] if r["type"] == "Microsoft.Authorization/roleAssignments"]
    assert all(not r["properties"]["principalId"].startswith("[parameters(") for r in assigned)


def test_literal_strings_that_look_like_expressions_are_escaped():
    plan = {"stack": "x", "resources": [{
        "urn": "u", "type": "azure-native:resources:ResourceGroup", "name": "resource-group", "custom": True,
        "inputs": {"resourceGroupName": "rg", "location": "westeurope", "tags": {"note": "[not an expression]"}},
        "propertyDependencies": {}, "dependsOn": [],
    }]}
    assert export_template(plan)["resources"][0]["tags"] == {"note": "[[not an expression]"}


# --- the gate over checkov's results ---------------------------------------------------------

RESULTS = {
    "check_type": "arm",
    "results": {
        "failed_checks": [
            {"check_id": "CKV_AZURE_166", "resource": "Microsoft.ContainerRegistry/registries.crx",
             "check_name": "Ensure container image quarantine, scan, and mark images verified"},
            {"check_id": "CKV_AZURE_233", "resource": "Microsoft.ContainerRegistry/registries.crx",
             "check_name": "Ensure Azure Container Registry (ACR) is zone redundant"},
        ],
        "passed_checks": [{"check_id": "CKV_AZURE_137", "resource": "Microsoft.ContainerRegistry/registries.crx"}],
    },
}
ENTRY = {"check": "CKV_AZURE_233", "resource": "Microsoft.ContainerRegistry/registries.crx",
         "why": "a test", "source": "this test"}


def test_the_gate_fails_on_findings_not_accepted_for_the_stack():
    new, kept, stale = gate(RESULTS, {"prod": [ENTRY]}, "prod")
    assert [f.check for f in new] == ["CKV_AZURE_166"] and [f.check for f in kept] == ["CKV_AZURE_233"]
    assert stale == []
    new, kept, _ = gate(RESULTS, {"prod": [ENTRY]}, "dev")  # accepted for prod only
    assert [f.check for f in new] == ["CKV_AZURE_166", "CKV_AZURE_233"] and kept == []
    _, _, stale = gate({"results": {"failed_checks": []}}, {"prod": [ENTRY]}, "prod")
    assert stale == [("CKV_AZURE_233", "Microsoft.ContainerRegistry/registries.crx")]


def test_an_allowlist_entry_must_say_why_and_where_from():
    with pytest.raises(ValueError, match=r"^scan-allowlist.yaml: prod\[0\] lacks why, source$"):
        gate(RESULTS, {"prod": [{"check": "CKV_AZURE_233", "resource": "x"}]}, "prod")


def test_the_gate_command_exits_1_only_on_findings_not_accepted(tmp_path, capsys):
    results = tmp_path / "results.json"
    results.write_text(json.dumps(RESULTS))
    allow = tmp_path / "allow.yaml"
    allow.write_text(yaml.safe_dump({"prod": [ENTRY, {**ENTRY, "check": "CKV_AZURE_166"}]}))
    assert arm_export.main(["--stack", "prod", "--gate", str(results), "--allowlist", str(allow)]) == 0
    assert arm_export.main(["--stack", "test", "--gate", str(results), "--allowlist", str(allow)]) == 1
    out = capsys.readouterr().out
    assert "  NOT ACCEPTED: CKV_AZURE_166 Microsoft.ContainerRegistry/registries.crx: Ensure container image" in out
    assert arm_export.main(["--stack-file", "examples/Pulumi.aks-inference.yaml", "--gate", str(results),
                            "--allowlist", str(allow)]) == 1
    assert "make scan: stack aks-inference: 2 failed checks, 0 accepted" in capsys.readouterr().out


def test_the_shipped_allowlist_is_valid_for_every_stack():
    allowlist = yaml.safe_load((ROOT / "scan-allowlist.yaml").read_text())
    for stack_name in allowlist:
        arm_export.accepted_findings(allowlist, stack_name)


# --- against Azure's published ARM schemas ----------------------------------------------------

# A clone of Azure/azure-resource-manager-schemas (a git directory; nothing of it is committed):
# ARM_SCHEMAS_GIT_DIR, or where this workplace's `fetch` puts it. Without one these tests skip.
SCHEMAS_GIT = Path(os.environ.get("ARM_SCHEMAS_GIT_DIR", "/work/.mirror/Azure+azure-resource-manager-schemas/repo"))
COMMON = "https://schema.management.azure.com/schemas/common/definitions.json"


def _git(*args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(SCHEMAS_GIT), *args], capture_output=True, text=True,
                          check=True).stdout


@cache
def _schema_files(api: str) -> tuple[str, ...]:
    try:
        return tuple(_git("ls-tree", "--name-only", f"HEAD:schemas/{api}/").split())
    except subprocess.CalledProcessError:
        return ()


@cache
def _schema(path: str) -> dict[str, Any]:
    return _open_unions(json.loads(_git("show", f"HEAD:schemas/{path}")))


def _open_unions(node: Any) -> Any:
    """The published schemas write a discriminated union (an outbound rule, a compute's type) as
    ``allOf: [{base properties, additionalProperties: false}, {oneOf: [subtypes]}]``, under which
    strict JSON Schema refuses every subtype's own property. Drop that ``additionalProperties``;
    the subtypes' properties are still checked, unknown keys of a subtype are not."""
    if isinstance(node, dict):
        parts = node.get("allOf")
        if isinstance(parts, list) and any(isinstance(p, dict) and "oneOf" in p for p in parts):
            for part in parts:
                if isinstance(part, dict) and part.get("additionalProperties") is False:
                    del part["additionalProperties"]
        for value in node.values():
            _open_unions(value)
    elif isinstance(node, list):
        for value in node:
            _open_unions(value)
    return node


def _definition(arm: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(the resource definition of arm's type at its API version, the file holding it)."""
    namespace = arm["type"].split("/")[0].lower()
    for name in _schema_files(arm["apiVersion"]):
        if not name.lower().startswith(namespace + "."):
            continue
        document = _schema(f"{arm['apiVersion']}/{name}")
        for section in ("resourceDefinitions", "extension_resourceDefinitions", "subscription_resourceDefinitions"):
            for definition in document.get(section, {}).values():
                enum = definition.get("properties", {}).get("type", {}).get("enum", [])
                if [t.lower() for t in enum] == [arm["type"].lower()]:
                    return definition, document
    return None


@pytest.mark.skipif(not SCHEMAS_GIT.is_dir(), reason="no clone of Azure/azure-resource-manager-schemas")
def test_the_prod_template_validates_against_azures_arm_schemas():
    checked, not_published = validate_against_schemas(template("prod"))
    assert {"Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults", "Microsoft.MachineLearningServices/workspaces",
            "Microsoft.MachineLearningServices/workspaces/computes", "Microsoft.Network/privateEndpoints",
            "Microsoft.Authorization/locks", "Microsoft.Insights/diagnosticSettings"} <= checked.keys()
    # The resource group is a subscription-level definition, checked too; nothing else is missing.
    assert not_published == set(), not_published


def _open_enums(node: Any, names: frozenset[str]) -> Any:
    """A copy of ``node`` where the string lists ``names`` take any value: the published schemas
    close enums that the API leaves open (x-ms-enum modelAsString, which the SDK types as
    ``Union[str, Known...]``)."""
    if isinstance(node, dict):
        out = {k: _open_enums(v, names) for k, v in node.items()}
        for name in names & set(out.get("properties", {}) if isinstance(out.get("properties"), dict) else ()):
            for option in out["properties"][name].get("oneOf", []):
                if isinstance(option.get("items"), dict):
                    option["items"].pop("enum", None)
        return out
    if isinstance(node, list):
        return [_open_enums(v, names) for v in node]
    return node


def validate_against_schemas(
    tpl: dict[str, Any], open_enums: frozenset[str] = frozenset(), only: frozenset[str] | None = None
) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Every resource of ``tpl`` (of the ARM types ``only``, if given) against its published
    definition, an assertion per resource: (the ARM types checked with their API version, the
    (type, API version) pairs with no published definition)."""
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    common = Resource.from_contents(_schema("common/definitions.json"), default_specification=DRAFT4)
    checked: dict[str, str] = {}
    not_published: set[tuple[str, str]] = set()
    for arm in tpl["resources"]:
        if only is not None and arm["type"] not in only:
            continue
        found = _definition(arm)
        if found is None:
            not_published.add((arm["type"], arm["apiVersion"]))
            continue
        definition, document = found
        if open_enums:
            opened_document = _open_enums(document, open_enums)
            definition = _follow(opened_document, _pointer(document, definition))
            document = opened_document
        root = Resource.from_contents(document, default_specification=DRAFT4)
        registry = Registry().with_resources([(COMMON, common), ("urn:arm-schema", root)])
        # The definition, resolved inside its own file (its "#/definitions/..." references).
        schema = {"$ref": "urn:arm-schema#/" + _pointer(document, definition)}
        body = {k: v for k, v in arm.items() if k not in ("scope", "dependsOn")}  # template-level keys
        # A child's definition describes it nested in its parent: its name is the last segment.
        body["name"] = arm["name"].split("/")[-1]
        errors = sorted(Draft4Validator(schema, registry=registry).iter_errors(body), key=lambda e: list(e.path))
        assert not errors, f"{arm['type']} {arm['name']}: {[(list(e.path), e.message[:200]) for e in errors]}"
        checked[arm["type"]] = arm["apiVersion"]
    return checked, not_published


@pytest.mark.skipif(not SCHEMAS_GIT.is_dir(), reason="no clone of Azure/azure-resource-manager-schemas")
def test_the_hardened_aks_cluster_and_its_monitoring_validate_against_azures_arm_schemas():
    """The AKS example's cluster (ManagedCluster 2025-09-01, every hardening input), Container
    insights' rule and association (Microsoft.Insights 2022-06-01) and its audit-log setting."""
    # Container insights' stream (Microsoft-ContainerInsights-Group-Default) is not among the five
    # streams the 2022-06-01 schema lists for dataFlows and extensions, an open list in the API:
    # the SDK types it Union[str, KnownDataFlowStreams], and Azure's own Container insights rules
    # use it (the CLI's; azure-monitor-docs kubernetes-monitoring-enable-arm.md, Stream values).
    checked, not_published = validate_against_schemas(template("aks-inference"), frozenset({"streams"}))
    assert {"Microsoft.ContainerService/managedClusters", "Microsoft.Insights/dataCollectionRules",
            "Microsoft.Insights/dataCollectionRuleAssociations", "Microsoft.Insights/diagnosticSettings"} <= checked.keys()
    # Only the Kubernetes extension has no published definition (docs/scan.md says so).
    assert {t for t, _ in not_published} == {"Microsoft.KubernetesConfiguration/extensions"}


def _follow(document: dict[str, Any], pointer: str) -> dict[str, Any]:
    section, key = pointer.split("/", 1)
    found: dict[str, Any] = document[section][key]
    return found


def _pointer(document: dict[str, Any], definition: dict[str, Any]) -> str:
    for section, definitions in document.items():
        if isinstance(definitions, dict) and section.endswith("esourceDefinitions"):
            for key, value in definitions.items():
                if value is definition:
                    return f"{section}/{key}"
    raise LookupError("definition not in its document")
