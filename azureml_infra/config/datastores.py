"""Config of the data lake account and the datastores (keys ``dataStorage``, ``datastores``).

Which authentication each datastore kind accepts is ``azureml_infra.datastore_kinds``.
"""

from __future__ import annotations

import json
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from azureml_infra.config.base import (
    BlobContainerName,
    DatastoreName,
    Guid,
    Model,
    ResourceGroupName,
    SecretRef,
    StorageAccountName,
    key_error,
)
from azureml_infra.datastore_kinds import AUTHS, KINDS
from azureml_infra.naming import RULES, with_article

# The value of ``accountName`` that points at the account ``dataStorage`` creates. It can never
# be a real storage account name (those are lowercase).
DATA_STORAGE = "dataStorage"

# Registered by Azure ML in every workspace; a datastore of the same name would collide.
RESERVED_NAMES = (
    "workspaceblobstore",
    "workspacefilestore",
    "workspaceartifactstore",
    "workspaceworkingdirectory",
)

Kind = Literal["blob", "adlsGen2", "fileShare"]
Auth = Literal["identity", "accountKey", "sas", "servicePrincipal"]


class DataStorageSettings(Model):
    """A storage account for data, created with this environment (secure defaults)."""

    name: StorageAccountName | None = Field(
        None,
        description="Globally unique. Default: st<prefix><environment>data<suffix>, shortened "
        "to fit 24 characters.",
    )
    hierarchical_namespace: bool = Field(
        True, description="true: an ADLS Gen2 data lake (needed by adlsGen2 datastores on it)."
    )
    containers: list[BlobContainerName] = Field(
        default_factory=list,
        description="Blob containers (ADLS Gen2 filesystems) to create, private (no anonymous access).",
    )

    @field_validator("containers")
    @classmethod
    def _unique_containers(cls, value: list[str]) -> list[str]:
        duplicates = sorted({c for c in value if value.count(c) > 1})
        if duplicates:
            raise ValueError(f"lists {', '.join(repr(d) for d in duplicates)} more than once")
        return value


class DatastoreSettings(Model):
    """A storage container, ADLS Gen2 filesystem or file share attached to the workspace."""

    name: DatastoreName = Field(
        description="Datastore name in the workspace: lowercase letters, digits and underscores."
    )
    kind: Kind = Field(description="blob, adlsGen2 or fileShare.")
    account_name: str = Field(
        description="Storage account name, or `dataStorage` for the account this stack creates."
    )
    container: str = Field(description="The blob container, ADLS Gen2 filesystem or file share.")
    resource_group: ResourceGroupName | None = Field(
        None,
        description="Resource group of the account. Default: the workspace's. Not with dataStorage.",
    )
    subscription_id: Guid | None = Field(
        None,
        description="Subscription of the account. Default: the deployment's. Not with dataStorage.",
    )
    auth: Auth = Field(
        "identity",
        description="identity (recommended: no stored credential; the workspace and compute "
        "identities get a data role), accountKey, sas or servicePrincipal. See docs/datastores.md.",
    )
    secret: SecretRef | None = Field(
        None,
        description="accountKey/sas/servicePrincipal: name of the config key holding the key, SAS "
        "token or client secret, set with `pulumi config set --secret`. Not for an accountKey on "
        "dataStorage: that key is read from the account.",
    )
    client_id: Guid | None = Field(None, description="servicePrincipal only: application (client) id.")
    tenant_id: Guid | None = Field(None, description="servicePrincipal only: its tenant id.")
    read_write: bool = Field(
        False,
        description="identity only: grant Storage Blob Data Contributor instead of Reader.",
    )
    default: bool = Field(
        False,
        description="Mark as the workspace default datastore (at most one). Reported in the "
        "`datastores` output; Azure's datastore API cannot set it (see docs/datastores.md).",
    )

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_NAMES:
            raise ValueError(
                f"'{value}' is the name of a datastore Azure ML creates in every workspace; choose another"
            )
        return value

    @field_validator("account_name")
    @classmethod
    def _account(cls, value: str) -> str:
        if value != DATA_STORAGE:
            problem = RULES["storage_account"].violation(value)
            if problem:
                raise ValueError(f"{problem}, or `{DATA_STORAGE}` for the account this stack creates")
        return value

    @property
    def on_data_storage(self) -> bool:
        return self.account_name == DATA_STORAGE

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problem = RULES[KINDS[self.kind].container_rule].violation(self.container)
        if problem:
            if self.kind == "adlsGen2":
                problem = f"an ADLS Gen2 filesystem is a blob container, and {problem}"
            raise key_error("container", f"{problem} (got {json.dumps(self.container)})")
        allowed = KINDS[self.kind].auths
        if self.auth not in allowed:
            given = "the default" if not self.is_set("auth") else "given"
            choices = f"{', '.join(allowed[:-1])} or {allowed[-1]}"
            raise key_error(
                "auth",
                f"'{self.auth}' ({given}) is not supported for {with_article(self.kind)} datastore by Azure ML; "
                f"use {choices}",
            )
        if self.on_data_storage:
            for key in ("resource_group", "subscription_id"):
                if self.is_set(key):
                    raise key_error(
                        to_camel(key),
                        f"the {DATA_STORAGE} account is in the workspace's resource group and "
                        "subscription: remove it",
                    )
        self._check_credentials()
        return self

    def _check_credentials(self) -> None:
        key_from_account = self.auth == "accountKey" and self.on_data_storage
        if self.auth == "identity":
            if self.secret is not None:
                raise key_error("secret", "identity needs no stored credential: remove it")
        elif key_from_account:
            if self.secret is not None:
                raise key_error(
                    "secret",
                    f"the account key of {DATA_STORAGE} is read from the account this stack creates: remove it",
                )
        elif self.secret is None:
            raise key_error(
                "secret",
                f"is required for auth {self.auth}: the name of the config key that holds the "
                f"{AUTHS[self.auth].secret} (pulumi config set --secret <key> <value>)",
            )
        for key in ("client_id", "tenant_id"):
            alias = to_camel(key)
            if self.auth == "servicePrincipal" and getattr(self, key) is None:
                raise key_error(alias, "is required for auth servicePrincipal")
            if self.auth != "servicePrincipal" and self.is_set(key):
                raise key_error(alias, f"is only for auth servicePrincipal (auth is {self.auth}): remove it")
        if self.auth != "identity" and self.is_set("read_write"):
            raise key_error(
                "readWrite",
                f"only applies to identity (it picks the role this stack grants); with {self.auth} "
                "the credential decides what is allowed: remove it",
            )
