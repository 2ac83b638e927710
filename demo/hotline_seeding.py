"""The demo's hotline calls today (issue 13 §3), made through ``service.hotline.services``:
a fault call at 青岛东海中心医院's 重症医学科 that became a request in one step, the same
nurse calling again and the call added to that open request, a consultation solved by
phone, and a complaint at two hospitals. So "东海", "重症医学科" and "监护仪" find the demo's
devices on the desk, and the desk's "today's calls" and "complaints per hospital" have
something to show.

A call is known by what was said: one that exists is left alone, so a second run creates
nothing. The calls are dated today in the hospital's zone (never before its midnight).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max

from accounts.models import User
from assets.models import Device
from customers.models import Contact, Hospital
from service.hotline import services
from service.models import Call, ServiceRequest

FAULT = "QM-12 多参数监护仪血氧波形消失，报警“探头脱落”，更换探头后仍无读数。"
FAULT_GUIDANCE = "已指导检查探头与主机的连接并重启设备，故障仍在，需工程师到场。"
AGAIN = "科室再次来电：监护仪仍无血氧读数，询问工程师何时到达。"
CONSULTATION = "输液泵出现“管路堵塞”报警，询问如何处理。"
CONSULTATION_GUIDANCE = "指导检查管路是否扭折、止液夹是否打开，重新安装管路后报警消除。"
COMPLAINTS = (
    ("h1", 200, "投诉：上次报修后回电太慢，等了一个多小时。"),
    ("h2", 100, "投诉：超声维修工程师未按约定时间到场。"),
)


def _today_at(hospital: Hospital, now: datetime, minutes_ago: int) -> datetime:
    """``minutes_ago`` before ``now``, but today in the hospital's zone."""
    zone = ZoneInfo(hospital.time_zone)
    midnight = datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone)
    return max(now - timedelta(minutes=minutes_ago), midnight)


def _contact(hospital: Hospital, department: str) -> Contact:
    return (
        Contact.objects.filter(hospital=hospital, department__name=department)
        .order_by("pk")
        .first()
    ) or Contact.objects.filter(hospital=hospital).order_by("pk").first()  # type: ignore[return-value]


def seed_hotline(
    *,
    users: Mapping[str, User],
    hospitals: Mapping[str, Hospital],
    created: Counter,
    now: datetime,
) -> None:
    agent, manager = users["hotline"], users["manager"]
    donghai = hospitals["h1"]
    known = set(Call.objects.values_list("said", flat=True))
    nurse = _contact(donghai, "重症医学科")

    if FAULT not in known:
        monitor = (
            Device.objects.filter(
                hospital=donghai,
                department__name="重症医学科",
                product_model__name__contains="监护仪",
            )
            .exclude(pk__in=ServiceRequest.objects.open().values("device_id"))
            .order_by("serial_number")
            .first()
        )
        if monitor is not None:
            # Numbers follow the time of report: after the last request the demo reported.
            latest = ServiceRequest.objects.aggregate(latest=Max("reported_at"))["latest"]
            started = _today_at(donghai, now, 40)
            if latest is not None:
                started = min(max(started, latest + timedelta(minutes=1)), now)
            fault = services.call_log(
                user=agent,
                kind="fault",
                said=FAULT,
                guidance=FAULT_GUIDANCE,
                started_at=started,
                ended_at=min(started + timedelta(minutes=6), now),
                caller_name=nurse.name,
                phone=nurse.phone,
                contact=nurse,
                device=monitor,
                now=now,
            )
            request = services.call_open_request(call=fault, user=agent, now=now)
            created["hotline calls"] += 1
            again = services.call_log(
                user=agent,
                kind="follow_up",
                said=AGAIN,
                started_at=max(_today_at(donghai, now, 12), started),
                caller_name=nurse.name,
                phone=nurse.phone,
                contact=nurse,
                device=monitor,
                now=now,
            )
            services.call_add_to_request(call=again, user=agent, request=request, now=now)
            created["hotline calls"] += 1

    if CONSULTATION not in known:
        caller = _contact(donghai, "急诊科")
        consultation = services.call_log(
            user=agent,
            kind="consultation",
            said=CONSULTATION,
            started_at=_today_at(donghai, now, 150),
            caller_name=caller.name,
            phone=caller.phone,
            contact=caller,
            now=now,
        )
        services.call_solve_by_phone(
            call=consultation, user=agent, guidance=CONSULTATION_GUIDANCE, now=now
        )
        created["hotline calls"] += 1

    for key, minutes_ago, said in COMPLAINTS:
        if said in known:
            continue
        hospital = hospitals[key]
        first = Contact.objects.filter(hospital=hospital).order_by("pk").first()
        complaint = services.call_log(
            user=manager if key == "h2" else agent,
            kind="complaint",
            said=said,
            started_at=_today_at(hospital, now, minutes_ago),
            caller_name=first.name if first else "",
            phone=first.phone if first else "",
            contact=first,
            hospital=hospital,
            now=now,
        )
        if key == "h1":
            services.call_close(call=complaint, user=agent, now=now)
        created["hotline calls"] += 1
