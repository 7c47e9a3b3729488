"""The preflight's checks: the stack's needs (``needs.derive_needs``) against Azure's answers.

Pure logic. Azure is reached only through an object with the methods of ``Azure`` below
(``azure_api.AzureApi`` in real runs, fakes in tests/test_preflight.py), so every rule here is
tested against recorded or made-up responses without the Azure SDKs installed.

Every check yields ``Result`` lines: ``pass``, ``warn`` (worth a look, not a failed deployment
for sure), ``fail`` (``pulumi up`` would fail; the fix says what to do) or ``error`` (Azure did not
answer: never counted as a pass). Sources: of the calls, the comments in azure_api.py; of the
rules, the comment at each (and docs/preflight.md, which also says what they cannot tell).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tools.preflight.needs import SUBSCRIPTION_PLACEHOLDER

PASS, WARN, FAIL, ERROR = "pass", "warn", "fail", "error"


@dataclass(frozen=True)
class Result:
    check: str  # providers, names, soft-delete, vm sizes, quota, permissions, ...
    subject: str  # what was checked: a provider, a name, a VM family, an action
    status: str  # pass | warn | fail | error
    detail: str
    fix: str = ""


# --- Azure's answers, as the checks see them -------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """A resource provider: its registration state and, per resource type, its regions."""

    registration_state: str
    locations: Mapping[str, list[str]] = field(default_factory=dict)  # type (lowercase) -> regions


@dataclass(frozen=True)
class NameStatus:
    available: bool
    reason: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class DeletedVault:
    name: str
    location: str
    scheduled_purge_date: str | None = None
    purge_protection: bool = False


@dataclass(frozen=True)
class Usage:
    """One row of Azure ML's usages: ``type`` like ``.../vmFamily/usages``, ``name`` its name.value."""

    type: str
    name: str
    current: int
    limit: int


@dataclass(frozen=True)
class VmSize:
    name: str
    family: str
    vcpus: int
    low_priority_capable: bool = True


@dataclass(frozen=True)
class KubernetesVersion:
    """A Kubernetes major.minor that AKS offers in a region, with its patches (``x.y.z``)."""

    version: str
    is_default: bool = False
    is_preview: bool = False
    patch_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class VmSku:
    """A VM size's capabilities in a region, as Resource SKUs list them (strings, as Azure sends
    them: ``EphemeralOSDiskSupported: "True"``, ``CachedDiskBytes``, ``MaxResourceVolumeMB``,
    ``EncryptionAtHostSupported``)."""

    name: str
    capabilities: Mapping[str, str] = field(default_factory=dict)

    def flag(self, name: str) -> bool:
        return self.capabilities.get(name, "").lower() == "true"

    def number(self, name: str) -> int:
        value = self.capabilities.get(name, "")
        return int(value) if value.isdigit() else 0


@dataclass(frozen=True)
class Permission:
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()


class Azure(Protocol):
    """The read-only questions the checks ask (each may raise: reported as an error)."""

    subscription_id: str

    def provider(self, namespace: str) -> Provider: ...
    def resource_group_exists(self, name: str) -> bool: ...
    def resources_in_group(self, name: str) -> list[tuple[str, str]]: ...  # (type, name)
    def name_available(self, kind: str, name: str) -> NameStatus: ...
    def deleted_vaults(self) -> list[DeletedVault]: ...
    def usages(self, location: str) -> list[Usage]: ...
    def vm_sizes(self, location: str) -> list[VmSize]: ...
    def kubernetes_versions(self, location: str) -> list[KubernetesVersion]: ...
    def vm_skus(self, location: str) -> list[VmSku]: ...  # the region's virtualMachines SKUs
    def feature_state(self, namespace: str, feature: str) -> str: ...  # Registered, NotRegistered, ...
    def permissions(self, scope: str) -> list[Permission]: ...


def _error(check: str, subject: str, exc: BaseException) -> Result:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return Result(check, subject, ERROR, f"Azure did not answer: {type(exc).__name__}: {message[:300]}",
                  "check the sign-in and the subscription (az account show), then run the preflight again")


def _ask(check: str, subject: str, call: Callable[[], Any]) -> tuple[Any, Result | None]:
    """Azure's answer, or the error line that replaces it (an API error is never a pass)."""
    try:
        return call(), None
    except Exception as exc:  # noqa: BLE001 - any failure to answer is reported, none is hidden
        return None, _error(check, subject, exc)


def _region_key(text: str) -> str:
    """``West Europe`` and ``westeurope`` alike."""
    return text.replace(" ", "").lower()


# --- resource group ---------------------------------------------------------------------------


@dataclass
class Context:
    """What several checks share: the subscription, and the stack's group as Azure has it."""

    needs: Mapping[str, Any]
    azure: Azure
    group_exists: bool | None = None  # None: unknown (Azure did not answer)
    own_resources: set[tuple[str, str]] | None = None  # (type, name), lowercase

    @property
    def group(self) -> str:
        return self.needs["resourceGroup"]["name"]

    @property
    def location(self) -> str:
        return self.needs["location"]

    def scope(self, scope: str) -> str:
        return scope.replace(SUBSCRIPTION_PLACEHOLDER, self.azure.subscription_id)

    @property
    def subscription_scope(self) -> str:
        return f"/subscriptions/{self.azure.subscription_id}"

    @property
    def group_scope(self) -> str:
        return f"{self.subscription_scope}/resourceGroups/{self.group}"


def check_resource_group(ctx: Context) -> Iterator[Result]:
    exists, error = _ask("resource group", ctx.group, lambda: ctx.azure.resource_group_exists(ctx.group))
    if error:
        yield error
        return
    ctx.group_exists = bool(exists)
    create = ctx.needs["resourceGroup"]["create"]
    if exists:
        resources, error = _ask("resource group", ctx.group, lambda: ctx.azure.resources_in_group(ctx.group))
        if error:
            yield error
            return
        ctx.own_resources = {(t.lower(), n.lower()) for t, n in resources}
        what = "exists (a redeploy: names in it are the stack's own)" if create else "exists (resourceGroup.existing)"
        yield Result("resource group", ctx.group, PASS, what)
    elif create:
        ctx.own_resources = set()
        yield Result("resource group", ctx.group, PASS, "does not exist yet: the stack creates it")
    else:
        ctx.own_resources = set()
        yield Result(
            "resource group", ctx.group, FAIL,
            f"resourceGroup.existing is true, but there is no group {ctx.group} in subscription "
            f"{ctx.azure.subscription_id}",
            f"create it (az group create --name {ctx.group} --location {ctx.location}), or set "
            "resourceGroup.existing: false to have the stack create it",
        )


# --- resource providers -----------------------------------------------------------------------


def check_providers(ctx: Context) -> Iterator[Result]:
    """Each provider the stack needs is registered, and offers each created type in the region."""
    created = ctx.needs.get("createdTypes", [])
    for namespace in ctx.needs["providers"]:
        provider, error = _ask("providers", namespace, lambda ns=namespace: ctx.azure.provider(ns))
        if error:
            yield error
            continue
        state = provider.registration_state or "unknown"
        register = f"az provider register --namespace {namespace} --subscription {ctx.azure.subscription_id}"
        if state == "Registered":
            yield Result("providers", namespace, PASS, "Registered")
        elif state == "Registering":
            yield Result("providers", namespace, WARN, "Registering (not done yet)",
                         f"wait until `az provider show --namespace {namespace} --query registrationState` "
                         "says Registered")
        else:
            yield Result("providers", namespace, FAIL, f"{state}: resources of {namespace} cannot be created",
                         f"{register} (needs */register/action, e.g. Contributor on the subscription)")
            continue
        yield from _regions(ctx, namespace, provider, [t for t in created if t.split("/")[0] == namespace])


def _regions(ctx: Context, namespace: str, provider: Provider, types: list[str]) -> Iterator[Result]:
    """A created resource type that its provider does not offer in the stack's region."""
    for arm_type in types:
        child = "/".join(arm_type.split("/")[1:]).lower()
        regions = provider.locations.get(child)
        if not regions:  # global, or not listed: nothing to tell
            continue
        if _region_key(ctx.location) not in {_region_key(r) for r in regions}:
            yield Result("regions", arm_type, FAIL, f"not offered in {ctx.location}",
                         f"choose a region that offers it (azure-native:location); offered in: "
                         f"{', '.join(sorted(regions)[:8])}{'...' if len(regions) > 8 else ''}")


# --- global names -----------------------------------------------------------------------------

NAME_WHAT = {"storageAccount": "storage account", "keyVault": "key vault", "containerRegistry": "container registry"}


def _rename_fix(entry: Mapping[str, Any]) -> str:
    key = entry.get("key")
    where = f"set azureml-infra:{key}" if key else "set the resource's name key"
    return f"choose another name: {where}, or azureml-infra:nameSuffix (it changes every generated global name)"


def check_names(ctx: Context, deleted: list[DeletedVault] | None) -> Iterator[Result]:
    """Each global name is free, or already the stack's own (a redeploy is not a conflict)."""
    for entry in ctx.needs["globalNames"]:
        kind, name, arm_type = entry["kind"], entry["name"], entry["type"]
        subject = f"{NAME_WHAT.get(kind, kind)} {name}"
        if ctx.own_resources is not None and (arm_type.lower(), name.lower()) in ctx.own_resources:
            yield Result("names", subject, PASS, f"already this stack's own (in {ctx.group})")
            continue
        status, error = _ask("names", subject, lambda k=kind, n=name: ctx.azure.name_available(k, n))
        if error:
            yield error
            continue
        if status.available:
            yield Result("names", subject, PASS, "available")
            continue
        vault = _deleted_vault(deleted, name) if kind == "keyVault" else None
        if vault is not None:
            continue  # reported by the soft-delete check, with its own fix
        reason = " ".join(filter(None, [status.reason, status.message])) or "not available"
        if ctx.own_resources is None:
            yield Result("names", subject, ERROR, f"taken ({reason}), and whether it is this stack's "
                         f"could not be told ({ctx.group} could not be read)", _rename_fix(entry))
        else:
            yield Result("names", subject, FAIL, f"taken by a resource outside {ctx.group}: {reason}",
                         _rename_fix(entry))


def _deleted_vault(deleted: list[DeletedVault] | None, name: str) -> DeletedVault | None:
    return next((v for v in deleted or [] if v.name.lower() == name.lower()), None)


def check_soft_deleted_vaults(ctx: Context) -> tuple[list[DeletedVault] | None, list[Result]]:
    """A soft-deleted key vault keeps its name until purged (Key Vault soft-delete overview)."""
    vault_names = [e["name"] for e in ctx.needs["globalNames"] if e["kind"] == "keyVault"]
    if not vault_names:
        return [], []
    deleted, error = _ask("soft-deleted vaults", ", ".join(vault_names), ctx.azure.deleted_vaults)
    if error:
        return None, [error]
    results = []
    for name in vault_names:
        vault = _deleted_vault(deleted, name)
        if vault is None:
            results.append(Result("soft-deleted vaults", name, PASS, "no soft-deleted vault holds the name"))
            continue
        recover = f"az keyvault recover --name {vault.name}"
        if vault.purge_protection:
            until = f" until {vault.scheduled_purge_date}" if vault.scheduled_purge_date else ""
            fix = (f"purge protection keeps it{until}: recover it ({recover}) and import it into the "
                   f"stack, or choose another name (azureml-infra:workspace.keyVault.name)")
        else:
            fix = (f"purge it: az keyvault purge --name {vault.name} --location {vault.location} "
                   f"(or recover it: {recover}, and import it into the stack)")
        results.append(Result("soft-deleted vaults", name, FAIL,
                              f"a soft-deleted vault in {vault.location} holds the name", fix))
    return deleted, results


# --- Azure ML: VM sizes and quota ---------------------------------------------------------------

_USAGE_FAMILY = re.compile(r"^Standard (?P<family>.+?) Family Cluster (?P<priority>Dedicated|LowPriority) vCPUs$",
                           re.IGNORECASE)


def family_key(text: str) -> str:
    """One spelling for a VM family: ``standardDSv2Family`` (a VM size's family) and ``Standard
    DSv2 Family Cluster Dedicated vCPUs`` (a usage row's name) both give ``dsv2``.

    The two spellings come from different APIs and their correspondence is not documented: it is
    inferred from the REST API's examples (Azure/azure-rest-api-specs, specification/
    machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2024-04-01/
    examples/VirtualMachineSize/list.json and Usage/list.json); a family without a usage row is
    reported as a warning, never as a pass.
    """
    match = _USAGE_FAMILY.match(text.strip())
    core = match.group("family") if match else text
    core = core.replace(" ", "").replace("_", "").lower()
    core = core.removeprefix("standard").removesuffix("family")
    return core


def _usage_rows(usages: list[Usage]) -> tuple[dict[tuple[str, str], Usage], dict[str, Usage]]:
    """Per-family rows by (family key, priority), and the regional totals by priority."""
    families: dict[tuple[str, str], Usage] = {}
    totals: dict[str, Usage] = {}
    for row in usages:
        kind = row.type.lower()
        if kind.endswith("/vmfamily/usages"):
            match = _USAGE_FAMILY.match(row.name)
            if match:
                families[(family_key(row.name), match.group("priority").lower())] = row
        elif kind.endswith("/dedicatedcores/usages"):
            totals["dedicated"] = row
        elif kind.endswith("/lowprioritycores/usages"):
            totals["lowpriority"] = row
    return families, totals


def check_compute(ctx: Context) -> Iterator[Result]:
    """Each VM size is offered to Azure ML in the region, and the quota holds what clusters scale to."""
    computes = ctx.needs.get("computes", [])
    if not computes:
        return
    sizes, error = _ask("vm sizes", ctx.location, lambda: ctx.azure.vm_sizes(ctx.location))
    if error:
        yield error
        return
    by_name = {s.name.lower(): s for s in sizes}
    demand: dict[tuple[str, str], list[tuple[dict, VmSize]]] = {}
    for compute in computes:
        size = by_name.get(str(compute["vmSize"]).lower())
        subject = f"{compute['name']} ({compute['vmSize']})"
        if size is None:
            yield Result("vm sizes", subject, FAIL, f"{compute['vmSize']} is not offered to Azure ML in {ctx.location}",
                         f"choose a vmSize Azure ML offers there, e.g. {_similar(sizes, compute['vmSize'])}")
            continue
        low = compute["priority"] == "LowPriority"
        if low and not size.low_priority_capable:
            yield Result("vm sizes", subject, FAIL, f"{size.name} cannot run as LowPriority",
                         "set priority: Dedicated, or choose a low-priority capable vmSize")
            continue
        yield Result("vm sizes", subject, PASS, f"offered in {ctx.location} ({size.vcpus} vCPUs, family {size.family})")
        demand.setdefault((size.family, "lowpriority" if low else "dedicated"), []).append((compute, size))
    if not demand:
        return
    usages, error = _ask("quota", ctx.location, lambda: ctx.azure.usages(ctx.location))
    if error:
        yield error
        return
    yield from _quota(ctx, demand, usages)


def _similar(sizes: list[VmSize], wanted: str, count: int = 4) -> str:
    """A few offered sizes, those sharing the longest start with the wanted one first."""
    def shared(size: VmSize) -> int:
        a, b = size.name.lower(), wanted.lower()
        return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))

    ranked = sorted(sizes, key=lambda s: (-shared(s), s.name))
    return ", ".join(s.name for s in ranked[:count]) or "(none listed)"


def _quota_line(subject: str, need: int, row: Usage, parts: str, what: str) -> Result:
    headroom = row.limit - row.current
    detail = f"needs {need} vCPUs at most ({parts}); {what}: {row.current} of {row.limit} in use, {headroom} free"
    if need <= headroom:
        return Result("quota", subject, PASS, detail)
    return Result("quota", subject, FAIL, detail,
                  f"request at least {need - headroom} more: Azure portal > Quotas > Machine learning "
                  f"({what}), or lower maxNodes")


def _quota(ctx: Context, demand: dict[tuple[str, str], list[tuple[dict, VmSize]]], usages: list[Usage]) -> Iterator[Result]:
    families, totals = _usage_rows(usages)
    label = {"dedicated": "Dedicated", "lowpriority": "LowPriority"}
    regional: dict[str, list[str]] = {}
    regional_need: dict[str, int] = {}
    for (family, priority), items in sorted(demand.items()):
        need = sum(c["maxNodes"] * s.vcpus for c, s in items)
        parts = ", ".join(f"{c['name']}: {c['maxNodes']} x {s.vcpus}" for c, s in items)
        regional_need[priority] = regional_need.get(priority, 0) + need
        regional.setdefault(priority, []).append(parts)
        subject = f"{family} {label[priority]}"
        row = families.get((family_key(family), priority))
        if row is None:
            yield Result("quota", subject, WARN, f"needs {need} vCPUs at most ({parts}); Azure ML lists no "
                         f"{label[priority]} quota for this family in {ctx.location}",
                         "check the family's quota: Azure portal > Quotas > Machine learning")
            continue
        if row.limit < 0:  # per-family low-priority rows: no limit of their own (the regional one holds)
            continue
        yield _quota_line(subject, need, row, parts, f"{row.name} in {ctx.location}")
    for priority, need in sorted(regional_need.items()):
        row = totals.get(priority)
        subject = f"regional {label[priority]}"
        if row is None:
            yield Result("quota", subject, WARN, f"Azure ML lists no regional {label[priority]} vCPU quota in "
                         f"{ctx.location}", "check it: Azure portal > Quotas > Machine learning")
            continue
        yield _quota_line(subject, need, row, "; ".join(regional[priority]), f"{row.name} in {ctx.location}")


# --- AKS: Kubernetes versions ------------------------------------------------------------------

VERSIONS_CHECK = "kubernetes versions"


def _newest_first(version: str) -> tuple[int, ...]:
    """Sort key: 1.36.10 after 1.36.9 (numbers, not text); a part that is no number sorts last."""
    return tuple(-int(part) if part.isdigit() else 1 for part in version.split("."))


def _offering(versions: list[KubernetesVersion], wanted: str) -> KubernetesVersion | None:
    """The major.minor of ``versions`` that offers ``wanted``: a major.minor when it is some
    version's ``version``, a major.minor.patch when it is a key of some version's
    ``patch_versions`` (the shape of the list: azure-rest-api-specs, specification/
    containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2024-09-01/examples/
    KubernetesVersions_List.json, and azure_api.kubernetes_versions).
    """
    if wanted.count(".") == 1:
        return next((v for v in versions if v.version == wanted), None)
    return next((v for v in versions if wanted in v.patch_versions), None)


def _offered_versions(versions: list[KubernetesVersion]) -> str:
    """``1.37 (preview), 1.36 (AKS's default), 1.35``: newest first."""
    def shown(v: KubernetesVersion) -> str:
        marks = [m for m, on in (("AKS's default", v.is_default), ("preview", v.is_preview)) if on]
        return f"{v.version} ({', '.join(marks)})" if marks else v.version

    newest_first = sorted(versions, key=lambda v: _newest_first(v.version))
    return ", ".join(shown(v) for v in newest_first) or "(none listed)"


def _version_fix(
    cluster: Mapping[str, Any], location: str, versions: list[KubernetesVersion], what: str
) -> str:
    key = cluster.get("key")
    where = f"set azureml-infra:{key}" if key else "set the cluster's kubernetesVersion"
    fix = f"{where} to {what} AKS offers in {location}: {_offered_versions(versions)}"
    wanted = cluster["kubernetesVersion"]
    minor = ".".join(wanted.split(".")[:2])
    same_minor = _offering(versions, minor)
    if wanted != minor and same_minor is not None and same_minor.patch_versions:
        patches = sorted(same_minor.patch_versions, key=_newest_first)
        fix += f"; patches of {minor}: {', '.join(patches)}"
    return fix


def check_kubernetes_versions(ctx: Context) -> Iterator[Result]:
    """The Kubernetes version of each AKS cluster the stack creates is offered in its region.

    AKS creates a cluster only at a version it supports in the region (MicrosoftDocs
    azure-aks-docs, articles/aks/supported-kubernetes-versions.md, which also points to
    ``az aks get-versions --location``, the same list); the supported versions move every few
    months, so a version chosen from the release calendar can be gone, or not there yet, on the
    day of ``pulumi up``. A preview version is offered, so only a warning: the program's default
    (config/kubernetes.py DEFAULT_KUBERNETES_VERSION) is a GA version, and AKS's version support
    policy (same page) covers GA minor versions only.
    """
    clusters = ctx.needs.get("kubernetesClusters", [])
    by_location: dict[str, list[Mapping[str, Any]]] = {}
    for cluster in clusters:
        by_location.setdefault(cluster.get("location") or ctx.location, []).append(cluster)
    for location, here in by_location.items():
        versions, error = _ask(VERSIONS_CHECK, location,
                               lambda loc=location: ctx.azure.kubernetes_versions(loc))
        if error:
            yield error
            continue
        for cluster in here:
            wanted = cluster["kubernetesVersion"]
            subject = f"{cluster['name']} ({wanted})"
            found = _offering(versions, wanted)
            if found is None:
                yield Result(VERSIONS_CHECK, subject, FAIL,
                             f"Kubernetes {wanted} is not offered by AKS in {location}",
                             _version_fix(cluster, location, versions, "a version"))
                continue
            patch = [] if found.version == wanted else [f"a patch of {found.version}"]
            default = ["AKS's default"] if found.is_default else []
            if found.is_preview:
                shown = f" ({', '.join(patch + default)})" if patch or default else ""
                yield Result(VERSIONS_CHECK, subject, WARN, f"offered in {location} only as a preview{shown}: "
                             "AKS's support covers GA versions",
                             _version_fix(cluster, location, versions, "a GA version"))
            else:
                yield Result(VERSIONS_CHECK, subject, PASS,
                             f"offered in {location} ({', '.join([*patch, 'GA', *default])})")


# --- AKS: what the nodes ask of the VM size and the subscription --------------------------------

NODES_CHECK = "aks nodes"
# An ephemeral OS disk must fit the VM's cache or temporary disk (azure-docs articles/
# virtual-machines/ephemeral-os-disks.md, "Size requirements"); the program leaves osDiskSizeGB
# to AKS, which sizes it from the VM (azure-aks-docs articles/aks/cluster-configuration.md,
# "Default OS disk sizing": 128 GB for the smallest sizes). Below 128 GiB of local disk, a warning:
# AKS may not fit the OS disk there.
DEFAULT_OS_DISK_GB = 128
GIB = 1024**3


def _cluster_key(cluster: Mapping[str, Any], setting: str) -> str:
    """``azureml-infra:kubernetesComputes[0].cluster.<setting>``, from the version's key."""
    key = cluster.get("key")
    prefix = key.rsplit(".", 1)[0] if isinstance(key, str) and "." in key else "kubernetesComputes[].cluster"
    return f"azureml-infra:{prefix}.{setting}"


def _ephemeral(cluster: Mapping[str, Any], sku: VmSku | None, location: str) -> Result:
    """An ephemeral OS disk lives on the VM's cache or temporary disk, which the size must have
    and large enough for the OS disk (azure-docs articles/virtual-machines/ephemeral-os-disks.md,
    "Size requirements"; Resource SKUs capabilities EphemeralOSDiskSupported, CachedDiskBytes,
    MaxResourceVolumeMB)."""
    size = cluster.get("vmSize") or "?"
    subject = f"{cluster['name']} ephemeral OS disk ({size})"
    fix = f"set {_cluster_key(cluster, 'osDiskType')}: Managed, or a VM size with a local disk"
    if sku is None:
        return Result(NODES_CHECK, subject, FAIL, f"{size} is not offered in {location}", fix)
    if not sku.flag("EphemeralOSDiskSupported"):
        return Result(NODES_CHECK, subject, FAIL, f"{size} does not support ephemeral OS disks", fix)
    cache_gb = sku.number("CachedDiskBytes") // GIB
    temp_gb = sku.number("MaxResourceVolumeMB") // 1024
    if max(cache_gb, temp_gb) < DEFAULT_OS_DISK_GB:
        return Result(NODES_CHECK, subject, WARN,
                      f"{size}'s cache ({cache_gb} GiB) and temporary disk ({temp_gb} GiB) are smaller than "
                      f"{DEFAULT_OS_DISK_GB} GB: AKS may not fit the OS disk there", fix)
    return Result(NODES_CHECK, subject, PASS,
                  f"{size} supports ephemeral OS disks (cache {cache_gb} GiB, temporary disk {temp_gb} GiB)")


def check_aks_nodes(ctx: Context) -> Iterator[Result]:
    """For each created AKS cluster that asks for an ephemeral OS disk or host encryption: the
    VM size supports it in the region, and, for host encryption, the subscription has the
    Microsoft.Compute/EncryptionAtHost feature registered ("Host-based encryption on AKS",
    azure-aks-docs articles/aks/enable-host-encryption.md, prerequisites). Both are off by default
    (config/kubernetes.py), so a stack that does not ask makes no call."""
    clusters = [c for c in ctx.needs.get("kubernetesClusters", [])
                if c.get("osDiskType") == "Ephemeral" or c.get("encryptionAtHost")]
    skus_by_location: dict[str, dict[str, VmSku] | None] = {}
    feature: tuple[str | None, Result | None] | None = None
    for cluster in clusters:
        location = cluster.get("location") or ctx.location
        if location not in skus_by_location:
            found, error = _ask(NODES_CHECK, location, lambda loc=location: ctx.azure.vm_skus(loc))
            if error:
                yield error
            skus_by_location[location] = None if error else {s.name.lower(): s for s in found}
        skus = skus_by_location[location]
        if skus is None:
            continue
        size = str(cluster.get("vmSize") or "")
        sku = skus.get(size.lower())
        if cluster.get("osDiskType") == "Ephemeral":
            yield _ephemeral(cluster, sku, location)
        if not cluster.get("encryptionAtHost"):
            continue
        subject = f"{cluster['name']} host encryption ({size})"
        fix = f"set {_cluster_key(cluster, 'encryptionAtHost')}: false, or a VM size that supports it"
        if sku is None or not sku.flag("EncryptionAtHostSupported"):
            reason = "is not offered" if sku is None else "does not support host encryption"
            yield Result(NODES_CHECK, subject, FAIL, f"{size} {reason} in {location}", fix)
            continue
        if feature is None:
            feature = _ask(NODES_CHECK, "Microsoft.Compute/EncryptionAtHost",
                           lambda: ctx.azure.feature_state("Microsoft.Compute", "EncryptionAtHost"))
            if feature[1]:
                yield feature[1]
        state, error = feature
        if error:
            continue
        if state == "Registered":
            yield Result(NODES_CHECK, subject, PASS,
                         f"{size} supports host encryption; the subscription's EncryptionAtHost feature is Registered")
        else:
            yield Result(NODES_CHECK, subject, FAIL,
                         f"the subscription's Microsoft.Compute/EncryptionAtHost feature is {state or 'not registered'}",
                         "az feature register --namespace Microsoft.Compute --name EncryptionAtHost, wait for "
                         "Registered (az feature show), then az provider register --namespace Microsoft.Compute; "
                         f"or set {_cluster_key(cluster, 'encryptionAtHost')}: false")


# --- permissions --------------------------------------------------------------------------------


def _pattern(action: str) -> re.Pattern[str]:
    # `*` matches any run of characters (role-definitions.md, "Actions": Microsoft.Compute/*,
    # */read, Microsoft.Network/*/read); operations compare ignoring case (built-in roles mix
    # */Write and */write).
    return re.compile(".*".join(re.escape(p) for p in action.split("*")), re.IGNORECASE)


def allowed(action: str, permissions: Iterable[Permission]) -> bool:
    """Whether some role grants ``action``: one of its Actions matches and none of the *same*
    role's NotActions does. A NotAction is no deny: another role may grant it
    (MicrosoftDocs azure-docs, articles/role-based-access-control/role-definitions.md).
    """
    for permission in permissions:
        if any(_pattern(a).fullmatch(action) for a in permission.actions) and not any(
            _pattern(n).fullmatch(action) for n in permission.not_actions
        ):
            return True
    return False


def _grant_fix(action: str, scope: str) -> str:
    if action.lower().startswith("microsoft.authorization/roleassignments/"):
        role = "Owner, User Access Administrator or Role Based Access Control Administrator"
    elif action.lower().startswith("microsoft.authorization/locks/"):
        role = "Owner or User Access Administrator"
    else:
        role = "Contributor (or a role with this action)"
    return f"grant the deploying identity {role} on {scope}"


def check_permissions(ctx: Context) -> Iterator[Result]:
    """The deploying identity may do what the stack does, role assignments included."""
    if ctx.group_exists is None:
        return  # the group check already reported the error
    scope = ctx.group_scope if ctx.group_exists else ctx.subscription_scope
    where = f"resource group {ctx.group}" if ctx.group_exists else f"subscription (group {ctx.group} does not exist yet)"
    asks = [(scope, where, [(a["action"], a["for"]) for a in ctx.needs["actions"]])]
    for external in ctx.needs.get("externalScopes", []):
        full = ctx.scope(external["scope"])
        asks.append((full, full, [(a, [full]) for a in external["actions"]]))
    for at, where_text, actions in asks:
        permissions, error = _ask("permissions", where_text, lambda s=at: ctx.azure.permissions(s))
        if error:
            yield error
            continue
        for action, reasons in actions:
            shown = ", ".join(reasons[:3]) + (f" and {len(reasons) - 3} more" if len(reasons) > 3 else "")
            if allowed(action, permissions):
                yield Result("permissions", action, PASS, f"allowed on {where_text}")
            else:
                yield Result("permissions", action, FAIL, f"not allowed on {where_text}; needed for {shown}",
                             _grant_fix(action, at))


def check_unknown_types(ctx: Context) -> Iterator[Result]:
    for pulumi_type in ctx.needs.get("unknownTypes", []):
        yield Result("coverage", pulumi_type, WARN, "its ARM type is unknown to the preflight: its provider "
                     "and permission are not checked",
                     "add it to azureml_infra/facts.py ARM_TYPES")


# --- all of them ----------------------------------------------------------------------------------


def run_checks(needs: Mapping[str, Any], azure: Azure) -> list[Result]:
    from tools.preflight import encryption, foundry  # these checks import this module
    """Every check, in the order of the table."""
    ctx = Context(needs, azure)
    results: list[Result] = []
    results += check_resource_group(ctx)
    results += check_providers(ctx)
    deleted, vault_results = check_soft_deleted_vaults(ctx)
    results += check_names(ctx, deleted)
    results += vault_results
    results += check_compute(ctx)
    results += check_kubernetes_versions(ctx)
    results += check_aks_nodes(ctx)
    results += check_permissions(ctx)
    results += check_unknown_types(ctx)
    results += foundry.check_foundry(ctx)
    results += encryption.check_customer_managed_keys(ctx)
    return results


def exit_status(results: Iterable[Result]) -> int:
    """1 when anything failed or could not be checked, else 0 (warnings do not fail)."""
    return 1 if any(r.status in (FAIL, ERROR) for r in results) else 0
