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

import pulumi
from pulumi_azure_native import authorization
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra import facts
from azureml_infra.config import compute as cfg
from components.options import child


@dataclass(frozen=True)
class Placement:
    """Where every compute goes: the workspace's group, the workspace, region and tags."""

    resource_group_name: pulumi.Input[str]
    workspace_name: pulumi.Input[str]
    location: str
    tags: dict[str, str] = field(default_factory=dict)
    # adopt: true - (Pulumi type, Azure name) -> ARM id to import (azureml_infra.adoption).
    import_ids: Mapping[tuple[str, str], str] = field(default_factory=dict)
    # The id of the training subnet the stack creates, for `subnetId: training` (components/network.py).
    training_subnet_id: pulumi.Input[str] | None = None

    def subnet(self, subnet_id: str | None) -> ml.ResourceIdArgs | None:
        """A compute's subnet: an ARM id as given, or ``training``: the stack's training subnet."""
        if subnet_id == cfg.TRAINING_SUBNET:
            # Validated before anything is registered (config.network: the training subnet exists).
            assert self.training_subnet_id is not None
            return ml.ResourceIdArgs(id=self.training_subnet_id)
        return _subnet(subnet_id)

    def of(self, compute_name: str) -> dict:
        """Arguments every ml.Compute of this workspace takes, for one compute name."""
        return {
            "compute_name": compute_name,
            "resource_group_name": self.resource_group_name,
            "workspace_name": self.workspace_name,
            "location": self.location,
            "tags": self.tags,
        }


@dataclass(frozen=True)
class ComputeClusterArgs:
    settings: cfg.ComputeCluster
    placement: Placement


@dataclass(frozen=True)
class ComputeInstanceArgs:
    settings: cfg.ComputeInstance
    placement: Placement


def _compute_options(parent: pulumi.Resource, import_id: str | None = None) -> pulumi.ResourceOptions:
    # The compute name is fixed by the config, so a replacement must delete the old compute
    # first: Azure refuses a second compute of the same name in the workspace.
    return child(parent, delete_before_replace=True, import_=import_id)


def _subnet(subnet_id: str | None) -> ml.ResourceIdArgs | None:
    return ml.ResourceIdArgs(id=subnet_id) if subnet_id else None


class ComputeCluster(pulumi.ComponentResource):
    """An AmlCompute cluster; ``principal_id`` is its system-assigned identity, or None."""

    compute_id: pulumi.Output[str]
    principal_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: ComputeClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:compute:ComputeCluster", name, None, opts)
        s, where = args.settings, args.placement
        identity = s.identity
        self.compute = ml.Compute(
            s.name,
            **where.of(s.name),
            # The identity belongs to the Compute resource itself, not to its properties.
            identity=ml.ManagedServiceIdentityArgs(
                type=identity.arm_type, user_assigned_identities=identity.user_assigned or None
            )
            if identity.arm_type
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
                    subnet=where.subnet(s.subnet_id),
                    enable_node_public_ip=s.node_public_ip,
                    user_account_credentials=self._credentials(s.ssh),
                    # Always explicit: the SDK's default, NotSpecified, opens the port on
                    # clusters outside a VNet.
                    remote_login_port_public_access="Enabled" if s.ssh and s.ssh.public_access else "Disabled",
                ),
            ),
            opts=_compute_options(self, where.import_ids.get((facts.ML_COMPUTE, s.name))),
        )
        self.compute_id = self.compute.id
        self.principal_id = (
            self.compute.identity.apply(lambda i: i.principal_id if i else None)
            if identity.system_assigned
            else None
        )
        self.register_outputs({"id": self.compute_id, "principalId": self.principal_id})

    @staticmethod
    def _credentials(ssh: cfg.SshSettings | None) -> ml.UserAccountCredentialsArgs | None:
        if ssh is None:
            return None
        return ml.UserAccountCredentialsArgs(
            admin_user_name=ssh.admin_user_name,
            admin_user_ssh_public_key=ssh.public_key,
            # A secret Output: Pulumi encrypts it in the state and masks it in every log.
            admin_user_password=pulumi.Config().require_secret(ssh.password_secret)
            if ssh.password_secret
            else None,
        )


class ComputeInstance(pulumi.ComponentResource):
    """A personal compute instance. It has no managed identity, so ``principal_id`` is None."""

    compute_id: pulumi.Output[str]
    principal_id: None = None

    def __init__(self, name: str, args: ComputeInstanceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:compute:ComputeInstance", name, None, opts)
        s, where = args.settings, args.placement
        tenant_id = authorization.get_client_config_output(opts=pulumi.InvokeOutputOptions(parent=self)).tenant_id
        self.compute = ml.Compute(
            s.name,
            **where.of(s.name),
            properties=ml.ComputeInstanceArgs(
                compute_type="ComputeInstance",
                disable_local_auth=s.disable_local_auth,
                properties=ml.ComputeInstancePropertiesArgs(
                    vm_size=s.vm_size,
                    subnet=where.subnet(s.subnet_id),
                    idle_time_before_shutdown=s.idle_time_before_shutdown,
                    compute_instance_authorization_type="personal",
                    personal_compute_instance_settings=ml.PersonalComputeInstanceSettingsArgs(
                        assigned_user=ml.AssignedUserArgs(object_id=s.assigned_user_object_id, tenant_id=tenant_id)
                    ),
                    # The SDK would fill in Shared: every workspace user could open the
                    # assigned user's Jupyter and terminal.
                    application_sharing_policy="Personal",
                    ssh_settings=ml.ComputeInstanceSshSettingsArgs(ssh_public_access="Disabled"),
                ),
            ),
            opts=_compute_options(self),
        )
        self.compute_id = self.compute.id
        self.register_outputs({"id": self.compute_id})


def create_computes(
    clusters: list[cfg.ComputeCluster],
    instances: list[cfg.ComputeInstance],
    placement: Placement,
    parent: pulumi.Resource,
) -> dict[str, pulumi.Resource]:
    """One component per configured cluster/instance, children of ``parent`` (the workspace
    component), keyed by compute name."""
    computes: dict[str, pulumi.Resource] = {}
    for cluster in clusters:
        computes[cluster.name] = ComputeCluster(cluster.name, ComputeClusterArgs(cluster, placement), child(parent))
    for instance in instances:
        computes[instance.name] = ComputeInstance(
            instance.name, ComputeInstanceArgs(instance, placement), child(parent)
        )
    return computes


def computes_output(computes: dict[str, pulumi.Resource]) -> pulumi.Input[dict]:
    """The ``computes`` stack output: name -> {id, identityPrincipalId}."""
    output: dict[str, dict] = {}
    for name, compute in computes.items():
        entry: dict = {"id": compute.compute_id}
        if compute.principal_id is not None:
            entry["identityPrincipalId"] = compute.principal_id
        output[name] = entry
    return output
