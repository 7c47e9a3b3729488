"""``make preflight STACK=<name>``: read-only checks against the subscription before ``pulumi up``.

Two steps in two venvs, as ``make policy`` and ``make verify`` do:

1. ``tools.preflight.export`` (the program's venv, ``.venv``): validates the stack file with the
   program's own config models, plans it offline under mocks, and writes what the stack needs
   from Azure as JSON (``needs.derive_needs``): resource providers, global names, VM sizes and
   node counts, the actions the deploying identity must be allowed.
2. ``python -m tools.preflight`` (``.venv-preflight``, Azure's management SDKs): asks Azure,
   read-only, and prints a pass / warn / fail / error table with the fix for each line.

The logic (``needs``, ``checks``, ``report``) is pure Python with no third-party import, so the
program's venv tests it against fake responses; only ``azure_api`` imports the Azure SDKs, and
only when the preflight really runs. Nothing in this package imports pydantic or Pulumi except
``export``.
"""
