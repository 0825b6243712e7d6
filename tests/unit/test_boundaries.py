"""Architecture rules that keep the code easy to find: the core never imports the UI, pages hold no SQL."""

from __future__ import annotations

import ast
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import observation

ROOT = Path(__file__).resolve().parents[2]
CORE_MODULES = sorted(
    f"observation.{m.name}" for m in pkgutil.iter_modules(observation.__path__) if m.name not in {"ui", "__main__"}
)


@pytest.mark.parametrize("module", CORE_MODULES)
def test_the_core_does_not_import_streamlit(module: str) -> None:
    # A fresh interpreter, so nothing imported by other tests can hide an import.
    code = f"import sys, {module}; print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "False", f"{module} imports streamlit"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("page", [*sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"], ids=lambda p: p.name)
def test_pages_hold_no_sql_or_data_wrangling(page: Path) -> None:
    assert imported_modules(page) <= {"streamlit", "observation"}
    tree = ast.parse(page.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not re.search(r"\bselect\b[\s\S]*\bfrom\b", node.value, re.IGNORECASE), f"SQL in {page.name}"
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"execute", "cursor", "sql", "groupby", "pivot", "merge"}, (
                f"{node.attr} in {page.name}"
            )


@pytest.mark.parametrize("page", sorted((ROOT / "pages").glob("*.py")), ids=lambda p: p.name)
def test_every_page_starts_with_the_shared_sidebar_for_itself(page: Path) -> None:
    """The sidebar checks who may open the page (``page`` is its file name) and starts the run's
    reads afresh (on PostgreSQL the data version they are keyed on): nothing may come before it."""
    tree = ast.parse(page.read_text(encoding="utf-8"))
    docstring = tree.body[0] if ast.get_docstring(tree) is not None else None
    first = next(n for n in tree.body if n is not docstring and not isinstance(n, ast.Import | ast.ImportFrom))
    assert re.fullmatch(rf"(\w+ = )?ui\.shared_sidebar\('{page.stem}'(, filtered=False)?\)", ast.unparse(first))


SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "observation").rglob("*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_html_is_ever_rendered_from_the_app(path: Path) -> None:
    # Notes, codes and names are user text about people: nothing goes to the browser as HTML.
    source = path.read_text(encoding="utf-8")
    assert "unsafe_allow_html" not in source
    assert not re.search(r"\bst\.html\(", source)
    # The print style sheet goes in as a component's CSS alone: no markup, no script.
    assert not re.search(r"components\.v2\.component\([^)]*\b(html|js)=", source)


def test_nothing_in_the_project_refers_to_files_outside_it() -> None:
    # A reader of the published project has no shared folder beside it: what they need is in docs/.
    # (The names are spelt in two halves so that this test does not find itself.)
    outside_names = ("../" + "shared", "DOMAIN" + ".md")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    found = [
        name
        for name in tracked
        if name.endswith((".py", ".md", ".sql", ".toml", ".txt")) and (ROOT / name).is_file()
        if any(word in (ROOT / name).read_text(encoding="utf-8", errors="replace") for word in outside_names)
    ]
    assert found == []
