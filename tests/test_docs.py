"""Every sentence of docs/privacy.md and docs/executor.md names the tests that back it: those tests must exist."""

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`")


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def _checked_references(page: str) -> int:
    """Check every `tests/…::test_…` reference of a docs page; return how many tests it names."""
    text = (ROOT / "docs" / page).read_text()
    current: Path | None = None
    checked = 0
    for match in REFERENCE.finditer(text):
        path, name, bare = match.groups()
        if path:
            current = ROOT / path
            assert current.exists(), path
        test_name = name or bare
        if test_name:
            assert current is not None
            assert test_name in _test_names(current), f"{current.relative_to(ROOT)}::{test_name}"
            checked += 1
    return checked


def test_every_test_named_in_the_privacy_page_exists() -> None:
    assert _checked_references("privacy.md") >= 40


def test_every_test_named_in_the_executor_page_exists() -> None:
    assert _checked_references("executor.md") >= 8


def test_the_readmes_mapping_table_lists_every_action_type_with_its_field_keys() -> None:
    from destinations.registry import DESTINATION_TYPES

    text = (ROOT / "README.md").read_text()
    table = text[text.index("| action type | endpoint | field keys |") :].split("\n\n")[0]
    rows = {line.split("|")[1].strip(" `"): line for line in table.splitlines()[2:]}
    for destination in DESTINATION_TYPES.values():
        for action_type in destination.actions:
            assert action_type.key in rows, action_type.key
            row = rows[action_type.key]
            assert f"{action_type.method} {action_type.path}" in row
            # A row may say "as <other type>": the keys are then in that type's row.
            shown = row + "".join(rows.get(other, "") for other in re.findall(r"as `(\w+)`", row))
            for field in action_type.fields:
                assert f"`{field.key}`" in shown, (action_type.key, field.key)
            for group in action_type.row_groups:
                assert f"`{group.prefix}." in shown, (action_type.key, group.prefix)


SETTING_READ = re.compile(r'(?:env_\w+|environ\.get|getenv)\(\s*"([A-Z][A-Z0-9_]+)"')
APPS = ("config", "core", "accounts", "destinations", "mapper", "executor")


def _settings_read_from_the_environment() -> set[str]:
    names = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            names.update(SETTING_READ.findall(path.read_text()))
    return names


def _settings_in_the_readme_table() -> set[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("## Settings (environment variables)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_every_setting_read_from_the_environment_is_in_the_readme_table() -> None:
    read = _settings_read_from_the_environment()
    assert len(read) >= 40
    assert read - _settings_in_the_readme_table() == set()


def test_every_test_named_in_the_sources_page_exists() -> None:
    assert _checked_references("sources.md") >= 25


def _layout_sections() -> list[tuple[Path, str]]:
    """The README's Layout block cut at each directory it describes: (the directory, its text). A line
    that starts a directory (`mapper/`, or indented, `  engine/` inside the one above) opens a section;
    `<app>/commands.py` names its modules from the root."""
    text = (ROOT / "README.md").read_text()
    layout = text.split("## Layout", 1)[1].split("```", 2)[1]
    sections: list[tuple[Path, str]] = []
    top = ROOT
    for line in filter(str.strip, layout.splitlines()):
        first = line.split()[0]
        if not line.startswith(" "):
            top = ROOT / first.rstrip("/") if first.endswith("/") else ROOT
            sections.append((top, line))
        elif line.startswith("  ") and not line.startswith("   ") and first.endswith("/"):
            sections.append((top / first.rstrip("/"), line))
        else:
            directory, lines = sections[-1]
            sections[-1] = (directory, f"{lines}\n{line}")
    return sections


def test_every_module_the_readmes_layout_names_exists_where_it_says() -> None:
    named = 0
    for directory, text in _layout_sections():
        for name in re.findall(r"[\w/]+\.py\b", text.replace("<app>/commands.py", "")):
            paths = [ROOT / name] if "/" in name else list(directory.rglob(name))
            assert any(path.is_file() for path in paths), f"{directory.relative_to(ROOT)}: {name}"
            named += 1
    assert named >= 60


def test_the_readmes_layout_names_every_module_of_a_package_it_opens() -> None:
    # A package the layout opens on a line of its own (destinations/attentive/, mapper/engine/) is described
    # module by module: a module added, split out or renamed there is named, or this fails.
    packages = [(directory, text) for directory, text in _layout_sections() if directory.parent.parent == ROOT]
    assert {str(directory.relative_to(ROOT)) for directory, _ in packages} >= {
        "destinations/attentive",
        "mapper/engine",
    }
    for directory, text in packages:
        modules = {path.name for path in directory.glob("*.py")} - {"__init__.py"}
        assert modules - set(re.findall(r"\w+\.py\b", text)) == set(), directory.relative_to(ROOT)


def _readme_api_table() -> dict[str, set[str]]:
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| Endpoint | Methods | What |") :].split("\n\n")[0]
    rows = [line.split("|") for line in table.splitlines()[2:]]
    return {row[1].strip(" `"): set(row[2].split()) for row in rows}


def test_the_readmes_api_table_lists_exactly_the_endpoints_of_the_openapi_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    served = {
        path: {method.upper() for method in operations}
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/") and path != "/api/v1/events"  # ingest has its own section
    }
    assert len(served) >= 30
    assert _readme_api_table() == served
    # What the README says is not in the API is not.
    assert not [path for path in schema["paths"] if "user" in path or "token" in path]


def test_the_make_run_variables_the_readme_names_reach_serve() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    text = (ROOT / "README.md").read_text()
    assert "`make run HOST=0.0.0.0 PORT=8080 WORKERS=2 WEB_PROCESSES=2`" in text
    # -n prints the recipes without running them.
    printed = subprocess.run(  # noqa: S603 - make, with this test's own arguments
        [make, "-n", "run", "HOST=0.0.0.0", "PORT=8080", "WORKERS=2", "WEB_PROCESSES=2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "manage.py serve --host 0.0.0.0 --port 8080 --workers 2 --web-processes 2" in printed
    defaults = subprocess.run(  # noqa: S603 - make, with no argument but the target
        [make, "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "manage.py serve --host 127.0.0.1 --port 8000 --workers 1 --web-processes 1" in defaults
