"""What a stack can cost a month at most, from the resources it registers and a price snapshot.

``estimate`` reads the resources of a plan (type, logical name and wire-format inputs, as the
offline plan and the policy pack see them) and prices what has a fixed price at its most:

- a compute cluster: maxNodes x the hourly price of its VM size and priority x 730 hours;
- a compute instance: its VM size for 730 hours, or for the hours its Start and Stop schedules keep
  it on (``azureml_infra.schedules``);
- an AKS cluster: each node pool's nodeCount (maxCount when it autoscales) x its VM size x 730
  hours, and the Standard tier's cluster hours;
- a container registry: its SKU's daily price x 730 / 24 days;
- the managed network's Azure Firewall, which Azure deploys with the first FQDN outbound rule
  under approved-only isolation (``firewallSku``, Standard when not given);
- each private endpoint (hours) and each private DNS zone (a month);

and lists what is priced by use (storage, Log Analytics, Application Insights, key vault
operations, an Azure ML registry's storage and images, a Foundry model deployment's tokens) as
usage-based, never as 0; a provisioned model deployment is unknown (no PTU price in the snapshot). A VM size or
SKU the snapshot has no price for is shown as unknown, and the total is then incomplete.

Pure Python, no third-party import: the plan (``tools/plan.py``) and the policy pack's
``cost-within-budget`` rule use the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from azureml_infra import facts
from azureml_infra.pricing import HOURS_PER_MONTH, Price, PriceSnapshot, load_snapshot, vm_sku
from azureml_infra.schedules import CronError, Schedule, monthly_hours

Status = Literal["priced", "unknown", "usage"]

OUTBOUND_RULE = "azure-native:machinelearningservices:ManagedNetworkSettingsRule"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
PRIVATE_ZONE = "azure-native:privatedns:PrivateZone"

# What no line of the table counts, whatever the stack (docs/cost.md says why each is left out).
NOT_COUNTED = (
    "usage-based items (listed above without a price)",
    "OS and data disks of nodes and instances",
    "data transfer out of Azure and between regions, and data processed by private endpoints and the firewall",
    "reservations, savings plans and negotiated prices: these are pay-as-you-go list prices, Linux",
    "what Azure creates by itself: the managed network's private endpoints to the workspace's storage, key vault "
    "and registry, public IPs and load balancers of nodes, instances and AKS",
    "taxes and support plans",
)
INSTANCE_BY_HAND = "hours an instance is started by hand outside its schedules"


@dataclass(frozen=True)
class PlannedResource:
    """What the cost table reads of one resource: its type, logical name and inputs."""

    type: str
    name: str
    inputs: Mapping[str, Any]

    @property
    def azure_name(self) -> str:
        arm = facts.ARM_TYPES.get(self.type)
        value = self.inputs.get(arm.name_input) if arm and arm.name_input else None
        return value if isinstance(value, str) and value != UNKNOWN else self.name


@dataclass(frozen=True)
class CostLine:
    item: str  # what it is: "compute cluster cpu-compute"
    basis: str  # how the amount comes about: "3 × STANDARD_D3_V2 (Dedicated) × 730 h"
    status: Status
    monthly: float | None = None  # priced lines only
    region: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"item": self.item, "basis": self.basis, "status": self.status, "monthly": self.monthly,
                "region": self.region}


@dataclass(frozen=True)
class CostTable:
    lines: tuple[CostLine, ...]
    currency: str
    snapshot_date: str
    fetched: bool
    regions: tuple[str, ...]
    not_counted: tuple[str, ...]
    budget_name: str | None = None
    budget_amount: float | None = None

    @property
    def total(self) -> float:
        return round(sum(line.monthly or 0.0 for line in self.lines if line.status == "priced"), 2)

    @property
    def complete(self) -> bool:
        return all(line.status != "unknown" for line in self.lines)

    @property
    def above_budget(self) -> bool:
        return self.budget_amount is not None and self.total > self.budget_amount

    def as_json(self) -> dict[str, Any]:
        return {
            "title": "Monthly cost at most",
            "currency": self.currency,
            "snapshotDate": self.snapshot_date,
            "fetched": self.fetched,
            "regions": list(self.regions),
            "lines": [line.as_json() for line in self.lines],
            "total": self.total,
            "complete": self.complete,
            "notCounted": list(self.not_counted),
            "budget": None if self.budget_amount is None else {
                "name": self.budget_name, "amount": self.budget_amount, "aboveBudget": self.above_budget},
        }


# --- reading inputs ------------------------------------------------------------------------------

UNKNOWN = "output<string>"  # how the offline plan shows a value only Azure knows


def _get(value: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _known(value: Any) -> bool:
    return value is not None and value != UNKNOWN


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _money(value: float) -> str:
    return f"{value:,.2f}"


@dataclass
class _Context:
    snapshot: PriceSnapshot
    resources: list[PlannedResource]
    # Workspaces (logical name of the workspace resource's Azure name) with an FQDN outbound rule.
    fqdn_workspaces: set[str] = field(default_factory=set)
    instances_on_schedule: bool = False


def _region(resource: PlannedResource) -> str:
    location = resource.inputs.get("location")
    return location if isinstance(location, str) and location != UNKNOWN else ""


def _vm_line(ctx: _Context, item: str, region: str, size: Any, priority: str, count: int, hours: float,
             hours_text: str) -> CostLine:
    if not isinstance(size, str) or size == UNKNOWN:
        return CostLine(item, "VM size not known before deployment", "unknown", region=region)
    basis = f"{count} × {size} ({priority}) × {hours_text}"
    price = ctx.snapshot.find("vm", region, vm_sku(size, priority))
    if price is None:
        return CostLine(item, f"{basis}: no price for {size} {priority} in {region or 'its region'} in the snapshot",
                        "unknown", region=region)
    return CostLine(item, basis, "priced", round(count * hours * price.unit_price, 2), region)


def _sku_line(ctx: _Context, item: str, kind: str, region: str, sku: str, count: int = 1,
              what: str = "") -> CostLine:
    price: Price | None = ctx.snapshot.find(kind, region, sku)
    units = {"1 Hour": f"× {HOURS_PER_MONTH} h", "1/Day": f"× {HOURS_PER_MONTH / 24:.1f} days", "1/Month": "a month"}
    label = what or sku
    if price is None:
        return CostLine(item, f"{label}: no price in {region or 'its region'} in the snapshot", "unknown",
                        region=region)
    basis = f"{count} × {label} {units[price.unit]}" if count != 1 else f"{label} {units[price.unit]}"
    return CostLine(item, basis, "priced", round(count * price.monthly, 2), region)


# --- one function per priced type ----------------------------------------------------------------


def _compute(ctx: _Context, r: PlannedResource) -> list[CostLine]:
    properties = r.inputs.get("properties")
    if not isinstance(properties, Mapping):
        return [CostLine(f"compute {r.azure_name}", "its settings are hidden (a secret as a whole)", "unknown",
                         region=_region(r))]
    kind = _get(properties, "computeType")
    inner = _get(properties, "properties") or {}
    region = _region(r)
    if kind == "AmlCompute":
        nodes = _number(_get(inner, "scaleSettings.maxNodeCount")) or 1
        priority = inner.get("vmPriority") if _known(inner.get("vmPriority")) else "Dedicated"
        return [_vm_line(ctx, f"compute cluster {r.azure_name}", region, inner.get("vmSize"), str(priority), nodes,
                         HOURS_PER_MONTH, f"{HOURS_PER_MONTH} h")]
    if kind == "ComputeInstance":
        schedules = [
            Schedule(str(s.get("action")), str(_get(s, "cron.expression")), str(_get(s, "cron.timeZone") or "UTC"))
            for s in _get(inner, "schedules.computeStartStop") or []
            if isinstance(s, Mapping) and s.get("status", "Enabled") == "Enabled" and s.get("triggerType") == "Cron"
        ]
        try:
            hours = monthly_hours(schedules)
        except CronError:
            hours = None
        if hours is None:
            hours_text = f"{HOURS_PER_MONTH} h"
            hours = HOURS_PER_MONTH
        else:
            ctx.instances_on_schedule = True
            hours = round(hours, 1)
            hours_text = f"{hours:g} h (its schedules)"
        return [_vm_line(ctx, f"compute instance {r.azure_name}", region, inner.get("vmSize"), "Dedicated", 1,
                         hours, hours_text)]
    return []  # Kubernetes: the AKS cluster is what costs


def _aks(ctx: _Context, r: PlannedResource) -> list[CostLine]:
    region = _region(r)
    lines = []
    for pool in r.inputs.get("agentPoolProfiles") or []:
        if not isinstance(pool, Mapping):
            continue
        autoscale = pool.get("enableAutoScaling") is True
        nodes = _number(pool.get("maxCount") if autoscale else pool.get("count")) or 1
        lines.append(_vm_line(ctx, f"AKS {r.azure_name} pool {pool.get('name', '')}".rstrip(), region,
                              pool.get("vmSize"), "Dedicated", nodes, HOURS_PER_MONTH, f"{HOURS_PER_MONTH} h"))
    tier = _get(r.inputs, "sku.tier")
    if _known(tier) and tier != "Free":
        lines.append(_sku_line(ctx, f"AKS {r.azure_name} {tier} tier", "aksTier", region, str(tier),
                               what=f"{tier} tier"))
    return lines


def _registry(ctx: _Context, r: PlannedResource) -> list[CostLine]:
    sku = _get(r.inputs, "sku.name")
    if not _known(sku):
        return [CostLine(f"container registry {r.azure_name}", "SKU not known before deployment", "unknown")]
    return [_sku_line(ctx, f"container registry {r.azure_name}", "containerRegistry", _region(r), str(sku))]


def _workspace(ctx: _Context, r: PlannedResource) -> list[CostLine]:
    network = r.inputs.get("managedNetwork")
    if _get(network, "isolationMode") != "AllowOnlyApprovedOutbound":
        return []
    # Rules are resources of their own here; a workspace may also carry them inline (name -> rule).
    inline = _get(network, "outboundRules")
    inline_rules = inline.values() if isinstance(inline, Mapping) else ()
    fqdn = r.azure_name in ctx.fqdn_workspaces or any(
        isinstance(rule, Mapping) and rule.get("type") == "FQDN" for rule in inline_rules)
    if not fqdn:
        return []
    sku = _get(network, "firewallSku") if _known(_get(network, "firewallSku")) else "Standard"
    return [_sku_line(ctx, f"managed network firewall of {r.azure_name}", "firewall", _region(r), str(sku),
                      what=f"Azure Firewall {sku}")]


def _private_endpoint(ctx: _Context, r: PlannedResource) -> list[CostLine]:
    return [_sku_line(ctx, f"private endpoint {r.azure_name}", "privateEndpoint", _region(r), "Standard",
                      what="endpoint")]


def _private_zone(ctx: _Context, r: PlannedResource) -> list[CostLine]:
    return [_sku_line(ctx, f"private DNS zone {r.azure_name}", "privateDnsZone", "global", "Standard",
                      what="zone")]


def _model_deployment(ctx: _Context, r: PlannedResource) -> list[CostLine]:
    """A Foundry model deployment: a provisioned SKU is bought by the hour per deployed PTU (its
    capacity), with no price in the snapshot yet, so unknown; every other SKU is paid per token
    ("Provisioned Throughput ... purchased on-demand at an hourly basis based on the number of
    deployed PTUs", azure-ai-docs openai/how-to/provisioned-throughput-onboarding.md)."""
    sku, capacity = _get(r.inputs, "sku.name"), _get(r.inputs, "sku.capacity")
    item = f"model deployment {r.azure_name}"
    if isinstance(sku, str) and "Provisioned" in sku:
        return [CostLine(item, f"{capacity} PTU of {sku} by the hour: no price in the snapshot", "unknown")]
    return [CostLine(item, f"tokens ({sku})", "usage")]


def _usage(what: str, by: str) -> Callable[[_Context, PlannedResource], list[CostLine]]:
    def line(ctx: _Context, r: PlannedResource) -> list[CostLine]:
        return [CostLine(f"{what} {r.azure_name}", by, "usage", region=_region(r) or None)]

    return line


PRICED: dict[str, Callable[[_Context, PlannedResource], list[CostLine]]] = {
    facts.ML_COMPUTE: _compute,
    facts.AKS_CLUSTER: _aks,
    facts.CONTAINER_REGISTRY: _registry,
    facts.ML_WORKSPACE: _workspace,
    PRIVATE_ENDPOINT: _private_endpoint,
    PRIVATE_ZONE: _private_zone,
    facts.STORAGE_ACCOUNT: _usage("storage account", "capacity, operations"),
    facts.LOG_ANALYTICS: _usage("Log Analytics", "data ingested and retained"),
    facts.APPLICATION_INSIGHTS: _usage("Application Insights", "data ingested, billed through Log Analytics"),
    facts.KEY_VAULT: _usage("key vault", "operations"),
    facts.ML_REGISTRY: _usage("Azure ML registry", "its storage and images in each region"),
    facts.FOUNDRY_DEPLOYMENT: _model_deployment,
}


def estimate(resources: Iterable[PlannedResource], snapshot: PriceSnapshot | None = None) -> CostTable:
    """The cost table of a plan's resources (custom resources only; components cost nothing)."""
    snapshot = snapshot or load_snapshot()
    listed = list(resources)
    ctx = _Context(snapshot, listed)
    for r in listed:
        if r.type == OUTBOUND_RULE and _get(r.inputs, "properties.type") == "FQDN":
            workspace = r.inputs.get("workspaceName")
            if isinstance(workspace, str):
                ctx.fqdn_workspaces.add(workspace)
    lines = [line for r in listed if r.type in PRICED for line in PRICED[r.type](ctx, r)]
    # Priced first (largest first), then unknown, then usage-based: the ceiling's make-up at a glance.
    order = {"priced": 0, "unknown": 1, "usage": 2}
    lines.sort(key=lambda line: (order[line.status], -(line.monthly or 0.0), line.item))
    budget = next((r for r in listed if r.type == facts.BUDGET), None)
    amount = _get(budget.inputs, "amount") if budget else None
    return CostTable(
        lines=tuple(lines),
        currency=snapshot.currency,
        snapshot_date=snapshot.date,
        fetched=snapshot.fetched,
        regions=tuple(sorted({line.region for line in lines if line.region and line.status == "priced"})),
        not_counted=NOT_COUNTED + ((INSTANCE_BY_HAND,) if ctx.instances_on_schedule else ()),
        budget_name=budget.azure_name if budget else None,
        budget_amount=float(amount) if isinstance(amount, int | float) else None,
    )


def render_text(table: CostTable) -> list[str]:
    """The table as the plan prints it, ending with the budget and what is not counted."""
    source = "from the Azure Retail Prices API" if table.fetched else "assembled by hand, not fetched live"
    head = (f"Monthly cost at most: {_money(table.total)} {table.currency}"
            + ("" if table.complete else " + unknown (incomplete: some prices are missing)"))
    where = f" for {', '.join(r for r in table.regions if r != 'global')}" if set(table.regions) - {"global"} else ""
    lines = [head, f"(price snapshot of {table.snapshot_date}{where}, {source}; Linux pay-as-you-go; docs/cost.md)"]
    item_width = max((len(line.item) for line in table.lines), default=4) + 2
    basis_width = max((len(line.basis) for line in table.lines), default=4) + 2
    amount_width = max([len(_money(table.total)), *(len(_money(line.monthly or 0)) for line in table.lines)])
    for line in table.lines:
        amount = {"priced": _money(line.monthly or 0.0), "unknown": "unknown", "usage": "usage-based"}[line.status]
        lines.append(f"    {line.item:<{item_width}}{line.basis:<{basis_width}}{amount:>{amount_width}}")
    total = _money(table.total) + ("" if table.complete else " + unknown")
    lines.append(f"    {'total':<{item_width}}{'':<{basis_width}}{total:>{amount_width}}")
    if table.budget_amount is not None:
        if table.above_budget:
            lines.append(
                f"Warning: the ceiling, {_money(table.total)} {table.currency}, is above the budget "
                f"{table.budget_name} of {_money(table.budget_amount)} a month: lower maxNodes, VM sizes or "
                "instance hours, or raise azureml-infra:budget.amount"
            )
        else:
            lines.append(f"Budget {table.budget_name}: {_money(table.budget_amount)} a month; the ceiling is within it"
                         + ("" if table.complete else " as far as it is known"))
    lines.append("Not counted:")
    lines += [f"    - {what}" for what in table.not_counted]
    return lines
