"""How `make test` shares the suite between workers (pytest-xdist, ``--dist loadfile``).

Whole files go to a worker as it frees up, in the order the files are collected; the order is
set here so that the long files start first and the rule files, many quick tests that plan
little, fill the gaps at the end (xdist's default order, most tests first, put those first and
left a long file running alone at the end).
"""

from __future__ import annotations

from pathlib import Path

from xdist.scheduler import LoadFileScheduling

# The test files that plan every shipped stack file (conftest.planned_file): one worker runs
# them all, so the fifteen plans are made once in `make test` rather than once per worker.
PLAN_EVERY_SHIPPED_FILE = {"test_plan.py", "test_policy_stacks.py", "test_preflight.py", "test_urn_snapshot.py",
                           "test_cost.py",
                           # and the files that read the Foundry examples' shared plans (about 4 s of CPU less
                           # than planning them again on another worker)
                           "test_foundry.py", "test_preflight_foundry.py", "test_smoke_foundry.py",
                           # and the enterprise example's plan (issue 21)
                           "test_enterprise.py",
                           # and the package's, which compares its MlEnvironment with the shipped stacks' plans
                           "test_package.py",
                           # and the ARM export, which exports prod, datastores, aks-inference and dev
                           "test_arm_export.py"}

# Files of quick tests (config rules, naming, schemas; refused configs and at most a plan or
# two): run last.
QUICK_FILES = {
    "test_access_config.py", "test_compute_config.py", "test_config_validation.py", "test_datastores_config.py",
    "test_kubernetes_config.py", "test_network_config.py", "test_naming.py", "test_stack_schema.py",
    "test_verify.py", "test_resolve.py", "test_day_one_config.py", "test_journeys.py", "test_cost_config.py",
    "test_prices.py", "test_enterprise_config.py",
}


def file_order(path: Path) -> int:
    """Where a test file goes in the queue: the shared plans first, the quick files last."""
    return 0 if path.name in PLAN_EVERY_SHIPPED_FILE else 2 if path.name in QUICK_FILES else 1


class LoadFileSharingShippedPlans(LoadFileScheduling):
    """Whole test files per worker, with the files that plan every shipped stack as one unit."""

    def _split_scope(self, nodeid: str) -> str:
        path = super()._split_scope(nodeid)
        return "plans of every shipped stack file" if Path(path).name in PLAN_EVERY_SHIPPED_FILE else path


class ShippedPlansOnOneWorker:
    """A pytest plugin (registered by conftest when xdist is active)."""

    def pytest_xdist_make_scheduler(self, config, log):
        if config.getvalue("dist") != "loadfile":
            return None
        config.option.loadscopereorder = False  # keep the order of the collection (file_order)
        return LoadFileSharingShippedPlans(config, log)
