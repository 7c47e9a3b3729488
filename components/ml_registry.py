"""The shared Azure ML registry: created here (stateful, protected) or used by id, and the
role that lets this stack's workspace and computes read from it.

Models and environments are promoted dev -> test -> prod through one registry rather than
copied between workspaces. The owning stack creates it and exports ``registryId``; the others
name that id in ``registry.id``. In every stack, the workspace identity and each compute
identity get *AzureML Registry User* on the registry.

Sources: the registry's REST body, azure-ai-docs articles/machine-learning/how-to-manage-registries.md
("Create a registry", REST API tab: regionDetails with storageAccountDetails and acrDetails);
the role, azure-docs articles/role-based-access-control/built-in-roles/ai-machine-learning.md
("AzureML Registry User": registries/read and registries/assets/*, no data actions). Which
identity needs access is not stated by the docs: both the workspace's and the computes' get it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra.deployment import RegistrySpec
from components.options import stateful
from components.role_assignments import RoleAssignments


@dataclass(frozen=True)
class MachineLearningRegistryArgs:
    spec: RegistrySpec
    resource_group_name: pulumi.Input[str]
    # The deployment's subscription: of the role definitions unless a grant names another.
    subscription_id: pulumi.Input[str]
    # The principal id of the workspace (None) and of each compute that has one, by name.
    principal_ids: Mapping[str | None, pulumi.Input[str]] = field(default_factory=dict)


class MachineLearningRegistry(pulumi.ComponentResource):
    """An Azure ML registry (created or existing) and its readers' role assignments."""

    registry: ml.Registry | None  # None: an existing registry
    registry_id: pulumi.Output[str]
    registry_name: pulumi.Output[str]

    def __init__(self, name: str, args: MachineLearningRegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:ml_registry:MachineLearningRegistry", name, None, opts)
        s = args.spec
        if s.existing_id is None:
            # The documented REST body: a system-assigned identity, and in every region a
            # system-created storage account and a Premium container registry (Azure ML creates
            # both; existing ones are not supported).
            self.registry = ml.Registry(
                "ml-registry",
                registry_name=s.name,
                resource_group_name=args.resource_group_name,
                location=s.location,
                identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
                public_network_access=s.public_network_access,
                region_details=[
                    ml.RegistryRegionArmDetailsArgs(
                        location=region,
                        acr_details=[
                            ml.AcrDetailsArgs(
                                system_created_acr_account=ml.SystemCreatedAcrAccountArgs(acr_account_sku="Premium")
                            )
                        ],
                        storage_account_details=[
                            ml.StorageAccountDetailsArgs(
                                system_created_storage_account=ml.SystemCreatedStorageAccountArgs(
                                    storage_account_type="Standard_LRS", allow_blob_public_access=False
                                )
                            )
                        ],
                    )
                    for region in s.regions
                ],
                tags=s.tags,
                # Every promoted model and environment lives here: protected with protect: true.
                opts=stateful(self, s.protect),
            )
            self.registry_id = self.registry.id
            self.registry_name = self.registry.name
        else:
            self.registry = None
            self.registry_id = pulumi.Output.from_input(s.existing_id)
            self.registry_name = pulumi.Output.from_input(s.name)

        grants = RoleAssignments()
        self.role_assignments = [
            grants.assign(r.grant, args.principal_ids[r.compute], self.registry_id, args.subscription_id, self)
            for r in s.grants
        ]
        self.register_outputs({"registryId": self.registry_id, "registryName": self.registry_name})
