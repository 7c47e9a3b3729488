"""The guard against replacement (tools/urn_snapshot.py): every stateful resource of every shipped
stack and example keeps the URN and Azure name recorded in tests/snapshots/.

The URNs are the offline harness's mock URNs (they differ from the real engine's, see
tools/urn_snapshot.py); the snapshot and the check both come from that harness.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.conftest import plan, planned_file, shipped_plan, stack
from tools import urn_snapshot
from tools.harness import run_program

STORAGE_URN = (
    "urn:pulumi:dev::azureml-infra::azureml-infra:workspace:MachineLearningWorkspace"
    "$azure-native:storage:StorageAccount::storage-account"
)


@pytest.mark.parametrize("stack_file", urn_snapshot.stack_files(), ids=lambda p: p.name)
def test_stateful_resources_keep_their_urn_and_azure_name(stack_file):
    problems = urn_snapshot.check(stack_file, planned_file(stack_file))
    assert problems == [], "\n".join(problems)


def dev_snapshot() -> list[dict]:
    return json.loads((urn_snapshot.SNAPSHOT_DIR / "dev.json").read_text())["resources"]


def test_the_snapshot_holds_the_stateful_resources_by_urn_and_name():
    assert {"urn": STORAGE_URN, "type": "azure-native:storage:StorageAccount", "azureName": "stmlopsdevt0k7",
            # What Azure takes only at creation is recorded too (facts.CREATE_ONLY).
            "createOnly": {"isHnsEnabled": False, "kind": "StorageV2"}} in dev_snapshot()
    types = {entry["type"] for entry in dev_snapshot()}
    assert "azure-native:machinelearningservices:Compute" not in types  # not stateful


def test_a_rename_fails_with_the_resource_the_change_and_how_to_keep_it():
    # A new suffix renames the storage account, the key vault and the registry.
    renamed = plan(stack({"azureml-infra:nameSuffix": "zz01"}), preview=True).registrations
    problems = urn_snapshot.compare("Pulumi.dev.yaml", dev_snapshot(), renamed, "tests/snapshots/dev.json")
    assert (
        "Pulumi.dev.yaml: azure-native:storage:StorageAccount 'storage-account' would be renamed in Azure from "
        "stmlopsdevt0k7 to stmlopsdevzz01: Azure cannot rename it, so Pulumi would replace it and lose what it "
        "holds. Keep it: set its name back to stmlopsdevt0k7 in the stack file (the resource's `name` key, or the "
        "prefix, environment and nameSuffix that generate it). If the rename is meant, regenerate the snapshot: "
        "make snapshot"
    ) in problems
    assert len([p for p in problems if "would be renamed" in p]) == 3


def test_a_move_fails_and_names_the_alias_that_keeps_it():
    registrations = [r for r in shipped_plan("dev").registrations]
    storage = next(r for r in registrations if r.urn == STORAGE_URN)
    moved_urn = "urn:pulumi:dev::azureml-infra::pulumi:pulumi:Stack$azure-native:storage:StorageAccount::storage"
    moved = [r for r in registrations if r is not storage] + [_with(storage, urn=moved_urn)]
    problems = urn_snapshot.compare("Pulumi.dev.yaml", dev_snapshot(), moved, "tests/snapshots/dev.json")
    assert problems == [
        f"Pulumi.dev.yaml: azure-native:storage:StorageAccount 'storage-account' (stmlopsdevt0k7) moved from URN "
        f"{STORAGE_URN} to {moved_urn}: Pulumi would create it anew and delete the old one. Keep it: add "
        'aliases=[pulumi.Alias(name="storage-account", parent=<the azureml-infra:workspace:MachineLearningWorkspace '
        "it was under>)] to its resource options, or restore its logical name and parent. If the move is meant, "
        "make snapshot"
    ]


def test_a_removed_and_a_new_stateful_resource_say_what_happens_and_the_command():
    registrations = [r for r in shipped_plan("dev").registrations if r.urn != STORAGE_URN]
    problems = urn_snapshot.compare("Pulumi.dev.yaml", dev_snapshot(), registrations, "tests/snapshots/dev.json")
    assert problems == [
        f"Pulumi.dev.yaml: azure-native:storage:StorageAccount 'storage-account' (stmlopsdevt0k7, URN {STORAGE_URN}) "
        "is no longer in the program: Pulumi would delete it (unless protect is on). If that is meant, regenerate "
        "the snapshot: make snapshot"
    ]
    fewer = [e for e in dev_snapshot() if e["urn"] != STORAGE_URN]
    problems = urn_snapshot.compare("Pulumi.dev.yaml", fewer, shipped_plan("dev").registrations, "tests/snapshots/dev.json")
    assert problems == [
        "Pulumi.dev.yaml: new stateful resource azure-native:storage:StorageAccount 'storage-account' "
        "(stmlopsdevt0k7) is not in tests/snapshots/dev.json: if it is meant, regenerate the snapshot: make snapshot"
    ]


def _with(registration, **changes):
    from dataclasses import replace

    return replace(registration, **changes)


# --- an alias keeps the URN ---------------------------------------------------------------

PROGRAM = textwrap.dedent(
    """\
    import os

    import pulumi
    from pulumi_azure_native import storage


    class Data(pulumi.ComponentResource):
        def __init__(self, name, opts=None):
            super().__init__("azureml-infra:data:Data", name, None, opts)


    opts = None
    if os.environ.get("REFACTORED"):
        # The refactoring: the account moves under a component, keeping its old URN by alias.
        aliases = [pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)] if os.environ.get("WITH_ALIAS") else []
        opts = pulumi.ResourceOptions(parent=Data("data"), aliases=aliases)
    storage.StorageAccount(
        "storage-account", account_name="stdata", resource_group_name="rg", kind="StorageV2",
        sku=storage.SkuArgs(name="Standard_LRS"), opts=opts,
    )
    """
)


@pytest.fixture
def program(tmp_path: Path) -> Path:
    path = tmp_path / "__main__.py"
    path.write_text(PROGRAM)
    return path


def _run(program: Path, monkeypatch, **env: str):
    for key in ("REFACTORED", "WITH_ALIAS"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return run_program("dev", {"azure-native:location": "westeurope"}, set(), program=program).registrations


def test_moving_a_resource_under_a_component_keeps_its_urn_only_with_an_alias(program, monkeypatch):
    before = _run(program, monkeypatch)
    snapshot = urn_snapshot.document(program, before)["resources"]
    old_urn = "urn:pulumi:dev::azureml-infra::pulumi:pulumi:Stack$azure-native:storage:StorageAccount::storage-account"
    assert [e["urn"] for e in snapshot] == [old_urn]

    moved = _run(program, monkeypatch, REFACTORED="1")
    problems = urn_snapshot.compare("refactor", snapshot, moved, "snapshot.json")
    assert len(problems) == 1 and "aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]" in problems[0]

    aliased = _run(program, monkeypatch, REFACTORED="1", WITH_ALIAS="1")
    account = next(r for r in aliased if r.type == "azure-native:storage:StorageAccount")
    assert account.urn != old_urn  # a new URN under the component ...
    assert old_urn in urn_snapshot.alias_urns(account)  # ... that names the old one as its alias
    assert urn_snapshot.compare("refactor", snapshot, aliased, "snapshot.json") == []


def test_a_new_stack_without_a_snapshot_says_how_to_create_it():
    stack_file = urn_snapshot.ROOT / "Pulumi.newstack.yaml"  # a stack someone adds (not written here)
    assert urn_snapshot.check(stack_file) == [
        "Pulumi.newstack.yaml: no snapshot tests/snapshots/newstack.json; create it: make snapshot"
    ]


def test_a_setting_azure_takes_only_at_creation_fails_with_the_change():
    # Zone redundancy on the registry dev already has: Azure cannot convert it in place.
    workspace = {"containerRegistry": {"sku": "Premium", "zoneRedundant": True},
                 "keyVault": {"purgeProtection": False, "softDeleteRetentionInDays": 7}}  # dev's, as it has them
    zoned = plan(stack({"azureml-infra:workspace": workspace}), preview=True).registrations
    problems = urn_snapshot.compare("Pulumi.dev.yaml", dev_snapshot(), zoned, "tests/snapshots/dev.json")
    assert problems == [
        "Pulumi.dev.yaml: azure-native:containerregistry:Registry 'container-registry' (crmlopsdevt0k7) would change "
        'zoneRedundancy from "Disabled" to "Enabled", which Azure takes only when it creates the resource: Pulumi '
        "would replace it, or Azure refuse the update. Keep the stack file's setting; if a new resource is meant, "
        "regenerate the snapshot: make snapshot"
    ]
