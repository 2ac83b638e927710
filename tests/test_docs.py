"""The README and docs/ stand on their own: every requirement id the code, the tests or the
docs cite is written in docs/requirements.md, and they point only at files inside the
repository (no sibling checkout, no path of one machine)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "docs" / "requirements.md"
RID = re.compile(r"\bR-(\d+)(?:\.(\d+))?(?:\s*[-\u2013]\s*R-(\d+)\.(\d+))?")
DEFINED = re.compile(r"^(?:##|-)\s+R-(\d+(?:\.\d+)?)\b", re.MULTILINE)


def repository_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def cited_ids(text: str) -> set[str]:
    """The ids a text cites; a range "R-3.1-R-3.4" cites each id of it."""
    found = set()
    for major, minor, end_major, end_minor in RID.findall(text):
        if not minor:
            found.add(major)
            continue
        found.add(f"{major}.{minor}")
        if end_major == major:
            found.update(f"{major}.{n}" for n in range(int(minor), int(end_minor) + 1))
    return found


def test_every_cited_requirement_is_written_down():
    defined = set(DEFINED.findall(REQUIREMENTS.read_text(encoding="utf-8")))
    missing: dict[str, list[str]] = {}
    for path in repository_files():
        if path.suffix not in {".py", ".md", ".html", ".txt", ".js", ".css", ".toml", ".cfg"}:
            continue
        if path == REQUIREMENTS or "locale" in path.relative_to(ROOT).parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for rid in cited_ids(text) - defined:
            missing.setdefault(f"R-{rid}", []).append(str(path.relative_to(ROOT)))
    assert not missing, missing


def test_the_requirements_file_defines_what_the_docs_cite():
    """The check above finds ids at all: the requirements file defines the ones the
    architecture cites."""
    defined = set(DEFINED.findall(REQUIREMENTS.read_text(encoding="utf-8")))
    assert {"1.1", "5.1", "7.1"} <= defined
    assert cited_ids("see R-3.1-R-3.4 and R-6.5") == {"3.1", "3.2", "3.3", "3.4", "6.5"}


OUTSIDE = re.compile(r"(?<![\w.])(?:\.\./[\w./-]+|/(?:work|tmp|home)/[\w./-]*)")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_readme_and_docs_point_only_inside_the_repository():
    outside = {
        str(path.relative_to(ROOT)): OUTSIDE.findall(path.read_text(encoding="utf-8"))
        for path in documents()
    }
    assert not {name: hits for name, hits in outside.items() if hits}
    broken = []
    for path in documents():
        for target in MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor of the same page
            local = (path.parent / target.split("#", 1)[0]).resolve()
            if not local.is_relative_to(ROOT) or not local.exists():
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, broken
