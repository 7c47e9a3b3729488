"""Rules of ``registry`` across sections: a created registry's primary region is the stack's."""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig


def _primary_region_is_the_stacks(config: StackConfig) -> Iterable[Problem]:
    registry = config.registry
    if registry is None or registry.create is None:
        return
    if registry.create.regions[0] != config.location:
        yield Problem.at(
            "registry.create.regions",
            f"must start with the stack's region {config.location} (the registry's primary region, "
            f"where it is created; got {registry.create.regions[0]}): list {config.location} first",
        )


def _private_registry_is_reachable(config: StackConfig) -> Iterable[Problem]:
    """A registry without public access is reached through private endpoints only: the stack's own
    (network.privateEndpoints gives the registry one, group amlregistry) or none at all."""
    registry = config.registry
    if registry is None or registry.create is None or registry.create.public_network_access != "Disabled":
        return
    if config.network.private_endpoints is None:
        yield Problem.at(
            "registry.create.publicNetworkAccess",
            "Disabled would leave the registry unreachable: this stack has no network.privateEndpoints to give it a "
            "private endpoint; add network.privateEndpoints, or keep Enabled (access still needs Entra ID and the "
            "AzureML Registry User role)",
        )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [_primary_region_is_the_stacks, _private_registry_is_reachable]
