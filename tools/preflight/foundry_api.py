"""The Foundry questions of the preflight, answered by Azure (``foundry.FoundryAzure``): read-only
calls through azure-mgmt-cognitiveservices 14.1.0 (requirements-preflight.txt; its default API
version 2025-09-01, azure/mgmt/cognitiveservices/_configuration.py:46). ``azure_api.AzureApi``
takes these methods in; imported only when the preflight really runs. File:line references are
under .venv-preflight/lib/python3.11/site-packages/azure/mgmt/cognitiveservices/.
"""

from __future__ import annotations

import functools
from typing import Any

from tools.preflight.foundry import CognitiveUsage, DeletedAccount, DomainStatus, FoundryModel, ModelSku

ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
ACCOUNT_KIND = "AIServices"


def _group_of(resource_id: str) -> str:
    """A deleted account's id: /subscriptions/<s>/providers/Microsoft.CognitiveServices/locations/<l>/
    resourceGroups/<g>/deletedAccounts/<name> (REST API, Deleted Accounts - List)."""
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else "?"


class FoundryApi:
    """The methods of foundry.FoundryAzure, for AzureApi (which has subscription_id and _credential)."""

    subscription_id: str
    _credential: Any

    @functools.cached_property
    def _cognitive(self) -> Any:
        # CognitiveServicesManagementClient(credential, subscription_id) (_cognitive_services_management_client.py:59)
        from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

        return CognitiveServicesManagementClient(self._credential, self.subscription_id)

    def foundry_models(self, location: str) -> list[FoundryModel]:
        # models.list(location) (operations/_models_operations.py:90): Model.kind, Model.model (AccountModel:
        # format, name, version, skus, lifecycle_status), ModelSku.name/usage_name/capacity.maximum.
        models = []
        for found in self._cognitive.models.list(location):
            model = found.model
            if model is None:
                continue
            skus = tuple(
                ModelSku(s.name or "", s.usage_name or "", s.capacity.maximum if s.capacity else None)
                for s in model.skus or []
            )
            models.append(FoundryModel(found.kind or "", model.format or "", model.name or "", model.version or "",
                                       skus, str(model.lifecycle_status) if model.lifecycle_status else None))
        return models

    def foundry_usages(self, location: str) -> list[CognitiveUsage]:
        # usages.list(location) (operations/_usages_operations.py:94): Usage.name.value, current_value, limit.
        return [
            CognitiveUsage((u.name.value if u.name else "") or "", float(u.current_value or 0), float(u.limit or 0))
            for u in self._cognitive.usages.list(location)
        ]

    def subdomain_available(self, subdomain: str) -> DomainStatus:
        # check_domain_availability(subdomain_name, type, kind) (operations/
        # _cognitive_services_management_client_operations.py:200): DomainAvailability.is_subdomain_available, reason.
        found = self._cognitive.check_domain_availability(subdomain_name=subdomain, type=ACCOUNT_TYPE, kind=ACCOUNT_KIND)
        return DomainStatus(bool(found.is_subdomain_available), found.reason)

    def deleted_accounts(self) -> list[DeletedAccount]:
        # deleted_accounts.list() (operations/_deleted_accounts_operations.py:332): every soft-deleted account of
        # the subscription, with Account.properties.scheduled_purge_date.
        return [
            DeletedAccount(a.name or "", a.location or "", _group_of(a.id or ""),
                           a.properties.scheduled_purge_date if a.properties else None)
            for a in self._cognitive.deleted_accounts.list()
        ]
