"""Cut the vendored icon font down to the icons the pages use (issue 12 §6).

The whole of Bootstrap Icons is 134 kB of font and 87 kB of CSS, more than the budget of a
page on a hospital's slow network; the pages use about a hundred of its 2,000 icons. The
untouched release stays in ``scripts/bootstrap-icons/``; this script writes
``static/vendor/bootstrap-icons/bootstrap-icons.min.css`` and
``fonts/bootstrap-icons.woff2`` with only the icons named in the templates, the project's
JavaScript and Python (``bi-<name>``).

    python scripts/subset_icons.py          # after using an icon that is not there yet

``tests/test_page_weight.py`` fails, naming the icons, when a page uses one the subset lacks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "scripts" / "bootstrap-icons"
TARGET = ROOT / "static" / "vendor" / "bootstrap-icons"
ICON = re.compile(r"\bbi-([a-z0-9]+(?:-[a-z0-9]+)*)")
RULE = re.compile(r'\.bi-([a-z0-9-]+)::before\{content:"\\([0-9a-f]+)"\}')
SCANNED = {".html", ".js", ".py", ".txt"}


def used_icons(root: Path = ROOT) -> set[str]:
    """Every ``bi-<name>`` in the project's templates, scripts and code (not the vendored
    files, not the tests)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    found: set[str] = set()
    for name in listed:
        path = root / name
        parts = Path(name).parts
        if (
            path.suffix not in SCANNED
            or not path.is_file()
            or "vendor" in parts
            or "tests" in parts
            or parts[0] == "scripts"
        ):
            continue
        found.update(ICON.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def all_icons(css: str) -> dict[str, int]:
    return {name: int(code, 16) for name, code in RULE.findall(css)}


def subset_css(css: str, names: set[str]) -> str:
    """The release's header, @font-face and shared rule, and the rules of ``names``."""
    first_icon = css.index(".bi-123::before")
    head = re.sub(r"(fonts/bootstrap-icons\.woff2)\?[0-9a-f]+", r"\1", css[:first_icon])
    head = re.sub(r',url\("fonts/bootstrap-icons\.woff\?[^)]*\) format\("woff"\)', "", head)
    icons = all_icons(css)
    rules = "".join(f'.bi-{name}::before{{content:"\\{icons[name]:x}"}}' for name in sorted(names))
    return head + rules + "\n"


def main() -> int:
    from fontTools import subset

    css = (SOURCE / "bootstrap-icons.min.css").read_text(encoding="utf-8")
    icons = all_icons(css)
    wanted = used_icons()
    unknown = sorted(wanted - icons.keys())
    names = wanted & icons.keys()
    if unknown:
        print(f"not icons of Bootstrap Icons (left out): {', '.join(unknown)}", file=sys.stderr)
    (TARGET / "bootstrap-icons.min.css").write_text(subset_css(css, names), encoding="utf-8")
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = []
    options.hinting = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # names and the licence notice
    options.notdef_outline = True
    font = subset.load_font(str(SOURCE / "fonts" / "bootstrap-icons.woff2"), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[icons[name] for name in names])
    subsetter.subset(font)
    subset.save_font(font, str(TARGET / "fonts" / "bootstrap-icons.woff2"), options)
    print(f"{len(names)} icons written to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
