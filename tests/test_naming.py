"""Naming: generated names always pass Azure's rules, never change, and differ by environment."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from azureml_infra.naming import RULES, generated_names, name_suffix

LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = LOWER + "0123456789"


def starting_with_a_letter(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """[a-z][a-z0-9]{min_size-1,max_size-1}: what st.from_regex gives, at a third of its cost."""
    return st.builds(str.__add__, st.sampled_from(LOWER), st.text(ALNUM, min_size=min_size - 1, max_size=max_size - 1))


prefixes = starting_with_a_letter(2, 10)
environments = starting_with_a_letter(1, 8)
suffixes = st.none() | st.text(ALNUM, min_size=1, max_size=4)


@given(prefixes, environments, suffixes)
def test_every_generated_name_passes_its_azure_rule(prefix, environment, suffix):
    names = generated_names(prefix, environment, suffix)
    for field in dataclasses.fields(names):
        name = getattr(names, field.name)
        assert RULES[field.name].violation(name) is None, (field.name, name)


@given(prefixes, environments, environments)
def test_globally_unique_names_differ_between_environments(prefix, env_a, env_b):
    assume(env_a != env_b)
    a, b = generated_names(prefix, env_a), generated_names(prefix, env_b)
    assert a.storage_account != b.storage_account
    assert a.key_vault != b.key_vault
    assert a.container_registry != b.container_registry


@given(prefixes, environments)
def test_suffix_is_four_lowercase_alphanumerics(prefix, environment):
    suffix = name_suffix(prefix, environment)
    assert len(suffix) == 4 and suffix.isalnum() and suffix == suffix.lower()


def test_names_of_the_shipped_environments_are_frozen():
    # Frozen on purpose: changing the naming scheme would rename, and so replace, the storage
    # account, key vault and registry of every deployed environment, losing their data.
    assert dataclasses.asdict(generated_names("mlops", "dev")) == {
        "resource_group": "rg-mlops-dev",
        "storage_account": "stmlopsdevt0k7",
        "key_vault": "kv-mlops-dev-t0k7",
        "log_analytics": "log-mlops-dev",
        "application_insights": "appi-mlops-dev",
        "container_registry": "crmlopsdevt0k7",
        "ml_workspace": "mlw-mlops-dev",
        "data_storage": "stmlopsdevdatat0k7",
    }


def test_long_prefix_and_environment_fall_back_to_a_compact_key_vault_name():
    names = generated_names("abcdefghij", "abcdefgh", "wxyz")
    assert names.key_vault == "kvabcdefghijabcdefghwxyz"
    assert len(names.key_vault) == 24


# Names Azure accepts and refuses, from its documented rules (not from this code).
VALID = {
    "storage_account": ["abc", "a" * 24, "st01"],
    "key_vault": ["kv1", "kv-mlops-dev-01", "A" + "b" * 23],
    "log_analytics": ["log1", "Log-Analytics-01"],
    "application_insights": ["a", "appi (test)_1", "x" * 260],
    "container_registry": ["crabc", "CR12345"],
    "ml_workspace": ["mlw", "1_work-space", "a" * 33],
    "resource_group": ["rg", "rg.(x)_1-", "a" * 90],
}
INVALID = {
    "storage_account": ["ab", "a" * 25, "St01", "st-01"],
    "key_vault": ["kv", "1kv", "kv-", "kv--a", "kv_a", "a" * 25],
    "log_analytics": ["log", "-log1", "log1-", "log_1"],
    "application_insights": ["", "appi.", "appi ", "a/b", "a%b", "a" * 261],
    "container_registry": ["cr12", "cr-123", "a" * 51],
    "ml_workspace": ["ml", "_mlw", "-mlw", "a" * 34, "ml.w"],
    "resource_group": ["", "rg.", "rg/1", "a" * 91],
}


@pytest.mark.parametrize("rule,name", [(r, n) for r, names in VALID.items() for n in names])
def test_rule_accepts(rule, name):
    assert RULES[rule].violation(name) is None


@pytest.mark.parametrize("rule,name", [(r, n) for r, names in INVALID.items() for n in names])
def test_rule_refuses(rule, name):
    assert RULES[rule].violation(name) is not None


@given(prefixes, environments, suffixes)
def test_data_storage_name_passes_the_storage_rule_and_differs_from_the_workspace_storage(p, e, s):
    name = generated_names(p, e, s).data_storage
    assert RULES["storage_account"].violation(name) is None
    assert name != generated_names(p, e, s).storage_account
    assert name == generated_names(p, e, s).data_storage


@given(prefixes, environments, environments)
def test_data_storage_names_differ_between_environments(p, a, b):
    assume(a != b)
    assert generated_names(p, a).data_storage != generated_names(p, b).data_storage
