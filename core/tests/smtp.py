"""A real SMTP server on loopback (aiosmtpd) for the mail tests of every app: the settings
point Django's SMTP backend at it, and it keeps what it received."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from email.message import Message
from email.policy import default as email_policy


class Mailbox:
    def __init__(self) -> None:
        self.envelopes: list = []
        # Recipients the server refuses (550), as a mail server refuses an unknown address.
        self.refused: set[str] = set()
        # The SMTP session each message came in (how many connections a sender opened).
        self.sessions: list[int] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.envelopes.append(envelope)
        self.sessions.append(id(session))
        return "250 OK"

    def messages(self) -> list[tuple[list[str], Message]]:
        return [
            (env.rcpt_tos, message_from_bytes(env.content, policy=email_policy))
            for env in self.envelopes
        ]

    def received(self) -> list[tuple[list[str], str]]:
        """(recipients, subject) of each message."""
        return [(recipients, message["subject"]) for recipients, message in self.messages()]


@contextmanager
def loopback_smtp(settings) -> Iterator[Mailbox]:
    """Serve SMTP on a free loopback port while the block runs; ``settings`` is
    pytest-django's fixture, so the mail settings are restored afterwards."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield box
    finally:
        controller.stop()
