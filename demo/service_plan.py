"""The demo's service requests as data: about forty over the three hospitals, drawn from
``demo.plan``'s random stream after the installed base. Pure: no database.

Two kinds of story. *Live* stories are placed relative to the seeding moment (reported
so many minutes ago), so right after ``seed_demo`` the board shows every live state: fine,
at risk, breached, paused for the customer, a loaner in place, resolved awaiting the
signature, reopened. *Closed* stories happened on a day between 6 and 24 days ago at a local
working hour, and went all the way to ``closed`` (emergencies with their root-cause report,
R-5.5). Every draw happens in a fixed order that never depends on the date.

The live states are those of the seeding moment: a day later the clocks have run on and
most open requests are breached. Seeding again creates nothing (a request is known by its
device and symptom); a fresh database gets a fresh board.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from assets.models import DeviceStatus

from .catalogue import HOSPITALS, PAUSE_NOTES, PRODUCT_MODELS, ROOT_CAUSES, SYMPTOMS

AGENT, MANAGER = "hotline", "manager"  # the hotline agent files steps; the manager closes
ENG, ENG2 = "engineer", "second engineer"  # the contract's dedicated engineers
EMERGENCY_MODELS = frozenset({"vent", "defib", "anaes", "ct"})
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class StepPlan:
    type: str
    after: timedelta  # after the report
    actor: str  # a username
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class RootCausePlan:
    cause: str
    measures: str
    explained_to: str
    after: timedelta  # after the report


@dataclass(frozen=True)
class RequestPlan:
    story: str
    hospital: str
    serial: str
    severity: str
    channel: str
    description: str  # with the device, the request's natural key
    recorder: str  # a username
    reporter_name: str
    reporter_phone: str
    steps: tuple[StepPlan, ...]
    # Closed stories: a local day and time; live stories: how long before the seeding moment.
    reported_on: date | None = None
    reported_time: time | None = None
    reported_ago: timedelta | None = None
    fault_cause: str = "undetermined"
    root_cause: RootCausePlan | None = None


N, E = "normal", "emergency"
# story, severity, channel, reported minutes ago, steps (type, minutes after report, who).
# A ``paused`` step takes its reason from the story; ``dispatched`` carries parts.
LIVE_STORIES: tuple[tuple[str, str, str, int, tuple[tuple[str, int, str], ...]], ...] = (
    ("new, reported on the web", N, "web", 25, ()),
    ("new", N, "hotline", 40, ()),
    ("dispatched", N, "hotline", 70, (("dispatched", 15, AGENT),)),
    ("found on a visit", N, "visit", 90, (("arrived", 0, ENG), ("solution_proposed", 30, ENG))),
    ("on site at risk", N, "hotline", 200, (("dispatched", 20, AGENT),)),
    ("on site breached", N, "hotline", 360, (("dispatched", 30, AGENT),)),
    ("solution at risk", N, "hotline", 120,
     (("dispatched", 10, AGENT), ("arrived", 70, ENG))),
    ("repair breached", N, "hotline", 900,
     (("dispatched", 20, AGENT), ("arrived", 120, ENG), ("solution_proposed", 160, ENG))),
    ("paused, waiting for the customer", N, "hotline", 180,
     (("dispatched", 15, AGENT), ("arrived", 90, ENG), ("solution_proposed", 120, ENG),
      ("paused", 135, ENG))),
    ("paused at the customer's request", N, "web", 300,
     (("dispatched", 20, AGENT), ("paused", 60, MANAGER))),
    ("loaner installed, repair at risk", N, "hotline", 600,
     (("dispatched", 15, AGENT), ("arrived", 180, ENG), ("solution_proposed", 210, ENG),
      ("loaner_installed", 240, ENG))),
    ("loaner installed, repair breached", N, "hotline", 1800,
     (("dispatched", 20, AGENT), ("arrived", 170, ENG2), ("solution_proposed", 220, ENG2),
      ("loaner_installed", 300, ENG2))),
    ("resolved, awaiting the signature", N, "hotline", 480,
     (("dispatched", 10, AGENT), ("arrived", 110, ENG), ("solution_proposed", 150, ENG),
      ("resolved", 360, ENG))),
    ("signed, awaiting filing", N, "hotline", 2880,
     (("dispatched", 20, AGENT), ("arrived", 150, ENG2), ("solution_proposed", 200, ENG2),
      ("resolved", 600, ENG2), ("customer_signed", 630, ENG2))),
    ("fixed by phone, to close", N, "hotline", 180, (("remote_resolved", 45, ENG),)),
    ("emergency called back", E, "hotline", 40,
     (("callback", 6, ENG), ("dispatched", 15, AGENT))),
    ("emergency on site", E, "hotline", 300,
     (("callback", 9, ENG), ("dispatched", 20, AGENT), ("arrived", 230, ENG))),
    ("emergency, call back missed", E, "hotline", 120, (("dispatched", 60, AGENT),)),
    ("reopened: the fault came back", N, "hotline", 8640,
     (("dispatched", 20, AGENT), ("arrived", 150, ENG), ("solution_proposed", 190, ENG),
      ("resolved", 400, ENG), ("customer_signed", 420, ENG), ("filed", 1800, MANAGER),
      ("closed", 1830, MANAGER), ("reopened", 7200, AGENT), ("dispatched", 7230, AGENT))),
)  # fmt: skip
PAUSE_REASONS = {
    "paused, waiting for the customer": "waiting_for_customer",
    "paused at the customer's request": "customer_requested_delay",
}
CLOSED_STORIES: tuple[str, ...] = (
    ("repair",) * 12 + ("loaner",) * 2 + ("remote",) * 3 + ("emergency",) * 4
    + ("emergency, fixed by phone",)
)  # fmt: skip


@dataclass(frozen=True)
class _Draw:
    """One request's place: hospital, device, symptom, reporter, engineers."""

    hospital: str
    serial: str
    model: str
    description: str
    reporter_name: str
    reporter_phone: str
    head: str  # the department's responsible person, for the root-cause explanation
    engineers: dict[str, str]


def request_plans(
    rng: random.Random, today: date, devices: Sequence, contacts: Mapping[str, list]
) -> list[RequestPlan]:
    """Live stories first, then closed ones; story i goes to hospital i mod 3."""
    picker = _Picker(rng, devices, contacts)
    plans = []
    for index, (story, severity, channel, ago, steps) in enumerate(LIVE_STORIES):
        draw = picker.draw(index, severity=severity, open_=True, web=channel == "web")
        reason = PAUSE_REASONS.get(story, "")
        plans.append(
            RequestPlan(
                story=story,
                hospital=draw.hospital,
                serial=draw.serial,
                severity=severity,
                channel=channel,
                description=draw.description,
                recorder=_recorder(channel, draw),
                reporter_name=draw.reporter_name,
                reporter_phone=draw.reporter_phone,
                steps=tuple(
                    StepPlan(
                        kind,
                        minutes * MINUTE,
                        draw.engineers.get(who, who),
                        _data(kind, draw, reason, picker.rng),
                    )
                    for kind, minutes, who in steps
                ),
                reported_ago=ago * MINUTE,
            )
        )
    for offset, story in enumerate(CLOSED_STORIES, start=len(LIVE_STORIES)):
        severity = E if story.startswith("emergency") else N
        draw = picker.draw(offset, severity=severity, open_=False, web=False)
        plans.append(_closed(rng, today, story, severity, draw))
    return plans


def _recorder(channel: str, draw: _Draw) -> str:
    if channel == "web":
        return f"{draw.hospital}-icu"
    return draw.engineers[ENG] if channel == "visit" else AGENT


def _data(kind: str, draw: _Draw, reason: str, rng: random.Random) -> dict[str, object]:
    if kind == "paused":
        return {"reason": reason, "note": PAUSE_NOTES[reason]}
    if kind == "dispatched":
        return {"parts": [rng.choice(PRODUCT_MODELS[draw.model].main_components)]}
    return {}


class _Picker:
    def __init__(self, rng: random.Random, devices: Sequence, contacts: Mapping[str, list]):
        self.rng = rng
        self.contacts = contacts
        self.used: set[tuple[str, str]] = set()
        live = [d for d in devices if d.status in (DeviceStatus.IN_SERVICE, DeviceStatus.DOWN)]
        # Devices that are down get the open requests first: their fault is not fixed yet.
        self.pools = {
            h.key: sorted(
                (d for d in live if d.hospital == h.key),
                key=lambda d: (d.status != DeviceStatus.DOWN, d.serial),
            )
            for h in HOSPITALS
        }

    def draw(self, index: int, *, severity: str, open_: bool, web: bool) -> _Draw:
        hospital = HOSPITALS[index % len(HOSPITALS)]
        pool = self.pools[hospital.key]
        if web:
            pool = [d for d in pool if d.department in hospital.department_user_departments]
        if severity == E:
            pool = [d for d in pool if d.model in EMERGENCY_MODELS] or pool
        downs = [d for d in pool if d.status == DeviceStatus.DOWN] if open_ else []
        while True:
            device = self.rng.choice(downs or pool)
            description = self.rng.choice(SYMPTOMS[device.model])
            if (device.serial, description) not in self.used:
                break
            downs = []  # that down device already has this fault open: take any device
        self.used.add((device.serial, description))
        department = [c for c in self.contacts[hospital.key] if c.department == device.department]
        reporter = self.rng.choice(department)
        contract = next(c for c in hospital.contracts if c.number == device.contract)
        first, second = contract.engineers
        return _Draw(
            hospital=hospital.key,
            serial=device.serial,
            model=device.model,
            description=description,
            reporter_name=reporter.name,
            reporter_phone=reporter.phone,
            head=f"{department[0].department}{department[0].title} {department[0].name}",
            engineers={ENG: first, ENG2: second},
        )


def _closed(rng: random.Random, today: date, story: str, severity: str, draw: _Draw):
    # Every number is drawn whatever the story, so the stream never depends on it.
    days_ago, hour, minute = rng.randint(6, 24), rng.randint(8, 17), rng.randrange(0, 60, 5)
    dispatch, travel, think = rng.randint(8, 40), rng.randint(60, 300), rng.randint(15, 75)
    repair, sign, file_days = rng.randint(60, 540), rng.randint(10, 40), rng.randint(1, 3)
    callback, remote = rng.randint(3, 20), rng.randint(20, 90)
    loaner, loaner_repair = rng.randint(30, 90), rng.randint(900, 2400)
    explain, cause_roll = rng.randint(30, 120), rng.random()
    cause, measures, implied_cause = rng.choice(ROOT_CAUSES.get(draw.model, ROOT_CAUSES["*"]))
    part = rng.choice(PRODUCT_MODELS[draw.model].main_components)
    engineer = draw.engineers[ENG2 if rng.random() < 0.4 else ENG]

    steps: list[tuple[str, int, str, dict]] = []
    if severity == E:
        steps.append(("callback", callback, engineer, {}))
    if story.endswith("fixed by phone") or story == "remote":
        resolved = remote
        steps.append(("remote_resolved", resolved, engineer, {}))
    else:
        solution = travel + think
        resolved = solution + repair
        steps += [
            ("dispatched", dispatch, AGENT, {"parts": [part]}),
            ("arrived", travel, engineer, {}),
            ("solution_proposed", solution, engineer, {}),
        ]
        if story == "loaner":
            steps.append(("loaner_installed", solution + loaner, engineer, {}))
            resolved = max(loaner_repair, solution + loaner + 60)
        steps += [
            ("resolved", resolved, engineer, {}),
            ("customer_signed", resolved + sign, engineer, {}),
        ]
    if steps[-1][0] == "customer_signed":
        steps.append(("filed", resolved + file_days * 1440, MANAGER, {}))
    steps.append(("closed", resolved + file_days * 1440 + 30, MANAGER, {}))
    root_cause = None
    if severity == E:
        root_cause = RootCausePlan(cause, measures, draw.head, (resolved + explain) * MINUTE)
    return RequestPlan(
        story=story,
        hospital=draw.hospital,
        serial=draw.serial,
        severity=severity,
        channel="hotline",
        description=draw.description,
        recorder=AGENT,
        reporter_name=draw.reporter_name,
        reporter_phone=draw.reporter_phone,
        steps=tuple(StepPlan(k, m * MINUTE, who, data) for k, m, who, data in steps),
        reported_on=today - timedelta(days=days_ago),
        reported_time=time(hour, minute),
        fault_cause=implied_cause
        if root_cause
        else "non_quality"
        if cause_roll < 0.3
        else "quality",
        root_cause=root_cause,
    )
