"""The shared Azure ML registry: created here (stateful, protected) or used by id, and the
role that lets this stack's workspace and computes read from it.

Models and environments are promoted dev -> test -> prod through one registry rather than
copied between workspaces. The owning stack creates it and exports ``registryId``; the others
name that id in ``registry.id``. In every stack, the workspace identity and each compute
identity get *AzureML Registry User* on the registry.

Sources: research notes /work/research/aks-registry-preflight.md, B1 (RegistryArgs, the body of
the documented REST create in MicrosoftDocs/azure-ai-docs how-to-manage-registries.md) and B2 (the
role: registries/read and registries/assets/*, no data actions). Which identity needs access is
not stated by the docs (B2, UNCONFIRMED): both the workspace's and the computes' get it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from azureml_infra.config.registry import RegistrySettings
from azureml_infra.roles import Role
from components.access import Grant, Principal, RoleAssignments
from components.options import stateful


@dataclass(frozen=True)
class MachineLearningRegistryArgs:
    settings: RegistrySettings
    resource_group_name: pulumi.Input[str]
    location: str
    readers: list[Principal]
    subscription_id: pulumi.Input[str]
    protect: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class MachineLearningRegistry(pulumi.ComponentResource):
    """An Azure ML registry (created or existing) and its readers' role assignments."""

    registry_id: pulumi.Output[str]
    registry_name: pulumi.Output[str]

    def __init__(self, name: str, args: MachineLearningRegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:ml_registry:MachineLearningRegistry", name, None, opts)
        s = args.settings
        if s.create is not None:
            c = s.create
            # The documented REST body: a system-assigned identity, and in every region a
            # system-created storage account and a Premium container registry (Azure ML creates
            # both; existing ones are not supported).
            self.registry = ml.Registry(
                "ml-registry",
                registry_name=c.name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                identity=ml.ManagedServiceIdentityArgs(type=ml.ManagedServiceIdentityType.SYSTEM_ASSIGNED),
                public_network_access=c.public_network_access,
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
                    for region in c.regions
                ],
                tags=args.tags,
                # Every promoted model and environment lives here: protected with protect: true.
                opts=stateful(self, args.protect),
            )
            self.registry_id = self.registry.id
            self.registry_name = self.registry.name
        else:
            self.registry = None
            self.registry_id = pulumi.Output.from_input(s.id)
            self.registry_name = pulumi.Output.from_input(s.name)

        # The scope's config-only key: the registry's name is unique in the tenant.
        scope_key = f"mlregistry/{s.name.lower()}"
        grants = RoleAssignments()
        self.role_assignments = [
            grants.assign(
                f"registry-user-{reader.label}",
                Grant(
                    role=Role.AZUREML_REGISTRY_USER,
                    scope=self.registry_id,
                    scope_key=scope_key,
                    principal_id=reader.principal_id,
                    principal_key=reader.key,
                    subscription_id=args.subscription_id,
                    description=f"azureml-infra: {reader.key} uses models and environments of registry {s.name}",
                ),
                parent=self,
            )
            for reader in args.readers
        ]
        self.register_outputs({"registryId": self.registry_id, "registryName": self.registry_name})
