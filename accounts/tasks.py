"""Background jobs of accounts: the password-reset e-mail.

The reset page only queues the job, so it answers in the same time whether the address
belongs to an account or not; talking to the mail server would tell the difference."""

from __future__ import annotations

from django.utils import translation
from huey.contrib.djhuey import db_task

from . import services


@db_task(retries=3, retry_delay=60)
def password_reset_mail(email: str, base_url: str, language: str) -> int:
    with translation.override(language):
        return services.password_reset_mail_send(email=email, base_url=base_url)
