"""`python -m bench --only notify`: a burst of 1,000 new requests told by one worker.

In its own PostgreSQL database (``BENCH_NOTIFY_DATABASE_URL``, default
``medservice_bench_notify``): 1,000 service requests opened one after the other, each
routed (``service.notices``) to the region's two on-duty engineers and manager and the
contract's two dedicated engineers (an inbox row and an e-mail each, to a loopback SMTP
server, aiosmtpd), and one webhook event each to a loopback receiver that checks the
signature; then one process runs the outbox until nothing is due, as the one worker of
`make run` does. Reports the time to write the burst and the time until the last message
was accepted. Not a test.
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
    import logging

    # aiosmtpd logs every SMTP command at INFO: the bench measures the worker, not that.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
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
HOSPITALS = 20


def _world():
    """Two service regions with engineers and a manager on duty now, 20 hospitals with a
    department contact each, 50 devices per hospital under a contract with two dedicated
    engineers, a hotline agent: the people a new request reaches."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import VendorRole
    from accounts.tests.factories import vendor_user
    from assets.tests.factories import DeviceFactory
    from contracts.tests.factories import ContractFactory
    from customers.tests.factories import ContactFactory, DepartmentFactory, HospitalFactory
    from duty.models import Shift
    from duty.tests.factories import ServiceRegionFactory

    now = timezone.now()
    engineers = [
        vendor_user(VendorRole.ENGINEER, username=f"bench-eng-{n}", email=f"eng{n}@bench.example")
        for n in range(12)
    ]
    regions = [ServiceRegionFactory(name=f"Bench region {n}") for n in range(2)]
    for n, region in enumerate(regions):
        manager = vendor_user(
            VendorRole.MANAGER, username=f"bench-mgr-{n}", email=f"mgr{n}@bench.example"
        )
        for user, role in ((engineers[2 * n], "engineer"), (engineers[2 * n + 1], "engineer"),
                           (manager, "manager")):  # fmt: skip
            Shift.objects.create(region=region, role=role, user=user,
                                 starts_at=now - timedelta(hours=1),
                                 ends_at=now + timedelta(hours=11))  # fmt: skip
    devices = []
    for n in range(HOSPITALS):
        hospital = HospitalFactory(name=f"Bench hospital {n}", region=regions[n % 2])
        department = DepartmentFactory(hospital=hospital, name="ICU")
        department.responsible_contact = ContactFactory(
            hospital=hospital, department=department, email=f"icu{n}@hospital.example"
        )
        department.save()
        mine = [DeviceFactory(department=department) for _ in range(BURST // HOSPITALS)]
        contract = ContractFactory(hospital=hospital, devices=mine)
        contract.dedicated_engineers.set(engineers[4 + (n % 4) * 2 : 6 + (n % 4) * 2])
        devices += mine
    agent = vendor_user(VendorRole.DISPATCHER, username="bench-agent")
    return devices, agent


def measure(*, burst: int = BURST) -> dict[str, str]:
    """A burst of ``burst`` new requests, each in its own transaction as the API writes
    them; then one process runs the outbox until nothing is due, as the one worker of
    `make run` does: the routed notices (inbox, e-mail to a loopback SMTP server) and a
    webhook per request to a loopback receiver that checks the signature."""
    ensure_database(URL, rebuild=True)
    setup_django(URL)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Max

    call_command("migrate", verbosity=0)
    import core.tasks
    from core import outbox
    from core.models import OutboxDelivery
    from notify import webhooks
    from notify.models import Delivery, InboxMessage, WebhookDelivery
    from service.services import service_request_open

    core.tasks.outbox_deliver = lambda: None  # no nudge: the measured loop is the worker
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    devices, agent = _world()
    with smtp_server(settings) as mailbox, webhook_receiver() as (hook_url, seen):
        webhooks.webhook_subscription_save(
            name="bench", url=hook_url, secret=SECRET,
            event_kinds=["service.request_opened"],
        )  # fmt: skip
        t0 = time.perf_counter()
        for n, device in enumerate(devices[:burst]):
            with transaction.atomic():
                service_request_open(
                    device=device, severity="normal", channel="hotline",
                    description=f"监护仪黑屏 #{n}", recorded_by=agent,
                    reporter_name="王护士", reporter_phone="0532-88881234",
                )  # fmt: skip
        written = time.perf_counter() - t0
        t1 = time.perf_counter()
        while outbox.deliver_due(limit=1000).delivered:
            pass
        told = time.perf_counter() - t1
        mails, hooks, bad = len(mailbox), len(seen), seen.count(False)
    sent = Delivery.objects.filter(state="sent")
    last = sent.aggregate(last=Max("sent_at"))["last"]
    waiting = OutboxDelivery.objects.exclude(state="delivered").count()
    return {
        "burst written (1 transaction per request)": f"{written:.1f} s",
        "told by one worker (all channels)": f"{told:.1f} s",
        "from the first request to the last message": f"{written + told:.1f} s",
        "inbox messages": str(InboxMessage.objects.count()),
        "e-mails accepted by SMTP": str(mails),
        "webhooks received (bad signature)": f"{hooks} ({bad})",
        "delivery rows sent (inbox + e-mail)": str(sent.count()),
        "webhook deliveries sent": str(WebhookDelivery.objects.filter(state="sent").count()),
        "outbox rows not delivered": str(waiting),
        "last message sent at": str(last),
    }


if __name__ == "__main__":
    for name, figure in measure().items():
        print(f"{name:44} {figure}")
