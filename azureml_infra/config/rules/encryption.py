"""Rules of ``workspace.encryption`` across sections: the key's vault must keep the key.

A customer-managed key's vault "must enable soft delete and purge protection" (azure-ai-docs
articles/machine-learning/concept-customer-managed-keys.md, Prerequisites). The stack's own vault
always has soft delete; purge protection is checked here. A vault of someone else's is checked by
the preflight (tools/preflight), with the key's type and size, against the subscription.
"""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig


def own_key_vault(config: StackConfig) -> bool:
    """The key is in the vault this stack creates (workspace.keyVault, by its Azure name)."""
    encryption = config.workspace.encryption
    vault = config.workspace.key_vault
    return (
        encryption is not None
        and not vault.reused
        and encryption.vault_name.lower() == config.names().key_vault.lower()
    )


def _own_vault_keeps_the_key(config: StackConfig) -> Iterable[Problem]:
    if own_key_vault(config) and not config.workspace.key_vault.purge_protection:
        yield Problem.at(
            "workspace.keyVault.purgeProtection",
            "must be true: the workspace's customer-managed key (encryption.keyUri) is in this vault, and a key's "
            "vault needs soft delete and purge protection, or a purged key would lose the workspace's data; "
            "remove purgeProtection: false",
        )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [_own_vault_keeps_the_key]
