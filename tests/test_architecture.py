"""The import rules of docs/architecture.md ("Import rules"), checked by reading the code.

Every module of the project's packages that is not a test, a test helper or a migration is
parsed with ``ast``. Each ``import`` and ``from … import`` in it, at the top or inside a
function (and under ``TYPE_CHECKING``: a typed arrow is an arrow), and each model relation
named by string (``ForeignKey("service.ServiceRequest")``), is an arrow from its app to the
app it names. An arrow must be in ``ALLOWED``; no module outside the test tree imports test
code. ``ALLOWED`` points only to lower ``LAYERS``, so the graph has no cycle, and the
document's block states the same rules (a test compares them). No database is needed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"

# From the bottom up: an app may import only apps of lower layers, and only those listed
# for it in ALLOWED.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"accounts"}),
    frozenset({"customers"}),
    # notify names the hospital a group robot hears (issue 13 §2), so it sits on customers.
    frozenset({"assets", "notify"}),
    frozenset({"contracts", "regimes", "duty"}),
    frozenset({"service", "training"}),
    frozenset({"parts", "maintenance", "return_visits"}),
    frozenset({"charges", "agenda"}),
    # archive: every record of a device, so above every app that keeps one; search: every
    # kind of record people look for, named by its sources; exports: every list, named by
    # its sources; the key figures: counted from every app's records.
    frozenset({"archive", "search", "exports", "kpis"}),
    # The monthly report: the key figures of one hospital and month, as a document it is sent.
    frozenset({"reports"}),
    frozenset({"medservice", "demo"}),  # the project's wiring; the demo seeds through services
    frozenset({"bench"}),  # `make bench`: builds databases through the apps and the project
)


def _below(app: str) -> frozenset[str]:
    (level,) = (n for n, layer in enumerate(LAYERS) if app in layer)
    return frozenset().union(*LAYERS[:level])


_BASE = frozenset({"core", "accounts"})
_PEOPLE = _BASE | {"customers"}
_DEVICES = _PEOPLE | {"assets"}

ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "accounts": frozenset({"core"}),
    "customers": _BASE,
    "notify": _PEOPLE,
    "assets": _PEOPLE,
    # The duty roster: regions and people; it tells the managers of gaps through notify.
    "duty": _PEOPLE | {"notify"},
    "contracts": _DEVICES,
    "regimes": _DEVICES,
    "service": _DEVICES | {"contracts", "notify", "duty"},
    "training": _DEVICES | {"contracts", "notify"},
    "parts": _DEVICES | {"service", "notify"},
    "maintenance": _DEVICES | {"contracts", "service", "notify"},
    "return_visits": _DEVICES | {"contracts", "service", "notify"},
    "charges": _DEVICES | {"contracts", "service", "parts", "notify"},
    # The calendar names its sources by dotted path (agenda/sources.py).
    "agenda": _PEOPLE | {"maintenance", "return_visits", "training", "service", "duty"},
    # The archive names its sources by dotted path (archive/sources.py); a contract's
    # archive reads the contract's devices.
    "archive": _DEVICES
    | {
        "contracts",
        "service",
        "maintenance",
        "return_visits",
        "parts",
        "charges",
        "training",
        "regimes",
    },
    # The search box names its sources by dotted path (search/sources.py).
    "search": _DEVICES | {"service"},
    # The exports name the lists by dotted path (exports/sources.py) and tell by notify.
    "exports": _DEVICES
    | {"notify", "service", "maintenance", "return_visits", "parts", "charges", "training"},
    # The key figures read the records of the apps they count (issue 14 §2).
    "kpis": _DEVICES | {"service", "maintenance", "return_visits", "parts"},
    "reports": _DEVICES
    | {"kpis", "contracts", "service", "parts", "return_visits", "training", "notify"},
    "medservice": _below("medservice"),
    "demo": _below("demo"),
    "bench": _below("bench"),
}

RELATIONS = {"ForeignKey", "OneToOneField", "ManyToManyField"}
TEST_TREE = "tests"


@dataclass(frozen=True)
class Arrow:
    line: int
    target: str  # the dotted module (or, for a relation, the app label) it names


def _module_of(path: Path) -> list[str]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _absolute(node: ast.ImportFrom, module: list[str], is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    package = module if is_package else module[:-1]
    anchor = package[: len(package) - node.level + 1]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def _relation_label(node: ast.Call) -> str | None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in RELATIONS or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and "." in first.value:
        return first.value.split(".", 1)[0]
    return None


def arrows(path: Path, source: str) -> Iterator[Arrow]:
    """Every place in ``source`` (the module at ``path``) that names another module."""
    module = _module_of(path)
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            yield from (Arrow(node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, module, is_package)
            yield Arrow(node.lineno, base)
            # `from parts import tests` names a module, not a name in one
            yield from (
                Arrow(node.lineno, f"{base}.{alias.name}")
                for alias in node.names
                if alias.name == TEST_TREE
            )
        elif isinstance(node, ast.Call) and (label := _relation_label(node)):
            yield Arrow(node.lineno, label)


def refusals(path: Path, source: str) -> list[str]:
    """What in ``source`` breaks the rules, each as ``file:line: why``."""
    app = _module_of(path)[0]
    allowed = ALLOWED.get(app, frozenset())
    where = path.relative_to(ROOT)
    found = []
    for arrow in arrows(path, source):
        names = arrow.target.split(".")
        target = names[0]
        if TEST_TREE in names:
            found.append(f"{where}:{arrow.line}: imports test code ({arrow.target})")
        elif target in ALLOWED and target != app and target not in allowed:
            may = ", ".join(sorted(allowed)) or "no app"
            found.append(
                f"{where}:{arrow.line}: {app} may not import {target} ({arrow.target}); "
                f"{app} may import {may}"
            )
    return found


def checked_modules() -> Iterator[Path]:
    """The project's own modules, without tests, test helpers and migrations."""
    for package in sorted(ALLOWED):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if TEST_TREE in parts or "migrations" in parts or path.name == "conftest.py":
                continue
            yield path


def test_every_package_of_the_project_has_a_place():
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name != TEST_TREE and not path.parent.name.startswith(".")
    }
    assert packages == set(ALLOWED), "place a new package in LAYERS and ALLOWED (and the doc)"
    placed = [app for layer in LAYERS for app in layer]
    assert sorted(placed) == sorted(ALLOWED), "each package is in exactly one layer"


def test_the_allowed_arrows_point_down_so_there_is_no_cycle():
    upward = {
        f"{app} → {target}"
        for app, targets in ALLOWED.items()
        for target in targets
        if target not in _below(app)
    }
    assert not upward


def test_no_module_imports_an_app_it_may_not():
    found = [
        refusal
        for path in checked_modules()
        for refusal in refusals(path, path.read_text(encoding="utf-8"))
    ]
    assert not found, "\n".join(found)


def test_the_checker_refuses_a_violating_import():
    """The rules can fail: the domain-free core importing a domain app inside a function,
    a hospital-side app importing one above it, and production code importing test code."""
    source = (
        "import logging\n"
        "\n"
        "def helper():\n"
        "    from service.models import ServiceRequest\n"
        "    return ServiceRequest\n"
    )
    assert refusals(ROOT / "core" / "fake.py", source) == [
        "core/fake.py:4: core may not import service (service.models); core may import no app"
    ]
    assert refusals(ROOT / "assets" / "views" / "fake.py", "import parts.models\n") == [
        "assets/views/fake.py:1: assets may not import parts (parts.models); "
        "assets may import accounts, core, customers"
    ]
    relation = "author = models.ForeignKey('charges.ChargeStatement', on_delete=None)\n"
    assert refusals(ROOT / "service" / "fake.py", relation)[0].startswith(
        "service/fake.py:1: service may not import charges"
    )
    assert refusals(ROOT / "parts" / "fake.py", "from .tests.factories import part\n") == [
        "parts/fake.py:1: imports test code (parts.tests.factories)"
    ]
    assert refusals(ROOT / "demo" / "fake.py", "from tests import data_rows\n") == [
        "demo/fake.py:1: imports test code (tests)"
    ]


def test_the_checker_lets_allowed_and_own_imports_through():
    source = (
        "from service.models import ServiceRequest\n"
        "from . import selectors\n"
        "from .models import SparePart\n"
        "from django.db import models\n"
        "unit = models.ForeignKey('customers.Hospital', on_delete=models.PROTECT)\n"
    )
    assert refusals(ROOT / "parts" / "fake.py", source) == []
    sibling = "from ..models import Milestone\n"
    assert refusals(ROOT / "service" / "views" / "fake.py", sibling) == []


def _documented() -> tuple[list[frozenset[str]], dict[str, frozenset[str]]]:
    """The ``import-rules`` block of docs/architecture.md: ``layer app → targets``, where the
    targets are app names, ``(none)`` or ``(all below)``."""
    block = re.search(r"```import-rules\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, "docs/architecture.md has an ```import-rules block"
    levels: dict[str, int] = {}
    listed: dict[str, list[str]] = {}
    for line in block.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        head, _, targets = line.partition("→")
        level, app = head.split()
        levels[app] = int(level)
        listed[app] = targets.replace(",", " ").split()
    layers = [
        frozenset(app for app, n in levels.items() if n == level)
        for level in sorted(set(levels.values()))
    ]

    def targets_of(app: str) -> frozenset[str]:
        if listed[app] == ["(none)"]:
            return frozenset()
        if listed[app] == ["(all", "below)"]:
            return frozenset(other for other, n in levels.items() if n < levels[app])
        return frozenset(listed[app])

    return layers, {app: targets_of(app) for app in listed}


def test_the_document_states_the_same_rules():
    layers, arrows = _documented()
    assert layers == list(LAYERS)
    assert arrows == ALLOWED
