"""The data lake account and the datastores attached to the workspace.

- ``DataStorage``: the optional storage account for data (key ``dataStorage``) and its private
  containers, created with the environment and protected like the workspace's storage.
- ``AttachedDatastore``: one Azure ML datastore (key ``datastores[]``), pointing at that account
  or at existing storage. With ``auth: identity`` (the default) it stores no credential, and the
  identities that read the data - the workspace's and each compute's - get a data role on the
  container itself. Otherwise the credential goes in as a Pulumi secret and stays one.

Both are children of the workspace component.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import authorization, storage
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra.deployment import DataStorageSpec, DatastoreSpec
from components import private_access
from components.locks import lock_against_deletion
from components.options import child, stateful
from components.role_assignments import RoleAssignments

# --- the data storage account ----------------------------------------------------------


@dataclass(frozen=True)
class DataStorageArgs:
    spec: DataStorageSpec
    resource_group_name: pulumi.Input[str]


class DataStorage(pulumi.ComponentResource):
    """A storage account for data with private containers, secure by default."""

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    containers: dict[str, storage.BlobContainer]

    def __init__(self, name: str, args: DataStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:datastores:DataStorage", name, None, opts)
        spec = args.spec
        self._resource_group_name = args.resource_group_name
        account = storage.StorageAccount(
            "data-storage",
            account_name=spec.name,
            resource_group_name=args.resource_group_name,
            location=spec.location,
            sku=storage.SkuArgs(name="Standard_LRS"),
            kind=storage.Kind.STORAGE_V2,
            access_tier=storage.AccessTier.HOT,
            is_hns_enabled=spec.hierarchical_namespace,
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            allow_shared_key_access=spec.allow_shared_key_access,
            **private_access.storage_args(spec.private),
            tags=spec.tags,
            opts=stateful(self, spec.protect),
        )
        if spec.lock is not None:
            lock_against_deletion("data-storage", account, spec.lock, parent=self)
        self.account_id = account.id
        self.account_name = account.name
        self.containers = {
            name: storage.BlobContainer(
                f"data-container-{name}",
                container_name=name,
                account_name=account.name,
                resource_group_name=args.resource_group_name,
                public_access=storage.PublicAccess.NONE,
                opts=stateful(self, spec.protect),
            )
            for name in spec.containers
        }
        self.register_outputs({"accountName": self.account_name})

    def account_key(self) -> pulumi.Output[str]:
        """The account's first key, read from Azure at deployment time, as a secret.

        Invoke results are not secret by themselves (and never under the mocks), so the key is
        wrapped before anything else can see it.
        """
        keys = storage.list_storage_account_keys_output(
            resource_group_name=self._resource_group_name,
            account_name=self.account_name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return pulumi.Output.secret(keys.apply(lambda result: result.keys[0].value))


# --- one datastore -----------------------------------------------------------------------


@dataclass(frozen=True)
class AttachedDatastoreArgs:
    spec: DatastoreSpec
    workspace_name: pulumi.Input[str]
    workspace_resource_group_name: pulumi.Input[str]
    account_name: pulumi.Input[str]
    container: pulumi.Input[str]
    subscription_id: pulumi.Input[str]  # of the account (and of the role definitions)
    account_resource_group_name: pulumi.Input[str]
    # The key, SAS token or client secret (a secret Output); None for identity.
    secret: pulumi.Input[str] | None = None
    # identity only: the principal id of the workspace (None) and of each compute by name, for
    # the spec's grants.
    principal_ids: Mapping[str | None, pulumi.Input[str]] = field(default_factory=dict)
    # Shared by every datastore of the stack, so that a container two datastores point at is
    # granted once per identity and role.
    grants: RoleAssignments = field(default_factory=RoleAssignments)
    depends_on: list[pulumi.Resource] = field(default_factory=list)


def _credentials(s: DatastoreSpec, secret: pulumi.Input[str] | None) -> Any:
    """The datastore's credentials block, built from its auth's row (azureml_infra.datastore_kinds)."""
    auth = s.auth
    credentials_class = getattr(ml, auth.credentials_args)
    if auth.secrets_args is None:
        return credentials_class(credentials_type=auth.credentials_type)
    # The discriminators are required keyword arguments of the SDK's classes.
    secrets = getattr(ml, auth.secrets_args)(secrets_type=auth.credentials_type, **{auth.secret_argument or "": secret})
    principal = {"client_id": s.client_id, "tenant_id": s.tenant_id} if s.client_id else {}
    return credentials_class(credentials_type=auth.credentials_type, secrets=secrets, **principal)


class AttachedDatastore(pulumi.ComponentResource):
    """An Azure ML datastore and, for identity access, the data roles of its readers."""

    name: str
    kind: str
    default: bool
    account_name: pulumi.Output[str]
    container: pulumi.Output[str]
    datastore: ml.Datastore
    role_assignments: list[authorization.RoleAssignment]

    def __init__(self, name: str, args: AttachedDatastoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:datastores:AttachedDatastore", name, None, opts)
        s = args.spec
        self.name, self.kind, self.default = s.name, s.kind_name, s.default
        self.account_name = pulumi.Output.from_input(args.account_name)
        self.container = pulumi.Output.from_input(args.container)
        # The container (ADLS Gen2 filesystem) itself: the least a reader needs.
        scope = pulumi.Output.concat(
            "/subscriptions/", args.subscription_id, "/resourceGroups/", args.account_resource_group_name,
            "/providers/Microsoft.Storage/storageAccounts/", args.account_name,
            "/blobServices/default/containers/", args.container,
        )
        self.role_assignments = [
            args.grants.assign(
                r.grant, args.principal_ids[r.compute], scope, args.subscription_id, self, args.depends_on
            )
            for r in s.grants
        ]
        kind = s.kind
        self.datastore = ml.Datastore(
            s.name,
            name=s.name,
            workspace_name=args.workspace_name,
            resource_group_name=args.workspace_resource_group_name,
            properties=getattr(ml, kind.properties_args)(
                datastore_type=kind.datastore_type,
                account_name=args.account_name,
                **{kind.container_argument: args.container},
                credentials=_credentials(s, args.secret),
                protocol="https",
                resource_group=args.account_resource_group_name,
                subscription_id=s.subscription_id,
                service_data_access_auth_identity=s.service_identity,
            ),
            # Keep the whole properties block secret in the state, not only the wrapped value.
            opts=child(
                self,
                depends_on=[*args.depends_on, *self.role_assignments],
                additional_secret_outputs=["properties"] if s.auth.secrets_args else [],
            ),
        )
        if s.default:
            pulumi.log.warn(
                f"datastore '{s.name}' has default: true, but Azure's datastore API treats "
                "isDefault as read-only, so this program cannot make it the workspace default. "
                "Set it once after deployment (docs/datastores.md, 'The default datastore').",
                resource=self,
            )
        self.register_outputs({"name": s.name, "kind": s.kind_name, "accountName": self.account_name})


# --- all of them -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatastoresArgs:
    specs: tuple[DatastoreSpec, ...]
    workspace_name: pulumi.Input[str]
    workspace_resource_group_name: pulumi.Input[str]
    subscription_id: pulumi.Input[str]  # the deployment's
    # The principal id of the workspace (None) and of each compute that has one, by name.
    principal_ids: Mapping[str | None, pulumi.Input[str]] = field(default_factory=dict)
    # Config key -> secret Output, for the datastores' credentials.
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # The data lake, for the datastores on it (accountName: dataStorage).
    data_storage: DataStorage | None = None


def create_datastores(args: DatastoresArgs, parent: pulumi.Resource) -> dict[str, AttachedDatastore]:
    """One datastore per entry, children of ``parent`` (the workspace component), by name."""
    grants = RoleAssignments()
    datastores: dict[str, AttachedDatastore] = {}
    lake = args.data_storage
    for s in args.specs:
        account_name: pulumi.Input[str] = s.account_name
        container: pulumi.Input[str] = s.container
        depends_on: list[pulumi.Resource] = []
        secret = args.secrets[s.secret] if s.secret else None
        if s.on_data_storage:
            assert lake is not None  # config.rules.datastores: dataStorage is configured
            blob_container = lake.containers[s.container]
            account_name, container, depends_on = lake.account_name, blob_container.name, [blob_container]
            if s.key_from_data_storage:
                secret = lake.account_key()
        datastores[s.name] = AttachedDatastore(
            f"datastore-{s.name}",
            AttachedDatastoreArgs(
                spec=s,
                workspace_name=args.workspace_name,
                workspace_resource_group_name=args.workspace_resource_group_name,
                account_name=account_name,
                container=container,
                subscription_id=s.subscription_id or args.subscription_id,
                account_resource_group_name=s.resource_group or args.workspace_resource_group_name,
                secret=secret,
                principal_ids=args.principal_ids,
                grants=grants,
                depends_on=depends_on,
            ),
            opts=child(parent),
        )
    return datastores


def datastores_output(datastores: Mapping[str, AttachedDatastore]) -> dict[str, Any]:
    """The ``datastores`` stack output: name -> {kind, accountName, container} (+ default: true).

    Built from names only: never from the datastore's properties, which hold the credential.
    """
    return {
        name: {
            "kind": ds.kind,
            "accountName": ds.account_name,
            "container": ds.container,
            **({"default": True} if ds.default else {}),
        }
        for name, ds in datastores.items()
    }
