"""Rules of ``datastores`` and ``dataStorage`` across sections: unique names, one default, and
datastores on the data lake that match what it creates."""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.datastores import DATA_STORAGE
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig
from azureml_infra.facts import PROJECT


def _path(index: int, key: str) -> str:
    return f"{PROJECT}:datastores[{index}].{key}"


def _unique_names(config: StackConfig) -> Iterable[Problem]:
    first: dict[str, int] = {}
    for i, ds in enumerate(config.datastores):
        if ds.name in first:
            yield Problem(_path(i, "name"), f"'{ds.name}' is already the name of datastores[{first[ds.name]}]")
        first.setdefault(ds.name, i)


def _one_default(config: StackConfig) -> Iterable[Problem]:
    defaults = [i for i, ds in enumerate(config.datastores) if ds.default]
    for i in defaults[1:]:
        yield Problem(
            _path(i, "default"),
            f"only one datastore can be the workspace default, and datastores[{defaults[0]}] already is",
        )


def _data_storage_references(config: StackConfig) -> Iterable[Problem]:
    storage = config.data_storage
    for i, ds in enumerate(config.datastores):
        if not ds.on_data_storage:
            continue
        if storage is None:
            yield Problem(
                _path(i, "accountName"),
                f"'{DATA_STORAGE}' points at the account {PROJECT}:dataStorage creates, which is not "
                "configured: add dataStorage, or name an existing account",
            )
        elif ds.kind == "fileShare":
            yield Problem(
                _path(i, "kind"),
                f"{DATA_STORAGE} gets blob containers only, no file shares: point this fileShare "
                "datastore at an existing account",
            )
        elif ds.container not in storage.containers:
            yield Problem(
                _path(i, "container"),
                f"'{ds.container}' is not one of {PROJECT}:dataStorage.containers "
                f"({', '.join(storage.containers) or 'none'}): add it there",
            )
        elif ds.kind == "adlsGen2" and not storage.hierarchical_namespace:
            yield Problem(
                _path(i, "kind"),
                f"an adlsGen2 datastore needs a hierarchical namespace, and "
                f"{PROJECT}:dataStorage.hierarchicalNamespace is false: use kind blob, or set it true",
            )


def _distinct_from_workspace_storage(config: StackConfig) -> Iterable[Problem]:
    if config.data_storage is None:
        return
    names = config.names()
    if names.data_storage == names.storage_account:
        yield Problem(
            f"{PROJECT}:dataStorage.name",
            f"'{names.data_storage}' is already the workspace's storage account: choose another name",
        )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [
    _unique_names,
    _one_default,
    _data_storage_references,
    _distinct_from_workspace_storage,
]
