"""Architecture rules that keep the code easy to find: the core never imports the UI, pages and the
Streamlit glue hold no SQL, and the glue's modules keep to their own names and data."""

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


SQL = re.compile(
    r"\bselect\b[\s\S]*\bfrom\b|\binsert\s+into\b|\bupdate\s+\w+\s+set\b|\bdelete\s+from\b|\bcreate\s+(table|view|index)\b",
    re.IGNORECASE,
)
RUNS_SQL = {"execute", "executemany", "cursor", "sql", "query", "fetchall", "fetchone", "fetchdf"}


def sql_in(path: Path, also: frozenset[str] = frozenset()) -> list[str]:
    """What in ``path`` is SQL or runs it: a string literal that reads as SQL, or a call of a
    connection's ways to run it (and of the names in ``also``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
            found.append(f"line {node.lineno}: SQL in a string")
        if isinstance(node, ast.Attribute) and node.attr in RUNS_SQL | also:
            found.append(f"line {node.lineno}: .{node.attr}")
    return found


@pytest.mark.parametrize("page", [*sorted((ROOT / "pages").glob("*.py")), ROOT / "app.py"], ids=lambda p: p.name)
def test_pages_hold_no_sql_or_data_wrangling(page: Path) -> None:
    assert imported_modules(page) <= {"streamlit", "observation"}
    assert sql_in(page, also=frozenset({"groupby", "pivot", "merge"})) == []


UI = sorted((ROOT / "observation" / "ui").glob("*.py"))


@pytest.mark.parametrize("path", UI, ids=lambda p: p.name)
def test_the_streamlit_glue_runs_no_sql(path: Path) -> None:
    # Every read and write is a function of the core, which scopes it to the acting person's teams.
    assert sql_in(path) == []


def test_the_sql_rule_finds_sql(tmp_path: Path) -> None:
    # The rule above must fail on what it is meant to catch, or it proves nothing.
    glue = tmp_path / "glue.py"
    glue.write_text(
        "def rows(con):\n    return con.execute('select id\\n from meetings').fetchall()\n", encoding="utf-8"
    )
    assert sql_in(glue) == ["line 2: .fetchall", "line 2: .execute", "line 2: SQL in a string"]


def imports_of(tree: ast.Module) -> dict[str, str]:
    """Each name a module's imports bind, and the module it comes from (``from a import b``: a.b)."""
    bound: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound.update({(a.asname or a.name.split(".")[0]): a.name for a in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module:
            bound.update({(a.asname or a.name): f"{node.module}.{a.name}" for a in node.names})
    return bound


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_names_taken(path: Path) -> list[str]:
    """Underscore-private names ``path`` takes from another of our modules: imported by name, or
    read as an attribute of a module or object it imported (``curating._attempt``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ours = {name for name, origin in imports_of(tree).items() if origin.startswith("observation")}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("observation"):
            found += [f"line {node.lineno}: imports {a.name}" for a in node.names if private(a.name)]
        if isinstance(node, ast.Attribute) and root_name(node.value) in ours and private(node.attr):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


GLUE_AND_ITS_TESTS = [*UI, *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "tests" / "app").glob("*.py"))]


@pytest.mark.parametrize("path", GLUE_AND_ITS_TESTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_crosses_a_file(path: Path) -> None:
    # A name with a leading underscore is its module's own: what another file needs is public.
    assert private_names_taken(path) == []


def ui_imports(path: Path) -> set[str]:
    """The observation/ui modules ``path`` imports (the façade, __init__, aside)."""
    siblings = {p.stem for p in UI} - {"__init__"}
    found = set()
    for origin in imports_of(ast.parse(path.read_text(encoding="utf-8"))).values():
        parts = origin.split(".")
        if parts[:2] == ["observation", "ui"] and len(parts) > 2 and parts[2] in siblings:
            found.add(parts[2])
    return found


def test_the_ui_modules_form_no_circle() -> None:
    # Presenter and URL state at the bottom, the pages' glue on top: a module that needs one
    # above it belongs higher, or the name it needs belongs lower.
    graph = {p.stem: ui_imports(p) for p in UI if p.stem != "__init__"}
    order: list[str] = []
    while len(order) < len(graph):
        ready = sorted(m for m, needs in graph.items() if m not in order and needs <= set(order))
        assert ready, f"a circle among {sorted(set(graph) - set(order))}"
        order += ready


MUTATORS = {"update", "setdefault", "append", "extend", "insert", "pop", "popitem", "clear", "add", "remove"}


def top_level(tree: ast.Module) -> list[ast.AST]:
    """Every node run when the module is imported: its body, but not the bodies of its functions,
    classes or lambdas."""
    found: list[ast.AST] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        found.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            todo.extend(ast.iter_child_nodes(node))
    return found


def root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def changes_at_import(path: Path) -> list[str]:
    """What ``path`` changes, when imported, of what it imported: an attribute or item assigned
    (``recording.FIELDS["name"] = …``), deleted, or changed in place (``FIELDS.update(…)``, setattr)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set(imports_of(tree))
    found = []
    for node in top_level(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
            targets = [node.func]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {"setattr", "delattr"}:
            targets = [ast.Attribute(value=node.args[0], attr="")] if node.args else []
        for target in targets:
            if isinstance(target, ast.Attribute | ast.Subscript) and root_name(target) in imported:
                found.append(f"line {getattr(node, 'lineno', 0)}: changes {ast.unparse(target)}")
    return found


@pytest.mark.parametrize("path", UI, ids=lambda p: p.name)
def test_no_ui_module_changes_another_at_import(path: Path) -> None:
    # A module's data is what its own file says: another module adding to it at import made what
    # it held depend on which pages had been imported first.
    assert changes_at_import(path) == []


def test_the_module_rules_find_what_they_are_meant_to(tmp_path: Path) -> None:
    glue = tmp_path / "glue.py"
    glue.write_text(
        "from observation.ui.recording import FIELDS, _validated\n"
        "from observation.ui import curating\n"
        "FIELDS.update({'name': 'Name'})\n"
        "curating.FLASH = 'x'\n"
        "def f():\n    FIELDS.clear()\n    return curating._attempt\n",
        encoding="utf-8",
    )
    assert private_names_taken(glue) == ["line 1: imports _validated", "line 7: curating._attempt"]
    assert sorted(changes_at_import(glue)) == ["line 3: changes FIELDS.update", "line 4: changes curating.FLASH"]


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
    # A component carries no markup; a script only in the passage widget and the early loader of
    # Streamlit's scripts, checked below.
    assert not re.search(r"components\.v2\.component\([^)]*\bhtml=", source)
    if path not in (PASSAGE, CHARTING):
        assert not re.search(r"components\.v2\.component\([^)]*\bjs=", source)


PASSAGE = ROOT / "observation" / "ui" / "passage.py"
CHARTING = ROOT / "observation" / "ui" / "charting.py"
HTML_SINKS = (
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|srcdoc|\bhref\b"
    r"|DOMParser|createContextualFragment"
)


def test_the_early_loader_loads_streamlits_own_scripts_and_nothing_else() -> None:
    """The loader's script (app.py, every page) takes file names from the server, loads only names
    of the form Streamlit's element scripts have, beside Streamlit's own script, and touches no markup."""
    script = (ROOT / "observation" / "ui" / "early" / "scripts.js").read_text(encoding="utf-8")
    assert not re.findall(HTML_SINKS, script)
    assert re.findall(r"\bimport\(([^)]*\))", script) == ["new URL(name, own.src)"]
    assert r"/^[A-Z]\w*\.[\w-]+\.js$/.test(name)" in script
    from observation.ui import charting

    # the pinned Streamlit ships every one where the loader looks, and each is one of its own files
    assert [name.split(".")[0] for name in charting.EARLY] == list(charting.EARLY_SCRIPTS)
    for name in charting.EARLY:
        assert re.fullmatch(r"[A-Z]\w*\.[\w-]+\.js", name)
        assert (charting.STREAMLIT_SCRIPTS / name).is_file()


def test_the_one_script_builds_its_view_from_text_alone() -> None:
    """The passage widget's script shows notes and transcripts: it may set text, classes, styles and
    ARIA attributes, never markup, a link or code built from a string."""
    script = (ROOT / "observation" / "ui" / "passage" / "passage.js").read_text(encoding="utf-8")
    assert "textContent" in script
    assert not re.findall(HTML_SINKS, script)
    attributes = set(re.findall(r"setAttribute\(\s*[\"']([\w-]+)[\"']", script))
    assert attributes <= {
        "role",
        "tabindex",
        "aria-hidden",
        "aria-readonly",
        "aria-multiline",
        "aria-label",
        "aria-describedby",
        "aria-live",
        "id",
        "title",
    }, attributes
