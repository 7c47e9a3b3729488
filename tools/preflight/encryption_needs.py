"""What a stack's customer-managed keys need from Azure, from its offline plan (pure: no third-party
import): each workspace's key vault and key, and whether the vault is the stack's own (checked by the
config then). ``needs.derive_needs`` adds them under ``customerManagedKeys``;
``tools.preflight.encryption`` checks them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from azureml_infra import facts


def encryption_needs(resources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The workspaces' customer-managed keys, each marked with whether its vault is the stack's own."""
    resources = list(resources)
    own_vaults = {str(r.get("azureName") or "").lower() for r in resources if r.get("type") == facts.KEY_VAULT}
    keys = []
    for resource in resources:
        if resource.get("type") != facts.ML_WORKSPACE:
            continue
        encryption = (resource.get("inputs") or {}).get("encryption") or {}
        vault = encryption.get("keyVaultProperties") or {}
        vault_id, key_uri = vault.get("keyVaultArmId"), vault.get("keyIdentifier")
        if isinstance(vault_id, str) and isinstance(key_uri, str):
            keys.append({"workspace": resource.get("azureName"), "vaultId": vault_id, "keyUri": key_uri,
                         "ownVault": vault_id.rstrip("/").rsplit("/", 1)[-1].lower() in own_vaults})
    return {"customerManagedKeys": keys}
