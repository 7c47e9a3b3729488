"""``make prices`` (tools/prices.py) on a recorded response of the Azure Retail Prices API: the
requests it makes, the meters it keeps and leaves out, pages, the snapshot it writes, and what it
does when the API does not answer."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from azureml_infra.pricing import PriceSnapshot, load_snapshot
from tools import prices
from tools.harness import ROOT

RECORDED = json.loads((ROOT / "tests" / "fixtures" / "retail-prices" / "recorded.json").read_text())
SIZES = ["STANDARD_D3_V2", "Standard_D4s_v5", "Standard_NC6s_v3"]
DAY = date(2026, 12, 7)


class Recorded:
    """Answers each request the recorded response has, and counts them; any other request fails."""

    def __init__(self) -> None:
        self.by_url = {r["url"]: r["response"] for r in RECORDED["responses"]}
        self.asked: list[str] = []

    def __call__(self, url: str) -> dict[str, Any]:
        assert url in self.by_url, f"a request the recording does not have: {url}"
        self.asked.append(url)
        return self.by_url[url]


def snapshot() -> tuple[PriceSnapshot, list[str], Recorded]:
    fetch = Recorded()
    made, missing = prices.build_snapshot(["westeurope"], SIZES, fetch, on=DAY)
    return made, missing, fetch


def test_it_asks_one_filter_per_kind_and_region_and_follows_the_next_page():
    _, _, fetch = snapshot()
    assert fetch.asked == [r["url"] for r in RECORDED["responses"]]  # every page, in order, once
    assert fetch.asked[0] == (
        "https://prices.azure.com/api/retail/prices?$filter=serviceName%20eq%20'Virtual%20Machines'%20and%20"
        "armRegionName%20eq%20'westeurope'%20and%20priceType%20eq%20'Consumption'%20and%20%28armSkuName%20eq%20"
        "'STANDARD_D3_V2'%20or%20armSkuName%20eq%20'Standard_D4s_v5'%20or%20armSkuName%20eq%20'Standard_NC6s_v3'%29")
    assert fetch.asked[1] == fetch.asked[0] + "&$skip=1000"  # the first page's NextPageLink


def test_it_keeps_the_linux_pay_as_you_go_meters_and_nothing_else():
    made, _, _ = snapshot()
    assert [(p.kind, p.sku, p.region, p.unit_price, p.unit) for p in made.prices] == [
        ("aksTier", "Standard", "westeurope", 0.1, "1 Hour"),
        ("containerRegistry", "Basic", "westeurope", 0.1667, "1/Day"),
        ("containerRegistry", "Premium", "westeurope", 1.6667, "1/Day"),
        ("containerRegistry", "Standard", "westeurope", 0.6667, "1/Day"),
        ("firewall", "Basic", "westeurope", 0.395, "1 Hour"),
        ("firewall", "Premium", "westeurope", 1.75, "1 Hour"),
        ("firewall", "Standard", "westeurope", 1.25, "1 Hour"),
        # DNS's first tier (not the one above 25 zones); the Global endpoint meter, not a sovereign cloud's.
        ("privateDnsZone", "Standard", "global", 0.5, "1/Month"),
        ("privateEndpoint", "Standard", "global", 0.01, "1 Hour"),
        # Linux, dedicated and low priority apart; no Windows, Spot or reservation; westeurope only.
        ("vm", "Standard_D3_v2/Dedicated", "westeurope", 0.298, "1 Hour"),
        ("vm", "Standard_D3_v2/LowPriority", "westeurope", 0.0596, "1 Hour"),
        ("vm", "Standard_D4s_v5/Dedicated", "westeurope", 0.23, "1 Hour"),
    ]


def test_the_snapshot_is_dated_fetched_and_each_price_names_its_request():
    made, missing, fetch = snapshot()
    assert (made.date, made.currency, made.fetched, made.regions) == ("2026-12-07", "USD", True, ("westeurope",))
    assert made.note.startswith("Fetched from the Azure Retail Prices API (https://prices.azure.com/api/retail/prices)"
                                " on 2026-12-07")
    vm = next(p for p in made.prices if p.sku == "Standard_D3_v2/Dedicated")
    assert (vm.source, vm.source_date) == (fetch.asked[0], "2026-12-07")
    assert vm.note == "meter D3 v2 (Virtual Machines Dv2 Series), effective 2024-05-01T00:00:00Z"
    # What the API had no price for: the plan shows it as unknown.
    assert missing == ["vm Standard_NC6s_v3/Dedicated in westeurope"]


def test_the_written_file_is_what_the_plan_reads(tmp_path, monkeypatch):
    fetch = Recorded()
    monkeypatch.setattr(prices, "http_get", fetch)
    monkeypatch.setattr(prices, "today", lambda: DAY)
    monkeypatch.setattr(prices, "shipped_sizes_and_regions", lambda: (set(SIZES[:2]), ["westeurope"]))
    out = tmp_path / "prices.json"
    assert prices.main(["--out", str(out), "--sizes", "Standard_NC6s_v3"]) == 0
    written = load_snapshot(out)
    assert written == snapshot()[0]
    assert written.find("vm", "westeurope", "standard_d3_v2/dedicated").unit_price == 0.298  # sizes in any case


def test_nothing_is_written_when_the_api_does_not_answer(tmp_path, monkeypatch, capsys):
    def unreachable(url: str) -> dict[str, Any]:
        raise OSError("Network is unreachable")

    monkeypatch.setattr(prices, "http_get", unreachable)
    out = tmp_path / "prices.json"
    out.write_text("{}")
    assert prices.main(["--out", str(out), "--regions", "westeurope"]) == 1
    assert out.read_text() == "{}"
    assert capsys.readouterr().err == (
        f"error: the Azure Retail Prices API did not answer (Network is unreachable); {out} is unchanged\n")


def test_a_query_that_pages_without_end_stops():
    looping = {"Items": [], "NextPageLink": "https://prices.azure.com/api/retail/prices?$skip=1000"}
    with pytest.raises(RuntimeError, match="more than 100 pages"):
        prices.items(lambda url: looping, "https://prices.azure.com/api/retail/prices?$filter=x")


def test_the_shipped_sizes_and_regions_are_what_the_stacks_use():
    sizes, regions = prices.shipped_sizes_and_regions()
    assert {s.lower() for s in sizes} == {"standard_d3_v2", "standard_ds3_v2", "standard_d4s_v5"}
    assert regions == ["westeurope"]
    # Every one of them has a price in the committed snapshot (the shipped plans are complete).
    assert all(load_snapshot().find("vm", "westeurope", f"{s}/Dedicated") for s in sizes)
