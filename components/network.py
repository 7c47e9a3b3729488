"""Network isolation: the stack's VNet, private DNS zones and private endpoints.

- ``Network``: with ``privateEndpoints.vnet``, a VNet (vnet-<prefix>-<env>) whose subnets are
  declared inline (never as separate ``network.Subnet`` resources: mixing both makes every VNet
  update delete and recreate subnets, pulumi/pulumi-azure-native#611), each with an NSG of its
  own; and the private DNS zones the endpoints need, created (location global) and linked to
  the endpoints' VNet, unless ``dnsZones`` gives them.
- ``PrivateEndpoints``: one private endpoint per target (workspace, storage blob and file, key
  vault, registry, data lake blob and dfs), each with its DNS zone group. They come after the
  workspace: an endpoint needs the id of what it points at.

The managed network (outbound) is a property of the workspace (components/workspace.py).
Facts and sources: /work/research/network-access.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi
from pulumi_azure_native import machinelearningservices as ml
from pulumi_azure_native import network, privatedns

from azureml_infra.config.network import PrivateEndpointSettings, VnetSettings
from azureml_infra.naming import NetworkNames, ResourceNames, data_storage_rule_name, endpoint_name
from azureml_infra.privatelink import ENDPOINT_GROUPS, ENDPOINT_KINDS, required_zones
from azureml_infra.roles import Role
from components.access import Grant, assign_role
from components.options import child

if TYPE_CHECKING:
    from components.datastores import DataStorage
    from components.workspace import MachineLearningWorkspace

_POLICIES = network.VirtualNetworkPrivateEndpointNetworkPolicies

# Private DNS zones and their links are global resources (QS machinelearningnetworking.bicep:
# location 'global').
GLOBAL = "global"
# The zone group's name (one group per endpoint; the portal names it default too).
ZONE_GROUP = "default"


@dataclass(frozen=True)
class NetworkArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    names: NetworkNames
    # Exactly one of: a VNet to create, or an existing subnet (and the id of its VNet).
    vnet: VnetSettings | None = None
    subnet_id: str | None = None
    subnet_vnet_id: str | None = None
    # Zones to create and link; zones given by id (a hub's) are passed through untouched.
    zones_to_create: list[str] = field(default_factory=list)
    given_zones: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        settings: PrivateEndpointSettings,
        names: NetworkNames,
        resource_group_name: pulumi.Input[str],
        location: str,
        has_data_storage: bool,
        tags: dict[str, str],
    ) -> NetworkArgs:
        """From ``network.privateEndpoints``: zones given by id are used, the others created."""
        zones = required_zones(has_data_storage)
        return cls(
            resource_group_name=resource_group_name,
            location=location,
            names=names,
            vnet=settings.vnet,
            subnet_id=settings.subnet_id,
            subnet_vnet_id=settings.vnet_id_of_subnet,
            zones_to_create=[z for z in zones if z not in settings.dns_zones],
            given_zones=dict(settings.dns_zones),
            tags=tags,
        )


class Network(pulumi.ComponentResource):
    """The endpoints' subnet (created or given), a training subnet, and the private DNS zones."""

    vnet_id: pulumi.Input[str]
    private_endpoint_subnet_id: pulumi.Input[str]
    training_subnet_id: pulumi.Output[str] | None
    zone_ids: dict[str, pulumi.Input[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:network:Network", name, None, opts)
        self._args = args
        self.training_subnet_id = None
        if args.vnet is not None:
            vnet = self._vnet(args.vnet)
            self.vnet_id = vnet.id
            self.private_endpoint_subnet_id = _subnet_id(vnet, args.names.private_endpoint_subnet)
            if args.vnet.training_subnet is not None:
                self.training_subnet_id = _subnet_id(vnet, args.names.training_subnet)
            link_name = args.names.vnet
        else:
            assert args.subnet_id is not None and args.subnet_vnet_id is not None
            self.vnet_id = args.subnet_vnet_id
            self.private_endpoint_subnet_id = args.subnet_id
            link_name = args.subnet_vnet_id.rsplit("/", 1)[-1]
        self.zone_ids = {**args.given_zones}
        for zone in args.zones_to_create:
            self.zone_ids[zone] = self._zone(zone, f"{link_name}-link")
        self.register_outputs(
            {
                "vnetId": self.vnet_id,
                "privateEndpointSubnetId": self.private_endpoint_subnet_id,
                "trainingSubnetId": self.training_subnet_id,
                "dnsZoneIds": self.zone_ids,
            }
        )

    def _nsg(
        self, logical: str, azure_name: str, rules: list[network.SecurityRuleArgs]
    ) -> network.NetworkSecurityGroup:
        return network.NetworkSecurityGroup(
            logical,
            network_security_group_name=azure_name,
            resource_group_name=self._args.resource_group_name,
            location=self._args.location,
            security_rules=rules,
            tags=self._args.tags,
            opts=child(self),
        )

    def _vnet(self, settings: VnetSettings) -> network.VirtualNetwork:
        names = self._args.names
        # Azure's default rules stay: inbound from the VNet (peered networks and VPN included)
        # allowed, from the internet denied.
        pe_nsg = self._nsg("nsg-private-endpoints", names.private_endpoint_nsg, [])
        subnets = [
            network.SubnetArgs(
                name=names.private_endpoint_subnet,
                address_prefix=settings.private_endpoint_subnet,
                network_security_group=network.NetworkSecurityGroupArgs(id=pe_nsg.id),
                # On purpose: the subnet's NSG filters traffic to the endpoints too (the SDK's
                # default, Disabled, would let it bypass the NSG).
                private_endpoint_network_policies=_POLICIES.NETWORK_SECURITY_GROUP_ENABLED,
            )
        ]
        if settings.training_subnet is not None:
            training_nsg = self._nsg(
                "nsg-training",
                names.training_nsg,
                # Nodes with a public IP are managed by Azure ML on port 44224 from its service
                # tag; a subnet NSG "mustn't conflict" with the rule the compute's own NSG has
                # (how-to-secure-training-vnet.md, "Compute instance/cluster with public IP").
                [
                    network.SecurityRuleArgs(
                        name="AllowAzureMachineLearningInbound",
                        priority=100,
                        direction=network.SecurityRuleDirection.INBOUND,
                        access=network.SecurityRuleAccess.ALLOW,
                        protocol=network.SecurityRuleProtocol.TCP,
                        source_address_prefix="AzureMachineLearning",
                        source_port_range="*",
                        destination_address_prefix="VirtualNetwork",
                        destination_port_range="44224",
                    )
                ],
            )
            subnets.append(
                network.SubnetArgs(
                    name=names.training_subnet,
                    address_prefix=settings.training_subnet,
                    network_security_group=network.NetworkSecurityGroupArgs(id=training_nsg.id),
                    # No endpoint goes here: set explicitly, to what the SDK would send.
                    private_endpoint_network_policies=_POLICIES.DISABLED,
                )
            )
        return network.VirtualNetwork(
            "vnet",
            virtual_network_name=names.vnet,
            resource_group_name=self._args.resource_group_name,
            location=self._args.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[settings.address_space]),
            subnets=subnets,
            tags=self._args.tags,
            opts=child(self),
        )

    def _zone(self, zone: str, link_name: str) -> pulumi.Output[str]:
        created = privatedns.PrivateZone(
            f"dns-zone-{zone}",
            private_zone_name=zone,
            resource_group_name=self._args.resource_group_name,
            location=GLOBAL,
            tags=self._args.tags,
            opts=child(self),
        )
        privatedns.VirtualNetworkLink(
            f"dns-link-{zone}",
            virtual_network_link_name=link_name,
            private_zone_name=created.name,
            resource_group_name=self._args.resource_group_name,
            location=GLOBAL,
            virtual_network=privatedns.SubResourceArgs(id=self.vnet_id),
            # Endpoints register through their zone groups, not VM auto-registration.
            registration_enabled=False,
            tags=self._args.tags,
            opts=child(self),
        )
        return created.id


def _subnet_id(vnet: network.VirtualNetwork, name: str) -> pulumi.Output[str]:
    """An inline subnet's id, from the VNet's ``subnets`` output (network-access.md §2)."""
    return vnet.subnets.apply(lambda subnets: next(s.id for s in subnets or () if s.name == name))


# --- private endpoints ------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointTarget:
    """One private endpoint: what it points at and which of its sub-resources (group id)."""

    key: str  # logical name part, e.g. storage-blob
    resource_name: str  # the target's Azure name, for the endpoint's name
    resource_id: pulumi.Input[str]
    group_id: str


@dataclass(frozen=True)
class PrivateEndpointsArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    subnet_id: pulumi.Input[str]
    zone_ids: dict[str, pulumi.Input[str]]
    targets: list[EndpointTarget]
    tags: dict[str, str] = field(default_factory=dict)


class PrivateEndpoints(pulumi.ComponentResource):
    """A private endpoint per target, each with a DNS zone group holding every zone it needs."""

    endpoints: dict[str, network.PrivateEndpoint]

    def __init__(self, name: str, args: PrivateEndpointsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:network:PrivateEndpoints", name, None, opts)
        self.endpoints = {}
        for target in args.targets:
            azure_name = endpoint_name(target.resource_name, target.group_id)
            endpoint = network.PrivateEndpoint(
                f"pe-{target.key}",
                private_endpoint_name=azure_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                # A plain reference: SubnetArgs would add its defaults (network policies) to it.
                subnet={"id": args.subnet_id},
                custom_network_interface_name=f"{azure_name}-nic",
                private_link_service_connections=[
                    network.PrivateLinkServiceConnectionArgs(
                        name=azure_name,
                        private_link_service_id=target.resource_id,
                        group_ids=[target.group_id],
                    )
                ],
                tags=args.tags,
                opts=child(self),
            )
            # One group per endpoint with all its zones: the workspace's two zones go in the
            # same group (how-to-configure-private-link.md@43dc14ea, dns-zone-group add).
            network.PrivateDnsZoneGroup(
                f"pe-{target.key}-dns",
                private_dns_zone_group_name=ZONE_GROUP,
                private_endpoint_name=endpoint.name,
                resource_group_name=args.resource_group_name,
                private_dns_zone_configs=[
                    network.PrivateDnsZoneConfigArgs(
                        name=zone.replace(".", "-"), private_dns_zone_id=args.zone_ids[zone]
                    )
                    for zone in ENDPOINT_KINDS[target.group_id].zones
                ],
                opts=child(self),
            )
            self.endpoints[target.key] = endpoint
        self.register_outputs({key: pe.id for key, pe in self.endpoints.items()})


# --- the data lake from the managed network ------------------------------------------------------


@dataclass(frozen=True)
class DataStorageRulesArgs:
    resource_group_name: pulumi.Input[str]
    workspace_name: pulumi.Input[str]
    account_id: pulumi.Input[str]
    # The workspace identity's approver role on the account (see the class).
    approver: Grant


class DataStorageOutboundRules(pulumi.ComponentResource):
    """Private endpoint rules from the managed network to the data lake (blob and dfs).

    Azure adds rules for the workspace's own storage, key vault and registry only
    (how-to-managed-network.md, "Required PE rules are automatic"); the data lake is another
    account, which jobs in the managed network would otherwise not reach (under approved outbound
    at all, and under internet outbound not once its public access is off). Rules of their own,
    not inline on the workspace: they need the account's id, and the account is created after the
    workspace is declared. Since April 2025 the workspace identity must hold *Azure AI Enterprise
    Network Connection Approver* on a target that is not a default resource (same page), so
    the rules wait for that assignment.
    """

    def __init__(self, name: str, args: DataStorageRulesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:network:DataStorageOutboundRules", name, None, opts)
        approval = assign_role("data-storage-network-approver", args.approver, self)
        self.rules = [
            ml.ManagedNetworkSettingsRule(
                f"outbound-rule-{data_storage_rule_name(sub)}",
                rule_name=data_storage_rule_name(sub),
                resource_group_name=args.resource_group_name,
                workspace_name=args.workspace_name,
                properties=ml.PrivateEndpointOutboundRuleArgs(
                    type="PrivateEndpoint",
                    category="UserDefined",
                    destination=ml.PrivateEndpointDestinationArgs(
                        service_resource_id=args.account_id, subresource_target=sub
                    ),
                ),
                opts=child(self, depends_on=[approval]),
            )
            for sub in ENDPOINT_GROUPS["dataStorage"]
        ]
        self.register_outputs({"rules": [r.name for r in self.rules]})


def endpoint_targets(
    names: ResourceNames, workspace: MachineLearningWorkspace, data_storage: DataStorage | None, lake_name: str | None
) -> list[EndpointTarget]:
    """What gets a private endpoint: the workspace and its dependencies, reused ones included (their
    own network settings stay their owner's), and the data lake when the stack has one."""
    targets = [
        EndpointTarget("workspace", names.ml_workspace, workspace.workspace_id, "amlworkspace"),
        EndpointTarget("storage-account-blob", names.storage_account, workspace.storage_account_id, "blob"),
        EndpointTarget("storage-account-file", names.storage_account, workspace.storage_account_id, "file"),
        EndpointTarget("key-vault", names.key_vault, workspace.key_vault_id, "vault"),
        EndpointTarget("container-registry", names.container_registry, workspace.container_registry_id, "registry"),
    ]
    if data_storage is not None:
        assert lake_name is not None
        targets += [
            EndpointTarget("data-storage-blob", lake_name, data_storage.account.id, "blob"),
            EndpointTarget("data-storage-dfs", lake_name, data_storage.account.id, "dfs"),
        ]
    return targets


def data_storage_outbound_rules(
    names: ResourceNames,
    workspace: MachineLearningWorkspace,
    data_storage: DataStorage,
    lake_name: str,
    principal_key: str,
    subscription_id: pulumi.Input[str],
) -> DataStorageOutboundRules:
    """Jobs in the managed network reach the data lake through private endpoints Azure ML creates,
    once the workspace identity may approve them."""
    return DataStorageOutboundRules(
        "data-storage-outbound",
        DataStorageRulesArgs(
            resource_group_name=workspace.resource_group_name,
            workspace_name=workspace.workspace_name,
            account_id=data_storage.account.id,
            approver=Grant(
                role=Role.AZURE_AI_ENTERPRISE_NETWORK_CONNECTION_APPROVER,
                scope=data_storage.account.id,
                scope_key=f"{names.resource_group}/storageaccounts/{lake_name}".lower(),
                principal_id=workspace.principal_id,
                # The same key as the workspace identity's data roles (components/datastores.py).
                principal_key=principal_key,
                subscription_id=subscription_id,
                description="azureml-infra: the workspace approves its managed network's endpoints to the data lake",
            ),
        ),
        opts=pulumi.ResourceOptions(parent=workspace),
    )
