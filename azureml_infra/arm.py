"""Azure Resource Manager resource ids: parsing and checking their resource type."""

from __future__ import annotations

import re
from dataclasses import dataclass

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
GUID_RE = re.compile(rf"^{_GUID}$")

_ID_RE = re.compile(
    rf"^/subscriptions/(?P<sub>{_GUID})"
    r"/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/(?P<ns>[A-Za-z0-9.]+)"
    r"(?P<rest>(?:/[^/]+/[^/]+)+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ResourceId:
    subscription_id: str
    resource_group: str
    namespace: str
    types: tuple[str, ...]
    names: tuple[str, ...]

    @property
    def type(self) -> str:
        """Full resource type, e.g. ``Microsoft.Network/virtualNetworks/subnets``."""
        return "/".join((self.namespace, *self.types))

    @property
    def name(self) -> str:
        return self.names[-1]


def parse_resource_id(value: str) -> ResourceId | None:
    """Parse a resource-group scoped ARM id; None when it is not one."""
    match = _ID_RE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    parts = match["rest"].strip("/").split("/")
    return ResourceId(
        subscription_id=match["sub"],
        resource_group=match["rg"],
        namespace=match["ns"],
        types=tuple(parts[0::2]),
        names=tuple(parts[1::2]),
    )


def check_resource_id(value: str, expected_type: str) -> str | None:
    """Return why ``value`` is not an ARM id of ``expected_type``, or None when it is.

    Resource types compare case-insensitively, as ARM does.
    """
    parsed = parse_resource_id(value)
    namespace, *types = expected_type.split("/")
    example = "/subscriptions/<subscription-guid>/resourceGroups/<group>/providers/" + "/".join(
        [namespace, *(f"{t}/<name>" for t in types)]
    )
    if parsed is None:
        return f"is not an ARM resource id; expected {example}"
    if parsed.type.lower() != expected_type.lower():
        return f"is the id of a {parsed.type}, not of a {expected_type}"
    return None


def is_guid(value: str) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))
