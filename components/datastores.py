"""The data lake account and the datastores attached to the workspace.

- ``DataStorage``: the optional storage account for data (key ``dataStorage``) and its private
  containers, created with the environment and protected like the workspace's storage.
- ``AttachedDatastore``: one Azure ML datastore (key ``datastores[]``), pointing at that account
  or at existing storage. With ``auth: identity`` (the default) it stores no credential, and the
  identities that read the data - the workspace's and each compute cluster's - get a data role
  on the container itself. Otherwise the credential goes in as a Pulumi secret and stays one.

Both are children of the workspace component.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import authorization, storage
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra.config.datastores import DataStorageSettings, DatastoreSettings
from azureml_infra.datastore_kinds import AUTHS, KINDS
from azureml_infra.roles import Role
from components.access import Grant, Principal, RoleAssignments, principals_of
from components.locks import lock_against_deletion
from components.options import child, stateful
from components.workspace import MachineLearningWorkspace, private_storage_args

# --- the data storage account ----------------------------------------------------------


@dataclass(frozen=True)
class DataStorageArgs:
    account_name: str
    settings: DataStorageSettings
    resource_group_name: pulumi.Input[str]
    location: str
    # Shared keys stay off unless a datastore on this account authenticates with one (an
    # account key, or a SAS token, which is signed with one).
    allow_shared_key_access: bool = False
    # Behind private endpoints (network.privateEndpoints): public network access off.
    private_network: bool = False
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class DataStorage(pulumi.ComponentResource):
    """A storage account for data with private containers, secure by default."""

    account_name: pulumi.Output[str]
    containers: dict[str, storage.BlobContainer]

    def __init__(self, name: str, args: DataStorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:datastores:DataStorage", name, None, opts)
        self._resource_group_name = args.resource_group_name
        account = storage.StorageAccount(
            "data-storage",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=storage.SkuArgs(name="Standard_LRS"),
            kind=storage.Kind.STORAGE_V2,
            access_tier=storage.AccessTier.HOT,
            is_hns_enabled=args.settings.hierarchical_namespace,
            enable_https_traffic_only=True,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            allow_shared_key_access=args.allow_shared_key_access,
            **private_storage_args(args.private_network),
            tags=args.tags,
            opts=stateful(self, args.protect),
        )
        if args.protect:
            lock_against_deletion("data-storage", account, "the data lake and its containers", parent=self)
        self.account = account
        self.account_name = account.name
        self.containers = {
            name: storage.BlobContainer(
                f"data-container-{name}",
                container_name=name,
                account_name=account.name,
                resource_group_name=args.resource_group_name,
                public_access=storage.PublicAccess.NONE,
                opts=stateful(self, args.protect),
            )
            for name in args.settings.containers
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
    settings: DatastoreSettings
    workspace_name: pulumi.Input[str]
    workspace_resource_group_name: pulumi.Input[str]
    account_name: pulumi.Input[str]
    container: pulumi.Input[str]
    # The key, SAS token or client secret (a secret Output); None for identity.
    secret: pulumi.Input[str] | None = None
    # identity only: who gets the data role, where, and the config-only key of that scope.
    readers: list[Principal] = field(default_factory=list)
    subscription_id: pulumi.Input[str] | None = None
    account_resource_group_name: pulumi.Input[str] | None = None
    scope_key: str = ""
    # Shared by every datastore of the stack, so that a container two datastores point at is
    # granted once per identity and role.
    grants: RoleAssignments = field(default_factory=RoleAssignments)
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    # Which of the workspace's identities studio uses for identity-based data: the one it has.
    service_identity: str = "WorkspaceSystemAssignedIdentity"


def _credentials(s: DatastoreSettings, secret: pulumi.Input[str] | None):
    """The datastore's credentials block, built from the auth's row in config.datastores.AUTHS."""
    auth = AUTHS[s.auth]
    credentials_class = getattr(ml, auth.credentials_args)
    if auth.secrets_args is None:
        return credentials_class(credentials_type=auth.credentials_type)
    # The discriminators are required keyword arguments of the SDK's classes.
    secrets = getattr(ml, auth.secrets_args)(secrets_type=auth.credentials_type, **{auth.secret_argument: secret})
    principal = {"client_id": s.client_id, "tenant_id": s.tenant_id} if s.auth == "servicePrincipal" else {}
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
        s = args.settings
        self.name, self.kind, self.default = s.name, s.kind, s.default
        self.account_name = pulumi.Output.from_input(args.account_name)
        self.container = pulumi.Output.from_input(args.container)
        identity = s.auth == "identity"

        self.role_assignments = [self._grant(args, reader) for reader in args.readers] if identity else []

        kind = KINDS[s.kind]
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
                # Studio features (preview, profile) read identity-based data as the workspace,
                # which therefore gets the data role too.
                service_data_access_auth_identity=args.service_identity if identity else "None",
            ),
            # Keep the whole properties block secret in the state, not only the wrapped value.
            opts=child(
                self,
                depends_on=[*args.depends_on, *self.role_assignments],
                additional_secret_outputs=[] if identity else ["properties"],
            ),
        )
        if s.default:
            pulumi.log.warn(
                f"datastore '{s.name}' has default: true, but Azure's datastore API treats "
                "isDefault as read-only, so this program cannot make it the workspace default. "
                "Set it once after deployment (docs/datastores.md, 'The default datastore').",
                resource=self,
            )
        self.register_outputs({"name": s.name, "kind": s.kind, "accountName": self.account_name})

    def _grant(self, args: AttachedDatastoreArgs, reader: Principal) -> authorization.RoleAssignment:
        s = args.settings
        role = Role.STORAGE_BLOB_DATA_CONTRIBUTOR if s.read_write else Role.STORAGE_BLOB_DATA_READER
        # The container (ADLS Gen2 filesystem) itself: the least the reader needs. See
        # docs/datastores.md for why not the account.
        scope = pulumi.Output.concat(
            "/subscriptions/", args.subscription_id, "/resourceGroups/", args.account_resource_group_name,
            "/providers/Microsoft.Storage/storageAccounts/", args.account_name,
            "/blobServices/default/containers/", args.container,
        )
        short = "contributor" if s.read_write else "reader"
        return args.grants.assign(
            f"{s.name}-{short}-{reader.label}",
            Grant(
                role=role,
                scope=scope,
                scope_key=args.scope_key,
                principal_id=reader.principal_id,
                principal_key=reader.key,
                subscription_id=args.subscription_id,
                description=f"azureml-infra: {reader.key} {'reads and writes' if s.read_write else 'reads'} datastore {s.name}",
            ),
            parent=self,
            depends_on=args.depends_on,
        )


# --- wiring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatastoresArgs:
    """The stack's data lake (if any) and datastores, with the config-only names they need."""

    datastores: list[DatastoreSettings]
    data_storage: DataStorageSettings | None
    # The data lake account's Azure name (from the stack file or generated), when it has one.
    data_storage_account_name: str | None
    # Config-only identities of the workspace and its group: they name the role assignments.
    workspace_key: str
    workspace_resource_group_key: str
    location: str
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    # The workspace's user-assigned identity (workspace.identity: userAssigned), by its config-only
    # key (its name, or its ARM id when reused); None: the workspace's system-assigned identity.
    workspace_identity_key: str | None = None
    # Private endpoints front the data lake (network.privateEndpoints): public network access off.
    private_network: bool = False


def create_data_storage(args: DatastoresArgs, workspace: MachineLearningWorkspace) -> DataStorage | None:
    """The data lake account (``dataStorage``), or None; create_datastores makes it when not given."""
    return _data_storage(args, workspace)


def _data_storage(args: DatastoresArgs, workspace: MachineLearningWorkspace) -> DataStorage | None:
    if args.data_storage is None:
        return None
    assert args.data_storage_account_name is not None
    shared_key = any(ds.on_data_storage and ds.auth in ("accountKey", "sas") for ds in args.datastores)
    return DataStorage(
        "data-storage",
        DataStorageArgs(
            account_name=args.data_storage_account_name,
            settings=args.data_storage,
            resource_group_name=workspace.resource_group_name,
            location=args.location,
            allow_shared_key_access=shared_key,
            private_network=args.private_network,
            protect=args.protect,
            tags=args.tags,
        ),
        opts=child(workspace),
    )


@dataclass(frozen=True)
class _Target:
    """Where a datastore points: the account and container, as inputs and as config names."""

    account_name: pulumi.Input[str]
    container: pulumi.Input[str]
    account_key_name: str  # the account's name from config (for the assignment's scope key)
    depends_on: list[pulumi.Resource]


def _target(s: DatastoreSettings, args: DatastoresArgs, data_storage: DataStorage | None) -> _Target:
    if not s.on_data_storage:
        return _Target(s.account_name, s.container, s.account_name, [])
    assert data_storage is not None and args.data_storage_account_name is not None  # config checks
    container = data_storage.containers[s.container]
    return _Target(data_storage.account_name, container.name, args.data_storage_account_name, [container])


def _secret(s: DatastoreSettings, data_storage: DataStorage | None) -> pulumi.Input[str] | None:
    """The credential: the data lake's own key, a secret config key's value, or None (identity)."""
    if s.auth == "accountKey" and s.on_data_storage:
        assert data_storage is not None
        return data_storage.account_key()
    if s.secret is not None:
        return pulumi.Config().require_secret(s.secret)
    return None


def create_datastores(
    args: DatastoresArgs,
    workspace: MachineLearningWorkspace,
    computes: dict[str, pulumi.Resource],
    data_storage: DataStorage | None = None,
) -> dict[str, pulumi.Resource]:
    """The data storage account (if configured) and one datastore per entry.

    Returns the datastores (``AttachedDatastore``) keyed by datastore name. ``computes`` maps a
    compute name to a component whose ``principal_id`` is an Output of its identity, or None.
    """
    data_storage = data_storage or _data_storage(args, workspace)
    if not args.datastores:
        return {}
    readers = principals_of(args.workspace_key, workspace.principal_id, computes, args.workspace_identity_key)
    deployment_subscription = authorization.get_client_config_output(
        opts=pulumi.InvokeOutputOptions(parent=workspace)
    ).subscription_id
    grants = RoleAssignments()
    datastores: dict[str, pulumi.Resource] = {}
    for s in args.datastores:
        target = _target(s, args, data_storage)
        scope_key = (s.subscription_id or "deployment", s.resource_group or args.workspace_resource_group_key,
                     target.account_key_name, s.container)
        datastores[s.name] = AttachedDatastore(
            f"datastore-{s.name}",
            AttachedDatastoreArgs(
                settings=s,
                workspace_name=workspace.workspace_name,
                workspace_resource_group_name=workspace.resource_group_name,
                account_name=target.account_name,
                container=target.container,
                secret=_secret(s, data_storage),
                readers=readers,
                subscription_id=s.subscription_id or deployment_subscription,
                account_resource_group_name=s.resource_group or workspace.resource_group_name,
                scope_key="/".join(scope_key),
                grants=grants,
                depends_on=target.depends_on,
                service_identity="WorkspaceSystemAssignedIdentity" if args.workspace_identity_key is None
                else "WorkspaceUserAssignedIdentity",
            ),
            opts=child(workspace),
        )
    return datastores


def datastores_output(datastores: dict[str, pulumi.Resource]) -> pulumi.Input[dict]:
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
