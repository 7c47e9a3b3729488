"""Shared helpers: run the program under mocks from a stack-file-like dict.

Mocks are set inside tools.harness.run_program before __main__.py is executed with runpy,
each run in a fresh root stack, so no test sees another's registrations. A run is made once
per distinct config in a test process and shared by the tests that read it (plan, run_file,
planned_file, shipped_plan).
"""

from __future__ import annotations

import copy
import functools
import gc
import importlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from azureml_infra.config import ConfigError, parse_config
from azureml_infra.config.stack import StackConfig
from azureml_infra.deployment import Deployment
from azureml_infra.facts import ARM_TYPES
from azureml_infra.resolve import resolve
from tests.scheduling import ShippedPlansOnOneWorker, file_order
from tools.harness import ROOT, Run, config_from_yaml, run_program, stack_config
from tools.plan import plan_stack_file, stack_name_of

# The suite runs the program some 450 times; each run leaves cyclic garbage the SDK frees only
# after it (tools/harness.py pauses the collector during a run), and the default gen-0 threshold
# of 700 allocations spent about a tenth of the suite's time in collections that found little.
gc.set_threshold(50_000, 20, 100)


@pytest.fixture(scope="session", autouse=True)
def frozen_heap():
    """Every full collection walks the whole heap, and most of it is the SDK's modules, which
    live as long as the process: load the azure-native modules the program uses and move what
    is alive now out of the collector's reach (gc.freeze). Full collections then walk the
    tests' objects only."""
    for name in sorted({type_.split(":")[1] for type_ in ARM_TYPES}):
        # A lazy module (pulumi._utils._LazyModule): it loads when an attribute is first read.
        _ = importlib.import_module(f"pulumi_azure_native.{name}")._utilities
    gc.collect()
    gc.freeze()


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist"):  # its hooks exist only with it (not under -p no:xdist)
        config.pluginmanager.register(ShippedPlansOnOneWorker())


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: file_order(item.path))  # stable: each file keeps its own order


# The smallest valid stack file; tests add what they exercise.
MINIMAL: dict[str, Any] = {
    "azure-native:location": "westeurope",
    "azureml-infra:prefix": "mlops",
}

# Every stack file the repository ships: the stacks and the examples.
SHIPPED_STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("Pulumi.*.yaml"))


def stack(extra: dict[str, Any] | None = None, secure: dict[str, str] | None = None) -> dict[str, Any]:
    """A stack file's ``config:`` map: MINIMAL plus ``extra``; ``secure`` keys as secrets."""
    document = copy.deepcopy(MINIMAL)
    document.update(copy.deepcopy(extra or {}))
    for key, value in (secure or {}).items():
        document[key] = {"secure": value}
    return document


def mock_principal(azure_name: str) -> str:
    """The principal id the harness's mocks give a resource with a system-assigned identity."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"principal/{azure_name}"))


# --- runs shared within a test process -------------------------------------------------------
#
# A run depends on nothing but the stack name, the config and preview (two runs give identical
# inputs: tests/test_workspace.py), and many tests read the same plan, so each distinct one is
# made once per test process and kept as its record (Run.record(): no ``program``, whose live
# objects would keep every run's object graph for the whole session and make each garbage
# collection slower). What these helpers return is shared: never change it
# (check_shared_runs_unchanged fails the session if a test does). A test that reads
# ``program``, patches the program or watches what it logs runs it on its own:
# plan(..., shared=False).

_FINGERPRINTS: dict[int, tuple[Run, str]] = {}


def _fingerprint(run: Run) -> str:
    return repr((run.registrations, run.outputs, run.error))


def _shared(run: Run) -> Run:
    _FINGERPRINTS.setdefault(id(run), (run, _fingerprint(run)))
    return run


@pytest.fixture(scope="session", autouse=True)
def check_shared_runs_unchanged():
    """A test that changed a shared run would change what later tests see, and which tests run
    later differs between workers: fail the session instead, naming the stack."""
    yield
    changed = sorted({run.stack for run, before in _FINGERPRINTS.values() if _fingerprint(run) != before})
    assert not changed, f"a test changed a shared run of stack(s) {changed}: copy it before changing it"


@functools.cache
def _shared_run(stack_name: str, raw_json: str, secret_keys: tuple[str, ...], preview: bool) -> Run:
    run = run_program(stack_name, json.loads(raw_json), set(secret_keys), preview=preview, raise_errors=False)
    return _shared(run.record())


def run_config(
    stack_name: str, raw: dict[str, str], secret_keys: set[str], preview: bool = False, raise_errors: bool = True
) -> Run:
    """tools.harness.run_program on raw config (key -> text), shared."""
    run = _shared_run(stack_name, json.dumps(raw, sort_keys=True), tuple(sorted(secret_keys)), preview)
    if run.error is not None and raise_errors:
        raise run.error
    return run


def plan(
    config: dict[str, Any], stack_name: str = "dev", preview: bool = False, raise_errors: bool = True,
    shared: bool = True,
) -> Run:
    """Run the program on a stack-file-like config map, as the CLI would hand it over; shared
    unless ``shared=False``."""
    raw, secrets = config_from_yaml(config)
    if not shared:
        return run_program(stack_name, raw, secrets, preview=preview, raise_errors=raise_errors)
    return run_config(stack_name, raw, secrets, preview, raise_errors)


def planned_file(stack_file: Path) -> Run:
    """The offline plan's run of a stack file (tools.plan.plan_stack_file, a preview), shared;
    raises the program's error, as the other helpers do."""
    run = _shared(plan_stack_file(stack_file))
    if run.error is not None:
        raise run.error
    return run


def run_file(path: Path, preview: bool = False, shared: bool = True) -> Run:
    """The run of a stack file, its stack named after the file; shared unless ``shared=False``."""
    if preview and shared:
        return planned_file(path)
    raw, secrets = stack_config(path)
    if not shared:
        return run_program(stack_name_of(path), raw, secrets, preview=preview)
    return run_config(stack_name_of(path), raw, secrets)


def shipped_plan(stack_name: str) -> Run:
    """The run of a shipped stack (Pulumi.<stack>.yaml), shared."""
    return run_file(ROOT / f"Pulumi.{stack_name}.yaml")


@pytest.fixture(scope="module")
def dev_run() -> Run:
    return shipped_plan("dev")


# --- refused and accepted configs ------------------------------------------------------------


def config_error(config: dict[str, Any], stack_name: str = "dev") -> tuple[str, Run]:
    """Run an invalid config; return the error text and the run (to check nothing registered)."""
    raw, secrets = config_from_yaml(config)
    run = run_program(stack_name, raw, secrets, raise_errors=False)
    assert isinstance(run.error, ConfigError), f"expected a ConfigError, got {run.error!r}"
    return str(run.error), run


def problem_lines(error_text: str) -> list[str]:
    """The problem lines of a ConfigError's text, without the header and the bullets."""
    return [line.removeprefix("  - ") for line in error_text.splitlines()[1:]]


def assert_refused(config: dict[str, Any], expected: list[str], stack_name: str = "dev") -> None:
    """The program stops on ``config`` with exactly these problem lines, registering nothing."""
    text, run = config_error(config, stack_name)
    assert problem_lines(text) == expected
    assert run.registrations == []


def accepted(config: dict[str, Any], stack_name: str = "dev") -> StackConfig:
    """The config as the program validates it before registering anything (the loader's
    parse_config, instant): raises ConfigError if a rule refuses it. For what a rule accepts;
    what the program then registers is for the components' tests, which plan."""
    raw, secrets = config_from_yaml(config)
    return parse_config(raw, secrets, stack_name)


def resolved(config: dict[str, Any], stack_name: str = "dev") -> Deployment:
    """What the program decides from ``config`` before registering anything: the resolved
    deployment (azureml_infra.resolve, pure and instant) of the accepted config. For a test of a
    decision (names, grants, flags, defaults); what becomes of it in the engine's inputs is for a
    component run (tools.harness.run_component) or a plan."""
    return resolve(accepted(config, stack_name))
