"""The plugin's entry point: the Pulumi language host runs ``python azureml_package <engine>``
(PulumiPlugin.yaml, runtime python), which serves the package's components to the engine.

The components live beside the program's code (azureml_infra, components), one directory up, so
that directory goes on the import path before they are imported; the schema served is
schemas/package.json.
"""

import sys
from pathlib import Path


def serve() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from pulumi.provider import main

    from azureml_package.provider import AzuremlProvider

    main(AzuremlProvider(), sys.argv[1:])


if __name__ == "__main__":
    serve()
