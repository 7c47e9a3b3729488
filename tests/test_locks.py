"""Azure CanNotDelete locks in protected stacks: where they go, where they don't, and the prod plan.

Which resources get a lock is decided from config (resolved directly: a lock reason on the
resource's spec); where each lock lands comes from one protected plan (tests/variant_plans.py,
shared with test_access.py) and prod's.
"""

from __future__ import annotations

import pytest

from azureml_infra import facts
from azureml_infra.deployment import Deployment, Existing
from azureml_infra.resolve import resolve
from tests.conftest import accepted, plan, shipped_plan, stack
from tests.variant_plans import PROTECTED_EVERY_SCOPE
from tools.harness import SUBSCRIPTION_ID, Run

LOCK = facts.MANAGEMENT_LOCK

# A protected stack with a data lake and a Foundry resource (its access entries are
# tests/test_access.py's, which plans it too: the run is made once).
PROTECTED = PROTECTED_EVERY_SCOPE


@pytest.fixture(scope="module")
def protected() -> Run:
    return plan(PROTECTED)


def locked_names(run: Run) -> dict[str, str]:
    """Logical name of each lock -> the logical name of the resource its scope comes from."""
    by_urn = {r.urn: r for r in run.registrations}
    result = {}
    for lock in run.of_type(LOCK):
        (target,) = lock.property_dependencies["scope"]
        result[lock.name] = by_urn[target].name
    return result


def lock_reasons(config: dict, stack_name: str = "prod") -> dict[str, str]:
    """The specs the program would lock, by their logical name, with what the lock protects
    (the reason each component passes on to its lock's notes)."""
    d: Deployment = resolve(accepted(config, stack_name))
    specs = {"storage-account": d.workspace.storage_account, "key-vault": d.workspace.key_vault,
             "container-registry": d.workspace.container_registry, "data-storage": d.data_storage,
             "foundry-account": d.foundry.account if d.foundry else None}
    return {name: spec.lock for name, spec in specs.items()
            if spec is not None and not isinstance(spec, Existing) and spec.lock is not None}


def test_storage_key_vault_registry_data_lake_and_foundry_account_are_locked(protected):
    assert locked_names(protected) == {
        "storage-account-lock": "storage-account",
        "key-vault-lock": "key-vault",
        "container-registry-lock": "container-registry",
        "data-storage-lock": "data-storage",
        "foundry-account-lock": "foundry-account",
    }


def test_each_lock_is_can_not_delete_on_its_resource_id(protected):
    by_urn = {r.urn: r for r in protected.registrations}
    for lock in protected.of_type(LOCK):
        target = by_urn[lock.property_dependencies["scope"][0]]
        assert lock.inputs["level"] == "CanNotDelete"
        assert lock.inputs["lockName"] == "azureml-infra-do-not-delete"
        # The mock gives the resource its ARM id; the lock's scope is that id.
        assert lock.inputs["scope"].startswith(f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-team/providers/")
        assert lock.inputs["scope"].endswith(f"/{target.azure_name}")
        assert "README, Locks" in lock.inputs["notes"]


def test_the_workspace_and_the_resource_group_are_not_locked(protected):
    # A lock is inherited by child resources (computes, endpoints) and stops cluster autoscale
    # in a locked group: facts.LOCKED_TYPES says why.
    targets = {protected.by_urn(lock.property_dependencies["scope"][0]).type for lock in protected.of_type(LOCK)}
    assert targets == {facts.STORAGE_ACCOUNT, facts.KEY_VAULT, facts.CONTAINER_REGISTRY, facts.FOUNDRY_ACCOUNT}
    assert targets == set(facts.LOCKED_TYPES)
    # That plan's group is an existing one: prod creates its group, and does not lock it either.
    prod = shipped_plan("prod")
    assert prod.of_type(facts.RESOURCE_GROUP)
    assert facts.RESOURCE_GROUP not in {prod.by_urn(lock.property_dependencies["scope"][0]).type
                                        for lock in prod.of_type(LOCK)}


def test_a_lock_is_not_itself_protected(protected):
    # Removing protect must be able to remove the lock again.
    assert not any(lock.protect for lock in protected.of_type(LOCK))


def test_the_locks_of_a_protected_stack_are_resolved_from_config(protected):
    # Each lock the plan registers is on a resource whose spec carries a lock reason, and says it.
    reasons = lock_reasons(PROTECTED, "dev")
    assert sorted(reasons) == sorted(locked_names(protected).values())
    for name, target in locked_names(protected).items():
        assert f"protects {reasons[target]} from deletion" in protected.one(LOCK, name).inputs["notes"], name


def test_no_lock_without_protect(dev_run):
    unprotected = stack({"azureml-infra:dataStorage": {"containers": ["raw"]},
                         "azureml-infra:foundry": {"create": {"projects": [{"name": "team-a"}]}}})
    assert lock_reasons(unprotected) == {}
    assert dev_run.of_type(LOCK) == []  # Pulumi.dev.yaml: no protect


def test_a_reused_dependency_is_not_locked_here():
    # Its owner decides; this stack never changes a resource it reuses by id.
    sub = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-shared/providers"
    config = stack({
        "azureml-infra:protect": True,
        "azureml-infra:workspace": {
            "storageAccount": {"id": f"{sub}/Microsoft.Storage/storageAccounts/stshared"},
            "keyVault": {"id": f"{sub}/Microsoft.KeyVault/vaults/kv-shared"},
        },
    })
    # A reused one is an Existing spec, which its component registers nothing for (test_components.py).
    assert sorted(lock_reasons(config)) == ["container-registry"]
    assert [d.kind for d in resolve(accepted(config, "prod")).dependencies if d.lock] == ["containerRegistry"]


def test_the_prod_plan_shows_the_locks():
    run = shipped_plan("prod")
    assert sorted(locked_names(run)) == ["container-registry-lock", "key-vault-lock", "storage-account-lock"]
