"""The datastore kinds and authentications Azure ML implements, and how each is written in its
datastore API (pure Python, a leaf: the config validates against it, the component builds the
SDK's classes from it).

Which authentication each kind accepts follows the Azure ML SDK v2, the service's own client
(azure-ai-ml, ``entities/_datastore/azure_storage.py``), and the Azure ML docs: the REST schema
takes any credential type for any kind, but the service only implements these. See
docs/datastores.md for the matrix and its sources.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindSpec:
    """What one datastore kind is, in the stack file and in Azure ML's datastore API."""

    auths: tuple[str, ...]  # the auth values Azure ML implements for it; the first is recommended
    container_rule: str  # the naming rule (azureml_infra.naming.RULES) of ``container``
    datastore_type: str  # Azure ML's datastoreType
    properties_args: str  # the pulumi-azure-native machinelearningservices class of its properties
    container_argument: str  # the argument of that class that names the container


# Which auth each kind takes:
# - identity: blob and ADLS Gen2 only ("Identity-based data access supports connections to
#   only ... Azure Blob Storage, Azure Data Lake Storage Gen1, Azure Data Lake Storage Gen2",
#   MicrosoftDocs azure-ai-docs, machine-learning/how-to-identity-based-service-authentication.md).
# - blob and file share: account key or SAS token; ADLS Gen2: service principal (or a
#   certificate, not offered here). azure-ai-ml AzureBlobDatastore / AzureFileDatastore take
#   Union[AccountKeyConfiguration, SasTokenConfiguration], AzureDataLakeGen2Datastore takes
#   Union[ServicePrincipalConfiguration, CertificateConfiguration].
KINDS: dict[str, KindSpec] = {
    "blob": KindSpec(
        ("identity", "accountKey", "sas"), "blob_container", "AzureBlob", "AzureBlobDatastoreArgs", "container_name"
    ),
    "adlsGen2": KindSpec(
        ("identity", "servicePrincipal"), "blob_container", "AzureDataLakeGen2",
        "AzureDataLakeGen2DatastoreArgs", "filesystem",
    ),
    "fileShare": KindSpec(
        ("accountKey", "sas"), "file_share", "AzureFile", "AzureFileDatastoreArgs", "file_share_name"
    ),
}


@dataclass(frozen=True)
class AuthSpec:
    """One way a datastore authenticates, and the credential it stores (if any)."""

    credentials_type: str  # Azure ML's credentialsType (and secretsType)
    credentials_args: str  # the pulumi-azure-native class of the credentials
    secret: str | None = None  # what the stored secret is, for messages; None: nothing stored
    secrets_args: str | None = None  # the class holding the secret
    secret_argument: str | None = None  # its argument that takes the secret


AUTHS: dict[str, AuthSpec] = {
    "identity": AuthSpec("None", "NoneDatastoreCredentialsArgs"),
    "accountKey": AuthSpec(
        "AccountKey", "AccountKeyDatastoreCredentialsArgs", "account key", "AccountKeyDatastoreSecretsArgs", "key"
    ),
    "sas": AuthSpec("Sas", "SasDatastoreCredentialsArgs", "SAS token", "SasDatastoreSecretsArgs", "sas_token"),
    "servicePrincipal": AuthSpec(
        "ServicePrincipal", "ServicePrincipalDatastoreCredentialsArgs", "client secret",
        "ServicePrincipalDatastoreSecretsArgs", "client_secret",
    ),
}
