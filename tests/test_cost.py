"""The "Monthly cost at most" table: what the dev, test and prod plans end with, how each line is
counted (clusters at maxNodes, instances by their schedules, AKS pools, registries, the firewall,
endpoints, zones), usage-based and unknown lines, the budget warning, and ``cost`` in the JSON plan.
Amounts are computed here from the committed snapshot, as the table computes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from azureml_infra.cost import NOT_COUNTED, PlannedResource, estimate, render_text
from azureml_infra.pricing import PriceSnapshot, load_snapshot
from azureml_infra.schedules import Schedule, monthly_hours, parse_cron
from tests.conftest import plan, planned_file, stack
from tools.harness import ROOT, Run
from tools.plan import add_cost, main, make_plan

USER = "4f1c2a9e-8d3b-4c6a-9e7f-2b5d8a1c3e60"
SNAPSHOT = load_snapshot()


def price(kind: str, sku: str, region: str = "westeurope") -> float:
    found = SNAPSHOT.find(kind, region, sku)
    assert found is not None, (kind, sku)
    return found.monthly


def cost_of(run: Run) -> dict[str, Any]:
    """The ``cost`` document of a run, as the plan makes it."""
    return add_cost({"resources": []}, run)["cost"]


def priced(cost: dict[str, Any]) -> dict[str, float]:
    return {line["item"]: line["monthly"] for line in cost["lines"] if line["status"] == "priced"}


def statuses(cost: dict[str, Any], status: str) -> list[str]:
    return [line["item"] for line in cost["lines"] if line["status"] == status]


D3 = price("vm", "Standard_D3_v2/Dedicated")


def test_the_committed_snapshot_says_it_was_not_fetched_live_and_where_each_price_comes_from():
    assert (SNAPSHOT.fetched, SNAPSHOT.currency, SNAPSHOT.date) == (False, "USD", "2026-12-07")
    assert SNAPSHOT.note.startswith("NOT FETCHED LIVE.")
    assert all(p.source and p.source_date for p in SNAPSHOT.prices)
    assert all("derived" in p.note for p in SNAPSHOT.prices if p.source.startswith("derived"))


# --- the shipped stacks --------------------------------------------------------------------------


def shipped(name: str) -> dict[str, Any]:
    return cost_of(planned_file(ROOT / f"Pulumi.{name}.yaml"))


@pytest.mark.parametrize("name", ["dev", "test"])
def test_dev_and_test_cost_their_cluster_at_three_nodes_and_a_basic_registry(name):
    cost = shipped(name)
    registry = next(item for item in priced(cost) if item.startswith("container registry"))
    assert priced(cost) == {"compute cluster cpu-compute": round(3 * D3, 2),
                            registry: round(price("containerRegistry", "Basic"), 2)}
    assert cost["total"] == round(sum(priced(cost).values()), 2)
    # Priced by use: listed, never as 0.
    assert [item.rsplit(" ", 1)[0] for item in statuses(cost, "usage")] == [
        "Application Insights", "Log Analytics", "key vault", "storage account"]
    assert all(line["monthly"] is None for line in cost["lines"] if line["status"] == "usage")
    assert statuses(cost, "unknown") == []
    assert (cost["complete"], cost["currency"], cost["snapshotDate"]) == (True, "USD", "2026-12-07")
    assert cost["budget"] == {"name": f"budget-mlops-{name}", "amount": 700.0, "aboveBudget": False}
    assert cost["notCounted"] == list(NOT_COUNTED)


def test_prod_costs_its_firewall_premium_registry_endpoints_and_zones():
    cost = shipped("prod")
    lines = priced(cost)
    assert lines["compute cluster cpu-compute"] == round(4 * D3, 2)
    assert lines["managed network firewall of mlw-mlops-prod"] == round(price("firewall", "Basic"), 2)
    assert {item for item in lines if item.startswith("private endpoint")} == {
        "private endpoint pe-crmlopsprodkdui-registry", "private endpoint pe-kv-mlops-prod-kdui-vault",
        "private endpoint pe-mlw-mlops-prod-amlworkspace", "private endpoint pe-stmlopsprodkdui-blob",
        "private endpoint pe-stmlopsprodkdui-file"}
    assert {lines[item] for item in lines if item.startswith("private endpoint")} == {
        round(price("privateEndpoint", "Standard", "global"), 2)}
    assert len([item for item in lines if item.startswith("private DNS zone")]) == 6
    assert lines["container registry crmlopsprodkdui"] == round(price("containerRegistry", "Premium"), 2)
    assert cost["total"] == round(sum(lines.values()), 2) and cost["complete"]
    assert cost["budget"] == {"name": "budget-mlops-prod", "amount": 1400.0, "aboveBudget": False}


@pytest.mark.parametrize("stack_file", sorted(ROOT.glob("Pulumi.*.yaml")) + sorted((ROOT / "examples").glob(
    "Pulumi.*.yaml")), ids=lambda p: p.name)
def test_every_shipped_stack_has_a_budget_above_its_complete_ceiling(stack_file: Path):
    cost = cost_of(planned_file(stack_file))
    assert cost["complete"], statuses(cost, "unknown")
    assert cost["budget"] is not None and not cost["budget"]["aboveBudget"], cost["total"]


def test_the_dev_plan_ends_with_its_cost_table(capsys):
    assert main(["--stack", "dev"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("\nMonthly cost at most: "):].strip().splitlines()
    assert table[0] == f"Monthly cost at most: {shipped('dev')['total']:,.2f} USD"
    assert table[1] == ("(price snapshot of 2026-12-07 for westeurope, assembled by hand, not fetched live; "
                        "Linux pay-as-you-go; docs/cost.md)")
    assert table[2].split() == ["compute", "cluster", "cpu-compute", "3", "×", "STANDARD_D3_V2", "(Dedicated)", "×",
                                "730", "h", f"{3 * D3:,.2f}"]
    assert [line.split()[-1] for line in table[4:8]] == ["usage-based"] * 4
    assert table[8].split() == ["total", f"{shipped('dev')['total']:,.2f}"]
    assert table[9] == "Budget budget-mlops-dev: 700.00 a month; the ceiling is within it"
    assert table[10:] == ["Not counted:", *(f"    - {what}" for what in NOT_COUNTED)]


def test_the_json_plan_carries_the_table_as_cost_and_no_cost_leaves_it_out(capsys):
    assert main(["--stack", "dev", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["cost"] == shipped("dev") and "cost_text" not in doc
    assert main(["--stack", "dev", "--format", "json", "--no-cost"]) == 0
    assert "cost" not in json.loads(capsys.readouterr().out)
    assert main(["--stack", "dev", "--no-cost"]) == 0
    assert "Monthly cost at most" not in capsys.readouterr().out


# --- how lines are counted ------------------------------------------------------------------------


def cluster(max_nodes: int, size: str = "STANDARD_D3_V2", **extra: Any) -> dict:
    return {"name": "cpu", "vmSize": size, "maxNodes": max_nodes, **extra}


def stack_cost(extra: dict[str, Any]) -> dict[str, Any]:
    return cost_of(plan(stack(extra), preview=True))


BUDGET = {"amount": 100, "startDate": "2027-01-01", "thresholds": [{"percent": 90}], "contactEmails": ["a@example.com"]}


def clusters(cpu_nodes: int, **extra: Any) -> dict[str, Any]:
    """cpu (priced), gpu (a size the snapshot has no price for) and low (low priority, no price)."""
    return stack_cost({"azureml-infra:computes": [
        cluster(cpu_nodes), cluster(8, "Standard_ND96isr_H100_v5", name="gpu"),
        cluster(2, name="low", priority="LowPriority")], **extra})


def test_doubling_a_clusters_max_nodes_doubles_its_line():
    two = priced(clusters(2))["compute cluster cpu"]
    four = priced(clusters(4, **{"azureml-infra:budget": BUDGET}))["compute cluster cpu"]
    assert (two, four) == (round(2 * D3, 2), round(4 * D3, 2))
    assert four == pytest.approx(2 * two, abs=0.01)


def test_a_size_or_priority_without_a_price_is_unknown_and_the_total_incomplete():
    cost = clusters(2)
    unknown = [(line["item"], line["basis"], line["monthly"]) for line in cost["lines"] if line["status"] == "unknown"]
    assert unknown == [
        ("compute cluster gpu", "8 × Standard_ND96isr_H100_v5 (Dedicated) × 730 h: no price for "
         "Standard_ND96isr_H100_v5 Dedicated in westeurope in the snapshot", None),
        # Low priority is not priced as dedicated: the committed snapshot has no low-priority price.
        ("compute cluster low", "2 × STANDARD_D3_V2 (LowPriority) × 730 h: no price for STANDARD_D3_V2 LowPriority "
         "in westeurope in the snapshot", None),
    ]
    assert cost["complete"] is False and cost["total"] == round(2 * D3 + price("containerRegistry", "Basic"), 2)
    assert estimate([]).complete and estimate([]).total == 0  # nothing priced, nothing missing


def test_an_instance_costs_the_hours_its_schedules_keep_it_on():
    def instance(name: str, *schedules: dict) -> dict:
        return {"name": name, "vmSize": "STANDARD_DS3_V2", "assignedUserObjectId": USER, "schedules": list(schedules)}

    cost = stack_cost({"azureml-infra:computeInstances": [
        instance("ci-always"),
        instance("ci-stop", {"action": "Stop", "cron": "0 19 * * *"}),
        instance("ci-office", {"action": "Start", "cron": "0 8 * * 1-5", "timeZone": "W. Europe Standard Time"},
                 {"action": "Stop", "cron": "0 19 * * 1-5", "timeZone": "W. Europe Standard Time"}),
    ]})
    ds3 = price("vm", "Standard_DS3_v2/Dedicated") / 730
    # 261 working days of 2025 x 11 hours, a twelfth: 239.25 h a month. A Stop schedule alone
    # bounds nothing: its user may start it again at any time.
    assert {item: amount for item, amount in priced(cost).items() if item.startswith("compute instance")} == {
        "compute instance ci-always": round(730 * ds3, 2),
        "compute instance ci-stop": round(730 * ds3, 2),
        "compute instance ci-office": round(239.2 * ds3, 2),
    }
    basis = next(line["basis"] for line in cost["lines"] if line["item"] == "compute instance ci-office")
    assert basis == "1 × STANDARD_DS3_V2 (Dedicated) × 239.2 h (its schedules)"
    assert cost["notCounted"][-1] == "hours an instance is started by hand outside its schedules"


def test_an_aks_pool_costs_its_most_nodes_and_the_standard_tier_its_hours():
    cost = cost_of(planned_file(ROOT / "examples" / "Pulumi.aks-inference.yaml"))
    assert priced(cost)["AKS aks-mlops-dev-myaks pool system"] == round(5 * price("vm", "Standard_D4s_v5/Dedicated"),
                                                                        2)
    tiered = estimate([PlannedResource("azure-native:containerservice:ManagedCluster", "aks", {
        "resourceName": "aks-ml", "location": "westeurope", "sku": {"name": "Base", "tier": "Standard"},
        "agentPoolProfiles": [{"name": "system", "vmSize": "Standard_D4s_v5", "count": 3}]})])
    assert [(line.item, line.monthly) for line in tiered.lines] == [
        ("AKS aks-ml pool system", round(3 * price("vm", "Standard_D4s_v5/Dedicated"), 2)),
        ("AKS aks-ml Standard tier", round(price("aksTier", "Standard"), 2)),
    ]


def test_the_firewall_comes_with_the_first_fqdn_rule_under_approved_only_isolation():
    def workspace(isolation: str, sku: str | None = None) -> PlannedResource:
        network = {"isolationMode": isolation, **({"firewallSku": sku} if sku else {})}
        return PlannedResource("azure-native:machinelearningservices:Workspace", "workspace",
                               {"workspaceName": "mlw", "location": "westeurope", "managedNetwork": network})

    rule = PlannedResource("azure-native:machinelearningservices:ManagedNetworkSettingsRule", "pypi",
                           {"workspaceName": "mlw", "properties": {"type": "FQDN", "destination": "pypi.org"}})
    endpoint_rule = PlannedResource(rule.type, "lake", {"workspaceName": "mlw", "properties": {"type": "PrivateEndpoint"}})
    assert [line.monthly for line in estimate([workspace("AllowOnlyApprovedOutbound"), rule]).lines] == [
        round(price("firewall", "Standard"), 2)]  # Azure's default SKU
    assert estimate([workspace("AllowOnlyApprovedOutbound", "Basic"), endpoint_rule]).lines == ()
    assert estimate([workspace("AllowInternetOutbound", "Basic"), rule]).lines == ()


def test_a_ceiling_above_the_budget_is_a_warning_in_the_plan():
    cost = clusters(4, **{"azureml-infra:budget": BUDGET})
    assert cost["budget"] == {"name": "budget-mlops-dev", "amount": 100.0, "aboveBudget": True}
    table = estimate([PlannedResource("azure-native:consumption:Budget", "budget",
                                      {"budgetName": "budget-x", "amount": 40.0}),
                      PlannedResource("azure-native:containerregistry:Registry", "cr",
                                      {"registryName": "crx", "location": "westeurope", "sku": {"name": "Premium"}})])
    assert render_text(table)[-1 - len(NOT_COUNTED) - 1] == (
        f"Warning: the ceiling, {price('containerRegistry', 'Premium'):,.2f} USD, is above the budget budget-x of "
        "40.00 a month: lower maxNodes, VM sizes or instance hours, or raise azureml-infra:budget.amount")


def test_a_fetched_snapshot_says_so_and_its_prices_are_the_ones_used():
    snapshot = PriceSnapshot.from_json({**SNAPSHOT.as_json(), "fetched": True, "currency": "EUR",
                                        "snapshotDate": "2027-02-01", "prices": [
        {"kind": "vm", "sku": "Standard_D3_v2/Dedicated", "region": "westeurope", "unitPrice": 0.5, "unit": "1 Hour",
         "source": "https://prices.azure.com/...", "sourceDate": "2027-02-01"}]})
    table = estimate([PlannedResource("azure-native:machinelearningservices:Compute", "cpu", {
        "computeName": "cpu", "location": "westeurope", "properties": {
            "computeType": "AmlCompute", "properties": {"vmSize": "STANDARD_D3_V2", "scaleSettings": {"maxNodeCount": 2}}}})],
        snapshot)
    assert render_text(table)[:2] == [
        "Monthly cost at most: 730.00 EUR",
        "(price snapshot of 2027-02-01 for westeurope, from the Azure Retail Prices API; Linux pay-as-you-go; "
        "docs/cost.md)",
    ]


def test_the_plan_of_a_bad_stack_file_still_has_no_table(tmp_path, capsys):
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_text("config:\n  azure-native:location: westeurope\n  azureml-infra:prefix: mlops\n"
                    "  azureml-infra:budget: {amount: 0, startDate: '2027-01-01', thresholds: [{percent: 80}], "
                    "contactEmails: [a@example.com]}\n")
    assert main(["--stack-file", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "azureml-infra:budget.amount: must be more than 0" in err
    assert make_plan(path)[1] is None


# --- schedules: the hours a Start and a Stop schedule keep an instance on -------------------------


def test_hours_on_from_each_start_to_the_next_stop():
    every_day = [Schedule("Start", "0 8 * * *"), Schedule("Stop", "0 19 * * *")]
    assert monthly_hours(every_day) == pytest.approx(11 * 365 / 12)
    # The start at 8:00 UTC is 9:00 in W. Europe: ten hours to a 19:00 stop there.
    mixed = [Schedule("Start", "0 8 * * 1-5"), Schedule("Stop", "0 19 * * 1-5", "W. Europe Standard Time")]
    assert monthly_hours(mixed) == pytest.approx(10 * 261 / 12)
    # A night shift across midnight, and a stop before the start on the same day.
    assert monthly_hours([Schedule("Start", "0 22 * * *"), Schedule("Stop", "0 6 * * *")]) == pytest.approx(
        8 * 365 / 12)
    assert monthly_hours([Schedule("Start", "0 8 * * *")]) is None
    assert monthly_hours([Schedule("Stop", "0 19 * * *")]) is None


def test_cron_fields_match_as_ncrontab_reads_them():
    cron = parse_cron("*/20 8-10,14 1,15 JAN-MAR mon-fri")
    assert (sorted(cron.minutes), sorted(cron.hours), sorted(cron.days), sorted(cron.months), sorted(cron.weekdays)) \
        == ([0, 20, 40], [8, 9, 10, 14], [1, 15], [1, 2, 3], [1, 2, 3, 4, 5])
