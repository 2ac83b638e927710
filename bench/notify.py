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

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench import ensure_database, setup_django

SECRET = "bench-secret-0123456789"


@contextmanager
def peers(settings) -> Iterator[tuple[str, dict[str, int]]]:
    """The SMTP server and the webhook receiver in their own process (``bench/receivers``):
    (the webhook URL, and the counts once the block ends)."""
    process = subprocess.Popen(  # noqa: S603 (our own module, our own arguments)
        [sys.executable, "-m", "bench.receivers", SECRET],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdin is not None and process.stdout is not None
    _ready, smtp_port, http_port = process.stdout.readline().split()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", int(smtp_port)
    counts: dict[str, int] = {}
    try:
        yield f"http://127.0.0.1:{http_port}/hook", counts
    finally:
        process.stdin.close()
        _received, mails, hooks, bad = process.stdout.readline().split()
        counts.update(mails=int(mails), hooks=int(hooks), bad=int(bad))
        process.wait(timeout=30)


@contextmanager
def handler_times() -> Iterator[dict[str, list[float]]]:
    """Seconds spent in each outbox handler, by its name."""
    from core import outbox

    spent: dict[str, list[float]] = {}
    originals = dict(outbox._handlers)

    def timed(name, func):
        def run(event):
            t0 = time.perf_counter()
            try:
                func(event)
            finally:
                spent.setdefault(name, []).append(time.perf_counter() - t0)

        return run

    for name, handler in originals.items():
        outbox._handlers[name] = dataclasses.replace(handler, func=timed(name, handler.func))
    try:
        yield spent
    finally:
        outbox._handlers.update(originals)


URL = os.environ.get(
    "BENCH_NOTIFY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medservice_bench_notify"
)
BURST = 1_000
HOSPITALS = 20


def _world():
    """Two service regions with engineers and a manager on duty now, 20 hospitals with a
    department contact each, 50 devices per hospital under a contract with two dedicated
    engineers, a hotline agent: the people a new request reaches."""
    from datetime import date, timedelta

    from django.utils import timezone

    from accounts.models import User, VendorRole
    from assets.models import Device, ProductModel
    from contracts.models import Contract, ContractDevice
    from customers.models import Contact, Department, Hospital, ServiceRegion
    from duty.models import Shift

    now = timezone.now()

    def person(username: str, role: str) -> User:
        return User.objects.create_user(
            username, email=f"{username}@bench.example", password="x", vendor_role=role
        )

    engineers = [person(f"bench-eng-{n}", VendorRole.ENGINEER) for n in range(12)]
    model = ProductModel.objects.create(manufacturer="Bench", name="监护仪")
    devices: list[Device] = []
    for r in range(2):
        region = ServiceRegion.objects.create(name=f"Bench region {r}", code=f"bench-{r}")
        manager = person(f"bench-mgr-{r}", VendorRole.MANAGER)
        for user, role in ((engineers[2 * r], "engineer"), (engineers[2 * r + 1], "engineer"),
                           (manager, "manager")):  # fmt: skip
            Shift.objects.create(region=region, role=role, user=user,
                                 starts_at=now - timedelta(hours=1),
                                 ends_at=now + timedelta(hours=11))  # fmt: skip
        for n in range(r, HOSPITALS, 2):
            hospital = Hospital.objects.create(name=f"Bench hospital {n}", region=region)
            department = Department.objects.create(hospital=hospital, name="ICU")
            department.responsible_contact = Contact.objects.create(
                hospital=hospital, department=department, name="护士长",
                email=f"icu{n}@hospital.example",
            )  # fmt: skip
            department.save()
            mine = Device.objects.bulk_create(
                Device(product_model=model, serial_number=f"BN{n:02d}{i:04d}",
                       hospital=hospital, department=department,
                       installed_on=date(2026, 1, 5), accepted_on=date(2026, 1, 10))
                for i in range(BURST // HOSPITALS)
            )  # fmt: skip
            contract = Contract.objects.create(
                hospital=hospital, number=f"F-BN-{n:05d}", signed_on=date(2025, 12, 1),
                warranty_months=12,
            )  # fmt: skip
            ContractDevice.objects.bulk_create(
                ContractDevice(contract=contract, device=device) for device in mine
            )
            contract.dedicated_engineers.set(engineers[4 + (n % 4) * 2 : 6 + (n % 4) * 2])
            devices += mine
    agent = person("bench-agent", VendorRole.DISPATCHER)
    return devices, agent


def _spent(times: list[float]) -> str:
    return f"{sum(times):.1f} s, {len(times)} × {sum(times) / len(times) * 1000:.1f} ms"


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
    with peers(settings) as (hook_url, received):
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
        with handler_times() as spent:
            while outbox.deliver_due(limit=1000).delivered:
                pass
        told = time.perf_counter() - t1
        claimed = sum(len(times) for times in spent.values())
        in_handlers = sum(map(sum, spent.values()))
    sent = Delivery.objects.filter(state="sent")
    last = sent.aggregate(last=Max("sent_at"))["last"]
    waiting = OutboxDelivery.objects.exclude(state="delivered").count()
    return {
        "burst written (1 transaction per request)": f"{written:.1f} s",
        "told by one worker (all channels)": f"{told:.1f} s",
        "from the first request to the last message": f"{written + told:.1f} s",
        "inbox messages": str(InboxMessage.objects.count()),
        "e-mails accepted by SMTP": str(received["mails"]),
        "webhooks received (bad signature)": f"{received['hooks']} ({received['bad']})",
        "delivery rows sent (inbox + e-mail)": str(sent.count()),
        "webhook deliveries sent": str(WebhookDelivery.objects.filter(state="sent").count()),
        "outbox rows not delivered": str(waiting),
        "last message sent at": str(last),
        "outbox rows run": str(claimed),
        "outside the handlers (claim, mark, commit)": f"{told - in_handlers:.1f} s",
        **{f"handler {name}": _spent(times) for name, times in sorted(spent.items())},
    }


if __name__ == "__main__":
    for name, figure in measure().items():
        print(f"{name:44} {figure}")
