"""``make prices``: the price snapshot of the cost table, from the Azure Retail Prices API.

    python -m tools.prices [--regions westeurope,northeurope] [--currency USD] [--sizes Standard_NC6s_v3]

Asks ``https://prices.azure.com/api/retail/prices`` (public, no sign-in; Microsoft Learn, "Azure Retail
Prices overview", rest/api/cost-management/retail-prices/azure-retail-prices) with an OData ``$filter``
per kind of price and region, follows each response's ``NextPageLink``, keeps the pay-as-you-go
(``type`` Consumption) Linux meters the cost table needs, and writes ``azureml_infra/prices.json``
with today's date, the currency and, for each price, the request it came from. The response is the
documented one: ``{"BillingCurrency", "CustomerEntityId", "CustomerEntityType", "Items": [{"currencyCode",
"retailPrice", "unitPrice", "armRegionName", "location", "effectiveStartDate", "meterId", "meterName",
"productName", "skuName", "serviceName", "unitOfMeasure", "type", "armSkuName", "tierMinimumUnits",
...}], "NextPageLink", "Count"}``.

What it asks for:
- VM sizes: every size the shipped stack files and examples name (clusters, instances, AKS node pools),
  those already in the snapshot, and ``--sizes``; dedicated and low priority (the "... Low Priority"
  meter), never Windows or Spot;
- the container registry SKUs, Azure Firewall's three SKUs, a private endpoint, a private DNS zone
  (its first-25-zones tier) and the AKS Standard tier.

Regions default to those of the shipped stack files. A price the API does not return is left out
and named on stderr: the plan then shows it as unknown. Nothing is written when the API cannot be
reached.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from azureml_infra.pricing import GLOBAL, SNAPSHOT, Price, PriceSnapshot, load_snapshot, vm_sku
from tools.harness import ROOT, stack_config
from tools.plan import stack_name_of

API = "https://prices.azure.com/api/retail/prices"
MAX_PAGES = 100  # a filter that would page further is not one of ours
REGISTRY_SKUS = ("Basic", "Standard", "Premium")
FIREWALL_SKUS = ("Basic", "Standard", "Premium")
AKS_TIERS = ("Standard",)

Fetch = Callable[[str], Mapping[str, Any]]


def http_get(url: str) -> Mapping[str, Any]:
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - a fixed https endpoint
        return json.loads(response.read().decode("utf-8"))


def request_url(filter_: str, currency: str | None = None) -> str:
    query = {"$filter": filter_}
    if currency:
        query["currencyCode"] = f"'{currency}'"
    return f"{API}?{urllib.parse.urlencode(query, quote_via=urllib.parse.quote, safe=chr(39) + '$')}"


def items(fetch: Fetch, url: str) -> tuple[list[dict[str, Any]], str | None]:
    """Every item of a query, page after page, and the response's billing currency."""
    found: list[dict[str, Any]] = []
    currency: str | None = None
    next_url: str | None = url
    for _ in range(MAX_PAGES):
        if not next_url:
            return found, currency
        page = fetch(next_url)
        currency = page.get("BillingCurrency") or currency
        found += [item for item in page.get("Items") or [] if isinstance(item, dict)]
        next_url = page.get("NextPageLink")
    raise RuntimeError(f"more than {MAX_PAGES} pages for {url}")


@dataclass(frozen=True)
class Query:
    """One request and how to read a price from its items."""

    url: str
    pick: Callable[[list[dict[str, Any]]], Iterable[tuple[str, str, dict[str, Any]]]]  # -> (sku, region, item)
    kind: str
    wanted: tuple[str, ...]  # the skus it should find (for what is missing)
    region: str


def _consumption(item: Mapping[str, Any]) -> bool:
    return item.get("type") == "Consumption" and (item.get("tierMinimumUnits") or 0) == 0


def _vm_picker(region: str, sizes: Iterable[str]) -> Callable[[list[dict[str, Any]]], Iterable[tuple[str, str, dict[str, Any]]]]:
    wanted = {s.lower() for s in sizes}

    def pick(found: list[dict[str, Any]]) -> Iterable[tuple[str, str, dict[str, Any]]]:
        for item in found:
            meter, product = str(item.get("meterName", "")), str(item.get("productName", ""))
            size = str(item.get("armSkuName", ""))
            if (not _consumption(item) or item.get("unitOfMeasure") != "1 Hour" or size.lower() not in wanted
                    or "Windows" in product or "Spot" in meter or item.get("armRegionName") != region):
                continue
            yield vm_sku(size, "LowPriority" if "Low Priority" in meter else "Dedicated"), region, item

    return pick


# Where a price that is not a region's lives: the Global meter region, or DNS's first zone group
# (Zone 1: North America and Europe); never the sovereign clouds' own meters.
GLOBAL_PLACES = frozenset({"", "global", "zone 1"})


def _global(item: Mapping[str, Any]) -> bool:
    return str(item.get("armRegionName", "")).lower() in GLOBAL_PLACES or str(
        item.get("location", "")).lower() in GLOBAL_PLACES


def _meter_picker(region: str | None, meters: Mapping[str, str], unit: str) -> Callable[
        [list[dict[str, Any]]], Iterable[tuple[str, str, dict[str, Any]]]]:
    """Items whose meterName is one of ``meters`` (meter name -> sku), in ``region`` (None: a global
    price, kept as such)."""

    def pick(found: list[dict[str, Any]]) -> Iterable[tuple[str, str, dict[str, Any]]]:
        for item in found:
            sku = meters.get(str(item.get("meterName", "")))
            if sku is None or not _consumption(item) or item.get("unitOfMeasure") != unit:
                continue
            if (item.get("armRegionName") != region) if region is not None else not _global(item):
                continue
            yield sku, region or GLOBAL, item

    return pick


def queries(regions: Iterable[str], sizes: Iterable[str], currency: str | None) -> list[Query]:
    sizes = sorted(set(sizes), key=str.lower)
    found: list[Query] = []
    for region in regions:
        base = f"armRegionName eq '{region}' and priceType eq 'Consumption'"
        if sizes:
            any_size = " or ".join(f"armSkuName eq '{s}'" for s in sizes)
            found.append(Query(request_url(f"serviceName eq 'Virtual Machines' and {base} and ({any_size})", currency),
                               _vm_picker(region, sizes), "vm", tuple(vm_sku(s) for s in sizes), region))
        found.append(Query(
            request_url(f"serviceName eq 'Container Registry' and {base}", currency),
            _meter_picker(region, {f"{s} Registry Unit": s for s in REGISTRY_SKUS}, "1/Day"),
            "containerRegistry", REGISTRY_SKUS, region))
        found.append(Query(
            request_url(f"serviceName eq 'Azure Firewall' and {base}", currency),
            _meter_picker(region, {f"{s} Deployment": s for s in FIREWALL_SKUS}, "1 Hour"),
            "firewall", FIREWALL_SKUS, region))
        found.append(Query(
            request_url(f"serviceName eq 'Azure Kubernetes Service' and {base}", currency),
            _meter_picker(region, {f"{t} Uptime SLA": t for t in AKS_TIERS}, "1 Hour"),
            "aksTier", AKS_TIERS, region))
    # Priced the same everywhere (the Global meter region, and DNS by zone group): asked once.
    found.append(Query(
        request_url("productName eq 'Virtual Network Private Link' and priceType eq 'Consumption'", currency),
        _meter_picker(None, {"Standard Private Endpoint": "Standard"}, "1 Hour"),
        "privateEndpoint", ("Standard",), GLOBAL))
    found.append(Query(
        request_url("serviceName eq 'Azure DNS' and meterName eq 'Private Zone' and priceType eq 'Consumption'",
                    currency),
        _meter_picker(None, {"Private Zone": "Standard"}, "1/Month"),
        "privateDnsZone", ("Standard",), GLOBAL))
    return found


def today() -> date:
    return date.today()


def build_snapshot(
    regions: Iterable[str], sizes: Iterable[str], fetch: Fetch | None = None, currency: str | None = None,
    on: date | None = None,
) -> tuple[PriceSnapshot, list[str]]:
    """The snapshot, and what the API returned no price for (one line each)."""
    fetch = fetch or http_get
    day = (on or today()).isoformat()
    regions = list(dict.fromkeys(regions))
    prices: dict[tuple[str, str, str], Price] = {}
    missing: list[str] = []
    billing: str | None = None
    for query in queries(regions, sizes, currency):
        found, billing_of_query = items(fetch, query.url)
        billing = billing or billing_of_query
        for sku, region, item in query.pick(found):
            key = (query.kind, region, sku.lower())
            price = float(item.get("retailPrice", item.get("unitPrice", 0.0)))
            # Two meters for one thing (a product listed twice): the higher, as a ceiling should.
            if key in prices and prices[key].unit_price >= price:
                continue
            prices[key] = Price(
                query.kind, sku, region, price, str(item["unitOfMeasure"]), query.url, day,
                f"meter {item.get('meterName')} ({item.get('productName')}), effective {item.get('effectiveStartDate')}",
            )
            billing = billing or item.get("currencyCode")
        have = {sku for (kind, region, sku) in prices if kind == query.kind and region == query.region}
        missing += [f"{query.kind} {sku} in {query.region}" for sku in query.wanted if sku.lower() not in have]
    snapshot = PriceSnapshot(
        date=day,
        currency=billing or currency or "USD",
        fetched=True,
        note=f"Fetched from the Azure Retail Prices API ({API}) on {day}: pay-as-you-go (Consumption) prices, "
             "Linux VMs. Made with: make prices REGIONS=" + ",".join(regions),
        regions=tuple(regions),
        prices=tuple(sorted(prices.values(), key=lambda p: (p.kind, p.region, p.sku.lower()))),
    )
    return snapshot, missing


def shipped_sizes_and_regions() -> tuple[set[str], list[str]]:
    """The VM sizes and regions the shipped stack files and examples use."""
    from azureml_infra.config import parse_config

    sizes: set[str] = set()
    regions: list[str] = []
    for path in sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob("Pulumi.*.yaml")):
        raw, secrets = stack_config(path)
        config = parse_config(raw, secrets, stack_name_of(path))
        regions.append(config.location)
        sizes |= {c.vm_size for c in config.computes} | {i.vm_size for i in config.compute_instances}
        sizes |= {k.cluster.vm_size for k in config.kubernetes_computes if k.cluster}
    return sizes, list(dict.fromkeys(regions))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.prices", description=__doc__.split("\n")[0])
    parser.add_argument("--regions", help="comma-separated ARM region names (default: the shipped stacks')")
    parser.add_argument("--currency", help="a currency code, e.g. EUR (default: the API's, USD)")
    parser.add_argument("--sizes", default="", help="more VM sizes, comma-separated, e.g. Standard_NC6s_v3")
    parser.add_argument("--out", type=Path, default=SNAPSHOT, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)

    sizes, regions = shipped_sizes_and_regions()
    try:
        sizes |= {p.sku.split("/")[0] for p in load_snapshot(args.out).prices if p.kind == "vm"}
    except (OSError, ValueError, KeyError):
        pass  # no snapshot yet, or not one: the shipped sizes and --sizes only
    sizes |= {s for s in args.sizes.split(",") if s}
    if args.regions:
        regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    # Sizes as the shipped files write them; the API compares them ignoring case (as do we).
    by_lower = {s.lower(): s for s in sorted(sizes)}
    try:
        snapshot, missing = build_snapshot(regions, by_lower.values(), currency=args.currency)
    except (OSError, ValueError, RuntimeError) as error:
        print(f"error: the Azure Retail Prices API did not answer ({error}); {args.out} is unchanged", file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(snapshot.as_json(), indent=2) + "\n")
    print(f"{args.out}: {len(snapshot.prices)} prices in {snapshot.currency} for {', '.join(regions)}, {snapshot.date}")
    for line in missing:
        print(f"no price: {line} (the plan shows it as unknown)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
