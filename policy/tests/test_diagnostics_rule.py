"""The prod diagnostics rule: every workspace, key vault, registry and storage account of the stack
sends its logs to Log Analytics through a diagnostic setting computed from it."""

from __future__ import annotations

import pytest
import rules

URN = "urn:pulumi:prod::azureml-infra::azureml-infra:workspace:MachineLearningWorkspace${type}::{name}"
MESSAGE = (
    "sends no logs to Log Analytics: in prod, who did what must be on record; keep "
    "azureml-infra:diagnostics on (enabled: true, the default) with a Log Analytics workspace"
)
AUDIT = [{"categoryGroup": "audit", "enabled": True}]
LOG_ID = "output<string>"  # the stack's Log Analytics id is unknown before deployment


def resource(type_: str, name: str) -> rules.StackResource:
    return rules.StackResource(URN.format(type=type_, name=name), type_, name, {}, {})


def setting_on(target: rules.StackResource, logs=AUDIT, workspace_id=LOG_ID, metrics_only=False):
    props = {"name": "azureml-infra", "resourceUri": "output<string>", "workspaceId": workspace_id,
             "metrics": [{"category": "AllMetrics", "enabled": True}]}
    if not metrics_only:
        props["logs"] = logs
    return rules.StackResource(URN.format(type=rules.DIAGNOSTIC_SETTING, name=f"{target.name}-diagnostics"),
                               rules.DIAGNOSTIC_SETTING, f"{target.name}-diagnostics", props,
                               {"resourceUri": [target.urn], "workspaceId": ["log-analytics"]})


def violations(resources) -> list[tuple[str, str]]:
    return [(r.name, message) for r, message in rules.BY_NAME["prod-diagnostics"].violations(resources)]


AUDITED = [(rules.ML_WORKSPACE, "workspace"), (rules.VAULT, "key-vault"), (rules.REGISTRY, "container-registry"),
           (rules.STORAGE, "storage-account")]


def test_every_audited_resource_with_its_setting_passes():
    targets = [resource(t, n) for t, n in AUDITED]
    assert violations([*targets, *(setting_on(t) for t in targets)]) == []


@pytest.mark.parametrize("type_,name", AUDITED)
def test_an_audited_resource_without_a_setting_fails(type_, name):
    assert violations([resource(type_, name)]) == [(name, MESSAGE)]


def test_blob_categories_and_all_logs_count_as_logs():
    storage, vault = resource(rules.STORAGE, "s"), resource(rules.VAULT, "v")
    blob = setting_on(storage, logs=[{"category": "StorageWrite", "enabled": True}])
    assert violations([storage, vault, blob, setting_on(vault, logs=[{"categoryGroup": "allLogs", "enabled": True}])]) == []


def test_metrics_only_disabled_logs_or_no_destination_do_not_count():
    storage = resource(rules.STORAGE, "s")
    assert violations([storage, setting_on(storage, metrics_only=True)]) == [("s", MESSAGE)]
    assert violations([storage, setting_on(storage, logs=[{"categoryGroup": "audit", "enabled": False}])]) == [
        ("s", MESSAGE)]
    assert violations([storage, setting_on(storage, workspace_id=None)]) == [("s", MESSAGE)]


def test_a_setting_on_another_resource_does_not_count():
    vault, other = resource(rules.VAULT, "v"), resource(rules.VAULT, "other")
    assert violations([vault, other, setting_on(other)]) == [("v", MESSAGE)]


def test_other_types_need_no_setting():
    assert violations([resource(rules.APP_INSIGHTS, "appi"), resource(rules.ML_COMPUTE, "cpu")]) == []


def test_the_rule_is_mandatory_in_prod_and_off_elsewhere():
    rule = rules.BY_NAME["prod-diagnostics"]
    assert [rule.level_in(env) for env in ("dev", "test", "prod")] == ["disabled", "disabled", "mandatory"]
