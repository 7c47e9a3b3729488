"""Facts the program, the offline tools and the policy pack share, each written down once.

Pure Python with no third-party import (no Pulumi SDK, no pydantic): the policy pack runs in
its own venv (``.venv-policy``) and imports this module from the repository root.
"""

from __future__ import annotations

import re
from datetime import timedelta

# The Pulumi project: the `name:` in Pulumi.yaml and the namespace of every config key
# (a test holds Pulumi.yaml to it).
PROJECT = "azureml-infra"

# What a secret value looks like wherever it is shown without being decrypted: the offline
# plan, the policy run's input, the harness's stand-in for `secure:` config values.
SECRET_PLACEHOLDER = "[secret]"

# --- resource types --------------------------------------------------------------------

RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_CONTAINER = "azure-native:storage:BlobContainer"
KEY_VAULT = "azure-native:keyvault:Vault"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
APPLICATION_INSIGHTS = "azure-native:applicationinsights:Component"
CONTAINER_REGISTRY = "azure-native:containerregistry:Registry"
ML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
ML_COMPUTE = "azure-native:machinelearningservices:Compute"
ML_DATASTORE = "azure-native:machinelearningservices:Datastore"
MANAGEMENT_LOCK = "azure-native:authorization:ManagementLockByScope"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ML_REGISTRY = "azure-native:machinelearningservices:Registry"
AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"
K8S_EXTENSION = "azure-native:kubernetesconfiguration:Extension"

# Resources that hold data, secrets or history: losing one loses more than a redeploy gives
# back. With `protect: true` the program protects (and retains on delete) exactly these, and
# the policy pack requires that in prod; a test holds the program to this set.
STATEFUL_TYPES = frozenset(
    {
        RESOURCE_GROUP,
        STORAGE_ACCOUNT,  # the workspace's storage and the data lake
        BLOB_CONTAINER,  # the data lake's containers
        KEY_VAULT,
        LOG_ANALYTICS,
        APPLICATION_INSIGHTS,
        CONTAINER_REGISTRY,
        ML_WORKSPACE,
        # The workspace's user-assigned identity holds no data, but replacing it makes a new
        # principal: every grant to the old one (on shared data, in other subscriptions) is lost.
        USER_ASSIGNED_IDENTITY,
        ML_REGISTRY,  # the shared Azure ML registry: every promoted model and environment
    }
)

# Of those, the ones that also get an Azure CanNotDelete lock with `protect: true`: `protect`
# stops Pulumi, a lock stops a person in the portal or a script. Not the workspace, nor its
# resource group: a lock is inherited by child resources, so one on the workspace would make
# deleting a compute or an endpoint fail, and one on the group stops cluster autoscale from
# removing nodes ("Lock your resources", azure-resource-manager/management/lock-resources);
# Azure ML's managed network asks for no scope locks on them (how-to-managed-network,
# Limitations). The workspace's history lives in its storage, which is locked.
LOCKED_TYPES = frozenset({STORAGE_ACCOUNT, KEY_VAULT, CONTAINER_REGISTRY})

# --- ISO 8601 durations ------------------------------------------------------------------

# Days, hours, minutes and whole seconds, as Azure ML writes them (PT15M, P1DT12H). Years and
# months have no fixed length, so they are not accepted; a T must be followed by a part.
DURATION_RE = re.compile(
    r"P(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


def parse_duration(value: object) -> timedelta | None:
    """The length of an ISO 8601 duration such as PT15M or P1DT12H; None when it is not one."""
    match = DURATION_RE.fullmatch(value) if isinstance(value, str) else None
    if not match or value == "P":
        return None
    return timedelta(**{unit: int(n) for unit, n in match.groupdict().items() if n})
