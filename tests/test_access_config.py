"""Validation of `access`, `workspace.identity` and `diagnostics`: every rule with its exact message.

Each refusal names the key, the value and what to do, and registers nothing.
"""

from __future__ import annotations

import pytest

from azureml_infra.config.loader import parse_config
from azureml_infra.config.rules.diagnostics import diagnostics_on
from tests.conftest import assert_refused, stack
from tools.harness import config_from_yaml

GROUP = "6f1c1c43-2b1e-4a52-9e2a-0c2a3f1c7d11"
APP = "0b5e2a1d-9c1f-4a8e-b0c4-2e7d5c9a1f22"
SHARED = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers/"
IDENTITY_ID = SHARED + "Microsoft.ManagedIdentity/userAssignedIdentities/id-shared"
APPI_ID = SHARED + "Microsoft.Insights/components/appi-shared"
LOG_ID = SHARED + "Microsoft.OperationalInsights/workspaces/log-central"


def entry(**overrides) -> dict:
    return {"principalId": GROUP, "principalType": "Group", "role": "AzureML Data Scientist", "scope": "workspace",
            **overrides}


def access(*entries: dict, **extra) -> dict:
    return stack({"azureml-infra:access": list(entries), **extra})


def parsed(config: dict):
    raw, secrets = config_from_yaml(config)
    return parse_config(raw, secrets, "dev")


# --- access: accepted ----------------------------------------------------------------------


def test_a_role_by_name_is_kept_as_azure_spells_it_and_resolved_to_its_guid():
    config = parsed(access(entry(role="azureml data scientist"), entry(role="ACRPULL", scope="containerRegistry")))
    assert [e.role for e in config.access] == ["AzureML Data Scientist", "AcrPull"]
    # The GUIDs of the built-in-roles page (azure-docs role-based-access-control/built-in-roles.md).
    assert [e.role_id for e in config.access] == ["f6c7c914-8db3-469d-8ca1-694a8f32e121",
                                                   "7f951dda-4ed3-4680-a7ca-43fe172d538d"]


def test_any_role_definition_guid_is_accepted_in_lowercase():
    config = parsed(access(entry(role="AAAAAAAA-1111-2222-3333-444444444444", scope="resourceGroup")))
    assert config.access[0].role == config.access[0].role_id == "aaaaaaaa-1111-2222-3333-444444444444"


def test_resource_group_scope_is_fine_with_an_existing_group():
    config = parsed(access(entry(scope="resourceGroup", principalType="ServicePrincipal", principalId=APP),
                           **{"azureml-infra:resourceGroup": {"name": "rg-team", "existing": True}}))
    assert config.access[0].scope == "resourceGroup"


# --- access: refused -----------------------------------------------------------------------


def test_an_unknown_role_name_gets_a_did_you_mean():
    assert_refused(access(entry(role="AzureML Data Scientists")), [
        "azureml-infra:access[0].role: is not a built-in role this program knows; did you mean "
        "'AzureML Data Scientist'? Any other role, custom ones too, goes by its role definition GUID "
        '(got "AzureML Data Scientists")'
    ])


def test_an_unknown_role_name_far_from_any_gets_the_list():
    assert_refused(access(entry(role="Boss")), [
        "azureml-infra:access[0].role: is not a built-in role this program knows; known roles: Owner, "
        "Contributor, Reader, User Access Administrator, Role Based Access Control Administrator, Managed "
        "Identity Operator, AzureML Data Scientist, AzureML Compute Operator, AzureML Registry User, AzureML "
        "Metrics Writer (preview), Azure AI Developer, Azure AI Administrator, Azure AI Enterprise Network "
        "Connection Approver, Cognitive Services OpenAI User, Cognitive Services User, Cognitive Services "
        "Contributor, Search Index Data Reader, Azure AI User, Azure AI Project Manager, Azure AI Account Owner, "
        "Storage Blob Data Reader, Storage Blob Data Contributor, Storage Blob Data Owner, "
        "Storage File Data Privileged Contributor, Storage File Data Privileged Reader, Storage Queue Data Contributor, "
        "Storage Table Data Contributor, Storage Account Contributor, Key Vault Administrator, Key "
        "Vault Secrets User, Key Vault Secrets Officer, Key Vault Reader, Key Vault Contributor, Key Vault Crypto "
        "Service Encryption User, AcrPull, "
        "AcrPush, Monitoring Reader, Monitoring Contributor, Log Analytics Reader, Log Analytics Contributor, "
        "Application Insights Component Contributor, Network Contributor, Private DNS Zone Contributor. Any "
        'other role, custom ones too, goes by its role definition GUID (got "Boss")'
    ])


def test_a_principal_id_that_is_not_a_guid():
    assert_refused(access(entry(principalId="alice@contoso.com", principalType="User")), [
        "azureml-infra:access[0].principalId: must be a GUID such as 00000000-0000-0000-0000-000000000000 "
        '(got "alice@contoso.com")'
    ])


def test_an_unknown_principal_type():
    assert_refused(access(entry(principalType="Team")), [
        "azureml-infra:access[0].principalType: input should be 'User', 'Group' or 'ServicePrincipal' "
        '(got "Team")'
    ])


def test_an_unknown_scope():
    assert_refused(access(entry(scope="subscription")), [
        "azureml-infra:access[0].scope: input should be 'workspace', 'resourceGroup', 'storageAccount', "
        "'keyVault', 'containerRegistry', 'logAnalytics', 'dataStorage', 'registry' or 'foundry' (got \"subscription\")"
    ])


def test_every_key_of_an_entry_is_required():
    # The principal's keys first (pydantic checks the fields before the entry as a whole).
    assert_refused(access({"principalId": GROUP}), ["azureml-infra:access[0].principalType: is required"])
    assert_refused(access({"principalId": GROUP, "principalType": "Group"}), [
        "azureml-infra:access[0].role: is required: give role and scope, or a persona (dataScientist, mlEngineer, "
        "reader)",
    ])
    assert_refused(access({"principalId": GROUP, "principalType": "Group", "role": "Reader"}), [
        "azureml-infra:access[0].scope: is required: give role and scope, or a persona (dataScientist, mlEngineer, "
        "reader)",
    ])


def test_an_unknown_key_of_an_entry():
    assert_refused(access(entry(condition="x")), [
        "azureml-infra:access[0].condition: unknown key (known keys: principalId, principalType, role, scope, persona)"
    ])


def test_a_duplicate_entry_is_refused_even_by_guid_and_in_other_case():
    # The same role by name and by GUID, the same object id in capitals: one assignment in Azure.
    assert_refused(access(entry(role="Reader"), entry(principalId=GROUP.upper(),
                                                      role="acdd72a7-3385-48ef-bd42-f606fba81ae7")), [
        "azureml-infra:access[1]: gives the same principal the same role on the same scope as access[0]; "
        "Azure keeps one such assignment: remove one of the two"
    ])


def test_the_same_principal_and_role_on_two_scopes_is_no_duplicate():
    config = parsed(access(entry(), entry(scope="resourceGroup")))
    assert len(config.access) == 2


def test_a_scope_reused_by_id_is_its_owners():
    assert_refused(access(entry(scope="storageAccount"), entry(scope="keyVault"), entry(scope="containerRegistry"),
                          **{"azureml-infra:workspace": {
                              "storageAccount": {"id": SHARED + "Microsoft.Storage/storageAccounts/stshared"},
                              "keyVault": {"id": SHARED + "Microsoft.KeyVault/vaults/kv-shared"},
                              "containerRegistry": {"id": SHARED + "Microsoft.ContainerRegistry/registries/crshared"},
                          }}), [
        "azureml-infra:access[0].scope: is storageAccount, but the workspace's storage account is reused by id "
        "(workspace.storageAccount.id), so its access is its owner's to grant: choose another scope, or remove "
        "the entry",
        "azureml-infra:access[1].scope: is keyVault, but the workspace's key vault is reused by id "
        "(workspace.keyVault.id), so its access is its owner's to grant: choose another scope, or remove the entry",
        "azureml-infra:access[2].scope: is containerRegistry, but the workspace's container registry is reused by "
        "id (workspace.containerRegistry.id), so its access is its owner's to grant: choose another scope, or "
        "remove the entry",
    ])


def test_log_analytics_scope_needs_the_stacks_own_and_data_storage_a_data_lake():
    assert_refused(access(entry(scope="logAnalytics"), entry(scope="dataStorage"), **{
        "azureml-infra:workspace": {"logAnalytics": {"id": LOG_ID}}}), [
        "azureml-infra:access[0].scope: is logAnalytics, but this stack creates no Log Analytics workspace "
        "(workspace.logAnalytics.id reuses an existing resource): choose another scope, or remove the entry",
        "azureml-infra:access[1].scope: is dataStorage, but this stack has no data lake (azureml-infra:dataStorage "
        "is not set): choose another scope, or remove the entry",
    ])


def test_access_must_be_a_list():
    assert_refused(stack({"azureml-infra:access": entry()}), ["azureml-infra:access: input should be a valid list"])


# --- workspace.identity --------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [
    (None, ("systemAssigned", None)),
    ("systemAssigned", ("systemAssigned", None)),
    ("userAssigned", ("userAssigned", None)),
    ({"type": "userAssigned"}, ("userAssigned", None)),
    ({"type": "userAssigned", "id": IDENTITY_ID}, ("userAssigned", IDENTITY_ID)),
])
def test_identity_forms(value, expected):
    workspace = {} if value is None else {"identity": value}
    identity = parsed(stack({"azureml-infra:workspace": workspace})).workspace.identity
    assert (identity.type, identity.id) == expected


def test_an_identity_id_of_the_wrong_type():
    wrong = SHARED + "Microsoft.Storage/storageAccounts/stshared"
    assert_refused(stack({"azureml-infra:workspace": {"identity": {"type": "userAssigned", "id": wrong}}}), [
        "azureml-infra:workspace.identity.id: is the id of a Microsoft.Storage/storageAccounts, not of a "
        f'Microsoft.ManagedIdentity/userAssignedIdentities (got "{wrong}")'
    ])


def test_an_identity_id_that_is_no_arm_id():
    assert_refused(stack({"azureml-infra:workspace": {"identity": {"type": "userAssigned", "id": "id-shared"}}}), [
        "azureml-infra:workspace.identity.id: is not an ARM resource id; expected /subscriptions/"
        "<subscription-guid>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
        '<name> (got "id-shared")'
    ])


def test_an_identity_id_needs_user_assigned():
    assert_refused(stack({"azureml-infra:workspace": {"identity": {"id": IDENTITY_ID}}}), [
        "azureml-infra:workspace.identity.id: is only for type: userAssigned (a system-assigned identity has "
        "no id to give)"
    ])


def test_an_unknown_identity():
    assert_refused(stack({"azureml-infra:workspace": {"identity": "user"}}), [
        "azureml-infra:workspace.identity: must be systemAssigned, userAssigned, or {type: userAssigned, id: "
        '<ARM id>} (got "user")'
    ])
    assert_refused(stack({"azureml-infra:workspace": {"identity": {"type": "UserAssigned"}}}), [
        "azureml-infra:workspace.identity.type: input should be 'systemAssigned' or 'userAssigned' "
        '(got "UserAssigned")'
    ])


# --- diagnostics ---------------------------------------------------------------------------


def test_diagnostics_default_on_audit_and_metrics_to_the_stacks_log_analytics():
    d = parsed(stack()).diagnostics
    assert (d.enabled, d.logs, d.metrics, d.workspace_id) == (True, "audit", True, None)


REUSED_INSIGHTS = {"azureml-infra:workspace": {"applicationInsights": {"id": APPI_ID}}}


def test_diagnostics_asked_for_need_somewhere_to_go_when_application_insights_is_reused():
    assert_refused(stack({**REUSED_INSIGHTS, "azureml-infra:diagnostics": {"logs": "allLogs"}}), [
        "azureml-infra:diagnostics: asks for diagnostic settings, but this stack has no Log Analytics workspace "
        "to send them to (workspace.applicationInsights reuses an existing resource, so none is created): set "
        "diagnostics.workspaceId to the ARM id of a Log Analytics workspace, or diagnostics.enabled: false"
    ])
    # Either way out is accepted.
    assert diagnostics_on(parsed(stack({**REUSED_INSIGHTS, "azureml-infra:diagnostics": {"workspaceId": LOG_ID}})))
    assert not diagnostics_on(parsed(stack({**REUSED_INSIGHTS, "azureml-infra:diagnostics": {"enabled": False}})))


def test_without_a_diagnostics_key_such_a_stack_keeps_working_without_settings():
    # Stack files written before diagnostics existed must not start failing.
    config = parsed(stack(REUSED_INSIGHTS))
    assert config.diagnostics.enabled and not diagnostics_on(config)
    assert diagnostics_on(parsed(stack()))


def test_a_workspace_id_has_no_effect_when_diagnostics_are_off():
    assert_refused(stack({"azureml-infra:diagnostics": {"enabled": False, "workspaceId": LOG_ID}}), [
        "azureml-infra:diagnostics.workspaceId: has no effect when enabled is false: remove it, or set enabled: true"
    ])


def test_a_workspace_id_of_the_wrong_type():
    assert_refused(stack({"azureml-infra:diagnostics": {"workspaceId": APPI_ID}}), [
        "azureml-infra:diagnostics.workspaceId: is the id of a Microsoft.Insights/components, not of a "
        f'Microsoft.OperationalInsights/workspaces (got "{APPI_ID}")'
    ])


def test_an_unknown_log_level():
    assert_refused(stack({"azureml-infra:diagnostics": {"logs": "everything"}}), [
        "azureml-infra:diagnostics.logs: input should be 'audit' or 'allLogs' (got \"everything\")"
    ])


def test_a_created_identity_needs_a_vault_with_rbac_authorization():
    assert_refused(stack({"azureml-infra:workspace": {"identity": "userAssigned",
                                                      "keyVault": {"authorization": "accessPolicies"}}}), [
        "azureml-infra:workspace.identity: userAssigned creates an identity that gets its key vault access as "
        "RBAC roles, but keyVault.authorization is accessPolicies, and this program writes no access policies: "
        "use keyVault.authorization: rbac, or give an existing identity an access policy and reuse it with "
        "identity: {type: userAssigned, id: <ARM id>}"
    ])
    # A reused identity's owner sees to its access policy.
    reused = {"type": "userAssigned", "id": IDENTITY_ID}
    assert parsed(stack({"azureml-infra:workspace": {"identity": reused,
                                                     "keyVault": {"authorization": "accessPolicies"}}}))
