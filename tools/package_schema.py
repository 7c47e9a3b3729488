"""Write schemas/package.json: the Pulumi package schema of azureml_package, as the SDK's
analyzer infers it from the components' type annotations (the schema the plugin serves to
``pulumi package add``). tests/test_package.py fails when the file is stale.

    python -m tools.package_schema          # write it
    python -m tools.package_schema --check  # exit 1 when it is stale
"""

from __future__ import annotations

import argparse
import json
import sys

from azureml_package.provider import package_schema
from tools.harness import ROOT

SCHEMA_PATH = ROOT / "schemas" / "package.json"


def schema_text() -> str:
    return json.dumps(package_schema(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.package_schema", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when schemas/package.json is stale")
    args = parser.parse_args(argv)
    text = schema_text()
    if args.check:
        if not SCHEMA_PATH.exists() or SCHEMA_PATH.read_text() != text:
            print(f"{SCHEMA_PATH.relative_to(ROOT)} is stale: run make package-schema", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.write_text(text)
    print(f"wrote {SCHEMA_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
