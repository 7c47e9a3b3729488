"""Write schemas/package.json: the Pulumi package schema of azureml_package, as the SDK's
analyzer infers it from the components' type annotations (the schema the plugin serves to
``pulumi package add``). tests/test_package.py fails when the file is stale.

    python -m tools.package_schema           # write it
    python -m tools.package_schema --check   # exit 1 when it is stale
    python -m tools.package_schema --served  # start the plugin as the language host does and
                                             # compare the schema it serves (GetSchema) with the file
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from azureml_package.provider import package_schema
from tools.harness import ROOT

SCHEMA_PATH = ROOT / "schemas" / "package.json"


def schema_text() -> str:
    return json.dumps(package_schema(), indent=2) + "\n"


def served_schema() -> dict:
    """The schema the plugin serves: ``python azureml_package <engine>`` run from another
    directory, as the Pulumi language host runs it, asked over gRPC (GetSchema)."""
    import grpc
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    plugin = subprocess.Popen([sys.executable, str(ROOT / "azureml_package"), "127.0.0.1:1"],
                              stdout=subprocess.PIPE, cwd="/")
    try:
        assert plugin.stdout is not None
        port = plugin.stdout.readline().decode().strip()  # the plugin prints its port first
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            return json.loads(stub.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)
    finally:
        plugin.terminate()
        plugin.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.package_schema", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when schemas/package.json is stale")
    parser.add_argument("--served", action="store_true",
                        help="exit 1 unless the running plugin serves schemas/package.json")
    args = parser.parse_args(argv)
    if args.served:
        same = served_schema() == json.loads(SCHEMA_PATH.read_text())
        print("the plugin serves schemas/package.json" if same else "the plugin serves another schema",
              file=sys.stdout if same else sys.stderr)
        return 0 if same else 1
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
