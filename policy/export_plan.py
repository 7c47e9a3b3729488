"""The offline plan of a stack, for the policy run: ``tools.plan``'s JSON with secret objects opened.

    .venv/bin/python policy/export_plan.py --stack prod | .venv-policy/bin/python policy/offline.py

Runs with the PROGRAM's venv (it imports tools.plan), unlike the rest of this directory.

Why not ``python -m tools.plan --format json`` as it is: when one nested value is a secret
(a compute admin password, a datastore key), the engine receives the whole top-level input
as one secret, and the plan shows ``properties: "[secret]"``. The policies could then not see
``properties.properties.userAccountCredentials`` or ``properties.credentials.credentialsType``.
Here a secret object or list is opened one level: its structure is shown, and values that
were secrets on their own stay ``[secret]``. Nothing real is revealed: offline, every
``secure:`` config value is already the placeholder ``[secret]`` before the program runs, and
invoke results (account keys) come from the mocks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.harness import Run  # noqa: E402
from tools.plan import (  # noqa: E402
    make_plan,
    opened,
    plan_document,
    plan_stack_file,
    shown_path,
    stack_file_of,
    stack_file_parser,
)


def policy_plan(stack_file: Path, run: Run | None = None) -> dict[str, Any]:
    """The plan document of a stack file, secrets opened. Raises the program's error.

    ``run``: the preview run of that stack file, if already made (tools.plan.plan_stack_file).
    """
    run, _ = make_plan(stack_file, run or plan_stack_file(stack_file))
    if run.error is not None:
        raise run.error
    return plan_document(opened(run), shown_path(stack_file))


def main(argv: list[str] | None = None) -> int:
    args = stack_file_parser("policy/export_plan.py", __doc__.split("\n")[0]).parse_args(argv)
    path = stack_file_of(args)
    if path is None:
        return 2
    from azureml_infra.config import ConfigError

    try:
        document = policy_plan(path)
    except ConfigError as exc:  # bad config: the message, not a traceback (as tools.plan)
        print(str(exc), file=sys.stderr)
        return 2
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
