"""Config of network isolation (key ``network``): the managed network and private endpoints.

- Outbound, for the compute Azure ML manages: ``isolation`` turns on the workspace's managed
  virtual network, and ``outboundRules`` become its user-defined rules.
- Inbound: ``privateEndpoints`` puts a private endpoint in front of the workspace and each of
  its dependencies, in a VNet created for the stack (``vnet``) or in an existing subnet
  (``subnetId``), with the private DNS zones Azure requires (created, or given by id).

Each rule cites the page it comes from; the rules across sections (subnet sizes, where computes
go, what private endpoints require of the workspace) are in ``config.rules.network``, and the
Private Link facts (endpoints, zones, what a managed network reaches) in ``azureml_infra.privatelink``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic.alias_generators import to_snake

from azureml_infra import arm
from azureml_infra.config.base import Model, arm_id_of, key_error
from azureml_infra.outbound import PRESET_RULES, Preset
from azureml_infra.privatelink import (
    AZURE_ML_ZONES,
    OUTBOUND_SUBRESOURCES,
    REGISTRY_DATA_ZONE_SUFFIX,
    is_registry_data_zone,
)

SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
DNS_ZONE_TYPE = "Microsoft.Network/privateDnsZones"
DnsZoneId = Annotated[str, arm_id_of(DNS_ZONE_TYPE)]

# "you can't use an FQDN rule to access Azure Storage Accounts. You must use a private endpoint
# instead." (how-to-managed-network.md@d675e2ff)
_STORAGE_FQDN = re.compile(r"(^|\.)(blob|file|queue|table|dfs|web)\.core\.windows\.net$", re.IGNORECASE)
_FQDN = re.compile(r"(\*\.)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_RULE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_SERVICE_TAG = re.compile(r"[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*")
_PORT_RANGE = re.compile(r"(\d{1,5})(?:-(\d{1,5}))?")


# --- value types ---------------------------------------------------------------------------


def _check_cidr(value: str) -> str:
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError("must be an IPv4 CIDR block such as 10.20.0.0/16") from None
    if "/" not in value:
        raise ValueError("must be an IPv4 CIDR block such as 10.20.0.0/16 (the /prefix length is missing)")
    network = ipaddress.IPv4Network(value, strict=False)
    if str(network) != value:
        raise ValueError(f"has bits set after its prefix length: did you mean {network}?")
    return value


Cidr = Annotated[str, AfterValidator(_check_cidr)]


def _check_subnet_id(value: str) -> str:
    problem = arm.check_resource_id(value, SUBNET_TYPE)
    if problem and arm.parse_resource_id(value) is None:
        problem = (
            "is not a subnet's ARM id; expected /subscriptions/<subscription-guid>/resourceGroups/<group>"
            "/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>"
        )
    if problem:
        raise ValueError(problem)
    return value


def _check_ports(value: str) -> str:
    text = value.replace(" ", "")
    if text == "*":
        return value
    for part in text.split(","):
        match = _PORT_RANGE.fullmatch(part)
        low, high = (int(match[1]), int(match[2] or match[1])) if match else (0, 0)
        if not (match and 1 <= low <= high <= 65535):
            raise ValueError(
                'must be *, or ports and port ranges from 1 to 65535 separated by commas, such as "443" '
                'or "80, 8080-8089"'
            )
    return value


def _check_fqdn(value: str) -> str:
    if not _FQDN.fullmatch(value) or len(value) > 253:
        raise ValueError("must be a host name such as pypi.org, or a wildcard such as *.pythonhosted.org")
    if _STORAGE_FQDN.search(value):
        raise ValueError(
            "is an Azure Storage host, which a managed network cannot reach by FQDN rule: use a "
            "privateEndpoint rule with the storage account's id and the sub-resource (blob, file, dfs...)"
        )
    return value


# --- sections ---------------------------------------------------------------------------------


class PrivateEndpointDestination(Model):
    """A resource the managed network reaches through a private endpoint Azure ML creates."""

    resource_id: str = Field(description="ARM id of the resource, e.g. a storage account.")
    subresource: str = Field(description="Its private link sub-resource (group id), e.g. blob, vault, registry.")

    @field_validator("resource_id")
    @classmethod
    def _resource(cls, value: str) -> str:
        parsed = arm.parse_resource_id(value)
        if parsed is None:
            raise ValueError(
                "is not an ARM resource id; expected /subscriptions/<subscription-guid>/resourceGroups/<group>"
                "/providers/<namespace>/<type>/<name>"
            )
        if parsed.type.lower() not in OUTBOUND_SUBRESOURCES:
            raise ValueError(
                f"is the id of a {parsed.type}, which an Azure ML managed network cannot reach by "
                "private endpoint (see how-to-managed-network on Microsoft Learn for the supported services)"
            )
        return value

    @model_validator(mode="after")
    def _subresource(self) -> Self:
        parsed = arm.parse_resource_id(self.resource_id)
        assert parsed is not None  # checked by the field validator
        allowed = OUTBOUND_SUBRESOURCES[parsed.type.lower()]
        if self.subresource.lower() not in {s.lower() for s in allowed}:
            raise key_error(
                "subresource",
                f"'{self.subresource}' is not a private endpoint sub-resource of a {parsed.type}; "
                f"use {' or '.join(allowed)}",
            )
        return self


class ServiceTagDestination(Model):
    """Traffic to an Azure service tag on some ports (only with AllowOnlyApprovedOutbound)."""

    tag: str = Field(description="Azure service tag, e.g. AzureFrontDoor.FrontEnd or DataFactory.")
    protocol: Literal["TCP", "UDP", "ICMP", "*"] = Field(description="TCP, UDP, ICMP or *.")
    ports: str = Field(description='Ports and port ranges, comma-separated: "443", "80, 8080-8089" or "*".')

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if not _SERVICE_TAG.fullmatch(value):
            raise ValueError("must be an Azure service tag such as AzureFrontDoor.FrontEnd or Storage.WestEurope")
        return value

    @field_validator("ports")
    @classmethod
    def _ports(cls, value: str) -> str:
        return _check_ports(value)


class OutboundRule(Model):
    """One user-defined outbound rule of the managed network: exactly one destination."""

    name: str = Field(description="Rule name, unique in the list: letters, digits, - and _ (1-64).")
    fqdn: str | None = Field(
        None,
        description="A host name (or *.domain) reached through the managed network's Azure Firewall; "
        "only with isolation AllowOnlyApprovedOutbound, ports 80 and 443 only.",
    )
    private_endpoint: PrivateEndpointDestination | None = Field(
        None, description="A resource reached through a private endpoint in the managed network."
    )
    service_tag: ServiceTagDestination | None = Field(
        None, description="An Azure service tag; only with isolation AllowOnlyApprovedOutbound."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _RULE_NAME.fullmatch(value):
            raise ValueError(
                "must be 1-64 letters, digits, hyphens and underscores, starting with a letter or digit"
            )
        return value

    @field_validator("fqdn")
    @classmethod
    def _fqdn(cls, value: str | None) -> str | None:
        return None if value is None else _check_fqdn(value)

    @model_validator(mode="after")
    def _one_destination(self) -> Self:
        keys = ("fqdn", "privateEndpoint", "serviceTag")
        given = [key for key in keys if getattr(self, to_snake(key)) is not None]
        if len(given) != 1:
            raise ValueError(
                f"needs exactly one of fqdn, privateEndpoint or serviceTag (got {' and '.join(given) or 'none'})"
            )
        return self

    @property
    def kind(self) -> str:
        return "fqdn" if self.fqdn else "privateEndpoint" if self.private_endpoint else "serviceTag"


class VnetSettings(Model):
    """A virtual network created for the stack: vnet-<prefix>-<env>, an NSG on each subnet."""

    address_space: Cidr = Field(description="IPv4 CIDR block of the VNet, e.g. 10.20.0.0/16.")
    private_endpoint_subnet: Cidr = Field(
        description="CIDR block of the private endpoints' subnet inside addressSpace: /28 or larger."
    )
    training_subnet: Cidr | None = Field(
        None,
        description="CIDR block of a subnet for computes (`subnetId: training`), inside addressSpace: "
        "room for every node of the computes placed in it, plus 5 addresses Azure reserves.",
    )

    @model_validator(mode="after")
    def _subnets_fit(self) -> Self:
        space = ipaddress.IPv4Network(self.address_space)
        subnets = [("privateEndpointSubnet", self.private_endpoint_subnet)]
        if self.training_subnet is not None:
            subnets.append(("trainingSubnet", self.training_subnet))
        for key, block in subnets:
            if not ipaddress.IPv4Network(block).subnet_of(space):
                raise key_error(key, f"{block} is not inside addressSpace {self.address_space}")
        blocks = [ipaddress.IPv4Network(block) for _, block in subnets]
        if len(blocks) == 2 and blocks[0].overlaps(blocks[1]):
            raise key_error(
                "trainingSubnet",
                f"{self.training_subnet} overlaps privateEndpointSubnet {self.private_endpoint_subnet}",
            )
        return self


class PrivateEndpointSettings(Model):
    """Private endpoints for the workspace, its storage, key vault, registry and the data lake."""

    vnet: VnetSettings | None = Field(None, description="A VNet created for the stack (or give subnetId).")
    subnet_id: Annotated[str, AfterValidator(_check_subnet_id)] | None = Field(
        None,
        description="ARM id of an existing subnet (Microsoft.Network/virtualNetworks/subnets) for the "
        "endpoints, in a network someone else owns (or give vnet).",
    )
    dns_zones: dict[str, DnsZoneId] = Field(
        default_factory=dict,
        description="Existing private DNS zones by name -> ARM id (Microsoft.Network/privateDnsZones), e.g. "
        "owned by a hub; the zones not given are created and linked to the endpoints' VNet.",
    )
    dns_zone_groups: bool = Field(
        True,
        description="false: the endpoints get no DNS zone groups and no zones are created or linked: the tenant's "
        "Azure Policy (deployIfNotExists) writes the records into the hub's zones (docs/network.md, DNS by policy).",
    )
    monitor: bool = Field(
        False,
        description="true: an Azure Monitor private link scope for the stack's Log Analytics and Application "
        "Insights, with its private endpoint (group azuremonitor) and zones; their public ingestion and query are "
        "turned off. A scope changes how the whole network resolves Azure Monitor (docs/network.md).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.vnet is None) == (self.subnet_id is None):
            raise ValueError(
                "needs exactly one of vnet (a network created for the stack) or subnetId (an existing subnet)"
            )
        if not self.dns_zone_groups and self.dns_zones:
            raise key_error(
                "dnsZones",
                "has no use with dnsZoneGroups: false, which writes no records into any zone (the tenant's policy "
                "does): remove dnsZones, or set dnsZoneGroups: true",
            )
        for zone, zone_id in self.dns_zones.items():
            if zone not in AZURE_ML_ZONES and not is_registry_data_zone(zone):
                raise key_error(
                    "dnsZones",
                    f"'{zone}' is not a private DNS zone of Azure ML's endpoints; use {', '.join(AZURE_ML_ZONES)}, "
                    f"or the registry's regional data zone <region>{REGISTRY_DATA_ZONE_SUFFIX}",
                )
            named = arm.parse_resource_id(zone_id)
            if named is not None and named.name.lower() != zone:
                raise key_error("dnsZones", f"'{zone}' is given the id of the zone '{named.name}'")
        return self

    @property
    def vnet_id_of_subnet(self) -> str | None:
        """The VNet of an existing ``subnetId`` (its ARM id without /subnets/<name>)."""
        if self.subnet_id is None:
            return None
        return self.subnet_id.rsplit("/subnets/", 1)[0]


class NetworkSettings(Model):
    """Network isolation: the workspace's managed network (outbound) and private endpoints (inbound)."""

    isolation: Literal["Disabled", "AllowInternetOutbound", "AllowOnlyApprovedOutbound"] = Field(
        "Disabled",
        description="The workspace's managed virtual network for Azure ML compute: Disabled (none), "
        "AllowInternetOutbound, or AllowOnlyApprovedOutbound (only Azure's required rules and outboundRules). "
        "Once on, Azure never lets it be turned off, nor approved-only relaxed.",
    )
    outbound_rules: list[OutboundRule] = Field(
        default_factory=list,
        description="User-defined outbound rules of the managed network (Azure adds its own required rules).",
    )
    outbound_presets: list[Preset] = Field(
        default_factory=list,
        description="Named sets of fqdn rules, each the host list Azure ML documents for a scenario: pypi "
        "(pip installs), conda (environments built from a conda file), huggingface (Hugging Face models). "
        "Only with isolation AllowOnlyApprovedOutbound. docs/network.md lists their hosts.",
    )
    firewall_sku: Literal["Standard", "Basic"] | None = Field(
        None,
        description="SKU of the Azure Firewall Azure ML deploys for fqdn rules (billed separately). "
        "Default: Azure's, Standard.",
    )
    private_endpoints: PrivateEndpointSettings | None = Field(
        None,
        description="Reach the workspace and its dependencies only through private endpoints: public network "
        "access is turned off on all of them.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        managed = self.isolation != "Disabled"
        if self.outbound_rules and not managed:
            raise key_error(
                "outboundRules",
                "are rules of the workspace's managed network, which isolation Disabled turns off: set "
                "isolation to AllowInternetOutbound or AllowOnlyApprovedOutbound, or remove them",
            )
        seen: set[str] = set()
        for index, rule in enumerate(self.outbound_rules):
            # Rules are keyed by name in the workspace (compared ignoring case, as ARM names are).
            if rule.name.lower() in seen:
                raise key_error(
                    f"outboundRules[{index}].name", f"'{rule.name}' is already the name of another rule"
                )
            seen.add(rule.name.lower())
            # "Adding an outbound for a service tag or FQDN is only valid when the managed VNet is
            # configured to allow_only_approved_outbound." (how-to-managed-network.md@d675e2ff)
            if rule.kind != "privateEndpoint" and self.isolation != "AllowOnlyApprovedOutbound":
                raise key_error(
                    f"outboundRules[{index}].{rule.kind}",
                    f"{rule.kind} rules are only valid with isolation AllowOnlyApprovedOutbound (under "
                    f"{self.isolation} only privateEndpoint rules are; everything else is already allowed)",
                )
        self._check_presets(seen)
        if self.firewall_sku is not None and not any(r.fqdn for r in self.outbound_rules) and not self.outbound_presets:
            raise key_error(
                "firewallSku",
                "has no effect: Azure ML deploys its firewall only for fqdn outbound rules; remove it",
            )
        vnet = self.private_endpoints.vnet if self.private_endpoints else None
        if managed and vnet is not None and vnet.training_subnet is not None:
            raise key_error(
                "privateEndpoints.vnet.trainingSubnet",
                f"has no use under isolation {self.isolation}: computes run in the managed network and "
                "cannot join a subnet of yours; remove it",
            )
        return self

    def _check_presets(self, rule_names: set[str]) -> None:
        for index, preset in enumerate(self.outbound_presets):
            key = f"outboundPresets[{index}]"
            if self.isolation != "AllowOnlyApprovedOutbound":
                raise key_error(
                    key,
                    f"'{preset}' is a set of fqdn rules, which are only valid with isolation AllowOnlyApprovedOutbound "
                    f"(under {self.isolation} the managed network reaches them already): remove outboundPresets",
                )
            if self.outbound_presets.index(preset) != index:
                raise key_error(key, f"lists '{preset}' more than once")
            taken = [name for name, _ in PRESET_RULES[preset] if name.lower() in rule_names]
            if taken:
                raise key_error(
                    key,
                    f"adds the rule '{taken[0]}', which outboundRules already has: remove that rule (the preset "
                    "has it) or rename it",
                )

    @property
    def managed(self) -> bool:
        return self.isolation != "Disabled"

    @property
    def monitor_scope(self) -> bool:
        """privateEndpoints.monitor: an Azure Monitor private link scope for the stack's monitoring."""
        return self.private_endpoints is not None and self.private_endpoints.monitor

    @property
    def zone_groups(self) -> bool:
        """The private endpoints get DNS zone groups (and the zones are made here), unless the tenant's
        policy writes the records (privateEndpoints.dnsZoneGroups: false)."""
        return self.private_endpoints is None or self.private_endpoints.dns_zone_groups

    @property
    def training_subnet(self) -> str | None:
        pe = self.private_endpoints
        return pe.vnet.training_subnet if pe and pe.vnet else None
