"""Rules of ``network`` across sections: subnets large enough, computes placed where they reach
the workspace, and the workspace and registry settings that private endpoints require.

Each rule cites the page it comes from; the Private Link facts are in ``azureml_infra.privatelink``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from azureml_infra.config.base import TRAINING_SUBNET, Problem
from azureml_infra.config.compute import ComputeCluster, ComputeInstance
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig
from azureml_infra.naming import outbound_rule_name
from azureml_infra.privatelink import (
    AZURE_RESERVED,
    ENDPOINT_KINDS,
    MANAGED_NETWORK_RULES,
    REGISTRY_RULE,
    endpoint_groups,
    is_registry_data_zone,
    registry_data_zone,
)

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


def _vm_computes(config: StackConfig) -> tuple[tuple[str, Sequence[ComputeCluster | ComputeInstance]], ...]:
    """The computes that may join a subnet (clusters and instances), by their key."""
    return ("computes", config.computes), ("computeInstances", config.compute_instances)


def _private_endpoint_subnet_size(config: StackConfig) -> Iterable[Problem]:
    pe = config.network.private_endpoints
    if pe is None or pe.vnet is None:
        return
    groups = endpoint_groups(config.data_storage is not None, batch=not config.network.managed,
                             foundry=config.foundry is not None, registry=config.registry is not None,
                             monitor=pe.monitor)
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
    for key, computes in _vm_computes(config):
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
                nodes = compute.max_nodes if isinstance(compute, ComputeCluster) else 1  # an instance: one VM
                needed += nodes
                placed.append(f"{compute.name}: {nodes}")
    # A compute is placed only in a training subnet that is set, outside a managed network.
    if placed and network.training_subnet is not None:
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
    for key, computes in _vm_computes(config):
        for index, compute in enumerate(computes):
            if compute.subnet_id is None:
                yield Problem.at(
                    f"{key}[{index}].subnetId",
                    f"is required with {_PE} and {_NETWORK}.isolation Disabled: outside a network of yours "
                    "the compute cannot reach the workspace's storage, key vault and registry; set subnetId: "
                    f"{TRAINING_SUBNET} (with {_PE}.vnet.trainingSubnet) or a subnet that reaches the endpoints, or "
                    f"turn on {_NETWORK}.isolation",
                )


def _rule_names_left_for_this_stack(config: StackConfig) -> Iterable[Problem]:
    """A managed network gets rules of this stack's own (privatelink.MANAGED_NETWORK_RULES)."""
    if not config.network.managed:
        return
    what = {"storageAccount": "the default storage's {sub} (batch endpoints)",
            "dataStorage": "dataStorage's private endpoint"}
    reserved = {
        outbound_rule_name(label, sub): what[kind].format(sub=sub)
        for kind, label, sub in MANAGED_NETWORK_RULES
        if kind != "dataStorage" or config.data_storage is not None
    }
    if config.registry is not None:
        reserved[REGISTRY_RULE] = "the Azure ML registry"
    for index, rule in enumerate(config.network.outbound_rules):
        if rule.name.lower() in reserved:
            yield Problem.at(
                f"{_NETWORK}.outboundRules[{index}].name",
                f"'{rule.name}' is the name of the rule this stack adds for {reserved[rule.name.lower()]} in the "
                "managed network; choose another name",
            )


def _registry_data_zone_of_the_stacks_region(config: StackConfig) -> Iterable[Problem]:
    pe = config.network.private_endpoints
    for zone in pe.dns_zones if pe else ():
        if is_registry_data_zone(zone) and zone != registry_data_zone(config.location):
            yield Problem.at(
                f"{_PE}.dnsZones",
                f"'{zone}' is the registry's data zone of another region: the stack's registry is in "
                f"{config.location}, whose data zone is {registry_data_zone(config.location)}",
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


def _serverless_compute_subnet(config: StackConfig) -> Iterable[Problem]:
    """workspace.serverlessCompute: a subnet of yours, outside a managed network (where serverless
    compute runs in the managed network: how-to-managed-network.md, Limitations); ``training`` needs
    the training subnet."""
    serverless = config.workspace.serverless_compute
    if serverless is None:
        return
    where = "workspace.serverlessCompute.subnetId"
    network = config.network
    if network.managed:
        yield Problem.at(
            where,
            f"serverless compute cannot join a subnet of yours under {_NETWORK}.isolation {network.isolation}: it "
            "runs in the workspace's managed network; remove serverlessCompute",
        )
    elif serverless.subnet_id == TRAINING_SUBNET and network.training_subnet is None:
        yield Problem.at(
            where,
            f"'{TRAINING_SUBNET}' names the training subnet this stack creates, and {_PE}.vnet.trainingSubnet is "
            "not set: add it, or give a subnet's ARM id",
        )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [
    _private_endpoint_subnet_size,
    _computes_in_subnets,
    _computes_reach_the_endpoints,
    _rule_names_left_for_this_stack,
    _registry_data_zone_of_the_stacks_region,
    _registry_takes_private_endpoints,
    _image_builds_with_private_registry,
    _image_build_compute_is_a_cluster,
    _workspace_public_access,
    _serverless_compute_subnet,
]
