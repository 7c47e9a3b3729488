"""Building blocks shared by every config section: the strict base model, name fields,
references to secret config keys, and reuse of existing resources by ARM id."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, model_validator
from pydantic.alias_generators import to_camel

from azureml_infra import arm
from azureml_infra.naming import RULES, NameRule

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


def _name_of(rule: NameRule):
    def check(value: str) -> str:
        problem = rule.violation(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def azure_name(rule: str | NameRule) -> Any:
    """A ``str`` field that must satisfy an Azure naming rule (a NameRule or a key of RULES)."""
    return Annotated[str, _name_of(RULES[rule] if isinstance(rule, str) else rule)]


def _check_secret_ref(value: str, info: ValidationInfo) -> str:
    """The value names a config key that must exist and be stored as a Pulumi secret."""
    ctx = info.context or {}
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", value):
        raise ValueError("must be the name of a config key (letters, digits, _ and -), e.g. myPassword")
    ctx.setdefault("referenced", set()).add(value)
    project = ctx.get("project", "azureml-infra")
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


def arm_id_of(resource_type: str) -> Any:
    """A ``str`` field holding an ARM id of ``resource_type``."""

    def check(value: str) -> str:
        problem = arm.check_resource_id(value, resource_type)
        if problem:
            raise ValueError(problem)
        return value

    return Annotated[str, AfterValidator(check)]


class Reusable(Model):
    """A dependency that is either created here (settings) or reused by ARM ``id``.

    Subclasses set RESOURCE_TYPE; an ``id`` of another type is refused, and so is an
    ``id`` next to settings, which would otherwise be silently ignored.
    """

    RESOURCE_TYPE: ClassVar[str] = ""
    id: str | None = None

    @model_validator(mode="after")
    def _id_alone(self):
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
