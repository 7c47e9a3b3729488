"""Config of the data lake account and the datastores (keys ``dataStorage``, ``datastores``).

Skeleton: the datastores issue completes these models.
"""

from __future__ import annotations

from azureml_infra.config.base import Model


class DataStorageSettings(Model):
    name: str | None = None


class DatastoreSettings(Model):
    name: str
