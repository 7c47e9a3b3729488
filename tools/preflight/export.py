"""Step 1 of the preflight, in the PROGRAM's venv: what a stack needs from Azure, as JSON.

    .venv/bin/python -m tools.preflight.export --stack dev > build/preflight.dev.json
    .venv/bin/python -m tools.preflight.export --stack-file examples/Pulumi.datastores.yaml

The stack file is read as the CLI hands it to the program (``tools.harness``), validated by
the program's own models (``azureml_infra.config.parse_config``: an invalid config prints its
problems and exits 2, as ``tools.plan`` does), and planned offline (``secure:`` values are never
decrypted). The plan's resources become the needs (``tools.preflight.needs``); the step after
(``python -m tools.preflight``, in ``.venv-preflight``) asks Azure about them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from azureml_infra.config import parse_config
from tools.harness import Run, stack_config
from tools.plan import (
    opened,
    plan_document,
    plan_stack_file,
    shown_path,
    stack_file_of,
    stack_file_parser,
    stack_name_of,
)
from tools.preflight.needs import derive_needs

SUBSCRIPTION_KEY = "azure-native:subscriptionId"


def _name_keys(config: Any) -> dict[str, str]:
    """Azure name -> the stack-file key that sets it (for the fix of a name that is taken)."""
    names = config.names()
    keys = {
        names.storage_account: "workspace.storageAccount.name",
        names.key_vault: "workspace.keyVault.name",
        names.container_registry: "workspace.containerRegistry.name",
    }
    if names.data_storage is not None:
        keys[names.data_storage] = "dataStorage.name"
    return keys


def _version_keys(config: Any) -> dict[str, str]:
    """A created AKS cluster's Azure name -> the stack-file key of its Kubernetes version (the
    index as the program's own config errors write it, config/rules/kubernetes.py)."""
    return {
        compute.cluster_name(config.prefix, config.environment):
            f"kubernetesComputes[{i}].cluster.kubernetesVersion"
        for i, compute in enumerate(config.kubernetes_computes)
        if compute.cluster is not None
    }


def export(stack_file: Path, run: Run | None = None) -> dict[str, Any]:
    """The needs of a stack file. Raises the program's ConfigError on an invalid config.

    ``run``: the preview run of that stack file, if already made (tools.plan.plan_stack_file).
    """
    stack = stack_name_of(stack_file)
    raw, secrets = stack_config(stack_file)
    config = parse_config(raw, secrets, stack)
    run = run or plan_stack_file(stack_file)
    if run.error is not None:
        raise run.error
    shown = shown_path(stack_file)
    document = plan_document(opened(run), shown)
    subscription = raw.get(SUBSCRIPTION_KEY)
    return derive_needs(
        document["resources"],
        stack=stack,
        stack_file=shown,
        location=config.location,
        resource_group=config.names().resource_group,
        create_resource_group=not config.resource_group.existing,
        subscription_id=subscription if isinstance(subscription, str) and subscription else None,
        name_keys=_name_keys(config),
        version_keys=_version_keys(config),
    )


def main(argv: list[str] | None = None) -> int:
    args = stack_file_parser("python -m tools.preflight.export", __doc__.split("\n")[0]).parse_args(argv)
    path = stack_file_of(args)
    if path is None:
        return 2
    from azureml_infra.config import ConfigError

    try:
        needs = export(path)
    except ConfigError as exc:  # the program's own message, not a traceback
        print(str(exc), file=sys.stderr)
        return 2
    json.dump(needs, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
