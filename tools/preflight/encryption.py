"""The preflight's customer-managed key check (pure): a workspace's key in a vault of someone
else's (``workspace.encryption`` with a ``keyVaultId`` that is not the stack's own vault) is
checked against the vault's and the key's own settings, through two read-only questions
(``KeyAzure``; ``azure_api`` answers them with azure-mgmt-keyvault, fakes in tests/test_preflight.py).

- the vault: soft delete and purge protection on ("The key vault instance must enable soft delete
  and purge protection", azure-ai-docs articles/machine-learning/concept-customer-managed-keys.md);
- the key: an RSA key (RSA, or RSA-HSM in a premium vault) of 2048 bits or more: the services
  Azure ML encrypts with it take RSA keys of 2048, 3072 or 4096 bits (azure-docs
  storage/common/customer-managed-keys-overview.md, "RSA and RSA-HSM keys of sizes 2048, 3072 and 4096").
The stack's own vault is checked by the config (config.rules.encryption) and needs no answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from tools.preflight.checks import FAIL, PASS, Context, Result, _ask

CHECK = "customer-managed key"
RSA_TYPES = ("RSA", "RSA-HSM")
MIN_KEY_SIZE = 2048


@dataclass(frozen=True)
class VaultState:
    soft_delete: bool
    purge_protection: bool


@dataclass(frozen=True)
class KeyState:
    kty: str
    size: int | None


class KeyAzure(Protocol):
    def key_vault(self, vault_id: str) -> VaultState: ...
    def vault_key(self, vault_id: str, key_name: str) -> KeyState: ...


def check_customer_managed_keys(ctx: Context) -> Iterator[Result]:
    azure: Any = ctx.azure
    for entry in ctx.needs.get("customerManagedKeys", []):
        if entry["ownVault"]:
            continue
        vault_name = entry["vaultId"].rstrip("/").rsplit("/", 1)[-1]
        key_name = entry["keyUri"].split("/keys/", 1)[1].split("/")[0]
        subject = f"{vault_name}/{key_name}"
        vault_id = entry["vaultId"]
        vault, error = _ask(CHECK, subject, lambda v=vault_id: azure.key_vault(v))
        if error:
            yield error
            continue
        problems = [what for what, on in (("soft delete", vault.soft_delete),
                                          ("purge protection", vault.purge_protection)) if not on]
        if problems:
            yield Result(CHECK, subject, FAIL, f"vault {vault_name} has {' and '.join(problems)} off: a purged key "
                         "would make the workspace's data unreadable for good",
                         f"turn it on: az keyvault update --name {vault_name} --enable-purge-protection true")
            continue
        key, error = _ask(CHECK, subject, lambda v=vault_id, k=key_name: azure.vault_key(v, k))
        if error:
            yield error
            continue
        if key.kty not in RSA_TYPES or (key.size is not None and key.size < MIN_KEY_SIZE):
            yield Result(CHECK, subject, FAIL, f"key {key_name} is {key.kty}"
                         f"{f' of {key.size} bits' if key.size else ''}: the workspace needs an RSA key (RSA or "
                         f"RSA-HSM) of {MIN_KEY_SIZE} bits or more",
                         f"create one: az keyvault key create --vault-name {vault_name} --name <name> --kty RSA "
                         "--size 3072, and set azureml-infra:workspace.encryption.keyUri to it")
            continue
        yield Result(CHECK, subject, PASS, f"vault {vault_name} has soft delete and purge protection; key {key_name} "
                     f"is {key.kty}{f' of {key.size} bits' if key.size else ''}")
