"""Where the workspace's computes go: its resource group, the workspace, region and tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi


@dataclass(frozen=True)
class Placement:
    resource_group_name: pulumi.Input[str]
    workspace_name: pulumi.Input[str]
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)

    def of(self, compute_name: str) -> dict[str, Any]:
        """Arguments every ml.Compute of this workspace takes, for one compute name."""
        return {
            "compute_name": compute_name,
            "resource_group_name": self.resource_group_name,
            "workspace_name": self.workspace_name,
            "location": self.location,
            "tags": self.tags,
        }
