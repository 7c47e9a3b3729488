"""Generate schemas/stack-config.schema.json from the config models, for editors and CI.

    python -m tools.stack_schema          # rewrite schemas/stack-config.schema.json
    python -m tools.stack_schema --check  # exit 1 when the file is stale

The schema describes a ``Pulumi.<stack>.yaml`` file as a whole: the keys Pulumi itself writes
(``secretsprovider``, ``encryptedkey``, ``encryptionsalt``, ``environment``: the ProjectStack
struct of pulumi/pulumi, sdk/go/common/workspace/project.go) and the ``config:`` map, where

- every ``azureml-infra:<key>`` of ``StackConfig`` is typed from its model, walked generically
  with pydantic's ``model_json_schema(by_alias=True)``: types, enums, defaults, descriptions,
  and the patterns and lengths of the validators that a regular expression can say (Azure
  naming rules from ``azureml_infra.naming.RULES``, GUIDs, ARM ids, durations, ...);
- ``azure-native:location`` is typed as the ``location`` field;
- any other ``azureml-infra:<key>`` is a secret that a ``...Secret``/``secret`` field names,
  so it must hold ``{secure: ...}`` (the program refuses such a key in plain text, and a plain
  unknown key is a typo);
- every other namespace (``azure-native:*``, ``pulumi:*``...) is left open.

A ``secure:`` value is refused on the settings keys, as the program refuses it there.

The program stays the authority: rules across keys or sections (``maxNodes >= minNodes``,
unique names, ``dataStorage`` references) are not in the schema; tests/test_stack_schema.py
holds the two to agreeing on every shipped stack file and on a set of bad ones.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from azureml_infra import arm
from azureml_infra.config import diagnostics, kubernetes, network, workspace
from azureml_infra.config.base import LOCATION_KEY
from azureml_infra.config.datastores import DATA_STORAGE, RESERVED_NAMES
from azureml_infra.config.stack import StackConfig
from azureml_infra.facts import DURATION_RE, PROJECT
from azureml_infra.naming import ENVIRONMENT_RE, PREFIX_RE, RULES, SUFFIX_RE, NameRule
from azureml_infra.roles import Role
from azureml_infra.time_zones import TIME_ZONES
from tools.generated import write_or_check

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "schemas" / "stack-config.schema.json"
SCHEMA_ID = "https://github.com/azureml-infra/azureml-infra/schemas/stack-config.schema.json"
# Draft-07: what editors fully support (the YAML language server behind VS Code's YAML extension
# warns "Draft 2020-12 schemas are not yet fully supported", redhat-developer/vscode-yaml#726).
DIALECT = "http://json-schema.org/draft-07/schema#"
DEFINITIONS = "definitions"

# --- patterns ------------------------------------------------------------------------------
# JSON Schema patterns are ECMA-262 regular expressions and match anywhere in the value
# (https://json-schema.org/draft/2020-12/json-schema-validation#name-pattern): anchor them,
# and write Python-only syntax the ECMA way.


def _anchored(pattern: str) -> str:
    pattern = pattern.removeprefix("^").removesuffix("$")
    pattern = re.sub(r"\(\?P<\w+>", "(?:", pattern)  # named groups are spelled apart: drop the names
    return f"^(?:{pattern})$"


def _escape(text: str) -> str:
    """A literal, escaped for ECMA-262 as well as Python: only the syntax characters (re.escape
    also escapes `-`, and `\\-` outside a class is an error in ECMA-262's unicode mode)."""
    return re.sub(r"([\\^$.|?*+()\[\]{}/])", r"\\\1", text)


def _case_insensitive(text: str) -> str:
    """A literal that matches in any case (ECMA-262 has no inline (?i))."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else _escape(c) for c in text)


def _arm_id_pattern(resource_type: str) -> str:
    """The ARM ids ``azureml_infra.arm.check_resource_id`` accepts for one type (any case)."""
    namespace, *types = resource_type.split("/")
    segments = "".join(f"/{_case_insensitive(t)}/[^/]+" for t in types)
    return (
        f"^/{_case_insensitive('subscriptions')}/{arm._GUID}/{_case_insensitive('resourceGroups')}/[^/]+"
        f"/{_case_insensitive('providers')}/{_case_insensitive(namespace)}{segments}$"
    )


def _name_rule(rule: NameRule) -> dict[str, Any]:
    pattern = _anchored(rule.pattern)
    if rule.no_double_hyphen:
        pattern = "^(?!.*--)" + pattern[1:]
    return {"pattern": pattern, "minLength": rule.min_len, "maxLength": rule.max_len}


def _closure(func: Callable, name: str) -> Any:
    return inspect.getclosurevars(func).nonlocals.get(name)


def _duration_pattern() -> str:
    # The regex azureml_infra.facts.parse_duration uses; "P" alone has no part and is refused.
    return "^(?!P$)" + _anchored(DURATION_RE.pattern)[1:]


# Validators (by qualified name) whose rule a schema keyword can say, as the keywords that
# say it. A validator not listed here leaves the schema looser than the program, never stricter.
_GUID_SCHEMA = {"pattern": f"^{arm._GUID}$"}
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_STORAGE_ACCOUNT_SCHEMA = _name_rule(RULES["storage_account"])
KNOWN_VALIDATORS: dict[str, Callable[[Callable], dict[str, Any]]] = {
    # azureml_infra.config.base
    "_name_of.<locals>.check": lambda f: _name_rule(_closure(f, "rule")),
    "arm_id_of.<locals>.check": lambda f: {"pattern": _arm_id_pattern(_closure(f, "resource_type"))},
    "_check_guid": lambda f: dict(_GUID_SCHEMA),
    "_check_secret_ref": lambda f: {"pattern": "^[A-Za-z][A-Za-z0-9_-]*$"},
    # a compute's or serverless compute's subnetId: a subnet's ARM id, or `training` (the stack's training subnet)
    "_check_subnet_or_training": lambda f: {"anyOf": [
        {"pattern": _arm_id_pattern("Microsoft.Network/virtualNetworks/subnets")}, {"const": "training"}]},
    # azureml_infra.config.compute
    "_check_duration": lambda f: {"pattern": _duration_pattern()},
    "_check_vm_size": lambda f: {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"},
    "_check_subnet_id": lambda f: {"pattern": _arm_id_pattern("Microsoft.Network/virtualNetworks/subnets")},
    "_check_time_zone": lambda f: {"enum": sorted(TIME_ZONES)},
    "ComputeCluster._min_nodes": lambda f: {"minimum": 0},
    "ComputeCluster._max_nodes": lambda f: {"minimum": 1},
    # azureml_infra.config.stack
    "_check_region": lambda f: {"pattern": "^[a-z][a-z0-9]+$"},
    "StackConfig._prefix": lambda f: {"pattern": PREFIX_RE.pattern},
    "StackConfig._environment": lambda f: {"pattern": ENVIRONMENT_RE.pattern},
    "StackConfig._suffix": lambda f: {"pattern": SUFFIX_RE.pattern},
    "StackConfig._tags": lambda f: {
        "maxProperties": 48,
        "propertyNames": {"minLength": 1, "maxLength": 128, "pattern": "^[^<>%&\\\\?/]*$"},
        "additionalProperties": {"type": "string", "maxLength": 256},
    },
    # azureml_infra.config.network (a CIDR's "bits set after the prefix" is left to the program)
    "_check_cidr": lambda f: {"pattern": f"^{_OCTET}(?:\\.{_OCTET}){{3}}/(?:3[0-2]|[12]?[0-9])$"},
    "OutboundRule._fqdn": lambda f: {"pattern": _anchored(network._FQDN.pattern), "maxLength": 253},
    "OutboundRule._name": lambda f: {"pattern": _anchored(network._RULE_NAME.pattern)},
    # azureml_infra.config.access: a built-in role's name in any case, or a role definition GUID
    "_check_role": lambda f: {"anyOf": [
        dict(_GUID_SCHEMA), {"pattern": "^(?:" + "|".join(_case_insensitive(r.value) for r in Role) + ")$"}]},
    # azureml_infra.config.kubernetes
    "_check_namespace": lambda f: {"pattern": _anchored(kubernetes._DNS_LABEL.pattern)},
    "ClusterSettings._node_range": lambda f: {"minimum": kubernetes.MIN_NODES, "maximum": kubernetes.MAX_NODES},
    "ClusterSettings._version": lambda f: {"pattern": _anchored(kubernetes._KUBERNETES_VERSION.pattern)},
    # azureml_infra.config.workspace: the key's URI
    "WorkspaceEncryption._key_uri": lambda f: {"pattern": _anchored(workspace.KEY_URI_RE.pattern)},
    # azureml_infra.config.diagnostics
    "EventHubDestination._name": lambda f: {"pattern": _anchored(diagnostics._EVENT_HUB_NAME.pattern)},
    # azureml_infra.config.budget
    "_check_start_date": lambda f: {"pattern": "^[0-9]{4}-(?:0[1-9]|1[0-2])-01$"},
    "_check_email": lambda f: {"pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"},
    "BudgetSettings._amount": lambda f: {"exclusiveMinimum": 0},
    "BudgetThreshold._percent": lambda f: {"minimum": 1, "maximum": 1000},
    # azureml_infra.config.datastores
    "DataStorageSettings._unique_containers": lambda f: {"uniqueItems": True},
    "DatastoreSettings._not_reserved": lambda f: {"not": {"enum": list(RESERVED_NAMES)}},
    "DatastoreSettings._account": lambda f: {"anyOf": [_STORAGE_ACCOUNT_SCHEMA, {"const": DATA_STORAGE}]},
}


def _merge(schema: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` added to ``schema``; a key both set goes into an allOf."""
    clash = set(schema) & set(extra)
    if clash and "anyOf" not in extra:
        return {**schema, "allOf": [*schema.get("allOf", []), {k: extra[k] for k in clash}],
                **{k: v for k, v in extra.items() if k not in clash}}
    if "anyOf" in extra:
        # A value that is one thing or another: keep the base type beside it.
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, "anyOf": extra["anyOf"]}
    return {**schema, **extra}


def _shorthands(model: type[BaseModel]) -> list[str]:
    """The strings a model's ``mode="before"`` validator turns into a valid model.

    Probed, not hard-coded: the candidates are the words in backticks of the model's docstring,
    its keys and its Literal values, and a candidate counts only if the model accepts it.
    """
    doc = model.__doc__ or ""
    candidates = set(re.findall(r"`([A-Za-z][A-Za-z0-9_-]*)`", doc))
    for name, field in model.model_fields.items():
        candidates.add(field.alias or name)
        for arg in _literal_values(field.annotation):
            candidates.add(arg)
    accepted = []
    for candidate in sorted(candidates):
        try:
            model.model_validate(candidate)
        except (ValidationError, ValueError, TypeError):
            continue
        accepted.append(candidate)
    return accepted


def _literal_values(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is typing.Literal:
        return [a for a in typing.get_args(annotation) if isinstance(a, str)]
    return [v for arg in typing.get_args(annotation) for v in _literal_values(arg)]


class _Generator(GenerateJsonSchema):
    """pydantic's generator, plus what the validators say and the shorthand strings."""

    def function_after_schema(self, schema: core_schema.AfterValidatorFunctionSchema) -> dict[str, Any]:
        inner = self.generate_inner(schema["schema"])
        func = schema["function"]["function"]
        describe = KNOWN_VALIDATORS.get(getattr(func, "__qualname__", ""))
        return _merge(inner, describe(func)) if describe else inner

    _models: list[type[BaseModel]]

    def model_schema(self, schema: core_schema.ModelSchema) -> dict[str, Any]:
        # A model validator wraps the model's fields, inside the model: remember whose they are.
        self._models = [*getattr(self, "_models", []), schema["cls"]]
        try:
            generated = super().model_schema(schema)
        finally:
            self._models.pop()
        # A model with shorthand strings: the object keywords pydantic adds at the top belong
        # to the object branch (at the top, additionalProperties would refuse every key).
        branches = generated.get("anyOf", [])
        if any(b.get("type") == "string" for b in branches):
            object_keys = {k: generated.pop(k) for k in ("additionalProperties", "required") if k in generated}
            for branch in branches:
                if "properties" in branch:
                    branch.update(object_keys)
        return generated

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> dict[str, Any]:
        inner = self.generate_inner(schema["schema"])
        if schema["schema"].get("type") != "model-fields" or not getattr(self, "_models", None):
            return inner
        words = _shorthands(self._models[-1])
        return {"anyOf": [{"type": "string", "enum": words}, inner]} if words else inner


# --- post-processing ------------------------------------------------------------------------


def _tidy(node: Any) -> Any:
    """Drop pydantic's generated titles; fold ``defaultText`` into the description."""
    if isinstance(node, list):
        return [_tidy(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: _tidy(v) for k, v in value.items()}  # keys named "title" stay
            continue
        out[key] = _tidy(value)
    text = out.pop("defaultText", None)
    if text is not None:
        description = out.get("description", "")
        out["description"] = f"{description} Default: {str(text).strip('`')}.".strip()
    return out


def _secure() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "An encrypted value, as `pulumi config set --secret` writes it.",
        "properties": {"secure": {"type": "string"}},
        "required": ["secure"],
        "additionalProperties": False,
    }


def render_schema() -> dict[str, Any]:
    """The schema of a whole Pulumi.<stack>.yaml, from StackConfig."""
    model = StackConfig.model_json_schema(
        by_alias=True, schema_generator=_Generator, ref_template=f"#/{DEFINITIONS}/{{model}}"
    )
    model = _tidy(model)
    defs = model.pop("$defs", {})
    fields = model["properties"]
    required_fields = set(model.get("required", []))
    config_properties: dict[str, Any] = {}
    required: list[str] = []
    for key, field_schema in fields.items():
        full = LOCATION_KEY if key == "location" else f"{PROJECT}:{key}"
        config_properties[full] = field_schema
        info = StackConfig.model_fields[_field_name(key)]
        # A required field with a defaultText (environment: the stack name) has a default
        # that the loader fills in, so the stack file may leave it out.
        if key in required_fields and "defaultText" not in (info.json_schema_extra or {}):
            required.append(full)
    config = {
        "type": "object",
        "description": "The stack's configuration: `namespace:key` to value. Keys of this project are "
        "typed; other namespaces are left open. Generated from the config models; see "
        "docs/config-reference.md.",
        "properties": config_properties,
        "patternProperties": {
            # A key some setting names as its secret (ssh.passwordSecret, datastores[].secret):
            # set with `pulumi config set --secret`, so always `secure:`.
            f"^{_escape(PROJECT)}:(?!(?:{'|'.join(_escape(k) for k in fields)})$)[A-Za-z][A-Za-z0-9_-]*$": {
                **_secure(),
                "description": "A secret that a setting names (ssh.passwordSecret, datastores[].secret), "
                "set with `pulumi config set --secret <key> <value>`. Any other key of this project "
                "is a typo.",
            },
            # Every other namespace: not this program's to check.
            f"^(?!{_escape(PROJECT)}:)[^:]+:.+$": {},
        },
        "additionalProperties": False,
        "required": required,
    }
    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "title": f"Pulumi.<stack>.yaml of {PROJECT}",
        "description": "A stack file of this project. Generated by `python -m tools.stack_schema` from the "
        "config models (`make docs`); do not edit by hand.",
        "type": "object",
        "properties": {
            "config": config,
            "secretsprovider": {"type": "string", "description": "The stack's secrets provider (Pulumi writes it)."},
            "encryptedkey": {
                "type": "string",
                "description": "The data key of a cloud secrets provider, encrypted (Pulumi writes it).",
            },
            "encryptionsalt": {
                "type": "string",
                "description": "Salt of the passphrase secrets provider (Pulumi writes it).",
            },
            "environment": {
                "description": "Pulumi ESC environments this stack imports: a list of names, or a definition.",
                "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "object"}],
            },
        },
        "additionalProperties": False,
        DEFINITIONS: defs,
    }


def _field_name(alias: str) -> str:
    return next(name for name, f in StackConfig.model_fields.items() if (f.alias or name) == alias)


def render() -> str:
    return json.dumps(render_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    return write_or_check(TARGET, render(), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
