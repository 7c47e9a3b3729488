"""The config package's layers, read from the source: base <- sections <- stack <- rules <- loader.

Every import counts, ``if TYPE_CHECKING:`` and relative ones included: a section module or base.py
never imports the stack model or the rules, and no rule imports the loader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tools.harness import ROOT

PACKAGE = "azureml_infra.config"
STACK, RULES, LOADER = f"{PACKAGE}.stack", f"{PACKAGE}.rules", f"{PACKAGE}.loader"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, root: Path) -> set[str]:
    """Every module ``path`` may import: ``from a import b`` counts a and a.b (b may be a module)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            source = ".".join(p for p in (base, node.module) if p)
            found |= {source} | {f"{source}.{alias.name}" for alias in node.names}
    return found


def layer_violations(root: Path) -> list[str]:
    """``module -> layer`` for every module that imports a layer above its own."""
    config = root.joinpath(*PACKAGE.split("."))
    rules = [(path, (LOADER,)) for path in sorted((config / "rules").glob("*.py"))]
    sections = [(path, (STACK, RULES)) for path in sorted(config.glob("*.py"))
                if path.stem not in ("__init__", "stack", "loader")]
    return [
        f"{module_name(path, root)} -> {layer}"
        for path, forbidden in sections + rules
        for layer in forbidden
        if any(target == layer or target.startswith(f"{layer}.") for target in imported(path, root))
    ]


def test_sections_never_import_the_stack_or_the_rules_and_rules_never_the_loader():
    assert layer_violations(ROOT) == []


@pytest.mark.parametrize(
    ("module", "source", "seen"),
    [
        ("base", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .stack import StackConfig\n",
         "azureml_infra.config.stack"),
        ("network", "from azureml_infra.config import rules\n", "azureml_infra.config.rules"),
        ("rules/adopt", "from ..loader import parse_config\n", "azureml_infra.config.loader"),
        ("rules/__init__", "import azureml_infra.config.loader\n", "azureml_infra.config.loader"),
    ],
)
def test_the_check_sees_every_form_of_import(tmp_path, module, source, seen):
    path = tmp_path.joinpath(*PACKAGE.split("."), f"{module}.py")
    path.parent.mkdir(parents=True)
    path.write_text(source)
    assert [v.partition(" -> ")[2] for v in layer_violations(tmp_path)] == [seen]
