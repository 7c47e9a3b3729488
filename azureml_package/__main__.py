"""The plugin's entry point: the Pulumi language host runs ``python azureml_package <engine>``
(PulumiPlugin.yaml, runtime python), which serves the package's components to the engine.

The components live beside the program's code (azureml_infra, components), one directory up, so
that directory goes on the import path first; the schema served is schemas/package.json.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider import main  # noqa: E402

from azureml_package.provider import AzuremlProvider  # noqa: E402

if __name__ == "__main__":
    main(AzuremlProvider(), sys.argv[1:])
