"""Write config/<stack>.json, the --policy-pack-config file the pipelines pass for a stack.

    .venv-policy/bin/python policy/write_config.py dev test prod

Each policy gets its enforcement level in that environment (``disabled`` where it does not
apply) and the environment itself, so the pack needs no guess from the stack name. A test
fails when a file is not what rules.pack_config generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rules import pack_config

CONFIG_DIR = Path(__file__).resolve().parent / "config"


def main(stacks: list[str]) -> int:
    for stack in stacks:
        path = CONFIG_DIR / f"{stack}.json"
        path.write_text(json.dumps(pack_config(stack), indent=2) + "\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["dev", "test", "prod"]))
