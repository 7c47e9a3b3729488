"""Azure management locks (CanNotDelete) on what must never be deleted.

``protect: true`` makes Pulumi refuse to delete a resource; it does nothing against a person in
the portal or a script with the CLI. A CanNotDelete lock does: Azure refuses the delete until
someone with Owner (or User Access Administrator) removes the lock, on purpose. Reads and
updates go on as usual, data-plane operations (blobs, secrets, images) included.

Which resources get one is ``facts.LOCKED_TYPES``; README "Locks" says what each prevents and
how to remove one.
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import authorization

from components.options import child

LOCK_NAME = "azureml-infra-do-not-delete"


def lock_against_deletion(
    name: str, resource: pulumi.CustomResource, what: str, parent: pulumi.Resource
) -> authorization.ManagementLockByScope:
    """A CanNotDelete lock on ``resource``; ``name`` is the resource's logical name."""
    return authorization.ManagementLockByScope(
        f"{name}-lock",
        scope=resource.id,
        level=authorization.LockLevel.CAN_NOT_DELETE,
        lock_name=LOCK_NAME,
        notes=f"azureml-infra: protects {what} from deletion. Remove this lock on purpose only "
        "(README, Locks).",
        opts=child(parent),
    )
