"""Write config/<stack>.json, the --policy-pack-config file the pipelines pass for a stack.

    .venv-policy/bin/python policy/write_config.py dev test prod

Each policy gets its enforcement level in that environment (``disabled`` where it does not
apply) and the environment itself, so the pack needs no guess from the stack name; a rule the
stack file raises (prod-workspace-cmk, where Pulumi.<stack>.yaml sets workspace.encryption) is
mandatory there. A test fails when a file is not what rules.pack_config generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from rules import pack_config, sets_encryption

CONFIG_DIR = Path(__file__).resolve().parent / "config"
ROOT = CONFIG_DIR.parent.parent


def stack_encrypted(stack: str) -> bool:
    """Pulumi.<stack>.yaml sets azureml-infra:workspace.encryption."""
    path = ROOT / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) if path.exists() else None
    return sets_encryption((document or {}).get("config") or {})


def main(stacks: list[str]) -> int:
    for stack in stacks:
        path = CONFIG_DIR / f"{stack}.json"
        path.write_text(json.dumps(pack_config(stack, stack_encrypted(stack)), indent=2) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["dev", "test", "prod"]))
