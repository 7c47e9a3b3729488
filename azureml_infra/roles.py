"""Azure built-in roles this program assigns or lets a stack file name, with their ids.

A built-in role's definition id is the same GUID in every subscription and tenant. Source of
each id: "Azure built-in roles" (Microsoft Learn, role-based-access-control/built-in-roles and
its per-category pages), which lists every role with its id.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A built-in role, by the name Azure shows; ``.id`` is its role definition GUID."""

    STORAGE_BLOB_DATA_READER = "Storage Blob Data Reader"
    STORAGE_BLOB_DATA_CONTRIBUTOR = "Storage Blob Data Contributor"

    @property
    def id(self) -> str:
        return ROLE_IDS[self]


# built-in-roles/storage
ROLE_IDS: dict[Role, str] = {
    Role.STORAGE_BLOB_DATA_READER: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    Role.STORAGE_BLOB_DATA_CONTRIBUTOR: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
}
