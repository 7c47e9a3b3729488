"""The preflight's Foundry checks (pure): the needs of ``foundry_needs`` against Cognitive
Services' answers, through the four read-only questions of ``FoundryAzure`` (``foundry_api``
answers them in real runs, fakes in tests/test_preflight_foundry.py).

- names: each account's custom subdomain is free (checkDomainAvailability), unless the account
  is already the stack's own; and no soft-deleted account holds the name (deletedAccounts): a
  deleted account keeps it for 48 hours, until purged ("Recover or purge deleted Foundry Tools
  resources", azure-ai-docs articles/ai-services/recover-purge-resources.md);
- models: each deployment's model, version and SKU are offered in the region (Models - List, per
  location), and its capacity is within the SKU's maximum;
- quota: the deployments of one model and SKU fit in the subscription's quota for it in the
  region (Usages - List, per location: the row named by the SKU's ``usageName``), the capacity
  counted in the quota's own units (azure-ai-docs articles/ai-foundry/openai/how-to/quota.md:
  a deployment's capacity is taken from the quota of its model, deployment type and region).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from tools.preflight.checks import ERROR, FAIL, PASS, WARN, Context, Result, _ask

ACCOUNT_TYPE = "microsoft.cognitiveservices/accounts"


@dataclass(frozen=True)
class ModelSku:
    """A SKU a model may be deployed with: its name, the usage (quota) row it draws on, its largest capacity."""

    name: str
    usage_name: str = ""
    max_capacity: int | None = None


@dataclass(frozen=True)
class FoundryModel:
    """One model version offered in a region (Models - List: kind, and model.format/name/version/skus)."""

    kind: str
    format: str
    name: str
    version: str
    skus: tuple[ModelSku, ...] = ()
    lifecycle: str | None = None


@dataclass(frozen=True)
class CognitiveUsage:
    """One quota row (Usages - List: name.value, currentValue, limit)."""

    name: str
    current: float
    limit: float


@dataclass(frozen=True)
class DomainStatus:
    available: bool
    reason: str | None = None


@dataclass(frozen=True)
class DeletedAccount:
    name: str
    location: str
    resource_group: str
    scheduled_purge_date: str | None = None


class FoundryAzure(Protocol):
    def foundry_models(self, location: str) -> list[FoundryModel]: ...
    def foundry_usages(self, location: str) -> list[CognitiveUsage]: ...
    def subdomain_available(self, subdomain: str) -> DomainStatus: ...
    def deleted_accounts(self) -> list[DeletedAccount]: ...


def check_foundry(ctx: Context) -> Iterator[Result]:
    yield from check_accounts(ctx)
    yield from check_deployments(ctx)


# --- the account's name ----------------------------------------------------------------------------


def _rename(entry: Mapping[str, Any]) -> str:
    return (f"choose another name: set azureml-infra:{entry['key']}, or azureml-infra:nameSuffix (it changes every "
            "generated global name)")


def check_accounts(ctx: Context) -> Iterator[Result]:
    accounts = ctx.needs.get("foundryAccounts", [])
    if not accounts:
        return
    azure: Any = ctx.azure
    deleted, error = _ask("soft-deleted accounts", ", ".join(a["name"] for a in accounts), azure.deleted_accounts)
    if error:
        yield error
    for entry in accounts:
        name = entry["name"]
        subject = f"Foundry account {name}"
        if ctx.own_resources is not None and (ACCOUNT_TYPE, name.lower()) in ctx.own_resources:
            yield Result("names", subject, PASS, f"already this stack's own (in {ctx.group})")
            continue
        held = next((d for d in deleted or [] if d.name.lower() == name.lower()), None)
        if held is not None:
            where = f"--name {held.name} --resource-group {held.resource_group} --location {held.location}"
            until = f" until {held.scheduled_purge_date}" if held.scheduled_purge_date else ""
            yield Result("soft-deleted accounts", name, FAIL,
                         f"a soft-deleted account in {held.location} (group {held.resource_group}) holds the name{until}",
                         f"purge it: az cognitiveservices account purge {where} (or recover it: az cognitiveservices "
                         f"account recover {where}, and import it into the stack), or {_rename(entry)}")
            continue
        if deleted is not None:
            yield Result("soft-deleted accounts", name, PASS, "no soft-deleted account holds the name")
        status, error = _ask("names", subject, lambda n=name: azure.subdomain_available(n))
        if error:
            yield error
        elif status.available:
            yield Result("names", subject, PASS, "its custom subdomain is available")
        elif ctx.own_resources is None:
            yield Result("names", subject, ERROR, f"its custom subdomain is taken ({status.reason or 'not available'}), "
                         f"and whether by this stack could not be told ({ctx.group} could not be read)", _rename(entry))
        else:
            yield Result("names", subject, FAIL, f"its custom subdomain is taken: {status.reason or 'not available'}",
                         _rename(entry))


# --- models and quota ------------------------------------------------------------------------------


def _versions(models: list[FoundryModel], entry: Mapping[str, Any]) -> list[FoundryModel]:
    return [m for m in models if m.name.lower() == str(entry["model"]).lower()
            and m.format.lower() == str(entry["format"]).lower()]


def check_deployments(ctx: Context) -> Iterator[Result]:
    deployments = ctx.needs.get("foundryDeployments", [])
    if not deployments:
        return
    azure: Any = ctx.azure
    models, error = _ask("models", ctx.location, lambda: azure.foundry_models(ctx.location))
    if error:
        yield error
        return
    demand: dict[str, list[tuple[Mapping[str, Any], int]]] = {}
    for entry in deployments:
        subject = f"{entry['name']} ({entry['model']} {entry['version']}, {entry['sku']})"
        where = f"azureml-infra:{entry['key']}"
        offered = _versions(models, entry)
        if not offered:
            yield Result("models", subject, FAIL, f"{entry['format']} model {entry['model']} is not offered in {ctx.location}",
                         f"choose a model the region offers (az cognitiveservices model list --location {ctx.location}), "
                         f"in {where}.model, or another region")
            continue
        model = next((m for m in offered if m.version == entry["version"]), None)
        if model is None:
            versions = ", ".join(sorted({m.version for m in offered}, reverse=True))
            yield Result("models", subject, FAIL, f"version {entry['version']} of {entry['model']} is not offered in "
                         f"{ctx.location}", f"set {where}.model.version to one it offers: {versions}")
            continue
        sku = next((s for s in model.skus if s.name == entry["sku"]), None)
        if sku is None:
            skus = ", ".join(s.name for s in model.skus) or "(none listed)"
            yield Result("models", subject, FAIL, f"{entry['model']} {entry['version']} is not offered as {entry['sku']} "
                         f"in {ctx.location}", f"set {where}.sku.name to one it offers there: {skus}")
            continue
        if sku.max_capacity is not None and entry["capacity"] > sku.max_capacity:
            yield Result("models", subject, FAIL, f"capacity {entry['capacity']} is above the {sku.max_capacity} one "
                         f"{entry['sku']} deployment of it may have", f"lower {where}.sku.capacity")
            continue
        lifecycle = f", {model.lifecycle}" if model.lifecycle else ""
        yield Result("models", subject, PASS, f"offered in {ctx.location}{lifecycle}")
        demand.setdefault(sku.usage_name, []).append((entry, entry["capacity"]))
    if demand:
        yield from _quota(ctx, demand)


def _quota(ctx: Context, demand: dict[str, list[tuple[Mapping[str, Any], int]]]) -> Iterator[Result]:
    azure: Any = ctx.azure
    usages, error = _ask("quota", ctx.location, lambda: azure.foundry_usages(ctx.location))
    if error:
        yield error
        return
    rows = {u.name.lower(): u for u in usages}
    # On a redeploy the account's deployments already draw on the quota: a shortfall is then no
    # sure failure.
    redeploy = bool(ctx.own_resources) and any(
        (ACCOUNT_TYPE, a["name"].lower()) in (ctx.own_resources or set()) for a in ctx.needs.get("foundryAccounts", []))
    for usage_name, items in sorted(demand.items()):
        need = sum(capacity for _, capacity in items)
        parts = ", ".join(f"{e['name']}: {c}" for e, c in items)
        subject = usage_name or "(no usage name)"
        row = rows.get(usage_name.lower()) if usage_name else None
        if row is None:
            yield Result("quota", subject, WARN, f"needs {need} ({parts}); Cognitive Services lists no quota row for it "
                         f"in {ctx.location}", "check it: Foundry portal > Quota, or az cognitiveservices usage list "
                         f"--location {ctx.location}")
            continue
        free = row.limit - row.current
        detail = f"needs {need} ({parts}); {row.current:g} of {row.limit:g} in use in {ctx.location}, {free:g} free"
        if need <= free:
            yield Result("quota", subject, PASS, detail)
        elif redeploy:
            yield Result("quota", subject, WARN, detail + " (the account exists: its deployments are counted in use)",
                         "if a deployment grows, request more quota or lower its capacity")
        else:
            yield Result("quota", subject, FAIL, detail, f"request at least {need - free:g} more (Foundry portal > "
                         "Quota), or lower the deployments' capacity")
