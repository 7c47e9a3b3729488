"""Resource options shared by every component."""

from __future__ import annotations

from typing import Any

import pulumi


def child(parent: pulumi.Resource, **extra: Any) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(parent=parent, **extra)


def stateful(parent: pulumi.Resource, protect: bool, **extra: Any) -> pulumi.ResourceOptions:
    """Options for a resource that holds data, secrets or history.

    With ``protect: true`` in the stack, Pulumi refuses to delete or replace it, and a
    ``pulumi destroy`` or removal from the program leaves it in Azure.
    """
    return pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect, **extra)
