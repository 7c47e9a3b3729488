"""Files generated from the code (the config reference, the stack schema): write, or check.

    python -m tools.config_reference [--check]
    python -m tools.stack_schema [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(target: Path, text: str, argv: list[str]) -> int:
    """Write ``text`` to ``target``; with ``--check``, exit 1 instead when the file differs."""
    if "--check" in argv:
        if not target.exists() or target.read_text() != text:
            print(f"{target} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    print(f"wrote {target}")
    return 0
