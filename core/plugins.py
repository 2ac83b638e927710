"""What apps offer to a collector by dotted path (the calendar's source functions, the
archive's source modules), imported only when their app is installed."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def installed(paths: Iterable[str], *, what: str, modules: bool = False) -> list[Any]:
    """The objects (``modules``: the modules) named by ``paths`` whose app is installed;
    the others are skipped, so a source can be listed before its app lands. An installed
    app without the module yet is skipped with a warning (``what`` names it there); any
    other import error is raised."""
    found = []
    for path in paths:
        if not apps.is_installed(path.split(".", 1)[0]):
            continue
        module = path if modules else path.rsplit(".", 1)[0]
        try:
            found.append(importlib.import_module(path) if modules else import_string(path))
        except ImportError as exc:
            if getattr(exc, "name", None) != module:
                raise
            logger.warning("%s %s is listed but %s does not exist", what, path, module)
    return found
