"""Config of compute clusters and compute instances (keys ``computes``, ``computeInstances``).

One model replaces the seed's two templates (mlcompute/template.json and template-vnet.json):
the VNet variant is a cluster with ``subnetId``, and its admin user is ``ssh``. The password
of that user never appears here: ``passwordSecret`` names another config key, stored with
``pulumi config set --secret``.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import struct
from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from azureml_infra.config.base import (
    Guid,
    Model,
    SecretRef,
    SubnetIdOrTraining,
    UserAssignedIdentityId,
    VmSize,
    azure_name,
    key_error,
)
from azureml_infra.facts import parse_duration
from azureml_infra.naming import NameRule
from azureml_infra.schedules import cron_problem, parse_cron
from azureml_infra.time_zones import TIME_ZONES

# Azure ML compute names: letters, digits and hyphens, starting with a letter, and every hyphen
# followed later by a letter ("cpu-cluster-1" is refused). Sources: "Naming rules and
# restrictions for Azure resources" (Microsoft.MachineLearningServices workspaces/computes:
# 2-16, alphanumerics and hyphens); the studio's compute form (MicrosoftDocs azure-docs,
# how-to-create-attach-compute-studio.md: start with a letter, the hyphen rule, instances
# 3-24); and the service's own refusal of an instance name ("must be between 3 and 24
# characters ... must start with letters", microsoftdocs/pipelines-azureml issue 19).
_COMPUTE_NAME = r"[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z])?[0-9]*"
_COMPUTE_NAME_RULE = (
    "may contain only letters, digits and hyphens, must start with a letter, "
    "and every hyphen must be followed later by a letter"
)
CLUSTER_NAME = NameRule("compute cluster", 2, 16, _COMPUTE_NAME, _COMPUTE_NAME_RULE)
INSTANCE_NAME = NameRule("compute instance", 3, 24, _COMPUTE_NAME, _COMPUTE_NAME_RULE)
ClusterName = Annotated[str, azure_name(CLUSTER_NAME)]
InstanceName = Annotated[str, azure_name(INSTANCE_NAME)]


# --- value types -----------------------------------------------------------------------

def _check_duration(value: str) -> str:
    length = parse_duration(value)
    if length is None:
        raise ValueError(
            "must be an ISO 8601 duration in days, hours, minutes and seconds, "
            "such as PT15M, PT2H30M or P1D"
        )
    if length <= timedelta(0):
        raise ValueError("must be longer than zero, such as PT15M")
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]




def _check_cron(value: str) -> str:
    problem = cron_problem(value)
    if problem:
        raise ValueError(problem)
    return value


CronExpression = Annotated[str, AfterValidator(_check_cron)]
"""A cron expression as Azure ML reads a schedule's (azureml_infra.schedules)."""


def _check_time_zone(value: str) -> str:
    if value not in TIME_ZONES:
        close = difflib.get_close_matches(value, list(TIME_ZONES), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(
            f"is not a time zone Azure ML schedules take{hint}: a schedule's time zone is a Windows time zone "
            "name such as W. Europe Standard Time or UTC (docs/compute.md, Schedules, lists them)"
        )
    return value


TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]
"""A Windows time zone name from Azure's list for compute schedules (azureml_infra.time_zones)."""

# What a cluster has instead of schedules: it costs nothing idle when it scales to zero.
_CLUSTER_SCHEDULES = (
    "schedules are for compute instances (computeInstances[].schedules); a cluster costs nothing idle "
    "when it scales to zero: minNodes: 0 (the default) and idleTimeBeforeScaleDown"
)

# Key types OpenSSH writes to a .pub file that Azure Linux VMs accept.
_SSH_KEY_TYPES = ("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")


def ssh_public_key_problem(key: str) -> str | None:
    """Why ``key`` is not an OpenSSH public key line, or None when it looks like one.

    Beyond the '<type> <base64> [comment]' shape, the blob must decode and name the same
    key type inside (the first field of the OpenSSH wire format), which catches truncated
    or mangled pastes.
    """
    if "PRIVATE KEY" in key:
        return "is a private key; give the public key instead (the .pub file), and never put a private key in config"
    expected = f"must be an OpenSSH public key line, '<type> <base64> [comment]' with type {', '.join(_SSH_KEY_TYPES)}, such as the contents of ~/.ssh/id_ed25519.pub"
    fields = key.strip().split(maxsplit=2)
    if len(fields) < 2 or fields[0] not in _SSH_KEY_TYPES:
        return expected
    try:
        blob = base64.b64decode(fields[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        inner_type = blob[4 : 4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError):
        return expected
    if inner_type != fields[0]:
        return f"starts with {fields[0]}, but its key data is of type {inner_type!r}: copy the whole .pub line"
    return None


# --- sections --------------------------------------------------------------------------


class ComputeIdentity(Model):
    """The cluster's managed identity: `none`, `systemAssigned`, or an object with these keys."""

    system_assigned: bool = Field(
        False, description="A system-assigned identity, created and deleted with the cluster."
    )
    user_assigned: list[UserAssignedIdentityId] = Field(
        default_factory=list,
        min_length=1,
        description="ARM ids of existing user-assigned identities (Microsoft.ManagedIdentity/userAssignedIdentities).",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if value == "none":
            return {}
        if value == "systemAssigned":
            return {"systemAssigned": True}
        if isinstance(value, dict):
            return value
        raise ValueError(
            "must be none, systemAssigned, or {userAssigned: [<ARM ids of user-assigned identities>]}"
        )

    @property
    def arm_type(self) -> str | None:
        """ManagedServiceIdentityType, or None when the cluster has no identity."""
        kinds = [k for k, on in (("SystemAssigned", self.system_assigned), ("UserAssigned", self.user_assigned)) if on]
        return ",".join(kinds) or None


def _system_assigned() -> ComputeIdentity:
    return ComputeIdentity.model_validate("systemAssigned")


class SshSettings(Model):
    """An admin user on every node, for debugging over SSH. Absent: no admin user, no SSH."""

    admin_user_name: str = Field(min_length=1, description="Admin user name on the nodes, e.g. azureuser.")
    public_key: str | None = Field(
        None, description="OpenSSH public key line (not secret). Preferred over a password."
    )
    password_secret: SecretRef | None = Field(
        None,
        description="Name of a config key holding the admin password, set with "
        "`pulumi config set --secret <key> <password>`. Never the password itself.",
    )
    public_access: bool = Field(
        False, description="true opens the nodes' SSH port to the internet; false keeps it closed."
    )

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        if self.public_key is None and self.password_secret is None:
            raise ValueError("the admin user needs a credential: set publicKey (preferred) or passwordSecret")
        if self.public_key is not None and self.password_secret is not None:
            raise ValueError("set publicKey or passwordSecret, not both")
        # Checked here rather than on the field so a pasted private key is never echoed back.
        problem = self.public_key and ssh_public_key_problem(self.public_key)
        if problem:
            raise key_error("publicKey", problem)
        return self


class ComputeCluster(Model):
    """An AmlCompute cluster: nodes that scale with submitted jobs."""

    name: ClusterName = Field(
        description="Compute name in the workspace: 2-16 letters, digits and hyphens, starting with a "
        "letter; a hyphen must be followed later by a letter."
    )
    vm_size: VmSize = Field(description="VM size of every node, e.g. STANDARD_D3_V2.")
    min_nodes: int = Field(
        0, description="Nodes kept running when idle. 0: the cluster scales to zero and costs nothing idle."
    )
    max_nodes: int = Field(description="Most nodes the cluster scales out to (1 or more, at least minNodes).")
    idle_time_before_scale_down: Duration = Field(
        "PT120S",
        description="ISO 8601 duration an idle node waits before it is released. Default: PT120S, Azure's own.",
    )
    priority: Literal["Dedicated", "LowPriority"] = Field(
        "Dedicated", description="LowPriority nodes are cheaper but can be preempted."
    )
    identity: ComputeIdentity = Field(
        default_factory=_system_assigned,
        json_schema_extra={"defaultText": "`systemAssigned`"},
        description="none, systemAssigned (default), or {userAssigned: [<ids>], systemAssigned: true|false}. "
        "Jobs reach data with this identity.",
    )
    subnet_id: SubnetIdOrTraining | None = Field(
        None,
        description="ARM id of a subnet (Microsoft.Network/virtualNetworks/subnets) to put the nodes in, or "
        "`training` for the training subnet of the stack's VNet (network.privateEndpoints.vnet.trainingSubnet).",
    )
    node_public_ip: bool = Field(
        True,
        description="false: nodes get no public IP (needs subnetId and outbound access through that subnet, "
        "or a managed network: network.isolation).",
    )
    ssh: SshSettings | None = Field(None, description="Admin user for SSH. Absent: no SSH at all.")
    disable_local_auth: bool = Field(
        True, description="Refuse key-based (local) authentication; only Entra ID and managed identities."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_schedules(cls, value: Any) -> Any:
        if isinstance(value, dict) and "schedules" in value:
            raise key_error("schedules", _CLUSTER_SCHEDULES)
        return value

    @field_validator("min_nodes")
    @classmethod
    def _min_nodes(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 or more (0 lets the cluster scale to zero)")
        return value

    @field_validator("max_nodes")
    @classmethod
    def _max_nodes(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be 1 or more (a cluster without nodes runs no job)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.max_nodes < self.min_nodes:
            raise key_error("maxNodes", f"must be at least minNodes ({self.min_nodes})")
        if self.ssh and self.ssh.public_access and not self.node_public_ip:
            raise key_error(
                "ssh.publicAccess",
                "true needs nodePublicIp: true (nodes without a public IP have no public SSH port)",
            )
        return self


class InstanceSchedule(Model):
    """When a compute instance starts or stops by itself."""

    action: Literal["Start", "Stop"] = Field(description="Start or Stop the instance.")
    cron: CronExpression = Field(
        description="When, as a cron expression in NCrontab's five fields: minute hour day-of-month month "
        "day-of-week, e.g. `0 19 * * 1-5` (19:00 Monday to Friday). Sunday is 0."
    )
    time_zone: TimeZoneName = Field(
        "UTC", description="Windows time zone name the cron runs in, e.g. W. Europe Standard Time (Azure's list)."
    )


class ComputeInstance(Model):
    """A personal compute instance (notebook VM), assigned to one user."""

    name: InstanceName = Field(
        description="Compute name in the workspace: 3-24 letters, digits and hyphens, starting with a "
        "letter; a hyphen must be followed later by a letter."
    )
    vm_size: VmSize = Field(description="VM size, e.g. STANDARD_DS3_V2.")
    assigned_user_object_id: Guid = Field(
        description="Entra ID object id of the only user who may use this instance."
    )
    idle_time_before_shutdown: Duration = Field(
        "PT60M", description="ISO 8601 duration of inactivity after which the instance shuts down."
    )
    subnet_id: SubnetIdOrTraining | None = Field(
        None,
        description="ARM id of a subnet (Microsoft.Network/virtualNetworks/subnets) to put the VM in, or "
        "`training` for the training subnet of the stack's VNet.",
    )
    disable_local_auth: bool = Field(
        True, description="Refuse key-based (local) authentication; only Entra ID and managed identities."
    )
    schedules: list[InstanceSchedule] = Field(
        default_factory=list,
        description="Start and stop schedules, e.g. [{action: Stop, cron: '0 19 * * 1-5', timeZone: W. Europe "
        "Standard Time}]. A change on an existing instance replaces it (docs/compute.md, Schedules).",
    )

    @model_validator(mode="after")
    def _distinct_schedules(self) -> Self:
        seen: dict[tuple[str, str, Any], int] = {}
        for index, schedule in enumerate(self.schedules):
            key = (schedule.action, schedule.time_zone, parse_cron(schedule.cron))
            if key in seen:
                raise key_error(
                    f"schedules[{index}]",
                    f"the same {schedule.action} schedule as schedules[{seen[key]}] ({schedule.cron} in "
                    f"{schedule.time_zone}): remove one",
                )
            seen[key] = index
        return self
