"""The documentation: a short README whose every link leads somewhere, docs/ built strictly into a
site, nothing that points outside the repository, and every setting the code reads documented."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)


def tracked() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]


def slug(heading: str) -> str:
    """An anchor as the site's table of contents makes it (Python-Markdown's toc slugify)."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {slug(m[1].replace("`", "")) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*$", text, flags=re.M)}


def relative_links(markdown: str) -> list[str]:
    return [t for t in LINK.findall(markdown) if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_every_relative_link_in_the_readme_leads_to_a_file_in_the_repository() -> None:
    # The README is read on the forge and in a clone, outside the docs site: its links to docs/ are
    # checked here, the site's own links by its strict build below.
    links = relative_links(README.read_text(encoding="utf-8"))
    assert any(link.startswith("docs/") for link in links)  # the parser found the links: not vacuous
    in_repository = set(tracked())
    for link in links:
        path, _, anchor = link.partition("#")
        target = (ROOT / path).resolve()
        assert target.is_file(), f"README.md links to {link}, which is not a file"
        name = target.relative_to(ROOT).as_posix()
        # a new page must be added to git, or a clone of the repository would have a dead link
        assert name in in_repository, f"README.md links to {name}, which git does not track (git add it)"
        if anchor:
            assert anchor in anchors(target), f"README.md links to {link}: {name} has no heading #{anchor}"


def test_the_readme_and_the_pages_guide_name_every_page() -> None:
    # "What you see" gives each page a line, and docs/pages.md a heading: a new page in app.py's
    # navigation must be added to both.
    titles = re.findall(r'^\s+"\w+": \("([^"]+)"', (ROOT / "app.py").read_text(encoding="utf-8"), flags=re.M)
    assert len(titles) == len(list((ROOT / "pages").glob("*.py")))  # the parser found them all
    readme = README.read_text(encoding="utf-8")
    seen = readme[readme.index("## What you see") :].split("\n## ")[0]
    headings = re.findall(r"^##+ (.+)$", (ROOT / "docs" / "pages.md").read_text(encoding="utf-8"), flags=re.M)
    for title in titles:
        assert f"- **{title}** — " in seen, f"README.md's What you see has no line for {title}"
        assert any(title in heading for heading in headings), f"docs/pages.md has no heading for {title}"


def test_the_readme_stays_short() -> None:
    # A newcomer reads it in five minutes; the manual lives in docs/.
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= 200, f"README.md has {lines} lines; move detail into docs/"


def test_no_tracked_file_points_outside_the_repository() -> None:
    # The published project has no shared folder beside it. (Spelt in halves so this file does not
    # find itself.)
    outside = (".." + "/shared", "shared" + "/DOMAIN")
    found = []
    for name in tracked():
        content = (ROOT / name).read_bytes()
        if b"\0" in content[:8192]:
            continue  # an image or another binary file
        text = content.decode("utf-8", errors="replace")
        found += [f"{name}: {word}" for word in outside if word in text]
    assert found == []


def test_every_docs_page_the_code_names_exists() -> None:
    # Docstrings and comments send readers to a page in docs/; a renamed page must not strand them.
    missing = []
    for name in tracked():
        if not name.endswith((".py", ".sql", ".toml", ".txt", ".yml", ".md")) or name.startswith("docs/"):
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        missing += [f"{name}: {ref}" for ref in re.findall(r"\bdocs/[\w.-]+\.md\b", text) if not (ROOT / ref).is_file()]
    assert missing == []


def test_every_setting_the_code_reads_is_on_the_settings_page() -> None:
    # config.SETTINGS is checked in test_config.py; this also covers the settings only the tests and
    # CI read (OBSERVATION_CHROMIUM, OBSERVATION_REQUIRE_BROWSER…), which are not in config.
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    read = set()
    for name in tracked():
        if name.endswith(".py") or name == ".ci/run":
            read |= set(re.findall(r"\bOBSERVATION_[A-Z][A-Z_]*[A-Z]\b", (ROOT / name).read_text(encoding="utf-8")))
    assert "OBSERVATION_DB" in read  # the scan found the settings: not vacuous
    assert sorted(env for env in read if f"`{env}`" not in page) == []


@pytest.mark.skipif(
    importlib.util.find_spec("properdocs") is None,
    reason="ProperDocs is not installed: pip install -r requirements-dev.txt (python3 tasks.py test does)",
)
def test_the_docs_build_strictly(tmp_path: Path) -> None:
    # mkdocs.yml turns every warning into a failure: a dead link or anchor, a page not in nav, a
    # missing snippet. Built from the repository root, where the benchmark page's snippets resolve.
    site = tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "properdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    # The benchmark's tables come from bench/results.md as python -m bench wrote it, not a copy.
    results = (ROOT / "bench" / "results.md").read_text(encoding="utf-8")
    budgets = next(line for line in results.splitlines() if line.startswith("**Budgets"))
    assert budgets not in (ROOT / "docs" / "benchmark.md").read_text(encoding="utf-8")
    assert budgets.strip("*") in (site / "benchmark.html").read_text(encoding="utf-8")
