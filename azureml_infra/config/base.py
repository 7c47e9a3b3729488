"""Building blocks shared by every config section.

- ``Problem`` and ``config_key``: one problem of a stack file, at its full key path.
- ``Model``: the strict base model; name, GUID, ARM id and secret-reference fields.
- ``Reusable``: a dependency created here or reused by ARM id.
- ``submodel``, ``fields_by_key``, ``model_at``, ``names_a_secret``: walking the models by the
  stack file's keys (for "did you mean", the reference docs and never echoing secrets).

Section modules, the stack model, the rules across sections (``config.rules``) and the loader
import this module, and it imports none of them: the imports run one way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from azureml_infra import arm
from azureml_infra.facts import PROJECT
from azureml_infra.naming import RULES, NameRule

# The one key outside this project's namespace that the program reads.
LOCATION_KEY = "azure-native:location"


def config_key(loc: Iterable[Any]) -> str:
    """The full key of a path in the config, e.g. ``azureml-infra:computes[0].name``."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    text = "".join(parts)
    return LOCATION_KEY if text == "location" else f"{PROJECT}:{text}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a stack file: the full key and what is wrong with it."""

    path: str
    message: str

    @classmethod
    def at(cls, path: str, message: str) -> Problem:
        """A problem at a dotted path below the project namespace, e.g. ``datastores[0].name``."""
        return cls(f"{PROJECT}:{path}", message)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


# A model validator cannot point its error at one key of the model, so it prefixes the
# message with "@<key>: " and the error formatter moves the key into the path.
KEY_MARK = "@"


def key_error(key: str, message: str) -> ValueError:
    """An error about ``key`` of the model being validated (for cross-field rules)."""
    return ValueError(f"{KEY_MARK}{key}: {message}")


class Model(BaseModel):
    """Strict, immutable, camelCase keys, and no unknown keys (typos are errors)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=False,
        validate_by_alias=True,
        validate_default=False,
    )

    def is_set(self, field: str) -> bool:
        """Whether the stack file gave this field (as opposed to its default)."""
        return field in self.model_fields_set


def _name_of(rule: NameRule) -> AfterValidator:
    def check(value: str) -> str:
        problem = rule.violation(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def azure_name(rule: str | NameRule) -> AfterValidator:
    """The check of a ``str`` that must satisfy an Azure naming rule (a NameRule or a key of RULES),
    as in ``Annotated[str, azure_name("key_vault")]``."""
    return _name_of(RULES[rule] if isinstance(rule, str) else rule)


# Names a stack file may give the resources it creates, each held to Azure's rule for its kind
# (section modules add the names of their own rules, e.g. compute.ClusterName).
ResourceGroupName = Annotated[str, azure_name("resource_group")]
StorageAccountName = Annotated[str, azure_name("storage_account")]
KeyVaultName = Annotated[str, azure_name("key_vault")]
LogAnalyticsName = Annotated[str, azure_name("log_analytics")]
ApplicationInsightsName = Annotated[str, azure_name("application_insights")]
ContainerRegistryName = Annotated[str, azure_name("container_registry")]
WorkspaceName = Annotated[str, azure_name("ml_workspace")]
BlobContainerName = Annotated[str, azure_name("blob_container")]
DatastoreName = Annotated[str, azure_name("datastore")]


def _check_secret_ref(value: str, info: ValidationInfo) -> str:
    """The value names a config key that must exist and be stored as a Pulumi secret."""
    ctx = info.context or {}
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", value):
        raise ValueError("must be the name of a config key (letters, digits, _ and -), e.g. myPassword")
    ctx.setdefault("referenced", set()).add(value)
    project = ctx.get("project", PROJECT)
    if value not in ctx.get("config_keys", ()):
        raise ValueError(
            f"names the config key '{project}:{value}', which is not set; "
            f"set it with: pulumi config set --secret {value} <value>"
        )
    if value not in ctx.get("secret_keys", ()):
        raise ValueError(
            f"names the config key '{project}:{value}', which is stored in plain text; "
            f"store it as a secret: pulumi config set --secret {value} <value>"
        )
    return value


SecretRef = Annotated[str, AfterValidator(_check_secret_ref)]
"""The name of a config key, in this project's namespace, set with ``--secret``."""


def _check_guid(value: str) -> str:
    if not arm.is_guid(value):
        raise ValueError("must be a GUID such as 00000000-0000-0000-0000-000000000000")
    return value


Guid = Annotated[str, AfterValidator(_check_guid)]


def _check_vm_size(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", value):
        raise ValueError("must be an Azure VM size such as STANDARD_D3_V2 or Standard_DS3_v2")
    return value


VmSize = Annotated[str, AfterValidator(_check_vm_size)]
"""An Azure VM size name (of a cluster, an instance or an AKS node pool)."""


def _check_region(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9]+", value):
        raise ValueError("must be an Azure region name such as westeurope (lowercase, no spaces)")
    return value


Region = Annotated[str, AfterValidator(_check_region)]
"""An Azure region's name, as ARM writes it (westeurope)."""

# ``subnetId: training`` on a compute: the training subnet of the VNet this stack creates
# (network.privateEndpoints.vnet.trainingSubnet; config.rules.network holds the rules).
TRAINING_SUBNET = "training"


def _check_subnet_or_training(value: str) -> str:
    if value == TRAINING_SUBNET:
        return value
    problem = arm.check_resource_id(value, "Microsoft.Network/virtualNetworks/subnets")
    if problem and arm.parse_resource_id(value) is None:
        # A subnet id nests under its VNet, which the generic example does not show.
        problem = (
            "is not a subnet's ARM id; expected /subscriptions/<subscription-guid>/resourceGroups/<group>"
            "/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>, or training for the "
            "training subnet this stack creates"
        )
    if problem:
        raise ValueError(problem)
    return value


SubnetIdOrTraining = Annotated[str, AfterValidator(_check_subnet_or_training)]
"""A subnet's ARM id, or ``training`` (computes' and serverless compute's ``subnetId``)."""


def arm_id_of(resource_type: str) -> AfterValidator:
    """The check of a ``str`` holding an ARM id of ``resource_type``, as in
    ``Annotated[str, arm_id_of("Microsoft.Network/privateDnsZones")]``."""

    def check(value: str) -> str:
        problem = arm.check_resource_id(value, resource_type)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


USER_ASSIGNED_IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"
UserAssignedIdentityId = Annotated[str, arm_id_of(USER_ASSIGNED_IDENTITY_TYPE)]
"""An existing user-assigned identity (of the workspace or of a compute cluster), by ARM id."""


class Reusable(Model):
    """A dependency that is either created here (settings) or reused by ARM ``id``.

    Subclasses set RESOURCE_TYPE; an ``id`` of another type is refused, and so is an
    ``id`` next to settings, which would otherwise be silently ignored.
    """

    RESOURCE_TYPE: ClassVar[str] = ""
    id: str | None = Field(
        None,
        description="ARM id of an existing resource of this kind to use instead of creating one; "
        "nothing is created, changed or deleted for it, and no other key of this section may be set.",
    )

    @model_validator(mode="after")
    def _id_alone(self) -> Self:
        if self.id is None:
            return self
        problem = arm.check_resource_id(self.id, self.RESOURCE_TYPE)
        if problem:
            raise key_error("id", problem)
        others = sorted(to_camel(f) for f in self.model_fields_set - {"id"})
        if others:
            raise ValueError(
                f"'id' reuses an existing resource, so {', '.join(others)} cannot be set "
                "beside it: remove them, or remove 'id' to have this stack create the resource"
            )
        return self

    @property
    def reused(self) -> bool:
        return self.id is not None

    @property
    def existing_name(self) -> str:
        parsed = arm.parse_resource_id(self.id or "")
        assert parsed, "only called on a reused resource"
        return parsed.name


# --- walking the models by the stack file's keys ------------------------------------------


def fields_by_key(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the key a stack file uses (the camelCase alias)."""
    return {(f.alias or name): f for name, f in model.model_fields.items()}


def submodel(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation such as ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = submodel(arg)
        if found:
            return found
    return None


def model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model that holds the last key of ``loc``, starting from ``root``."""
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = fields_by_key(model).get(part)
        model = submodel(field.annotation) if field else None
    return model


def names_a_secret(field: FieldInfo) -> bool:
    """Whether the field holds the *name* of a secret config key (a ``SecretRef``)."""

    def check(annotation: Any, metadata: Iterable[Any]) -> bool:
        if any(getattr(m, "func", None) is _check_secret_ref for m in metadata):
            return True
        return any(check(arg, getattr(arg, "__metadata__", ())) for arg in getattr(annotation, "__args__", ()) or ())

    return check(field.annotation, field.metadata)
