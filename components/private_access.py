"""What "behind private endpoints" means for each kind of dependency: public network access
off, deny by default, trusted Azure services allowed. Nothing at all without private endpoints
(as before), so a public stack's inputs never change.

Sources: Azure's quickstart template for a private workspace (Azure/azure-quickstart-templates
quickstarts/microsoft.machinelearningservices/machine-learning-end-to-end-secure, modules
storage.bicep, keyvault.bicep and containerregistry.bicep: publicNetworkAccess Disabled,
networkAcls/networkRuleSet defaultAction Deny, bypass AzureServices) and azure-ai-docs
articles/machine-learning/how-to-secure-workspace-vnet.md ("Allow Azure services on the trusted
services list"). The SDK's own defaults would leave each one open.
"""

from __future__ import annotations

from typing import Any

from pulumi_azure_native import containerregistry, keyvault, storage


def storage_args(private: bool) -> dict[str, Any]:
    if not private:
        return {}
    return {
        "public_network_access": storage.PublicNetworkAccess.DISABLED,
        "network_rule_set": storage.NetworkRuleSetArgs(
            default_action=storage.DefaultAction.DENY, bypass=storage.Bypass.AZURE_SERVICES
        ),
    }


def vault_args(private: bool) -> dict[str, Any]:
    if not private:
        return {}
    return {
        "public_network_access": "disabled",
        "network_acls": keyvault.NetworkRuleSetArgs(
            default_action=keyvault.NetworkRuleAction.DENY, bypass=keyvault.NetworkRuleBypassOptions.AZURE_SERVICES
        ),
    }


def registry_args(private: bool) -> dict[str, Any]:
    """Premium only (config.rules.network refuses a private endpoint on another tier)."""
    if not private:
        return {}
    return {
        "public_network_access": containerregistry.PublicNetworkAccess.DISABLED,
        "network_rule_bypass_options": containerregistry.NetworkRuleBypassOptions.AZURE_SERVICES,
        "network_rule_set": containerregistry.NetworkRuleSetArgs(default_action=containerregistry.DefaultAction.DENY),
    }
