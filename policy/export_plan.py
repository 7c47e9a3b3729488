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

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.harness import SECRET_PLACEHOLDER, is_secret_value, run_program  # noqa: E402
from tools.plan import load_stack_file, plan_document, stack_name_of  # noqa: E402


def open_secrets(value: Any) -> Any:
    """Secret objects/lists opened to their structure; secret scalars masked."""
    if is_secret_value(value):
        inner = value.get("value")
        return open_secrets(inner) if isinstance(inner, dict | list) else SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: open_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [open_secrets(v) for v in value]
    return value


def policy_plan(stack_file: Path) -> dict[str, Any]:
    """The plan document of a stack file, secrets opened. Raises the program's error."""
    raw, secrets = load_stack_file(stack_file)
    run = run_program(stack_name_of(stack_file), raw, secrets, preview=True)
    for registration in run.registrations:
        registration.inputs = open_secrets(registration.inputs)
    try:
        shown = str(stack_file.resolve().relative_to(ROOT))
    except ValueError:
        shown = str(stack_file)
    return plan_document(run, shown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="policy/export_plan.py", description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default="dev", help="plan Pulumi.<stack>.yaml (default: dev)")
    source.add_argument("--stack-file", type=Path, help="plan this Pulumi.<stack>.yaml file")
    args = parser.parse_args(argv)
    path = args.stack_file or ROOT / f"Pulumi.{args.stack}.yaml"
    if not path.exists():
        print(f"error: no stack file {path}", file=sys.stderr)
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
