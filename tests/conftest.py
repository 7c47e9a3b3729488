"""Shared helpers: run the program under mocks from a stack-file-like dict.

Mocks are set inside tools.harness.run_program before __main__.py is executed with runpy,
each run in a fresh root stack, so no test sees another's registrations.
"""

from __future__ import annotations

import copy
import functools
import gc
import uuid
from pathlib import Path
from typing import Any

import pytest

from tools.harness import ROOT, Run, config_from_yaml, run_program
from tools.plan import plan_stack_file

# The suite runs the program some 500 times; each run leaves cyclic garbage the SDK frees only
# after it (tools/harness.py pauses the collector during a run), and the default gen-0 threshold
# of 700 allocations spent about a tenth of the suite's time in collections that found little.
gc.set_threshold(50_000, 20, 100)

# The smallest valid stack file; tests add what they exercise.
MINIMAL: dict[str, Any] = {
    "azure-native:location": "westeurope",
    "azureml-infra:prefix": "mlops",
}


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


def plan(config: dict[str, Any], stack_name: str = "dev", preview: bool = False, **kwargs) -> Run:
    """Run the program on a stack-file-like config map, as the CLI would hand it over."""
    raw, secrets = config_from_yaml(config)
    return run_program(stack_name, raw, secrets, preview=preview, **kwargs)


def config_error(config: dict[str, Any], stack_name: str = "dev") -> tuple[str, Run]:
    """Run an invalid config; return the error text and the run (to check nothing registered)."""
    from azureml_infra.config import ConfigError

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


@functools.cache
def planned_file(stack_file: Path) -> Run:
    """The preview plan of a stack file (tools.plan.plan_stack_file), made once per test process
    and shared by every test that only reads it. Never change what it returns."""
    return plan_stack_file(stack_file)


# Every stack file the repository ships: the stacks and the examples.
SHIPPED_STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("Pulumi.*.yaml"))


@functools.cache
def shipped_plan(stack_name: str) -> Run:
    """The plan of a shipped stack (Pulumi.<stack>.yaml), made once per test process and shared
    by every test that only reads it. Never change what it returns."""
    return run_program(stack_name)


@pytest.fixture(scope="module")
def dev_run() -> Run:
    return shipped_plan("dev")
