"""The preflight's Foundry checks against fake Cognitive Services answers (no Azure SDK, no
network): the subdomain free or the stack's own, no soft-deleted account holding the name, each
deployment's model, version and SKU offered in the region, and the quota holding their capacity.
Answers shaped as the REST API's (Models - List, Usages - List, checkDomainAvailability,
Deleted Accounts - List), as tools/preflight/foundry_api.py reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import planned_file
from tests.test_preflight import FakeAzure, lines, only, stack_needs
from tools.preflight.checks import ERROR, FAIL, PASS, WARN, exit_status, run_checks
from tools.preflight.foundry import CognitiveUsage, DeletedAccount, DomainStatus, FoundryModel, ModelSku

ROOT = Path(__file__).resolve().parent.parent
GENAI = ROOT / "examples" / "Pulumi.genai.yaml"
NAME = "aif-genai-dev-50t1"
GPT = "OpenAI.GlobalStandard.gpt-4o-mini"
EMBED = "OpenAI.GlobalStandard.text-embedding-3-small"
MODELS = [
    FoundryModel("OpenAI", "OpenAI", "gpt-4o-mini", "2024-07-18", (ModelSku("GlobalStandard", GPT, 30000),
                                                                    ModelSku("Standard", "OpenAI.Standard.gpt-4o-mini", 2000)),
                 "GenerallyAvailable"),
    FoundryModel("OpenAI", "OpenAI", "gpt-4o-mini", "2025-01-01", (ModelSku("GlobalStandard", GPT, 30000),)),
    FoundryModel("OpenAI", "OpenAI", "text-embedding-3-small", "1", (ModelSku("GlobalStandard", EMBED, 10000),)),
]
USAGES = [CognitiveUsage(GPT, 30, 2000), CognitiveUsage(EMBED, 0, 1000)]


class FoundryFake(FakeAzure):
    """A healthy subscription that also answers Cognitive Services' questions."""

    def foundry_models(self, location):
        return self._answer("foundry_models", location, default=MODELS)

    def foundry_usages(self, location):
        return self._answer("foundry_usages", location, default=USAGES)

    def subdomain_available(self, subdomain):
        return self._answer("subdomain_available", subdomain, default=DomainStatus(True))

    def deleted_accounts(self):
        return self._answer("deleted_accounts", default=[])


@pytest.fixture(scope="module")
def genai_needs():
    from tools.preflight.export import export

    return export(GENAI, planned_file(GENAI))


def needs(accounts=None, deployments=None):
    base = stack_needs(computes=[])
    base["foundryAccounts"] = [{"name": NAME, "key": "foundry.create.name"}] if accounts is None else accounts
    base["foundryDeployments"] = deployments if deployments is not None else [deployment()]
    return base


def deployment(name="gpt-4o-mini", model="gpt-4o-mini", version="2024-07-18", sku="GlobalStandard", capacity=10,
               index=0):
    return {"account": NAME, "name": name, "format": "OpenAI", "model": model, "version": version, "sku": sku,
            "capacity": capacity, "key": f"foundry.create.deployments[{index}]"}


def test_the_example_needs_its_account_and_its_deployments(genai_needs):
    assert genai_needs["foundryAccounts"] == [{"name": NAME, "key": "foundry.create.name"}]
    assert genai_needs["foundryDeployments"] == [
        deployment(),
        deployment("text-embedding-3-small", "text-embedding-3-small", "1", index=1),
    ]
    assert "Microsoft.CognitiveServices" in genai_needs["providers"]
    assert {"Microsoft.CognitiveServices/accounts", "Microsoft.CognitiveServices/accounts/deployments",
            "Microsoft.CognitiveServices/accounts/projects",
            "Microsoft.MachineLearningServices/workspaces/connections"} <= set(genai_needs["createdTypes"])


def test_a_healthy_subscription_passes_the_examples_foundry_checks(genai_needs):
    results = run_checks(genai_needs, FoundryFake())
    assert [r for r in results if r.status != PASS] == []
    assert only(results, "names", f"Foundry account {NAME}").detail == "its custom subdomain is available"
    assert only(results, "soft-deleted accounts", NAME).detail == "no soft-deleted account holds the name"
    assert only(results, "models", "gpt-4o-mini (gpt-4o-mini 2024-07-18, GlobalStandard)").detail == (
        "offered in westeurope, GenerallyAvailable")
    assert only(results, "quota", GPT).detail == "needs 10 (gpt-4o-mini: 10); 30 of 2000 in use in westeurope, 1970 free"
    assert only(results, "quota", EMBED).status == PASS


def test_a_taken_subdomain_fails_with_the_key_to_change():
    azure = FoundryFake(subdomain_available=DomainStatus(False, "Sub domain name 'aif-genai-dev-50t1' is already used."))
    result = only(run_checks(needs(), azure), "names", f"Foundry account {NAME}")
    assert (result.status, result.detail) == (
        FAIL, "its custom subdomain is taken: Sub domain name 'aif-genai-dev-50t1' is already used.")
    assert result.fix == ("choose another name: set azureml-infra:foundry.create.name, or azureml-infra:nameSuffix "
                          "(it changes every generated global name)")


def test_the_stacks_own_account_is_no_conflict():
    azure = FoundryFake(resource_group_exists=True,
                        resources_in_group=[("Microsoft.CognitiveServices/accounts", NAME.upper())],
                        subdomain_available=DomainStatus(False, "taken"))
    results = run_checks(needs(), azure)
    assert only(results, "names", f"Foundry account {NAME}").detail == "already this stack's own (in rg-mlops-dev)"
    assert ("subdomain_available", NAME) not in azure.calls


def test_a_soft_deleted_account_holding_the_name_fails_with_the_purge_command():
    held = DeletedAccount("AIF-genai-dev-50t1", "westeurope", "rg-genai-dev", "2027-01-03T10:00:00Z")
    azure = FoundryFake(deleted_accounts=[held], subdomain_available=DomainStatus(False, "in use"))
    results = run_checks(needs(), azure)
    result = only(results, "soft-deleted accounts", NAME)
    assert result.status == FAIL
    assert result.detail == ("a soft-deleted account in westeurope (group rg-genai-dev) holds the name until "
                             "2027-01-03T10:00:00Z")
    assert result.fix == (
        "purge it: az cognitiveservices account purge --name AIF-genai-dev-50t1 --resource-group rg-genai-dev "
        "--location westeurope (or recover it: az cognitiveservices account recover --name AIF-genai-dev-50t1 "
        "--resource-group rg-genai-dev --location westeurope, and import it into the stack), or choose another name: "
        "set azureml-infra:foundry.create.name, or azureml-infra:nameSuffix (it changes every generated global name)")
    assert [r for r in lines(results, "names") if r.subject == f"Foundry account {NAME}"] == []  # one line, not two
    assert exit_status(results) == 1


@pytest.mark.parametrize("entry,detail,fix", [
    (deployment(model="gpt-5-nano"), "OpenAI model gpt-5-nano is not offered in westeurope",
     "choose a model the region offers (az cognitiveservices model list --location westeurope), in "
     "azureml-infra:foundry.create.deployments[0].model, or another region"),
    (deployment(version="2023-01-01"), "version 2023-01-01 of gpt-4o-mini is not offered in westeurope",
     "set azureml-infra:foundry.create.deployments[0].model.version to one it offers: 2025-01-01, 2024-07-18"),
    (deployment(sku="DataZoneStandard"), "gpt-4o-mini 2024-07-18 is not offered as DataZoneStandard in westeurope",
     "set azureml-infra:foundry.create.deployments[0].sku.name to one it offers there: GlobalStandard, Standard"),
    (deployment(capacity=40000), "capacity 40000 is above the 30000 one GlobalStandard deployment of it may have",
     "lower azureml-infra:foundry.create.deployments[0].sku.capacity"),
])
def test_a_model_version_or_sku_the_region_does_not_offer(entry, detail, fix):
    results = run_checks(needs(deployments=[entry]), FoundryFake())
    (result,) = lines(results, "models")
    assert (result.status, result.detail, result.fix) == (FAIL, detail, fix)
    assert lines(results, "quota") == []  # nothing to count for a deployment that cannot be made


def test_the_quota_counts_every_deployment_of_a_model_and_sku():
    two = [deployment(capacity=1000), deployment("gpt-4o-mini-b", capacity=980, index=1)]
    result = only(run_checks(needs(deployments=two), FoundryFake()), "quota", GPT)
    assert result.status == FAIL
    assert result.detail == ("needs 1980 (gpt-4o-mini: 1000, gpt-4o-mini-b: 980); 30 of 2000 in use in westeurope, "
                             "1970 free")
    assert result.fix == "request at least 10 more (Foundry portal > Quota), or lower the deployments' capacity"


def test_the_quota_exactly_at_the_limit_passes():
    exact = only(run_checks(needs(deployments=[deployment(capacity=1970)]), FoundryFake()), "quota", GPT)
    assert (exact.status, exact.detail) == (PASS, "needs 1970 (gpt-4o-mini: 1970); 30 of 2000 in use in westeurope, "
                                                  "1970 free")
    one_more = only(run_checks(needs(deployments=[deployment(capacity=1971)]), FoundryFake()), "quota", GPT)
    assert one_more.status == FAIL and one_more.fix.startswith("request at least 1 more")


def test_the_quota_on_a_redeploy_and_without_a_row():
    azure = FoundryFake(resource_group_exists=True, resources_in_group=[("Microsoft.CognitiveServices/accounts", NAME)],
                        foundry_usages=[CognitiveUsage(GPT, 1995, 2000)])
    result = only(run_checks(needs(), azure), "quota", GPT)
    assert result.status == WARN  # its own deployment is among the 1995 in use
    missing = only(run_checks(needs(), FoundryFake(foundry_usages=[])), "quota", GPT)
    assert missing.status == WARN
    assert missing.detail == "needs 10 (gpt-4o-mini: 10); Cognitive Services lists no quota row for it in westeurope"


def test_an_unanswered_question_is_an_error_never_a_pass():
    azure = FoundryFake(foundry_models=RuntimeError("403 Forbidden"), deleted_accounts=RuntimeError("boom"),
                        subdomain_available=RuntimeError("timeout"))
    results = run_checks(needs(), azure)
    assert only(results, "models", "westeurope").status == ERROR
    assert only(results, "soft-deleted accounts", NAME).status == ERROR
    assert only(results, "names", f"Foundry account {NAME}").status == ERROR
    assert exit_status(results) == 1


def test_a_stack_without_foundry_asks_nothing_of_cognitive_services():
    azure = FoundryFake()
    run_checks(stack_needs(), azure)
    assert not [c for c in azure.calls if c[0] in ("foundry_models", "foundry_usages", "subdomain_available",
                                                   "deleted_accounts")]
