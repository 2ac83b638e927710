"""The periodic path of drafting: resolved requests whose statement nobody opened yet."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import draft_missing_statements


@db_periodic_task(crontab(minute="*/10"))
def draft_statements() -> None:
    draft_missing_statements()
