"""Step 2 of the preflight, in ``.venv-preflight``: ask Azure about a stack's needs.

    .venv-preflight/bin/python -m tools.preflight --needs build/preflight.dev.json [--format json]

Signed in with DefaultAzureCredential (az login, workload identity, AZURE_CLIENT_ID/...: the
same sign-in as ``pulumi up``); read-only calls only. The subscription is the stack's
``azure-native:subscriptionId``, else AZURE_SUBSCRIPTION_ID, else ARM_SUBSCRIPTION_ID (what
azure-native reads), else the az CLI's current one. Exit status: 0 when nothing failed,
1 on a fail or an API error, 2 when the preflight could not start.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tools.preflight.checks import ERROR, Result, exit_status, run_checks
from tools.preflight.report import render_json, render_table


def subscription_of(needs: dict, environ: dict[str, str], fallback=None) -> str | None:
    """The subscription pulumi up deploys to, in azure-native's order of precedence."""
    for value in (needs.get("subscriptionId"), environ.get("AZURE_SUBSCRIPTION_ID"), environ.get("ARM_SUBSCRIPTION_ID")):
        if value:
            return value
    return fallback() if fallback else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.preflight", description=__doc__.split("\n")[0])
    parser.add_argument("--needs", type=Path, required=True, help="JSON written by tools.preflight.export")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)
    needs = json.loads(args.needs.read_text())
    from tools.preflight import azure_api  # the Azure SDKs: only now, only in .venv-preflight

    subscription = subscription_of(needs, dict(os.environ), azure_api.default_subscription)
    if not subscription:
        print("error: no subscription: set azure-native:subscriptionId in the stack file, or "
              "AZURE_SUBSCRIPTION_ID, or sign in with az login", file=sys.stderr)
        return 2
    try:
        azure = azure_api.connect(subscription)
    except Exception as exc:  # noqa: BLE001 - not signed in: one error line, not one per check
        results = [Result("sign-in", subscription, ERROR, f"no Azure credential: {type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:300]}",
                          "sign in as pulumi up does: az login (or AZURE_CLIENT_ID/AZURE_TENANT_ID/... "
                          "for a service principal or workload identity)")]
    else:
        results = run_checks(needs, azure)
    render = render_json if args.format == "json" else render_table
    sys.stdout.write(render(needs, subscription, results))
    return exit_status(results)


if __name__ == "__main__":
    sys.exit(main())
