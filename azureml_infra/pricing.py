"""The price snapshot the cost ceiling reads: dated retail prices, in one currency, per region.

``azureml_infra/prices.json`` is written by ``make prices REGIONS=...`` (``tools/prices.py``) from
the Azure Retail Prices API, or by hand from public figures when that API cannot be reached (its
``fetched`` says which, and each price says where it came from and when). Each price is one of:

- ``vm``: a VM size (its ARM name, e.g. Standard_D3_v2) and priority (Dedicated or LowPriority),
  Linux pay-as-you-go, per hour;
- ``containerRegistry``: a registry SKU (Basic, Standard, Premium), per day;
- ``firewall``: an Azure Firewall SKU (Basic, Standard, Premium), per deployment hour;
- ``privateEndpoint``: a private endpoint, per hour;
- ``privateDnsZone``: a private DNS zone, per month (region ``global``);
- ``aksTier``: an AKS cluster's paid tier (Standard), per cluster hour.

Pure Python, no third-party import: the plan and the policy pack read it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SNAPSHOT = Path(__file__).with_name("prices.json")
KINDS = ("vm", "containerRegistry", "firewall", "privateEndpoint", "privateDnsZone", "aksTier")
GLOBAL = "global"
HOURS_PER_MONTH = 730  # Azure's month: 365 days x 24 hours / 12
# Units the Retail Prices API gives these meters, and what a month holds of each.
UNITS_PER_MONTH: dict[str, float] = {"1 Hour": HOURS_PER_MONTH, "1/Day": HOURS_PER_MONTH / 24, "1/Month": 1}


@dataclass(frozen=True)
class Price:
    kind: str
    sku: str  # the VM size with its priority (Standard_D3_v2/Dedicated), else the SKU (Basic...)
    region: str
    unit_price: float
    unit: str  # 1 Hour | 1/Day | 1/Month
    source: str  # where the figure comes from (the API request, or a public page)
    source_date: str
    note: str = ""

    @property
    def monthly(self) -> float:
        """What one of it costs in a month."""
        return self.unit_price * UNITS_PER_MONTH[self.unit]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind, "sku": self.sku, "region": self.region, "unitPrice": self.unit_price,
            "unit": self.unit, "source": self.source, "sourceDate": self.source_date,
        }
        if self.note:
            out["note"] = self.note
        return out


def vm_sku(size: str, priority: str = "Dedicated") -> str:
    return f"{size}/{priority}"


@dataclass(frozen=True)
class PriceSnapshot:
    date: str  # when the snapshot was made (YYYY-MM-DD)
    currency: str
    fetched: bool  # from the Retail Prices API (true), or assembled by hand (false)
    note: str
    regions: tuple[str, ...]
    prices: tuple[Price, ...]

    @functools.cached_property
    def _index(self) -> Mapping[tuple[str, str, str], Price]:
        return {(p.kind, p.region.lower(), p.sku.lower()): p for p in self.prices}

    def find(self, kind: str, region: str, sku: str) -> Price | None:
        """The price of ``sku`` in ``region`` (names compared ignoring case), else its global one."""
        index = self._index
        return index.get((kind, region.lower(), sku.lower())) or index.get((kind, GLOBAL, sku.lower()))

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> PriceSnapshot:
        return cls(
            date=document["snapshotDate"],
            currency=document["currency"],
            fetched=bool(document.get("fetched")),
            note=document.get("note", ""),
            regions=tuple(document.get("regions", ())),
            prices=tuple(
                Price(p["kind"], p["sku"], p["region"], float(p["unitPrice"]), p["unit"], p["source"],
                      p["sourceDate"], p.get("note", ""))
                for p in document["prices"]
            ),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "snapshotDate": self.date, "currency": self.currency, "fetched": self.fetched, "note": self.note,
            "regions": list(self.regions), "prices": [p.as_json() for p in self.prices],
        }


@functools.lru_cache(maxsize=4)
def load_snapshot(path: Path = SNAPSHOT) -> PriceSnapshot:
    return PriceSnapshot.from_json(json.loads(path.read_text()))
