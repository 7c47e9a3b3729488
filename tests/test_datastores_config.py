"""Every config rule of dataStorage and datastores: the exact problem line, and that nothing is
registered; the kind x auth matrix; and the generated data lake name."""

from __future__ import annotations

import pytest

from azureml_infra.naming import generated_names
from tests.conftest import accepted, config_error, problem_lines, stack

P = "azureml-infra:datastores[0]"
CLIENT = "44445555-eeee-6666-ffff-7777aaaa8888"
TENANT = "bbbbcccc-1111-dddd-2222-eeee3333ffff"
CONTAINER_RULE = (
    "may contain only lowercase letters, digits and hyphens, must start and end with a letter or "
    "digit, and every hyphen must sit between two letters or digits"
)


def entry(**settings) -> dict:
    return {"name": "raw", "kind": "blob", "accountName": "mlopsdata", "container": "raw", **settings}


def config(datastores: list[dict], data_storage: dict | None = None, secure: dict | None = None,
           **extra) -> dict:
    document = {"azureml-infra:datastores": datastores, **{f"azureml-infra:{k}": v for k, v in extra.items()}}
    if data_storage is not None:
        document["azureml-infra:dataStorage"] = data_storage
    return stack(document, secure=secure)


S = {"s": "value"}  # one secret config key, "s"
SP = {"auth": "servicePrincipal", "secret": "s", "clientId": CLIENT, "tenantId": TENANT}
LAKE = {"containers": ["raw"]}

CASES = {
    # names
    "uppercase name": (
        config([entry(name="Raw")]),
        f'{P}.name: a datastore name may contain only lowercase letters, digits and underscores (got "Raw")',
    ),
    "hyphen in name": (
        config([entry(name="raw-data")]),
        f'{P}.name: a datastore name may contain only lowercase letters, digits and underscores (got "raw-data")',
    ),
    "empty name": (
        config([entry(name="")]),
        f'{P}.name: a datastore name must be 1-255 characters long (this one has 0) (got "")',
    ),
    "the workspace's own datastore": (
        config([entry(name="workspaceblobstore")]),
        f"{P}.name: 'workspaceblobstore' is the name of a datastore Azure ML creates in every workspace; "
        'choose another (got "workspaceblobstore")',
    ),
    "the workspace's working directory": (
        config([entry(name="workspaceworkingdirectory")]),
        f"{P}.name: 'workspaceworkingdirectory' is the name of a datastore Azure ML creates in every "
        'workspace; choose another (got "workspaceworkingdirectory")',
    ),
    "duplicate name": (
        config([entry(), entry(container="other")]),
        "azureml-infra:datastores[1].name: 'raw' is already the name of datastores[0]",
    ),
    # kind, auth
    "unknown kind": (
        config([entry(kind="s3")]),
        f"{P}.kind: input should be 'blob', 'adlsGen2' or 'fileShare' (got \"s3\")",
    ),
    "unknown auth": (
        config([entry(auth="password")]),
        f"{P}.auth: input should be 'identity', 'accountKey', 'sas' or 'servicePrincipal' (got \"password\")",
    ),
    "unknown key": (
        config([entry(container_name="raw")]),
        f"{P}.container_name: unknown key; did you mean 'container'? (known keys: name, kind, accountName, "
        "container, resourceGroup, subscriptionId, auth, secret, clientId, tenantId, readWrite, default)",
    ),
    # containers, filesystems, shares
    "container with uppercase": (
        config([entry(container="Raw")]),
        f'{P}.container: a blob container name {CONTAINER_RULE} (got "Raw")',
    ),
    "container too short": (
        config([entry(container="ab")]),
        f'{P}.container: a blob container name must be 3-63 characters long (this one has 2) (got "ab")',
    ),
    "container too long": (
        config([entry(container="a" * 64)]),
        f'{P}.container: a blob container name must be 3-63 characters long (this one has 64) (got "{"a" * 64}")',
    ),
    "container with two hyphens in a row": (
        config([entry(container="raw--data")]),
        f'{P}.container: a blob container name {CONTAINER_RULE} (got "raw--data")',
    ),
    "container ending in a hyphen": (
        config([entry(container="raw-")]),
        f'{P}.container: a blob container name {CONTAINER_RULE} (got "raw-")',
    ),
    "filesystem with an underscore": (
        config([entry(kind="adlsGen2", container="raw_data")]),
        f"{P}.container: an ADLS Gen2 filesystem is a blob container, and a blob container name "
        f'{CONTAINER_RULE} (got "raw_data")',
    ),
    "share starting with a hyphen": (
        config([entry(kind="fileShare", container="-share", auth="sas", secret="s")], secure=S),
        f'{P}.container: a file share name {CONTAINER_RULE} (got "-share")',
    ),
    # accounts, groups, subscriptions
    "account name with uppercase": (
        config([entry(accountName="MlopsData")]),
        f"{P}.accountName: a storage account name may contain only lowercase letters and digits, or "
        '`dataStorage` for the account this stack creates (got "MlopsData")',
    ),
    "resource group ending in a period": (
        config([entry(resourceGroup="rg-data.")]),
        f"{P}.resourceGroup: a resource group name may contain letters, digits, underscores, hyphens, "
        'periods and parentheses, and must not end with a period (got "rg-data.")',
    ),
    "subscription not a GUID": (
        config([entry(subscriptionId="my-subscription")]),
        f'{P}.subscriptionId: must be a GUID such as 00000000-0000-0000-0000-000000000000 (got "my-subscription")',
    ),
    # secrets
    "secret key not set": (
        config([entry(auth="sas", secret="rawSas")]),
        f"{P}.secret: names the config key 'azureml-infra:rawSas', which is not set; set it with: "
        'pulumi config set --secret rawSas <value>',
    ),
    "secret key in plain text": (
        config([entry(auth="sas", secret="rawSas")], rawSas="sv=2024&sig=abc"),
        f"{P}.secret: names the config key 'azureml-infra:rawSas', which is stored in plain text; store it "
        'as a secret: pulumi config set --secret rawSas <value>',
    ),
    "secret missing for accountKey": (
        config([entry(auth="accountKey")]),
        f"{P}.secret: is required for auth accountKey: the name of the config key that holds the account "
        "key (pulumi config set --secret <key> <value>)",
    ),
    "secret missing for sas": (
        config([entry(auth="sas")]),
        f"{P}.secret: is required for auth sas: the name of the config key that holds the SAS token "
        "(pulumi config set --secret <key> <value>)",
    ),
    "secret missing for servicePrincipal": (
        config([entry(kind="adlsGen2", auth="servicePrincipal", clientId=CLIENT, tenantId=TENANT)]),
        f"{P}.secret: is required for auth servicePrincipal: the name of the config key that holds the "
        "client secret (pulumi config set --secret <key> <value>)",
    ),
    "secret with identity": (
        config([entry(secret="s")], secure=S),
        f"{P}.secret: identity needs no stored credential: remove it",
    ),
    "secret for the key of dataStorage": (
        config([entry(accountName="dataStorage", auth="accountKey", secret="s")], LAKE, secure=S),
        f"{P}.secret: the account key of dataStorage is read from the account this stack creates: remove it",
    ),
    # service principal
    "clientId not a GUID": (
        config([entry(kind="adlsGen2", **{**SP, "clientId": "my-app"})], secure=S),
        f'{P}.clientId: must be a GUID such as 00000000-0000-0000-0000-000000000000 (got "my-app")',
    ),
    "tenantId not a GUID": (
        config([entry(kind="adlsGen2", **{**SP, "tenantId": "contoso.onmicrosoft.com"})], secure=S),
        f"{P}.tenantId: must be a GUID such as 00000000-0000-0000-0000-000000000000 "
        '(got "contoso.onmicrosoft.com")',
    ),
    "clientId missing": (
        config([entry(kind="adlsGen2", auth="servicePrincipal", secret="s", tenantId=TENANT)], secure=S),
        f"{P}.clientId: is required for auth servicePrincipal",
    ),
    "tenantId missing": (
        config([entry(kind="adlsGen2", auth="servicePrincipal", secret="s", clientId=CLIENT)], secure=S),
        f"{P}.tenantId: is required for auth servicePrincipal",
    ),
    "clientId without servicePrincipal": (
        config([entry(auth="sas", secret="s", clientId=CLIENT)], secure=S),
        f"{P}.clientId: is only for auth servicePrincipal (auth is sas): remove it",
    ),
    "tenantId with identity": (
        config([entry(tenantId=TENANT)]),
        f"{P}.tenantId: is only for auth servicePrincipal (auth is identity): remove it",
    ),
    # readWrite, default
    "readWrite with a credential": (
        config([entry(auth="accountKey", secret="s", readWrite=True)], secure=S),
        f"{P}.readWrite: only applies to identity (it picks the role this stack grants); with accountKey "
        "the credential decides what is allowed: remove it",
    ),
    "two defaults": (
        config([entry(default=True), entry(name="curated", default=True)]),
        "azureml-infra:datastores[1].default: only one datastore can be the workspace default, "
        "and datastores[0] already is",
    ),
    # dataStorage
    "dataStorage not configured": (
        config([entry(accountName="dataStorage")]),
        f"{P}.accountName: 'dataStorage' points at the account azureml-infra:dataStorage creates, which is "
        "not configured: add dataStorage, or name an existing account",
    ),
    "container not in dataStorage": (
        config([entry(accountName="dataStorage", container="curated")], LAKE),
        f"{P}.container: 'curated' is not one of azureml-infra:dataStorage.containers (raw): add it there",
    ),
    "dataStorage with no containers": (
        config([entry(accountName="dataStorage")], {}),
        f"{P}.container: 'raw' is not one of azureml-infra:dataStorage.containers (none): add it there",
    ),
    "file share on dataStorage": (
        config([entry(accountName="dataStorage", kind="fileShare", auth="sas", secret="s")], LAKE, secure=S),
        f"{P}.kind: dataStorage gets blob containers only, no file shares: point this fileShare datastore "
        "at an existing account",
    ),
    "adlsGen2 on a flat dataStorage": (
        config([entry(accountName="dataStorage", kind="adlsGen2")], {**LAKE, "hierarchicalNamespace": False}),
        f"{P}.kind: an adlsGen2 datastore needs a hierarchical namespace, and "
        "azureml-infra:dataStorage.hierarchicalNamespace is false: use kind blob, or set it true",
    ),
    "resourceGroup with dataStorage": (
        config([entry(accountName="dataStorage", resourceGroup="rg-data")], LAKE),
        f"{P}.resourceGroup: the dataStorage account is in the workspace's resource group and "
        "subscription: remove it",
    ),
    "subscriptionId with dataStorage": (
        config([entry(accountName="dataStorage", subscriptionId=CLIENT)], LAKE),
        f"{P}.subscriptionId: the dataStorage account is in the workspace's resource group and "
        "subscription: remove it",
    ),
    "dataStorage name taken by the workspace storage": (
        config([], {"name": "stmlopsdevt0k7"}),
        "azureml-infra:dataStorage.name: 'stmlopsdevt0k7' is already the workspace's storage account: "
        "choose another name",
    ),
    "dataStorage name too long": (
        config([], {"name": "stmlopsdevdatalake0123456"}),
        "azureml-infra:dataStorage.name: a storage account name must be 3-24 characters long (this one "
        'has 25) (got "stmlopsdevdatalake0123456")',
    ),
    "dataStorage container invalid": (
        config([], {"containers": ["raw", "Curated"]}),
        "azureml-infra:dataStorage.containers[1]: a blob container name "
        f'{CONTAINER_RULE} (got "Curated")',
    ),
    "dataStorage container twice": (
        config([], {"containers": ["raw", "raw"]}),
        "azureml-infra:dataStorage.containers: lists 'raw' more than once",
    ),
    "dataStorage hierarchicalNamespace not a boolean": (
        config([], {"hierarchicalNamespace": "yes"}),
        'azureml-infra:dataStorage.hierarchicalNamespace: input should be a valid boolean (got "yes")',
    ),
}

# kind x auth: the combinations Azure ML refuses, and what the program says (docs/datastores.md).
REFUSED = {
    ("blob", "servicePrincipal"): "'servicePrincipal' (given) is not supported for a blob datastore by "
    "Azure ML; use identity, accountKey or sas",
    ("adlsGen2", "accountKey"): "'accountKey' (given) is not supported for an adlsGen2 datastore by "
    "Azure ML; use identity or servicePrincipal",
    ("adlsGen2", "sas"): "'sas' (given) is not supported for an adlsGen2 datastore by Azure ML; use "
    "identity or servicePrincipal",
    ("fileShare", "identity"): "'identity' (given) is not supported for a fileShare datastore by Azure ML; "
    "use accountKey or sas",
    ("fileShare", "servicePrincipal"): "'servicePrincipal' (given) is not supported for a fileShare "
    "datastore by Azure ML; use accountKey or sas",
}
ACCEPTED = [
    ("blob", "identity"), ("blob", "accountKey"), ("blob", "sas"),
    ("adlsGen2", "identity"), ("adlsGen2", "servicePrincipal"),
    ("fileShare", "accountKey"), ("fileShare", "sas"),
]


def auth_settings(auth: str) -> dict:
    return {
        "identity": {"auth": "identity"},
        "accountKey": {"auth": "accountKey", "secret": "s"},
        "sas": {"auth": "sas", "secret": "s"},
        "servicePrincipal": SP,
    }[auth]


@pytest.mark.parametrize("case", CASES)
def test_rule_prints_its_exact_problem_and_registers_nothing(case):
    document, expected = CASES[case]
    text, run = config_error(document)
    assert problem_lines(text) == [expected]
    assert run.registrations == []


@pytest.mark.parametrize("kind, auth", REFUSED)
def test_refused_kind_and_auth(kind, auth):
    secure = S if auth != "identity" else None
    text, run = config_error(config([entry(kind=kind, **auth_settings(auth))], secure=secure))
    assert problem_lines(text) == [f"{P}.auth: {REFUSED[kind, auth]}"]
    assert run.registrations == []


def test_file_share_needs_an_auth_because_the_default_identity_is_refused():
    text, run = config_error(config([entry(kind="fileShare", container="share")]))
    assert problem_lines(text) == [
        f"{P}.auth: 'identity' (the default) is not supported for a fileShare datastore by Azure ML; "
        "use accountKey or sas"
    ]
    assert run.registrations == []


@pytest.mark.parametrize("kind, auth", ACCEPTED)
def test_accepted_kind_and_auth(kind, auth):
    # What each accepted pair registers: tests/test_datastores.py, test_every_accepted_combination_*.
    secure = S if auth != "identity" else None
    (datastore,) = accepted(config([entry(kind=kind, **auth_settings(auth))], secure=secure)).datastores
    assert (datastore.name, datastore.kind, datastore.auth) == ("raw", kind, auth)


def test_every_problem_is_listed_at_once():
    text, _ = config_error(config([entry(name="Raw"), entry(kind="fileShare", container="share")]))
    assert len(problem_lines(text)) == 2


def test_a_referenced_secret_key_is_not_an_unknown_key():
    (datastore,) = accepted(config([entry(auth="sas", secret="rawSas")], secure={"rawSas": "token"})).datastores
    assert datastore.secret == "rawSas"


def test_data_storage_names_are_frozen():
    # Frozen on purpose: a new name would replace the data lake account and lose its data.
    assert generated_names("mlops", "dev").data_storage == "stmlopsdevdatat0k7"
    assert generated_names("mlops", "prod", "01").data_storage == "stmlopsproddata01"
    # 24 characters already without a marker: the prefix gives up its last character.
    assert generated_names("abcdefghij", "abcdefgh", "wxyz").data_storage == "stabcdefghiabcdefghdwxyz"
    # ... and where that would equal the workspace storage name, the marker is x.
    assert generated_names("abcdefghid", "dddddddd", "dddd").storage_account == "stabcdefghiddddddddddddd"
    assert generated_names("abcdefghid", "dddddddd", "dddd").data_storage == "stabcdefghiddddddddxdddd"
