"""Compute clusters and compute instances, children of the workspace.

One ``ComputeCluster`` component per entry of ``computes`` (an AmlCompute cluster, optionally
in a VNet subnet and with an SSH admin user) and one ``ComputeInstance`` per entry of
``computeInstances``. Both are secure by default: local (key) authentication off, the SSH
port closed, and a cluster identity (system-assigned unless the stack says otherwise) that
jobs use to reach data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra import facts
from azureml_infra.deployment import ClusterSpec, DependencyKind, InstanceSpec, ScheduleSpec, SshSpec, Subnet
from components.options import child
from components.placement import Placement
from components.role_assignments import assign_role, principal_id_of


@dataclass(frozen=True)
class ComputeClusterArgs:
    spec: ClusterSpec
    placement: Placement
    # The stack's training subnet, for a cluster placed in it (Subnet.training).
    training_subnet_id: pulumi.Input[str] | None = None
    # The admin password, when the cluster's SSH user has one (a secret Output).
    admin_password: pulumi.Input[str] | None = None
    # adopt: true - the ARM id to import (azureml_infra.adoption).
    import_id: str | None = None
    # The ARM id of each resource kind the spec's grants name, and their subscription.
    scope_ids: Mapping[DependencyKind, pulumi.Input[str]] = field(default_factory=dict)
    subscription_id: pulumi.Input[str] = ""


@dataclass(frozen=True)
class ComputeInstanceArgs:
    spec: InstanceSpec
    placement: Placement
    tenant_id: pulumi.Input[str]
    training_subnet_id: pulumi.Input[str] | None = None


def _subnet(subnet: Subnet | None, training_subnet_id: pulumi.Input[str] | None) -> ml.ResourceIdArgs | None:
    """A compute's subnet: an ARM id as given, or the stack's training subnet."""
    if subnet is None:
        return None
    if subnet.training:
        # Validated before anything is registered (config.rules.network: the training subnet exists).
        assert training_subnet_id is not None
        return ml.ResourceIdArgs(id=training_subnet_id)
    return ml.ResourceIdArgs(id=subnet.id) if subnet.id else None


def _compute_options(parent: pulumi.Resource, import_id: str | None = None) -> pulumi.ResourceOptions:
    # The compute name is fixed by the config, so a replacement must delete the old compute
    # first: Azure refuses a second compute of the same name in the workspace.
    return child(parent, delete_before_replace=True, import_=import_id)


class ComputeCluster(pulumi.ComponentResource):
    """An AmlCompute cluster; ``principal_id`` is its system-assigned identity, or None."""

    compute_id: pulumi.Output[str]
    principal_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: ComputeClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:compute:ComputeCluster", name, None, opts)
        s = args.spec
        self.compute = ml.Compute(
            s.name,
            **args.placement.of(s.name),
            # The identity belongs to the Compute resource itself, not to its properties.
            identity=ml.ManagedServiceIdentityArgs(
                type=s.identity_type, user_assigned_identities=list(s.user_assigned_identities) or None
            )
            if s.identity_type
            else None,
            properties=ml.AmlComputeArgs(
                compute_type="AmlCompute",
                disable_local_auth=s.disable_local_auth,
                properties=ml.AmlComputePropertiesArgs(
                    vm_size=s.vm_size,
                    vm_priority=s.priority,
                    scale_settings=ml.ScaleSettingsArgs(
                        min_node_count=s.min_nodes,
                        max_node_count=s.max_nodes,
                        node_idle_time_before_scale_down=s.idle_time_before_scale_down,
                    ),
                    subnet=_subnet(s.subnet, args.training_subnet_id),
                    enable_node_public_ip=s.node_public_ip,
                    user_account_credentials=_credentials(s.ssh, args.admin_password),
                    # Always explicit: the SDK's default, NotSpecified, opens the port on
                    # clusters outside a VNet.
                    remote_login_port_public_access="Enabled" if s.ssh and s.ssh.public_access else "Disabled",
                ),
            ),
            opts=_compute_options(self, args.import_id),
        )
        self.compute_id = self.compute.id
        self.principal_id = principal_id_of(self.compute.identity) if s.system_assigned else None
        # Its identity's roles for its jobs (azureml_infra.resolve says which and why).
        self.role_assignments = [
            assign_role(g.grant, self.principal_id, args.scope_ids[g.target], args.subscription_id, self)
            for g in s.grants
            if self.principal_id is not None
        ]
        self.register_outputs({"id": self.compute_id, "principalId": self.principal_id})


def _credentials(ssh: SshSpec | None, password: pulumi.Input[str] | None) -> ml.UserAccountCredentialsArgs | None:
    if ssh is None:
        return None
    return ml.UserAccountCredentialsArgs(
        admin_user_name=ssh.admin_user_name,
        admin_user_ssh_public_key=ssh.public_key,
        # A secret Output: Pulumi encrypts it in the state and masks it in every log.
        admin_user_password=password,
    )


# An instance's schedules, as the engine diffs them. Azure has no update for them on an existing
# instance: a PUT of the instance again is refused (Azure/azure-quickstart-templates#11830:
# redeploying an instance with schedules fails; the service team: "use UpdateSchedules API"),
# and the compute PATCH of REST API 2025-12-01, the SDK's, takes a cluster's scale settings only
# (ClusterUpdateParameters). So a change of them replaces the instance (docs/compute.md, Schedules).
SCHEDULES_PATH = "properties.properties.schedules"


def _schedules(schedules: tuple[ScheduleSpec, ...]) -> ml.ComputeSchedulesArgs | None:
    """Start/stop schedules as cron triggers, enabled; None without any (nothing sent)."""
    if not schedules:
        return None
    return ml.ComputeSchedulesArgs(
        compute_start_stop=[
            ml.ComputeStartStopScheduleArgs(
                action=s.action,
                trigger_type="Cron",
                cron=ml.CronArgs(expression=s.cron, time_zone=s.time_zone),
                status="Enabled",
            )
            for s in schedules
        ]
    )


class ComputeInstance(pulumi.ComponentResource):
    """A personal compute instance. It has no managed identity, so ``principal_id`` is None."""

    compute_id: pulumi.Output[str]
    principal_id: None = None

    def __init__(self, name: str, args: ComputeInstanceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:compute:ComputeInstance", name, None, opts)
        s = args.spec
        self.compute = ml.Compute(
            s.name,
            **args.placement.of(s.name),
            properties=ml.ComputeInstanceArgs(
                compute_type="ComputeInstance",
                disable_local_auth=s.disable_local_auth,
                properties=ml.ComputeInstancePropertiesArgs(
                    vm_size=s.vm_size,
                    subnet=_subnet(s.subnet, args.training_subnet_id),
                    idle_time_before_shutdown=s.idle_time_before_shutdown,
                    compute_instance_authorization_type="personal",
                    personal_compute_instance_settings=ml.PersonalComputeInstanceSettingsArgs(
                        assigned_user=ml.AssignedUserArgs(object_id=s.assigned_user_object_id, tenant_id=args.tenant_id)
                    ),
                    # The SDK would fill in Shared: every workspace user could open the
                    # assigned user's Jupyter and terminal.
                    application_sharing_policy="Personal",
                    ssh_settings=ml.ComputeInstanceSshSettingsArgs(ssh_public_access="Disabled"),
                    schedules=_schedules(s.schedules),
                ),
            ),
            opts=pulumi.ResourceOptions.merge(
                _compute_options(self), pulumi.ResourceOptions(replace_on_changes=[SCHEDULES_PATH])
            ),
        )
        self.compute_id = self.compute.id
        self.register_outputs({"id": self.compute_id})


@dataclass(frozen=True)
class ComputesArgs:
    clusters: tuple[ClusterSpec, ...]
    instances: tuple[InstanceSpec, ...]
    placement: Placement
    tenant_id: pulumi.Input[str]
    training_subnet_id: pulumi.Input[str] | None = None
    # Config key -> secret Output, for the clusters' admin passwords.
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    # adopt: true - (Pulumi type, Azure name) -> ARM id to import (azureml_infra.adoption).
    import_ids: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # For the clusters' grants: the ARM id of each resource kind, and their subscription.
    scope_ids: Mapping[DependencyKind, pulumi.Input[str]] = field(default_factory=dict)
    subscription_id: pulumi.Input[str] = ""


def create_computes(args: ComputesArgs, parent: pulumi.Resource) -> dict[str, Any]:
    """One component per cluster and instance, children of ``parent`` (the workspace component),
    keyed by compute name."""
    computes: dict[str, Any] = {}
    for c in args.clusters:
        password = args.secrets[c.ssh.password_secret] if c.ssh and c.ssh.password_secret else None
        computes[c.name] = ComputeCluster(
            c.name,
            ComputeClusterArgs(
                c, args.placement, args.training_subnet_id, password,
                args.import_ids.get((facts.ML_COMPUTE, c.name)), args.scope_ids, args.subscription_id,
            ),
            child(parent),
        )
    for i in args.instances:
        computes[i.name] = ComputeInstance(
            i.name, ComputeInstanceArgs(i, args.placement, args.tenant_id, args.training_subnet_id), child(parent)
        )
    return computes


def computes_output(computes: Mapping[str, Any]) -> dict[str, Any]:
    """The ``computes`` stack output: name -> {id, identityPrincipalId}."""
    output: dict[str, dict[str, Any]] = {}
    for name, compute in computes.items():
        entry: dict[str, Any] = {"id": compute.compute_id}
        if compute.principal_id is not None:
            entry["identityPrincipalId"] = compute.principal_id
        output[name] = entry
    return output
