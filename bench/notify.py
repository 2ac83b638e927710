"""`python -m bench --only notify`: a burst of 1,000 notifications told by one worker.

In its own PostgreSQL database (``BENCH_NOTIFY_DATABASE_URL``, default
``medservice_bench_notify``): 1,000 notices, each to one of 50 people (an inbox row and an
e-mail to a loopback SMTP server, aiosmtpd) and one webhook event each to a loopback
receiver that checks the signature, written in one burst; then one process runs the
outbox until nothing is due, as the one worker of `make run` does. Reports the time to
write the burst and the time until the last message was accepted. Not a test.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench import ensure_database, setup_django

SECRET = "bench-secret-0123456789"


@contextmanager
def smtp_server(settings) -> Iterator[list]:
    from aiosmtpd.controller import Controller

    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        yield received
    finally:
        controller.stop()


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list]]:
    """(url, [signature ok per request])."""
    seen: list[bool] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ts = self.headers["X-Medservice-Timestamp"]
            mac = hmac.new(SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256)
            ok = self.headers["X-Medservice-Signature"] == f"sha256={mac.hexdigest()}"
            seen.append(ok)
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen
    finally:
        server.shutdown()
        server.server_close()


URL = os.environ.get(
    "BENCH_NOTIFY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medservice_bench_notify"
)
BURST = 1_000


def measure(*, burst: int = BURST) -> dict[str, str]:
    ensure_database(URL, rebuild=True)
    setup_django(URL)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    import core.tasks
    from accounts.models import User
    from core import outbox
    from notify import webhooks
    from notify.models import Delivery, WebhookDelivery
    from notify.services import notify_users

    core.tasks.outbox_deliver = lambda: None  # no nudge: the measured loop is the worker
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    people = [
        User.objects.create(username=f"bench-{n}", email=f"bench-{n}@example.com")
        for n in range(50)
    ]
    with smtp_server(settings) as mailbox, webhook_receiver() as (hook_url, seen):
        webhooks.webhook_subscription_save(
            name="bench", url=hook_url, secret=SECRET,
            event_kinds=["service.request_opened"],
        )  # fmt: skip
        t0 = time.perf_counter()
        for n in range(burst):
            with transaction.atomic():
                notify_users(
                    users=[people[n % len(people)]], kind="sla_at_risk",
                    subject=f"SR-2026-{n:06d}: new request", body="监护仪 · ICU",
                    url=f"/service-requests/{n}/", dedupe_key_prefix=f"bench:{n}",
                )  # fmt: skip
                webhooks.publish(kind="service.request_opened", payload={"request_id": n})
        written = time.perf_counter() - t0
        t1 = time.perf_counter()
        while outbox.deliver_due(limit=1000).delivered:
            pass
        told = time.perf_counter() - t1
        mails, hooks, bad = len(mailbox), len(seen), seen.count(False)
    sent = Delivery.objects.filter(state="sent").count()
    return {
        "burst written (1 transaction per notice)": f"{written:.1f} s",
        "told by one worker (e-mail + webhook)": f"{told:.1f} s",
        "e-mails accepted by SMTP": str(mails),
        "webhooks received (bad signature)": f"{hooks} ({bad})",
        "delivery rows sent (inbox + e-mail)": str(sent),
        "webhook deliveries sent": str(WebhookDelivery.objects.filter(state="sent").count()),
    }


if __name__ == "__main__":
    for name, figure in measure().items():
        print(f"{name:44} {figure}")
