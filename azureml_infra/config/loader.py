"""Turn the raw Pulumi config of a stack into a StackConfig, or one error listing every problem.

The raw config is what the Pulumi CLI hands the program: a flat map of ``namespace:key`` to
text, where objects and lists are JSON text, plus the set of keys stored as secrets.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from azureml_infra.config.base import KEY_MARK
from azureml_infra.config.stack import StackConfig

PROJECT = "azureml-infra"
LOCATION_KEY = "azure-native:location"


SECRET_SETTINGS = (
    "is stored as a secret (or holds a secure: value), but it holds settings, which this program "
    "reads as plain text and would keep in the state unencrypted; keep each secret in a key of its "
    "own, set with: pulumi config set --secret <key> <value>, and name that key where a secret is "
    "expected (ssh.passwordSecret, datastores[].secret)"
)


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class ConfigError(pulumi.RunError):
    """The stack config is invalid. Raised before any resource is registered.

    A RunError, so the Pulumi CLI prints the message alone, without a traceback.
    """

    def __init__(self, stack: str, problems: list[Problem]):
        self.stack = stack
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = [
            f"Invalid configuration for stack '{stack}' (Pulumi.{stack}.yaml): {count}. "
            "Nothing was deployed.",
            *(f"  - {p}" for p in problems),
        ]
        super().__init__("\n".join(lines))


def _decode(text: Any) -> Any:
    """Config values arrive as text; objects, lists, numbers and booleans as JSON text."""
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _aliases(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f for name, f in model.model_fields.items()}


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The model class inside an annotation such as ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _submodel(arg)
        if found:
            return found
    return None


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model that holds the last key of ``loc`` (for 'did you mean' on unknown keys)."""
    model: type[BaseModel] | None = StackConfig
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = _aliases(model).get(part)
        model = _submodel(field.annotation) if field else None
    return model


def _path(loc: Iterable[Any]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    text = "".join(parts)
    return LOCATION_KEY if text == "location" else f"{PROJECT}:{text}"


def _did_you_mean(key: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _is_secret_ref(loc: tuple) -> bool:
    """Whether ``loc`` is a field that names a secret config key (a SecretRef)."""
    from azureml_infra.config.base import _check_secret_ref

    def names_secret(annotation: Any, metadata: Iterable[Any] = ()) -> bool:
        if any(getattr(m, "func", None) is _check_secret_ref for m in metadata):
            return True
        return any(
            names_secret(arg, getattr(arg, "__metadata__", ())) for arg in getattr(annotation, "__args__", ()) or ()
        )

    holder = _model_at(loc) if loc and isinstance(loc[-1], str) else None
    field = _aliases(holder).get(loc[-1]) if holder else None
    return bool(field) and names_secret(field.annotation, field.metadata)


def _problem_from(error: Mapping[str, Any], secret_keys: set[str] = frozenset()) -> Problem:
    loc = tuple(error["loc"])
    # Never echo what was given where a secret may stand: a key stored as a secret, or a field
    # meant to hold a secret's *name*, where a pasted password is an easy mistake.
    echo = not (loc and loc[0] in secret_keys) and not _is_secret_ref(loc)
    kind = error["type"]
    value = error.get("input")
    msg = error["msg"]
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        if msg.startswith(KEY_MARK):
            key, _, msg = msg[len(KEY_MARK):].partition(": ")
            loc = (*loc, key)
    elif kind == "extra_forbidden":
        holder = _model_at(loc)
        known = _aliases(holder) if holder else {}
        return Problem(
            _path(loc),
            "unknown key" + _did_you_mean(str(loc[-1]), known)
            + (f" (known keys: {', '.join(known)})" if known else ""),
        )
    elif kind == "missing":
        if len(loc) == 1:
            return Problem(_path(loc), f"is required; set it with: pulumi config set {_path(loc)} <value>")
        return Problem(_path(loc), "is required")
    shown = ""
    if echo and (isinstance(value, str) or isinstance(value, (int, float, bool)) and kind != "value_error"):
        shown = f" (got {json.dumps(value)})"
    if kind.startswith("literal_error") or kind.endswith("_type") or kind.startswith(
        ("greater_than", "less_than", "too_", "string_")
    ):
        msg = msg[0].lower() + msg[1:]
    return Problem(_path(loc), f"{msg}{shown}")


def parse_config(
    raw: Mapping[str, Any],
    secret_keys: Iterable[str],
    stack: str,
    project: str = PROJECT,
) -> StackConfig:
    """Validate a stack's raw config as a whole. Raises ConfigError listing every problem."""
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace == project:
            values[key] = _decode(text)
    secret_names = {k.partition(":")[2] for k in secret_keys if k.startswith(f"{project}:")}
    context: dict[str, Any] = {
        "project": project,
        "config_keys": set(values),
        "secret_keys": secret_names,
        "referenced": set(),
    }
    fields = _aliases(StackConfig)
    problems: list[Problem] = []
    # Settings are read as plain values, so a key stored as a secret (or holding a `secure:`
    # value, which makes the whole key secret) would reach the state in clear text: refuse it,
    # and leave its value out of every other message.
    for key in sorted(secret_names & set(fields)):
        problems.append(Problem(f"{project}:{key}", SECRET_SETTINGS))
    data = {k: v for k, v in values.items() if k in fields and k not in secret_names}
    if LOCATION_KEY in raw:
        data["location"] = _decode(raw[LOCATION_KEY])
    if "environment" not in data:
        data["environment"] = stack
    config: StackConfig | None = None
    try:
        config = StackConfig.model_validate(data, context=context)
    except ValidationError as exc:
        for error in exc.errors():
            if error["loc"] and error["loc"][0] in secret_names:
                continue  # already refused above, as a whole
            problem = _problem_from(error, secret_names)
            if problem.path == f"{project}:environment" and "environment" not in values:
                problem = Problem(
                    problem.path,
                    f"not set, so it defaults to the stack name '{stack}', which {problem.message}"
                    f"; set {project}:environment",
                )
            problems.append(problem)
    for key in values:
        if key not in fields and key not in context["referenced"]:
            problems.append(Problem(f"{project}:{key}", "unknown key" + _did_you_mean(key, fields)))
    if config is not None:
        from azureml_infra.config.checks import cross_checks

        problems.extend(cross_checks(config))
    if problems:
        raise ConfigError(stack, problems)
    assert config is not None
    return config


def raw_pulumi_config() -> tuple[dict[str, Any], set[str]]:
    """All config and secret keys the engine passed to this program.

    The SDK has no public call that lists every key, so this reads what pulumi.Config reads:
    values set in-process (set_all_config, as the mocks do) over the PULUMI_CONFIG
    environment variable that the CLI sets.
    """
    from pulumi.runtime import config as runtime_config

    raw = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    secrets = set(runtime_config.get_config_secret_keys_env()) | set(runtime_config._SECRET_KEYS.get())
    return raw, secrets


def load_stack_config() -> StackConfig:
    """The running stack's config, validated; raises ConfigError before any resource exists."""
    raw, secrets = raw_pulumi_config()
    return parse_config(raw, secrets, pulumi.get_stack(), pulumi.get_project())
