"""The README's import order: `core` ← `accounts` ← `destinations` ← `mapper` ← `executor` ← `config`.
A module imports only from its own layer and those before it (a lazy import inside a function counts too)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("core", "accounts", "destinations", "mapper", "executor", "config")
# Where an app starts the wiring on top: config.wiring (hooks, receivers, system checks), connected when the apps are
# ready (config is no app of its own), and `manage.py serve`, which runs the WSGI application.
STARTS_THE_WIRING = {
    ("executor/apps.py", "config"),
    ("executor/management/commands/serve.py", "config"),
}


def _imported_layers(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found & set(LAYERS)


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_itself_and_the_layers_before_it(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    wrong = sorted(
        (str(path.relative_to(ROOT)), imported)
        for path in (ROOT / layer).rglob("*.py")
        if "migrations" not in path.parts
        for imported in _imported_layers(path) - allowed
        if (str(path.relative_to(ROOT)), imported) not in STARTS_THE_WIRING
    )
    assert wrong == []
