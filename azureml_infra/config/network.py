"""Config of network isolation (key ``network``): the managed network and private endpoints.

- Outbound, for the compute Azure ML manages: ``isolation`` turns on the workspace's managed
  virtual network, and ``outboundRules`` become its user-defined rules.
- Inbound: ``privateEndpoints`` puts a private endpoint in front of the workspace and each of
  its dependencies, in a VNet created for the stack (``vnet``) or in an existing subnet
  (``subnetId``), with the private DNS zones Azure requires (created, or given by id).

Each rule below cites the page it comes from; the Private Link facts (endpoints, zones, what a
managed network reaches) are in ``azureml_infra.privatelink``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic.alias_generators import to_snake

from azureml_infra import arm
from azureml_infra.config.base import TRAINING_SUBNET, Check, Model, Problem, arm_id_of, key_error
from azureml_infra.naming import data_storage_rule_name
from azureml_infra.privatelink import (
    AZURE_ML_ZONES,
    AZURE_RESERVED,
    ENDPOINT_GROUPS,
    ENDPOINT_KINDS,
    OUTBOUND_SUBRESOURCES,
    endpoint_groups,
)

if TYPE_CHECKING:
    from azureml_infra.config.stack import StackConfig

SUBNET_TYPE = "Microsoft.Network/virtualNetworks/subnets"
DNS_ZONE_TYPE = "Microsoft.Network/privateDnsZones"

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
    def _subresource(self):
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
    def _one_destination(self):
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
    def _subnets_fit(self):
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
    dns_zones: dict[str, arm_id_of(DNS_ZONE_TYPE)] = Field(
        default_factory=dict,
        description="Existing private DNS zones by name -> ARM id (Microsoft.Network/privateDnsZones), e.g. "
        "owned by a hub; the zones not given are created and linked to the endpoints' VNet.",
    )

    @model_validator(mode="after")
    def _consistent(self):
        if (self.vnet is None) == (self.subnet_id is None):
            raise ValueError(
                "needs exactly one of vnet (a network created for the stack) or subnetId (an existing subnet)"
            )
        for zone, zone_id in self.dns_zones.items():
            if zone not in AZURE_ML_ZONES:
                raise key_error(
                    "dnsZones",
                    f"'{zone}' is not a private DNS zone of Azure ML's endpoints; use {', '.join(AZURE_ML_ZONES)}",
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
    def _consistent(self):
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
        if self.firewall_sku is not None and not any(r.fqdn for r in self.outbound_rules):
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

    @property
    def managed(self) -> bool:
        return self.isolation != "Disabled"

    @property
    def training_subnet(self) -> str | None:
        pe = self.private_endpoints
        return pe.vnet.training_subnet if pe and pe.vnet else None


# --- subnet sizes ----------------------------------------------------------------------


def _prefix_for(addresses: int) -> int:
    """The longest prefix whose block holds ``addresses`` addresses (at most /29)."""
    prefix = 29
    while 2 ** (32 - prefix) < addresses:
        prefix -= 1
    return prefix


def _too_small(block: str, needed: int, what: str) -> str | None:
    size = ipaddress.IPv4Network(block).num_addresses
    if size >= needed + AZURE_RESERVED:
        return None
    usable = max(size - AZURE_RESERVED, 0)
    return (
        f"{block} leaves {usable} usable address{'es' if usable != 1 else ''} (Azure reserves "
        f"{AZURE_RESERVED} in every subnet), but {what} need{'s' if needed == 1 else ''} {needed}: "
        f"use a /{_prefix_for(needed + AZURE_RESERVED)} or larger"
    )


# --- rules across sections ---------------------------------------------------------------------

_NETWORK = "network"
_PE = f"{_NETWORK}.privateEndpoints"


def _private_endpoint_subnet_size(config: StackConfig) -> Iterable[Problem]:
    pe = config.network.private_endpoints
    if pe is None or pe.vnet is None:
        return
    groups = endpoint_groups(config.data_storage is not None)
    needed = sum(ENDPOINT_KINDS[g].addresses for g in groups)
    problem = _too_small(pe.vnet.private_endpoint_subnet, needed, f"the stack's {len(groups)} private endpoints")
    if problem:
        yield Problem.at(f"{_PE}.vnet.privateEndpointSubnet", problem)


def _computes_in_subnets(config: StackConfig) -> Iterable[Problem]:
    """Under a managed network no compute names a subnet; ``training`` needs the training subnet,
    which must hold every node placed in it."""
    network = config.network
    placed: list[str] = []
    needed = 0
    for key, computes in (("computes", config.computes), ("computeInstances", config.compute_instances)):
        for index, compute in enumerate(computes):
            if compute.subnet_id is None:
                continue
            where = f"{key}[{index}].subnetId"
            if network.managed:
                # "you can't deploy compute resources inside your custom virtual network"
                # (how-to-managed-network.md@d675e2ff, Limitations)
                yield Problem.at(
                    where,
                    f"a compute cannot join a subnet of yours under {_NETWORK}.isolation {network.isolation}: "
                    "it runs in the workspace's managed network; remove subnetId",
                )
            elif compute.subnet_id == TRAINING_SUBNET and network.training_subnet is None:
                yield Problem.at(
                    where,
                    f"'{TRAINING_SUBNET}' names the training subnet this stack creates, and "
                    f"{_PE}.vnet.trainingSubnet is not set: add it, or give a subnet's ARM id",
                )
            elif compute.subnet_id == TRAINING_SUBNET:
                nodes = getattr(compute, "max_nodes", 1)
                needed += nodes
                placed.append(f"{compute.name}: {nodes}")
    if placed and not network.managed:
        problem = _too_small(network.training_subnet, needed, f"the computes in it ({', '.join(placed)})")
        if problem:
            yield Problem.at(f"{_PE}.vnet.trainingSubnet", problem)


def _computes_reach_the_endpoints(config: StackConfig) -> Iterable[Problem]:
    """Private endpoints and no managed network: a compute outside every network of yours cannot
    reach the workspace's storage, key vault and registry once their public access is off
    (how-to-secure-training-vnet.md: computes of a private workspace go in a VNet)."""
    network = config.network
    if network.private_endpoints is None or network.managed:
        return
    for key, computes in (("computes", config.computes), ("computeInstances", config.compute_instances)):
        for index, compute in enumerate(computes):
            if compute.subnet_id is None:
                yield Problem.at(
                    f"{key}[{index}].subnetId",
                    f"is required with {_PE} and {_NETWORK}.isolation Disabled: outside a network of yours "
                    "the compute cannot reach the workspace's storage, key vault and registry; set subnetId: "
                    f"{TRAINING_SUBNET} (with {_PE}.vnet.trainingSubnet) or a subnet that reaches the endpoints, or "
                    f"turn on {_NETWORK}.isolation",
                )


def _rule_names_left_for_the_data_lake(config: StackConfig) -> Iterable[Problem]:
    """With a data lake, the managed network gets rules of this stack's own for it."""
    if config.data_storage is None or not config.network.managed:
        return
    reserved = {data_storage_rule_name(sub) for sub in ENDPOINT_GROUPS["dataStorage"]}
    for index, rule in enumerate(config.network.outbound_rules):
        if rule.name.lower() in reserved:
            yield Problem.at(
                f"{_NETWORK}.outboundRules[{index}].name",
                f"'{rule.name}' is the name of the rule this stack adds for dataStorage's private endpoint in the "
                "managed network; choose another name",
            )


def _registry_takes_private_endpoints(config: StackConfig) -> Iterable[Problem]:
    registry = config.workspace.container_registry
    if config.network.private_endpoints is None or registry.reused or registry.sku == "Premium":
        return
    given = "" if registry.is_set("sku") else " (the default)"
    # "This feature is available in the Premium container registry service tier."
    # (azure-docs container-registry-private-link.md@65f192b8)
    yield Problem.at(
        "workspace.containerRegistry.sku",
        f"{registry.sku}{given} cannot take a private endpoint, which {_PE} creates for the registry: "
        "only the Premium tier can; set Premium",
    )


def _image_builds_with_private_registry(config: StackConfig) -> Iterable[Problem]:
    """A private registry cannot build images with ACR tasks or serverless compute: the workspace
    needs a compute cluster for image builds (how-to-configure-private-link.md@43dc14ea;
    how-to-managed-network.md@d675e2ff, "Configure image builds")."""
    if config.network.private_endpoints is None or config.workspace.image_build_compute is not None:
        return
    clusters = [c.name for c in config.computes]
    hint = (
        f"name one of computes ({', '.join(clusters)}), e.g. imageBuildCompute: {clusters[0]}"
        if clusters
        else "add a CPU compute cluster to computes and name it here"
    )
    yield Problem.at(
        "workspace.imageBuildCompute",
        f"is required with {_PE}: behind a private endpoint the registry cannot build environment "
        f"images itself, so the workspace builds them on a compute cluster; {hint}",
    )


def _image_build_compute_is_a_cluster(config: StackConfig) -> Iterable[Problem]:
    """The workspace's imageBuildCompute is a compute name (QS machinelearning.bicep:
    imageBuildCompute: 'cpucluster001'), and the compute must exist: one of the stack's clusters."""
    name = config.workspace.image_build_compute
    clusters = [c.name for c in config.computes]
    if name is not None and name.lower() not in {c.lower() for c in clusters}:
        yield Problem.at(
            "workspace.imageBuildCompute",
            f"'{name}' is not one of computes ({', '.join(clusters) or 'none'}): name a compute cluster "
            "of this stack (compute instances cannot build images here)",
        )


def _workspace_public_access(config: StackConfig) -> Iterable[Problem]:
    ws = config.workspace
    if config.network.private_endpoints is not None and ws.is_set("public_network_access") and (
        ws.public_network_access == "Enabled"
    ):
        yield Problem.at(
            "workspace.publicNetworkAccess",
            f"Enabled contradicts {_PE}, which turns public network access off on the workspace and "
            "its dependencies; remove it",
        )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [
    _private_endpoint_subnet_size,
    _computes_in_subnets,
    _computes_reach_the_endpoints,
    _rule_names_left_for_the_data_lake,
    _registry_takes_private_endpoints,
    _image_builds_with_private_registry,
    _image_build_compute_is_a_cluster,
    _workspace_public_access,
]
