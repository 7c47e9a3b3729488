"""What a stack's Foundry resource needs from Azure, from its offline plan (pure: no third-party
import): the accounts it creates (their subdomain must be free and held by no soft-deleted
account) and each model deployment (its model, version and SKU offered in the region, and the
quota its capacity takes). ``needs.derive_needs`` adds these under ``foundryAccounts`` and
``foundryDeployments``; ``tools.preflight.foundry`` checks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from azureml_infra import facts

# The stack-file keys the fix text names (config/foundry.py: one account per stack, deployments
# in the order the stack file lists them, which is the order the program registers them).
ACCOUNT_KEY = "foundry.create.name"
DEPLOYMENT_KEY = "foundry.create.deployments[{index}]"


def _number(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def foundry_needs(resources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    accounts: list[dict[str, Any]] = []
    deployments: list[dict[str, Any]] = []
    for resource in resources:
        inputs = resource.get("inputs") or {}
        if resource.get("type") == facts.FOUNDRY_ACCOUNT:
            accounts.append({"name": inputs.get("accountName") or resource.get("azureName"), "key": ACCOUNT_KEY})
        elif resource.get("type") == facts.FOUNDRY_DEPLOYMENT:
            model = (inputs.get("properties") or {}).get("model") or {}
            sku = inputs.get("sku") or {}
            deployments.append({
                "account": inputs.get("accountName"),
                "name": inputs.get("deploymentName") or resource.get("azureName"),
                "format": model.get("format"),
                "model": model.get("name"),
                "version": model.get("version"),
                "sku": sku.get("name"),
                "capacity": _number(sku.get("capacity")),
                "key": DEPLOYMENT_KEY.format(index=len(deployments)),
            })
    return {"foundryAccounts": accounts, "foundryDeployments": deployments}
