"""Generate docs/config-reference.md from the config models, so the two cannot drift.

    python -m tools.config_reference          # rewrite docs/config-reference.md
    python -m tools.config_reference --check  # exit 1 when the file is stale
"""

from __future__ import annotations

import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from azureml_infra.config.base import LOCATION_KEY, submodel
from azureml_infra.config.stack import StackConfig
from azureml_infra.facts import PROJECT
from tools.generated import write_or_check

TARGET = Path(__file__).resolve().parent.parent / "docs" / "config-reference.md"


def _type_text(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin is typing.Annotated:
        return _type_text(args[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    if origin in (list, typing.List):  # noqa: UP006
        return f"list of {_type_text(args[0])}"
    if origin in (dict, typing.Dict):  # noqa: UP006
        return "map of string"
    if args:  # unions
        parts = [_type_text(a) for a in args if a is not type(None)]
        return " or ".join(parts)
    name = getattr(annotation, "__name__", str(annotation))
    return {"str": "string", "bool": "boolean", "int": "integer"}.get(name, name)


def _default_text(field) -> str:
    extra = field.json_schema_extra or {}
    if "defaultText" in extra:
        return str(extra["defaultText"])
    if field.default is not PydanticUndefined and field.default is not None:
        value = field.default
        return f"`{str(value).lower() if isinstance(value, bool) else value}`"
    if field.default_factory is not None:
        if typing.get_origin(field.annotation) is list:
            return "empty list"
        return "see below" if submodel(field.annotation) else "empty"
    return "required" if field.is_required() else "—"


def _rows(model: type[BaseModel], prefix: str, sections: list) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = LOCATION_KEY if (prefix, key) == ("", "location") else (f"{prefix}.{key}" if prefix else key)
        description = (field.description or "").replace("|", "\\|")
        sub = submodel(field.annotation)
        if sub is not None and sub is not model:
            if not description:
                description = (sub.__doc__ or "").strip().split("\n")[0]
            is_list = typing.get_origin(field.annotation) is list
            sections.append((f"{path}[]" if is_list else path, sub))
        if not description.strip():
            # The reference is the stack file's documentation: every key says what it does.
            raise ValueError(f"{PROJECT}:{path} has no description: give its field a description=")
        rows.append(f"| `{path}` | {_type_text(field.annotation)} | {_default_text(field)} | {description.strip()} |")
    return rows


def render() -> str:
    lines = [
        "# Config reference",
        "",
        "Generated from the config models (`azureml_infra/config/`) by `python -m tools.config_reference`;",
        "a test fails when this file is stale. Keys below are in the `azureml-infra:` namespace unless they",
        "carry their own (`azure-native:location`). Nested keys are set in the stack file as YAML objects,",
        "or with `pulumi config set --path 'workspace.keyVault.sku' premium`.",
        "",
        "Every key is validated before anything is deployed; unknown keys (typos) are errors.",
        "",
    ]
    def section(path: str, model: type[BaseModel]) -> None:
        title = f"`{PROJECT}:{path}`" if path else "Top-level keys"
        lines.extend([f"## {title}", ""])
        doc = (model.__doc__ or "").strip()
        if doc:
            lines.extend([" ".join(doc.split()), ""])
        subsections: list = []
        lines.extend(["| key | type | default | description |", "|---|---|---|---|"])
        lines.extend(_rows(model, path, subsections))
        lines.append("")
        for sub_path, sub in subsections:
            section(sub_path, sub)

    section("", StackConfig)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    return write_or_check(TARGET, render(), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
