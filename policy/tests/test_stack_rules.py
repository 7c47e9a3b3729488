"""Rules over the whole stack: the prod lock rule, on its own and through the CrossGuard wrapper."""

from __future__ import annotations

import pytest
import rules
from pulumi_policy import PolicyResource, PolicyResourceOptions, StackValidationArgs

STACK_URN = "urn:pulumi:{stack}::azureml-infra::azureml-infra:workspace:MachineLearningWorkspace${type}::{name}"
MESSAGE = (
    "has no CanNotDelete lock: in prod, protect stops Pulumi but not a person or a script; "
    "set azureml-infra:protect: true, which adds the lock"
)


def resource(type_: str, name: str, props: dict | None = None, scope_of: str | None = None, stack: str = "prod"):
    """A StackResource; a lock names the resource its scope was computed from."""
    return rules.StackResource(
        urn=STACK_URN.format(stack=stack, type=type_, name=name),
        type=type_,
        name=name,
        props=props or {},
        property_dependencies={"scope": [STACK_URN.format(stack=stack, type=rules.STORAGE, name=scope_of)]}
        if scope_of else {},
    )


def lock_on(name: str, level: str = "CanNotDelete", scope_type: str = rules.STORAGE):
    lock = resource(rules.LOCK, f"{name}-lock", {"level": level, "scope": "output<string>"})
    target = STACK_URN.format(stack="prod", type=scope_type, name=name)
    return rules.StackResource(lock.urn, lock.type, lock.name, lock.props, {"scope": [target]})


def lock_rule(resources) -> list[tuple[str, str]]:
    return [(r.name, message) for r, message in rules.BY_NAME["prod-lock-stateful"].violations(resources)]


def test_locked_storage_vault_and_registry_pass():
    resources = [
        resource(rules.STORAGE, "storage-account"), lock_on("storage-account"),
        resource(rules.VAULT, "key-vault"), lock_on("key-vault", scope_type=rules.VAULT),
        resource(rules.REGISTRY, "container-registry"), lock_on("container-registry", scope_type=rules.REGISTRY),
        # Not locked on purpose (facts.LOCKED_TYPES): a lock on the workspace is inherited by its computes.
        resource(rules.ML_WORKSPACE, "workspace"),
    ]
    assert lock_rule(resources) == []


@pytest.mark.parametrize("locked_type", sorted(rules.LOCKED_TYPES))
def test_a_locked_type_without_its_lock_fails(locked_type):
    assert lock_rule([resource(locked_type, "r")]) == [("r", MESSAGE)]


def test_a_lock_on_another_resource_does_not_count():
    resources = [resource(rules.STORAGE, "storage-account"), resource(rules.STORAGE, "data-storage"),
                 lock_on("data-storage")]
    assert lock_rule(resources) == [("storage-account", MESSAGE)]


def test_a_read_only_or_unspecified_lock_is_not_a_delete_lock():
    assert lock_rule([resource(rules.STORAGE, "s"), lock_on("s", level="NotSpecified")]) == [("s", MESSAGE)]


def test_the_lock_rule_is_mandatory_in_prod_and_off_elsewhere():
    rule = rules.BY_NAME["prod-lock-stateful"]
    assert [rule.level_in(env) for env in ("dev", "test", "prod")] == ["disabled", "disabled", "mandatory"]
    assert rules.pack_config("prod")["prod-lock-stateful"]["enforcementLevel"] == "mandatory"


# --- through the CrossGuard wrapper, as the analyzer calls it ------------------------------


def policy_resource(r: rules.StackResource, by_urn: dict) -> PolicyResource:
    opts = PolicyResourceOptions(True, [], None, [], None, [], None)
    deps = {k: [by_urn[u] for u in urns if u in by_urn] for k, urns in r.property_dependencies.items()}
    return PolicyResource(r.type, r.props, r.urn, r.name, opts, None, None, [], deps)


def run_wrapper(resources: list[rules.StackResource], config: dict | None = None) -> list[tuple[str, str]]:
    policy = next(p for p in rules.policies() if p.name == "prod-lock-stateful")
    by_urn: dict = {}
    for r in sorted(resources, key=lambda r: r.type != rules.STORAGE):  # targets first
        by_urn[r.urn] = policy_resource(r, by_urn)
    args = StackValidationArgs([by_urn[r.urn] for r in resources], config)
    reported: list[tuple[str, str]] = []
    policy.validate(args, lambda message, urn=None: reported.append((urn, message)))
    return reported


def test_wrapper_reports_an_unlocked_storage_account_by_urn():
    storage = resource(rules.STORAGE, "storage-account")
    assert run_wrapper([storage]) == [(storage.urn, MESSAGE)]


def test_wrapper_follows_the_scope_dependency_to_the_lock():
    assert run_wrapper([resource(rules.STORAGE, "storage-account"), lock_on("storage-account")]) == []


def test_wrapper_skips_dev_by_the_urn_and_checks_prod_by_the_policy_config():
    dev_storage = resource(rules.STORAGE, "storage-account", stack="dev")
    assert run_wrapper([dev_storage]) == []
    assert run_wrapper([dev_storage], config={"environment": "prod"}) == [(dev_storage.urn, MESSAGE)]
