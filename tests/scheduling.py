"""How `make test` shares the suite between workers (pytest-xdist, ``--dist loadfile``)."""

from __future__ import annotations

from pathlib import Path

from xdist.scheduler import LoadFileScheduling

# The test files that plan every shipped stack file (conftest.planned_file): one worker runs
# them all, so the fifteen plans are made once in `make test` rather than once per worker.
PLAN_EVERY_SHIPPED_FILE = {"test_plan.py", "test_policy_stacks.py", "test_preflight.py", "test_urn_snapshot.py"}


class LoadFileSharingShippedPlans(LoadFileScheduling):
    """Whole test files per worker, with the files above as one unit of work."""

    def _split_scope(self, nodeid: str) -> str:
        path = super()._split_scope(nodeid)
        return "plans of every shipped stack file" if Path(path).name in PLAN_EVERY_SHIPPED_FILE else path


class ShippedPlansOnOneWorker:
    """A pytest plugin (registered by conftest when xdist is active)."""

    def pytest_xdist_make_scheduler(self, config, log):
        if config.getvalue("dist") != "loadfile":
            return None
        return LoadFileSharingShippedPlans(config, log)
