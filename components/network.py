"""Network isolation: the stack's VNet, private DNS zones and private endpoints.

- ``Network``: with ``privateEndpoints.vnet``, a VNet (vnet-<prefix>-<env>) whose subnets are
  declared inline (never as separate ``network.Subnet`` resources: mixing both makes every VNet
  update delete and recreate subnets, pulumi/pulumi-azure-native#611), each with an NSG of its
  own; and the private DNS zones the endpoints need, created (location global) and linked to
  the endpoints' VNet, unless ``dnsZones`` gives them.
- ``PrivateEndpoints``: one private endpoint per target (workspace, storage blob and file, key
  vault, registry, data lake blob and dfs), each with its DNS zone group. They come after the
  workspace: an endpoint needs the id of what it points at.
- ``OutboundRules``: the managed network's user-defined outbound rules, one resource each.

The managed network itself is a property of the workspace (components/workspace.py). Sources:
azure-docs articles/private-link/private-endpoint-dns.md (zones per service); azure-ai-docs
articles/machine-learning/how-to-configure-private-link.md (the workspace's two zones in one
group); azure-ai-docs articles/machine-learning/how-to-managed-network.md ("Approval of private
endpoints"); Azure's quickstart machine-learning-end-to-end-secure
(Azure/azure-quickstart-templates, modules/machinelearningnetworking.bicep: zones and links
are global).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import pulumi
from pulumi_azure_native import machinelearningservices as ml
from pulumi_azure_native import monitor, network, privatedns

from azureml_infra.deployment import (
    DependencyKind,
    EndpointSpec,
    NetworkSpec,
    OutboundRuleSpec,
    OutboundRulesSpec,
    VnetSpec,
)
from components.options import child
from components.role_assignments import assign_role

# Private DNS zones and their links are global resources.
GLOBAL = "global"
# The zone group's name (one group per endpoint; the portal names it default too).
ZONE_GROUP = "default"


@dataclass(frozen=True)
class NetworkArgs:
    spec: NetworkSpec
    resource_group_name: pulumi.Input[str]


class Network(pulumi.ComponentResource):
    """The endpoints' subnet (created or given), a training subnet, and the private DNS zones."""

    vnet_id: pulumi.Input[str]
    private_endpoint_subnet_id: pulumi.Input[str]
    training_subnet_id: pulumi.Output[str] | None
    zone_ids: dict[str, pulumi.Input[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:network:Network", name, None, opts)
        self._args = args
        spec = args.spec
        self.training_subnet_id = None
        if spec.vnet is not None:
            vnet = self._vnet(spec.vnet)
            self.vnet_id = vnet.id
            self.private_endpoint_subnet_id = _subnet_id(vnet, spec.names.private_endpoint_subnet)
            if spec.vnet.training_subnet is not None:
                self.training_subnet_id = _subnet_id(vnet, spec.names.training_subnet)
        else:
            assert spec.subnet_id is not None and spec.subnet_vnet_id is not None
            self.vnet_id = spec.subnet_vnet_id
            self.private_endpoint_subnet_id = spec.subnet_id
        self.zone_ids = {**spec.given_zones}
        for zone in spec.zones_to_create:
            self.zone_ids[zone] = self._zone(zone, spec.zone_link_name)
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
        spec = self._args.spec
        return network.NetworkSecurityGroup(
            logical,
            network_security_group_name=azure_name,
            resource_group_name=self._args.resource_group_name,
            location=spec.location,
            security_rules=rules,
            tags=spec.tags,
            opts=child(self),
        )

    def _vnet(self, settings: VnetSpec) -> network.VirtualNetwork:
        spec = self._args.spec
        names = spec.names
        # Azure's default rules stay: inbound from the VNet (peered networks and VPN included)
        # allowed, from the internet denied.
        pe_nsg = self._nsg("nsg-private-endpoints", names.private_endpoint_nsg, [])
        subnets = [
            network.SubnetArgs(
                name=names.private_endpoint_subnet,
                address_prefix=settings.private_endpoint_subnet,
                network_security_group=network.NetworkSecurityGroupArgs(id=pe_nsg.id),
                # On purpose: the subnet's NSG filters traffic to the endpoints too (the SDK's
                # default, Disabled, would let it bypass the NSG). A plain string, as the enum
                # VirtualNetworkPrivateEndpointNetworkPolicies spells it: reading the enum would
                # load the whole azure-native network module in stacks without a network.
                private_endpoint_network_policies="NetworkSecurityGroupEnabled",
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
                    private_endpoint_network_policies="Disabled",
                )
            )
        return network.VirtualNetwork(
            "vnet",
            virtual_network_name=names.vnet,
            resource_group_name=self._args.resource_group_name,
            location=spec.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[settings.address_space]),
            subnets=subnets,
            tags=spec.tags,
            opts=child(self),
        )

    def _zone(self, zone: str, link_name: str) -> pulumi.Output[str]:
        spec = self._args.spec
        created = privatedns.PrivateZone(
            f"dns-zone-{zone}",
            private_zone_name=zone,
            resource_group_name=self._args.resource_group_name,
            location=GLOBAL,
            tags=spec.tags,
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
            tags=spec.tags,
            opts=child(self),
        )
        return created.id


def _subnet_id(vnet: network.VirtualNetwork, name: str) -> pulumi.Output[str]:
    """An inline subnet's id, from the VNet's ``subnets`` output."""
    return vnet.subnets.apply(lambda subnets: cast(str, next(s.id for s in subnets or () if s.name == name)))


# --- private endpoints ------------------------------------------------------------------------


@dataclass(frozen=True)
class PrivateEndpointsArgs:
    endpoints: tuple[EndpointSpec, ...]
    # The ARM id of what each endpoint's target names.
    target_ids: Mapping[DependencyKind, pulumi.Input[str]]
    resource_group_name: pulumi.Input[str]
    location: str
    subnet_id: pulumi.Input[str]
    zone_ids: Mapping[str, pulumi.Input[str]]
    tags: Mapping[str, str] = field(default_factory=dict)
    # For the endpoints' reader grants (EndpointSpec.reader): the workspace identity and the
    # subscription of the role definitions.
    workspace_principal_id: pulumi.Input[str] = ""
    subscription_id: pulumi.Input[str] = ""


class PrivateEndpoints(pulumi.ComponentResource):
    """A private endpoint per target, each with a DNS zone group holding every zone it needs."""

    endpoints: dict[str, network.PrivateEndpoint]

    def __init__(self, name: str, args: PrivateEndpointsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:network:PrivateEndpoints", name, None, opts)
        self.endpoints = {}
        for target in args.endpoints:
            endpoint = network.PrivateEndpoint(
                f"pe-{target.key}",
                private_endpoint_name=target.name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                # A plain reference: SubnetArgs would add its defaults (network policies) to it.
                subnet={"id": args.subnet_id},
                custom_network_interface_name=f"{target.name}-nic",
                private_link_service_connections=[
                    network.PrivateLinkServiceConnectionArgs(
                        name=target.name,
                        private_link_service_id=args.target_ids[target.target],
                        group_ids=[target.group_id],
                    )
                ],
                tags=args.tags,
                opts=child(self),
            )
            # One group per endpoint with all its zones: the workspace's two zones go in the
            # same group (how-to-configure-private-link.md, dns-zone-group add). None with
            # dnsZoneGroups: false: the tenant's policy adds the group (docs/network.md).
            if target.zones:
                self._zone_group(target, endpoint, args)
            if target.reader is not None:
                assign_role(target.reader, args.workspace_principal_id, endpoint.id, args.subscription_id, self)
            self.endpoints[target.key] = endpoint
        self.register_outputs({key: pe.id for key, pe in self.endpoints.items()})

    def _zone_group(self, target: EndpointSpec, endpoint: network.PrivateEndpoint, args: PrivateEndpointsArgs) -> None:
        network.PrivateDnsZoneGroup(
            f"pe-{target.key}-dns",
            private_dns_zone_group_name=ZONE_GROUP,
            private_endpoint_name=endpoint.name,
            resource_group_name=args.resource_group_name,
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(name=zone.replace(".", "-"), private_dns_zone_id=args.zone_ids[zone])
                for zone in target.zones
            ],
            opts=child(self),
        )


# --- the Azure Monitor private link scope ------------------------------------------------------


@dataclass(frozen=True)
class MonitorScopeArgs:
    name: str
    resource_group_name: pulumi.Input[str]
    # The Log Analytics workspace and Application Insights it scopes, by label (their ARM ids).
    resources: Mapping[str, pulumi.Input[str]]
    tags: Mapping[str, str] = field(default_factory=dict)


class MonitorScope(pulumi.ComponentResource):
    """An Azure Monitor private link scope (microsoft.insights/privateLinkScopes, global) with the
    stack's Log Analytics workspace and Application Insights as scoped resources; its private
    endpoint (group azuremonitor) is one of ``PrivateEndpoints``.

    Access modes Open: the network still reaches Azure Monitor resources outside the scope over
    their public endpoints (docs/network.md says why). Shapes: ARM schema 2023-06-01-preview
    Microsoft.Insights.PrivateLinkScopes.json (the API version of monitor.PrivateLinkScope):
    accessModeSettings {ingestionAccessMode, queryAccessMode} (Open | PrivateOnly, required);
    scopedResources {linkedResourceId}.
    """

    scope_id: pulumi.Output[str]

    def __init__(self, name: str, args: MonitorScopeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("azureml-infra:network:MonitorScope", name, None, opts)
        scope = monitor.PrivateLinkScope(
            "monitor-scope",
            scope_name=args.name,
            resource_group_name=args.resource_group_name,
            location=GLOBAL,
            access_mode_settings=monitor.AccessModeSettingsArgs(ingestion_access_mode="Open", query_access_mode="Open"),
            tags=args.tags,
            opts=child(self),
        )
        for label, resource_id in args.resources.items():
            monitor.PrivateLinkScopedResource(
                f"monitor-scope-{label}",
                name=label,
                scope_name=scope.name,
                resource_group_name=args.resource_group_name,
                linked_resource_id=resource_id,
                opts=child(self),
            )
        self.scope_id = scope.id
        self.register_outputs({"scopeId": self.scope_id})


# --- the managed network's user-defined outbound rules ------------------------------------------


@dataclass(frozen=True)
class OutboundRulesArgs:
    spec: OutboundRulesSpec
    resource_group_name: pulumi.Input[str]
    workspace_name: pulumi.Input[str]
    # The ARM id of each resource kind a rule or an approval names.
    target_ids: Mapping[DependencyKind, pulumi.Input[str]]
    # The workspace identity, which approves the endpoints (see the class).
    workspace_principal_id: pulumi.Input[str]
    subscription_id: pulumi.Input[str]


class OutboundRules(pulumi.ComponentResource):
    """The managed network's user-defined outbound rules (the stack file's, then this program's),
    one ``ManagedNetworkSettingsRule`` each, made one after another.

    One representation, all separate, never inline on the workspace: the two delete each other's
    rules when both are used (Azure/terraform-provider-azapi#453; pulumi/pulumi-azure-native#3225
    saw the workspace's managedNetwork drift when rules lived outside it). Separate because some
    rules cannot exist when the workspace is created: a private endpoint to a resource that is not
    one of the workspace's defaults (the data lake) waits for the workspace identity's *Azure AI
    Enterprise Network Connection Approver* role on it ("After April 30th, 2025, permissions aren't
    automatically granted to the managed identity", how-to-managed-network.md, "Approval of
    private endpoints"), and a system-assigned identity exists only once the workspace does. One
    after another: rules written at the same time clobber each other (azapi#453, whose maintainers
    serialize them with a lock).

    Kept its old name and type as an alias: the data lake's two rules and their approval were the
    children of ``DataStorageOutboundRules`` ("data-storage-outbound") and keep their URNs.
    """

    def __init__(self, name: str, args: OutboundRulesArgs, opts: pulumi.ResourceOptions | None = None):
        was = pulumi.Alias(name="data-storage-outbound", type_="azureml-infra:network:DataStorageOutboundRules")
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[was]))
        super().__init__("azureml-infra:network:OutboundRules", name, None, opts)
        approvals = [
            assign_role(a.grant, args.workspace_principal_id, args.target_ids[a.target], args.subscription_id, self)
            for a in args.spec.approvals
        ]
        self.rules: list[ml.ManagedNetworkSettingsRule] = []
        for rule in args.spec.rules:
            after: list[pulumi.Resource] = [*approvals] if rule.needs_approval else []
            if self.rules:
                after.append(self.rules[-1])
            self.rules.append(
                ml.ManagedNetworkSettingsRule(
                    f"outbound-rule-{rule.name}",
                    rule_name=rule.name,
                    resource_group_name=args.resource_group_name,
                    workspace_name=args.workspace_name,
                    properties=_rule_properties(rule, args.target_ids),
                    opts=child(self, depends_on=after),
                )
            )
        self.register_outputs({"rules": [r.name for r in self.rules]})


def _rule_properties(
    rule: OutboundRuleSpec, target_ids: Mapping[DependencyKind, pulumi.Input[str]]
) -> ml.FqdnOutboundRuleArgs | ml.PrivateEndpointOutboundRuleArgs | ml.ServiceTagOutboundRuleArgs:
    if rule.type == "FQDN":
        return ml.FqdnOutboundRuleArgs(type="FQDN", destination=rule.destination, category="UserDefined")
    if rule.type == "PrivateEndpoint":
        resource_id = target_ids[rule.target] if rule.target is not None else rule.destination
        return ml.PrivateEndpointOutboundRuleArgs(
            type="PrivateEndpoint",
            category="UserDefined",
            destination=ml.PrivateEndpointDestinationArgs(service_resource_id=resource_id,
                                                          subresource_target=rule.subresource),
        )
    return ml.ServiceTagOutboundRuleArgs(
        type="ServiceTag",
        category="UserDefined",
        destination=ml.ServiceTagDestinationArgs(
            service_tag=rule.destination, protocol=rule.protocol, port_ranges=rule.ports, action="Allow"
        ),
    )
