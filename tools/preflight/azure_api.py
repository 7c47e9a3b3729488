"""The preflight's only module that talks to Azure: read-only calls through Azure's SDKs.

Runs in ``.venv-preflight`` (requirements-preflight.txt); imported by ``tools.preflight.__main__``
only when the preflight really runs, never by the tests of the logic. Every method answers one
question of ``checks.Azure`` and lets the SDK's exception through: the checks report it as an
error, never as a pass.

Calls and versions: the sources of the SDK versions pinned in requirements-preflight.txt (the
file:line references below are under .venv-preflight/lib/python3.11/site-packages) and, for the
REST calls the SDKs lack, the article cited at each.
"""

from __future__ import annotations

import functools
from typing import Any

from tools.preflight.checks import (
    DeletedVault,
    KubernetesVersion,
    NameStatus,
    Permission,
    Provider,
    Usage,
    VmSize,
    VmSku,
)
from tools.preflight.encryption import KeyState, VaultState
from tools.preflight.foundry_api import FoundryApi

# Subscription-scope permissions have no SDK operation (azure-mgmt-authorization 4.0.0 has
# list_for_resource_group and list_for_resource only); the REST call is documented in
# MicrosoftDocs azure-docs, articles/azure-resource-manager/resource-manager-api-authentication.md
# ("GET .../subscriptions/{id}/providers/microsoft.authorization/permissions?api-version=2015-07-01").
SUBSCRIPTION_PERMISSIONS_API = "2015-07-01"
# Permissions - List For Resource (Microsoft.Authorization 2022-04-01, the SDK's default).
RESOURCE_PERMISSIONS_API = "2022-04-01"
# Resource Skus - List (Microsoft.Compute) and Features - Get (Microsoft.Features), both
# 2021-07-01, the versions their REST API references document (learn.microsoft.com/rest/api/
# compute/resource-skus/list, /rest/api/resources/features/get).
RESOURCE_SKUS_API = "2021-07-01"
FEATURES_API = "2021-07-01"


class AzureApi(FoundryApi):
    """checks.Azure (and foundry.FoundryAzure) over the management SDKs, for one subscription."""

    def __init__(self, subscription_id: str, credential: Any):
        self.subscription_id = subscription_id
        self._credential = credential

    # Clients are made on first use: a stack without computes never builds the ML client.
    @functools.cached_property
    def _resources(self):
        # azure-mgmt-resource 26 moved the client to azure.mgmt.resource.resources (its CHANGELOG,
        # 26.0.0b1, Breaking Changes; Azure/azure-sdk-for-python, sdk/resources/azure-mgmt-resource).
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(self._credential, self.subscription_id)

    @functools.cached_property
    def _storage(self):
        from azure.mgmt.storage import StorageManagementClient

        return StorageManagementClient(self._credential, self.subscription_id)

    @functools.cached_property
    def _keyvault(self):
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return KeyVaultManagementClient(self._credential, self.subscription_id)

    @functools.cached_property
    def _registry(self):
        from azure.mgmt.containerregistry import ContainerRegistryManagementClient

        return ContainerRegistryManagementClient(self._credential, self.subscription_id)

    @functools.cached_property
    def _ml(self):
        from azure.mgmt.machinelearningservices import MachineLearningServicesMgmtClient

        return MachineLearningServicesMgmtClient(self._credential, self.subscription_id)

    @functools.cached_property
    def _containerservice(self):
        # azure-mgmt-containerservice 41.8.0: ContainerServiceClient(credential, subscription_id)
        # (containerservice/_client.py:49), its default api-version 2026-08-01
        # (_configuration.py:51).
        from azure.mgmt.containerservice import ContainerServiceClient

        return ContainerServiceClient(self._credential, self.subscription_id)

    @functools.cached_property
    def _authorization(self):
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(self._credential, self.subscription_id)

    # --- checks.Azure ---------------------------------------------------------------------

    def provider(self, namespace: str) -> Provider:
        # providers.get (resources/operations/_operations.py:6044); Provider.registration_state
        # and resource_types[].resource_type/locations (models/_models.py).
        found = self._resources.providers.get(namespace)
        locations = {
            (rt.resource_type or "").lower(): list(rt.locations or []) for rt in found.resource_types or []
        }
        return Provider(found.registration_state or "", locations)

    def resource_group_exists(self, name: str) -> bool:
        return bool(self._resources.resource_groups.check_existence(name))

    def resources_in_group(self, name: str) -> list[tuple[str, str]]:
        return [(r.type or "", r.name or "") for r in self._resources.resources.list_by_resource_group(name)]

    def name_available(self, kind: str, name: str) -> NameStatus:
        if kind == "storageAccount":
            # storage_accounts.check_name_availability (storage/operations/_operations.py:7223)
            result = self._storage.storage_accounts.check_name_availability(
                {"name": name, "type": "Microsoft.Storage/storageAccounts"}
            )
        elif kind == "keyVault":
            # vaults.check_name_availability (keyvault/operations/_operations.py:2872)
            from azure.mgmt.keyvault.models import VaultCheckNameAvailabilityParameters

            result = self._keyvault.vaults.check_name_availability(VaultCheckNameAvailabilityParameters(name=name))
        elif kind == "containerRegistry":
            # registries.check_name_availability; `type` is required (containerregistry
            # models/_models.py:2744)
            from azure.mgmt.containerregistry.models import RegistryNameCheckRequest

            result = self._registry.registries.check_name_availability(
                RegistryNameCheckRequest(name=name, type="Microsoft.ContainerRegistry/registries")
            )
        else:
            raise ValueError(f"no name check for {kind}")
        return NameStatus(bool(result.name_available), result.reason, result.message)

    def deleted_vaults(self) -> list[DeletedVault]:
        # vaults.list_deleted (keyvault/operations/_operations.py:2678): every region of the
        # subscription, where get_deleted asks about one region only.
        vaults = []
        for vault in self._keyvault.vaults.list_deleted():
            props = vault.properties
            vaults.append(
                DeletedVault(
                    name=vault.name or "",
                    location=(props.location if props else "") or "",
                    scheduled_purge_date=str(props.scheduled_purge_date) if props and props.scheduled_purge_date else None,
                    purge_protection=bool(props and props.purge_protection_enabled),
                )
            )
        return vaults

    def _vault_client_for(self, vault_id: str) -> tuple[Any, str, str]:
        """A Key Vault management client of the vault's subscription, its group and its name."""
        parts = vault_id.strip("/").split("/")
        subscription, group, name = parts[1], parts[3], parts[-1]
        if subscription.lower() == self.subscription_id.lower():
            return self._keyvault, group, name
        from azure.mgmt.keyvault import KeyVaultManagementClient

        return KeyVaultManagementClient(self._credential, subscription), group, name

    def key_vault(self, vault_id: str) -> VaultState:
        # vaults.get: properties.enableSoftDelete (true when not set: soft delete is always on since
        # 2020) and properties.enablePurgeProtection.
        client, group, name = self._vault_client_for(vault_id)
        props = client.vaults.get(group, name).properties
        return VaultState(props.enable_soft_delete is not False, bool(props.enable_purge_protection))

    def vault_key(self, vault_id: str, key_name: str) -> KeyState:
        # keys.get (the management plane: no data-plane permission needed): kty and keySize.
        client, group, name = self._vault_client_for(vault_id)
        key = client.keys.get(group, name, key_name)
        props = getattr(key, "properties", None) or key
        size = getattr(props, "key_size", None)
        return KeyState(str(getattr(props, "kty", "") or ""), int(size) if size else None)

    def usages(self, location: str) -> list[Usage]:
        # usages.list (machinelearningservices/operations/_usages_operations.py:90)
        return [
            Usage(u.type or "", (u.name.value if u.name else "") or "", int(u.current_value or 0), int(u.limit or 0))
            for u in self._ml.usages.list(location)
        ]

    def vm_sizes(self, location: str) -> list[VmSize]:
        # virtual_machine_sizes.list is not paged: the sizes are in .aml_compute
        # (_virtual_machine_sizes_operations.py:99; models/_models_py3.py:4015).
        result = self._ml.virtual_machine_sizes.list(location)
        return [
            VmSize(s.name or "", s.family or "", int(s.v_cp_us or 0), bool(s.low_priority_capable))
            for s in result.aml_compute or []
        ]

    def kubernetes_versions(self, location: str) -> list[KubernetesVersion]:
        # managed_clusters.list_kubernetes_versions (containerservice/operations/_operations.py:6652;
        # GET /subscriptions/{id}/providers/Microsoft.ContainerService/locations/{location}/
        # kubernetesVersions, request builder line 1070) returns one KubernetesVersionListResult,
        # not a pager. Its list is `values_property` (the JSON's "values": `values` is the
        # Mapping method of the model; models/_models.py:3391), each KubernetesVersion (line 3305)
        # with .version (major.minor), .is_default, .is_preview and .patch_versions, a dict
        # "x.y.z" -> KubernetesPatchVersion(upgrades).
        result = self._containerservice.managed_clusters.list_kubernetes_versions(location)
        return [
            KubernetesVersion(
                version=v.version or "",
                is_default=bool(v.is_default),
                is_preview=bool(v.is_preview),
                patch_versions=tuple(v.patch_versions or {}),
            )
            for v in result.values_property or []
        ]

    def vm_skus(self, location: str) -> list[VmSku]:
        # Resource Skus - List, Microsoft.Compute 2021-07-01 (REST API reference: GET
        # /subscriptions/{id}/providers/Microsoft.Compute/skus?$filter=location eq '<region>'):
        # no compute SDK in requirements-preflight.txt, so through the resource client's pipeline.
        # Each SKU: name, resourceType, capabilities [{name, value}] (values are strings).
        items = self._get_all(f"/subscriptions/{self.subscription_id}/providers/Microsoft.Compute/skus",
                              RESOURCE_SKUS_API, f"$filter=location eq '{location}'")
        return [
            VmSku(item.get("name", ""), {c.get("name", ""): str(c.get("value", "")) for c in item.get("capabilities") or []})
            for item in items
            if item.get("resourceType") == "virtualMachines"
        ]

    def feature_state(self, namespace: str, feature: str) -> str:
        # Features - Get, Microsoft.Features 2021-07-01 (GET /subscriptions/{id}/providers/
        # Microsoft.Features/providers/{namespace}/features/{feature}): properties.state.
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        url = (f"/subscriptions/{self.subscription_id}/providers/Microsoft.Features/providers/{namespace}"
               f"/features/{feature}?api-version={FEATURES_API}")
        response = self._resources.send_request(HttpRequest("GET", url))
        if response.status_code != 200:
            raise HttpResponseError(response=response)
        return str((response.json().get("properties") or {}).get("state") or "")

    def permissions(self, scope: str) -> list[Permission]:
        parts = scope.strip("/").split("/")
        if len(parts) == 4 and parts[2].lower() == "resourcegroups" and parts[1] == self.subscription_id:
            # permissions.list_for_resource_group (authorization v2022_04_01
            # operations/_permissions_operations.py:134)
            found = self._authorization.permissions.list_for_resource_group(parts[3])
            return [Permission(tuple(p.actions or ()), tuple(p.not_actions or ())) for p in found]
        api = SUBSCRIPTION_PERMISSIONS_API if len(parts) == 2 else RESOURCE_PERMISSIONS_API
        return [Permission(tuple(p.get("actions") or ()), tuple(p.get("notActions") or ()))
                for p in self._get_all(f"/{'/'.join(parts)}/providers/Microsoft.Authorization/permissions", api)]

    def _get_all(self, path: str, api_version: str, query: str = "") -> list[dict]:
        """A GET of a list, following nextLink, through the resource client's pipeline."""
        from azure.core.exceptions import HttpResponseError
        from azure.core.rest import HttpRequest

        items: list[dict] = []
        url: str | None = f"{path}?api-version={api_version}" + (f"&{query}" if query else "")
        while url:
            response = self._resources.send_request(HttpRequest("GET", url))
            if response.status_code != 200:
                raise HttpResponseError(response=response)
            body = response.json()
            items += body.get("value", [])
            url = body.get("nextLink")
        return items


def default_subscription() -> str | None:
    """The az CLI's current subscription, when the az CLI is signed in (as in the pipelines)."""
    import shutil
    import subprocess

    az = shutil.which("az")
    if not az:
        return None
    result = subprocess.run([az, "account", "show", "--query", "id", "--output", "tsv"],
                            capture_output=True, text=True, timeout=60)
    return result.stdout.strip() or None if result.returncode == 0 else None


def connect(subscription_id: str) -> AzureApi:
    """The API for one subscription; raises when no credential can get a token (not signed in)."""
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential()
    # One token up front: signed out, the run stops on one line instead of an error per check.
    credential.get_token("https://management.azure.com/.default")
    return AzureApi(subscription_id, credential)
