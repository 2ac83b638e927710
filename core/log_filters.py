"""Filters of the log configuration (``LOGGING`` in the settings)."""

from __future__ import annotations

import logging


class RefusalOnOneLine(logging.Filter):
    """A refusal (403) is an expected answer, not a failure: Django's ``django.request``
    logs it with the ``PermissionDenied`` traceback attached; this keeps it to one line with
    who was refused and where (the logger's name comes from the formatter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 403:
            return True
        request = getattr(record, "request", None)
        user = getattr(request, "user", None)
        who = user.get_username() if user is not None and user.is_authenticated else "-"
        path = getattr(request, "path", "?")
        reason = record.getMessage().split(":", 1)[0]  # "Forbidden (Permission denied)"
        record.msg = "%s: user=%s path=%s"
        record.args = (reason, who, path)
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True
