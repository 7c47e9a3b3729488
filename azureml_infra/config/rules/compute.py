"""Rules of ``computes`` and ``computeInstances`` across sections: one set of compute names
per workspace, and nodes without a public IP only where a network carries their traffic."""

from __future__ import annotations

from collections.abc import Iterable

from azureml_infra.config.base import Problem
from azureml_infra.config.rules.check import Check
from azureml_infra.config.stack import StackConfig


def _unique_compute_names(config: StackConfig) -> Iterable[Problem]:
    """Clusters, instances and Kubernetes computes share the workspace's compute names."""
    first_use: dict[str, str] = {}
    for key, names in (
        ("computes", [c.name for c in config.computes]),
        ("computeInstances", [c.name for c in config.compute_instances]),
        ("kubernetesComputes", [c.name for c in config.kubernetes_computes]),
    ):
        for index, name in enumerate(names):
            where = f"{key}[{index}]"
            # ARM compares resource names case-insensitively.
            earlier = first_use.setdefault(name.lower(), where)
            if earlier != where:
                yield Problem.at(
                    f"{where}.name",
                    f"'{name}' is already the name of {earlier}; all computes of a workspace "
                    "share one set of names (compared ignoring case)",
                )


def _no_public_ip_needs_a_network(config: StackConfig) -> Iterable[Problem]:
    """Nodes without a public IP reach Azure through a subnet of yours, or through the workspace's
    managed network (how-to-managed-network-compute.md: no subnet, enable_node_public_ip=False)."""
    if config.network.isolation != "Disabled":
        return
    for index, cluster in enumerate(config.computes):
        if not cluster.node_public_ip and cluster.subnet_id is None:
            yield Problem.at(
                f"computes[{index}].nodePublicIp",
                "false is only valid with subnetId or a managed network (network.isolation): nodes "
                "without a public IP reach Azure through your subnet or the managed network",
            )


# Rules that need more than one section of the config: (StackConfig) -> problems.
CHECKS: list[Check] = [_unique_compute_names, _no_public_ip_needs_a_network]
