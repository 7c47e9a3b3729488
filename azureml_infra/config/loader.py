"""Turn the raw Pulumi config of a stack into a StackConfig, or one error listing every problem.

The raw config is what the Pulumi CLI hands the program: a flat map of ``namespace:key`` to
text, where objects and lists are JSON text, plus the set of keys stored as secrets.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import ValidationError

from azureml_infra.config.base import (
    KEY_MARK,
    LOCATION_KEY,
    Problem,
    config_key,
    fields_by_key,
    model_at,
    names_a_secret,
)
from azureml_infra.config.rules import cross_checks
from azureml_infra.config.stack import StackConfig
from azureml_infra.facts import PROJECT

SECRET_SETTINGS = (
    "is stored as a secret (or holds a secure: value), but it holds settings, which this program "
    "reads as plain text and would keep in the state unencrypted; keep each secret in a key of its "
    "own, set with: pulumi config set --secret <key> <value>, and name that key where a secret is "
    "expected (ssh.passwordSecret, datastores[].secret, kubernetesComputes[].https.certificateSecret and "
    "keySecret)"
)


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


def _did_you_mean(key: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _names_a_secret(loc: tuple[int | str, ...]) -> bool:
    """Whether ``loc`` is a field that names a secret config key (a SecretRef)."""
    key = loc[-1] if loc else None
    if not isinstance(key, str):
        return False
    holder = model_at(StackConfig, loc)
    field = fields_by_key(holder).get(key) if holder else None
    return field is not None and names_a_secret(field)


def _problem_from(error: Mapping[str, Any], secret_keys: Collection[str] = frozenset()) -> Problem:
    loc = tuple(error["loc"])
    # Never echo what was given where a secret may stand: a key stored as a secret, or a field
    # meant to hold a secret's *name*, where a pasted password is an easy mistake.
    echo = not (loc and loc[0] in secret_keys) and not _names_a_secret(loc)
    kind = error["type"]
    value = error.get("input")
    msg = error["msg"]
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
        if msg.startswith(KEY_MARK):
            key, _, msg = msg[len(KEY_MARK):].partition(": ")
            loc = (*loc, key)
    elif kind == "extra_forbidden":
        holder = model_at(StackConfig, loc)
        known = fields_by_key(holder) if holder else {}
        return Problem(
            config_key(loc),
            "unknown key" + _did_you_mean(str(loc[-1]), known)
            + (f" (known keys: {', '.join(known)})" if known else ""),
        )
    elif kind == "missing":
        if len(loc) == 1:
            return Problem(config_key(loc), f"is required; set it with: pulumi config set {config_key(loc)} <value>")
        return Problem(config_key(loc), "is required")
    shown = ""
    if echo and (isinstance(value, str) or isinstance(value, (int, float, bool)) and kind != "value_error"):
        shown = f" (got {json.dumps(value)})"
    if kind.startswith("literal_error") or kind.endswith("_type") or kind.startswith(
        ("greater_than", "less_than", "too_", "string_")
    ):
        msg = msg[0].lower() + msg[1:]
    return Problem(config_key(loc), f"{msg}{shown}")


def _project_values(raw: Mapping[str, Any], project: str) -> dict[str, Any]:
    """The project's keys (without the namespace), decoded from text."""
    values: dict[str, Any] = {}
    for full_key, text in raw.items():
        namespace, _, key = full_key.partition(":")
        if namespace == project:
            values[key] = _decode(text)
    return values


def _secret_settings(secret_names: set[str], project: str) -> list[Problem]:
    """Settings are read as plain values, so a key stored as a secret (or holding a `secure:`
    value, which makes the whole key secret) would reach the state in clear text: refuse it,
    and leave its value out of every other message."""
    return [Problem(f"{project}:{key}", SECRET_SETTINGS) for key in sorted(secret_names & set(fields_by_key(StackConfig)))]


def _model_input(
    raw: Mapping[str, Any], values: dict[str, Any], secret_names: set[str], stack: str
) -> dict[str, Any]:
    """What the StackConfig model validates: the known, non-secret keys, location and environment."""
    fields = fields_by_key(StackConfig)
    data = {k: v for k, v in values.items() if k in fields and k not in secret_names}
    if LOCATION_KEY in raw:
        data["location"] = _decode(raw[LOCATION_KEY])
    # The environment defaults to the stack name (a field default cannot see the stack).
    data.setdefault("environment", stack)
    return data


def _validate(
    data: dict[str, Any],
    context: dict[str, Any],
    secret_names: set[str],
    environment_given: bool,
    stack: str,
    project: str,
) -> tuple[StackConfig | None, list[Problem]]:
    """The model, or the problems pydantic found, each at its stack-file key."""
    try:
        return StackConfig.model_validate(data, context=context), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            if error["loc"] and error["loc"][0] in secret_names:
                continue  # already refused as a whole by _secret_settings
            problem = _problem_from(error, secret_names)
            if problem.path == f"{project}:environment" and not environment_given:
                problem = Problem(
                    problem.path,
                    f"not set, so it defaults to the stack name '{stack}', which {problem.message}"
                    f"; set {project}:environment",
                )
            problems.append(problem)
        return None, problems


def _unknown_keys(values: Mapping[str, Any], referenced: set[str], project: str) -> list[Problem]:
    """Keys that are neither a setting nor a secret some setting names (typos, mostly)."""
    fields = fields_by_key(StackConfig)
    return [
        Problem(f"{project}:{key}", "unknown key" + _did_you_mean(key, fields))
        for key in values
        if key not in fields and key not in referenced
    ]


def parse_config(
    raw: Mapping[str, Any],
    secret_keys: Iterable[str],
    stack: str,
    project: str = PROJECT,
) -> StackConfig:
    """Validate a stack's raw config as a whole. Raises ConfigError listing every problem."""
    values = _project_values(raw, project)
    secret_names = {k.partition(":")[2] for k in secret_keys if k.startswith(f"{project}:")}
    context: dict[str, Any] = {
        "project": project,
        "config_keys": set(values),
        "secret_keys": secret_names,
        "referenced": set(),
    }
    problems = _secret_settings(secret_names, project)
    data = _model_input(raw, values, secret_names, stack)
    config, invalid = _validate(data, context, secret_names, "environment" in values, stack, project)
    problems += invalid
    problems += _unknown_keys(values, context["referenced"], project)
    if config is not None:
        problems += cross_checks(config)
    if problems:
        raise ConfigError(stack, problems)
    assert config is not None
    return config


def raw_pulumi_config() -> tuple[dict[str, Any], set[str]]:
    """All config and secret keys the engine passed to this program.

    The SDK has no call that lists every key, so this reads what pulumi.Config reads: values
    set in-process (set_all_config, as the mocks do) over the PULUMI_CONFIG environment
    variable that the CLI sets; each key's secrecy comes from the SDK's public checks.
    """
    raw = dict(runtime_config.get_config_env())
    raw.update(runtime_config.CONFIG.get())
    secrets = set(runtime_config.get_config_secret_keys_env())
    secrets |= {key for key in raw if runtime_config.is_config_secret(key)}
    return raw, secrets


def load_stack_config() -> StackConfig:
    """The running stack's config, validated; raises ConfigError before any resource exists."""
    raw, secrets = raw_pulumi_config()
    return parse_config(raw, secrets, pulumi.get_stack(), pulumi.get_project())
