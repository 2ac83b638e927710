"""A year of service history for a few demo devices (issue 14: "the KPI page and the
archive show real shapes"), as data. Pure: no database.

Eight devices over the three hospitals and both service regions, of six product models,
each with five requests spread over the twelve months before the seeding day (the last
one at least four weeks ago, so the history is closed before the demo's own closed stories
begin). What happens to each request is drawn from ``random.Random(HISTORY_SEED)`` in an
order that never depends on the date: most promises met, some breached, a few fixed by
phone, emergencies with their root-cause report, and one of each special story: waiting for
a part (two trips, a loaner meets "use restored", the repair itself late: our own parts do
not stop the clock), paused at the department's request, reopened nine days after closing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from assets.models import DeviceStatus

from .catalogue import HOSPITALS
from .plan import DemoPlan, DevicePlan

HISTORY_SEED = 14  # issue 14
DAYS_BACK = 362  # the first request: inside the month a year ago, whatever today is
LAST_DAYS_AGO = 28  # the last one: closed before the demo's closed stories (6-24 days ago)
PER_DEVICE = 5
AGENT, MANAGER = "hotline", "manager"
ENG = "engineer"  # the device's first dedicated engineer (the second one now and then)

# (hospital, department, model): the history's devices. Old contracts, so each device has
# been live for more than a year; both regions (h1, h2: 青岛市区; h3: 即墨).
DEVICES: tuple[tuple[str, str, str], ...] = (
    ("h1", "重症医学科", "vent"),
    ("h1", "重症医学科", "monitor"),
    ("h1", "重症医学科", "pump"),
    ("h1", "放射科", "ct"),
    ("h2", "急诊科", "vent"),
    ("h2", "急诊科", "defib"),
    ("h3", "重症医学科", "vent"),
    ("h3", "重症医学科", "bga"),
)
EMERGENCY_MODELS = frozenset({"vent", "ct", "defib"})
# (device index, its n-th request): the stories told once.
SPECIAL: dict[tuple[int, int], str] = {
    (0, 1): "reopened",
    (1, 2): "paused",
    (4, 1): "waiting for a part",
    (3, 3): "emergency, call back missed",
}


@dataclass(frozen=True)
class Fault:
    symptom: str  # the request's description: unique per device (the seed's natural key)
    cause: str  # quality / non_quality
    diagnosis: str
    solution: str
    part: str = ""  # the end of the spare part's number used in the repair ("" none)


Q, NQ = "quality", "non_quality"
FAULTS: dict[str, tuple[Fault, ...]] = {
    "vent": (
        Fault("呼吸机反复报警“流量传感器校准失败”，潮气量显示波动", Q,
              "流量传感器老化，零点漂移超出校准范围。", "更换流量传感器并校准，试机正常。"),
        Fault("呼吸机运行中涡轮风机噪音明显增大", Q,
              "涡轮风机轴承磨损。", "更换涡轮风机，完成整机性能检测。", "FAN"),
        Fault("呼吸机内置电池无法充电，断电后立即关机", Q,
              "锂电池组容量衰减，充电保护。", "更换锂电池组，完成断电切换测试。", "BATT-LI"),
        Fault("呼气阀积水，气道压力报警频繁", NQ,
              "湿化罐加水过量，冷凝水倒灌入呼气阀。",
              "清洁干燥呼气阀；向科室讲解湿化罐水位与冷凝水排放要求。"),
        Fault("呼吸机氧浓度读数持续偏低，报警“氧电池耗尽”", Q,
              "氧电池到期失效。", "更换氧电池，完成 21% 与 100% 氧浓度校准。"),
    ),
    "monitor": (
        Fault("监护仪血氧波形消失，提示“探头脱落”", NQ,
              "血氧探头线缆被床栏反复挤压断裂。", "更换血氧探头；提醒科室规范整理线缆。", "SPO2"),
        Fault("监护仪开机后屏幕闪烁，随后黑屏", Q,
              "电源板滤波电容老化。", "更换电源板，连续运行四小时无异常。", "PSU"),
        Fault("监护仪无创血压袖带充气后无读数", Q,
              "血压模块气泵阀门漏气。", "更换气泵阀门，完成血压静态校准。"),
        Fault("监护仪外壳进液，按键失灵", NQ,
              "输液时药液溅入按键板。", "清洁并更换按键板；向科室说明防护要求。"),
        Fault("监护仪转运途中断电关机，电池图标显示满格", Q,
              "电池组老化，电量计量失准。", "更换锂电池组并校准电量显示。", "BATT-LI"),
    ),
    "pump": (
        Fault("输液泵报“管路阻塞”，更换管路后仍报警", NQ,
              "使用了非原厂输液管路，管径与压力传感器不匹配。",
              "更换为原厂管路并校准阻塞压力；向科室说明耗材要求。"),
        Fault("输液泵流速偏差超过 10%", Q,
              "泵送机构挤压片磨损。", "更换挤压片组件，流速校准合格。"),
        Fault("输液泵开机无反应", NQ,
              "床旁插线板损坏，设备未通电，保险丝熔断。",
              "更换保险丝；建议科室更换插线板。", "FUSE-5A"),
        Fault("输液泵电池续航不足半小时", Q,
              "锂电池组老化。", "更换锂电池组，续航测试合格。", "BATT-LI"),
        Fault("输液泵泵门关不严，提示“泵门未关”", NQ,
              "泵门卡扣被碰撞变形。", "更换泵门卡扣；提醒科室推车转运时注意防撞。"),
    ),
    "ct": (
        Fault("CT 扫描中途停止，提示球管温度过高", Q,
              "X射线球管散热风扇故障，球管过热保护。", "更换散热风扇，完成球管预热与图像质量检测。",
              "FAN"),
        Fault("CT 图像出现条状伪影", Q,
              "探测器模块通道增益漂移。", "完成探测器增益校准与空气校准，图像质量复测合格。"),
        Fault("CT 机房停电恢复后设备无法启动", NQ,
              "停电时浪涌导致电源线插头烧蚀。", "更换国标电源线，协助医院检查配电。", "CORD-CN"),
        Fault("CT 检查床升降卡顿并有异响", Q,
              "检查床升降导轨润滑不足。", "清洁并润滑导轨，完成升降行程测试。"),
        Fault("CT 工作站无法向 PACS 传送图像", NQ,
              "医院网络交换机端口变更，DICOM 节点配置失效。",
              "协助信息科恢复端口并重新配置 DICOM 节点，传图正常。"),
    ),
    "defib": (
        Fault("除颤仪每日自检提示“电池电量低”", Q,
              "电池组老化，容量不足以完成充电。", "更换锂电池组；建议科室每月充放电维护。",
              "BATT-LI"),
        Fault("除颤仪充电至 200J 用时超过 15 秒", Q,
              "高压充电电路元件老化。", "更换充电模块，完成放电能量校准。", "FAN"),
        Fault("除颤仪跌落后屏幕裂开", NQ,
              "转运时从抢救车上跌落。", "更换显示屏组件；提醒科室固定设备。"),
        Fault("除颤仪电极片无法识别", NQ,
              "使用过期电极片，接口污损。", "清洁接口并更换合格电极片；说明耗材效期管理。"),
        Fault("除颤仪心电导联无波形", Q,
              "心电导联线内部断线。", "更换心电导联线，模拟器测试波形正常。"),
    ),
    "bga": (
        Fault("血气分析仪电极定标反复失败", Q,
              "pH 电极老化，响应斜率不足。", "更换 pH 电极，两点定标通过。"),
        Fault("血气分析仪吸样针堵塞，无结果输出", NQ,
              "样本含凝块，未按要求抗凝。", "疏通吸样针与液路；向科室说明样本抗凝要求。"),
        Fault("血气分析仪试剂包识别失败", NQ,
              "试剂包过期。", "更换有效期内试剂包；建议科室建立试剂效期登记。"),
        Fault("血气分析仪打印机卡纸，不出报告", Q,
              "打印机走纸电机齿轮磨损。", "更换走纸电机，打印测试正常。"),
        Fault("血气分析仪开机后液路泄漏报警", Q,
              "液路泵管老化破裂。", "更换泵管并冲洗液路，质控通过。"),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class HistoryStep:
    type: str  # a timeline step, or "record" (the repair record written, parts used) or
    # "loaner_returned" (the loaner comes back once the device is repaired)
    after: timedelta  # after the report
    actor: str  # a username
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryRequest:
    story: str
    hospital: str
    serial: str
    severity: str
    description: str
    reporter_name: str
    reporter_phone: str
    reported_on: date
    reported_time: time
    fault: Fault
    engineer: str
    steps: tuple[HistoryStep, ...]
    root_cause_after: timedelta | None = None  # an emergency's report, explained then

    @property
    def signed(self) -> bool:
        return any(step.type == "customer_signed" for step in self.steps)


@dataclass
class HistoryPlan:
    today: date
    devices: list[DevicePlan] = field(default_factory=list)
    requests: list[HistoryRequest] = field(default_factory=list)

    @property
    def first_day(self) -> date:
        return self.today - timedelta(days=DAYS_BACK)

    @property
    def departments(self) -> list[tuple[str, str]]:
        """(hospital, department) of the history's devices: their monthly return visits."""
        return sorted({(d.hospital, d.department) for d in self.devices})


def history_plan(demo: DemoPlan) -> HistoryPlan:
    """The history of the demo of ``demo.today``; no draw depends on the date."""
    rng = random.Random(HISTORY_SEED)  # noqa: S311 (demo data, not security)
    plan = HistoryPlan(today=demo.today)
    plan.devices = [_device(demo.devices, spec, plan.first_day) for spec in DEVICES]
    span = DAYS_BACK - LAST_DAYS_AGO
    slots = len(plan.devices) * PER_DEVICE
    for n in range(PER_DEVICE):
        for index, device in enumerate(plan.devices):
            slot = n * len(plan.devices) + index
            # Every number drawn whatever the story, so the stream never depends on it.
            jitter, hour, minute = rng.random(), rng.randint(8, 17), rng.randrange(0, 60, 5)
            fault = FAULTS[device.model][n % len(FAULTS[device.model])]
            story = SPECIAL.get((index, n)) or _story(rng, device.model)
            days_ago = DAYS_BACK - int((slot + jitter) * span / slots)
            contacts = [
                c for c in demo.contacts[device.hospital] if c.department == device.department
            ]
            reporter = contacts[rng.randrange(len(contacts))]
            engineers = _engineers(device)
            engineer = engineers[1] if rng.random() < 0.3 else engineers[0]
            timing = _Timing.draw(rng)
            if story.startswith("emergency") and hour < 12:
                hour = rng.choice((1, 3, 22, 23))  # emergencies come at night too
            severity = "emergency" if story.startswith("emergency") else "normal"
            steps, explained = _steps(story, engineer, timing)
            plan.requests.append(
                HistoryRequest(
                    story=story,
                    hospital=device.hospital,
                    serial=device.serial,
                    severity=severity,
                    description=fault.symptom,
                    reporter_name=reporter.name,
                    reporter_phone=reporter.phone,
                    reported_on=demo.today - timedelta(days=days_ago),
                    reported_time=time(hour, minute),
                    fault=fault,
                    engineer=engineer,
                    steps=steps,
                    root_cause_after=explained,
                )
            )
    plan.requests.sort(key=lambda r: (r.reported_on, r.reported_time))
    return plan


def _device(devices: Sequence[DevicePlan], spec: tuple[str, str, str], first: date) -> DevicePlan:
    candidates = [
        d
        for d in devices
        if (d.hospital, d.department, d.model) == spec
        and d.status == DeviceStatus.IN_SERVICE
        and d.live_on is not None
        and d.live_on < first - timedelta(days=30)
    ]
    if not candidates:
        raise LookupError(f"no demo device for the history: {spec}")
    return min(candidates, key=lambda d: d.serial)


def _engineers(device: DevicePlan) -> tuple[str, str]:
    hospital = next(h for h in HOSPITALS if h.key == device.hospital)
    return next(c for c in hospital.contracts if c.number == device.contract).engineers


def _story(rng: random.Random, model: str) -> str:
    roll, emergency = rng.random(), rng.random() < 0.3 and model in EMERGENCY_MODELS
    if emergency:
        return "emergency, fixed by phone" if roll < 0.2 else "emergency"
    if roll < 0.22:
        return "remote"
    return "repair, late" if roll < 0.42 else "repair"


@dataclass(frozen=True)
class _Timing:
    """Minutes, drawn for every request in the same order."""

    dispatch: int
    travel: int
    late_travel: int
    think: int
    repair: int
    late_repair: int
    sign: int
    file_days: int
    callback: int
    remote: int
    explain: int

    @classmethod
    def draw(cls, rng: random.Random) -> _Timing:
        return cls(
            dispatch=rng.randint(5, 30),
            travel=rng.randint(70, 220),  # the four hours on site: met
            late_travel=rng.randint(260, 420),  # missed
            think=rng.randint(15, 50),
            repair=rng.randint(45, 300),
            late_repair=rng.randint(780, 1100),  # past the twelve hours of the repair
            sign=rng.randint(10, 30),
            file_days=rng.randint(1, 3),
            callback=rng.randint(3, 12),
            remote=rng.randint(20, 80),
            explain=rng.randint(30, 120),
        )


def _steps(
    story: str, engineer: str, t: _Timing
) -> tuple[tuple[HistoryStep, ...], timedelta | None]:
    """The timeline of ``story`` (minutes after the report), and when an emergency's root
    cause was explained (before it is closed, R-5.5)."""
    steps: list[tuple[str, int, str, dict[str, object]]] = []
    emergency = story.startswith("emergency")
    if emergency:
        missed = story == "emergency, call back missed"
        steps.append(("callback", t.callback + (25 if missed else 0), engineer, {}))
    if story in ("remote", "emergency, fixed by phone"):
        done = (steps[-1][1] if steps else 0) + t.remote
        steps.append(("remote_resolved", done, engineer, {}))
        closed = done + t.file_days * 1440
        steps.append(("closed", closed, MANAGER, {}))
        return _timed(steps), timedelta(minutes=done + t.explain) if emergency else None

    arrived = (
        t.late_travel if story in ("repair, late", "emergency, call back missed") else t.travel
    )
    solution = arrived + t.think
    steps += [
        ("dispatched", t.dispatch, AGENT, {}),
        ("arrived", arrived, engineer, {}),
        ("solution_proposed", solution, engineer, {}),
    ]
    resolved = solution + t.repair
    if story == "waiting for a part":
        # The part is not in the bag: the engineer leaves, a loaner keeps the ward going,
        # the second trip two days later fixes it. Waiting for our parts stops no clock.
        back = 2 * 1440 + 9 * 60
        steps += [
            (
                "departed",
                solution + 20,
                engineer,
                {"note": "所需主控板需从中心仓调拨，先行安装备用机。"},
            ),
            ("loaner_installed", solution + 90, engineer, {}),
            ("arrived", back, engineer, {}),
        ]
        resolved = back + t.repair
    elif story == "paused":
        paused = solution + 15
        resumed = paused + 15 * 60  # the next morning
        note = "科室病人较多，要求次日上午停机检修。"
        steps += [
            ("paused", paused, engineer, {"reason": "customer_requested_delay", "note": note}),
            ("resumed", resumed, engineer, {}),
        ]
        resolved = resumed + t.repair
    elif story == "repair, late" and t.repair > 200:
        resolved = solution + t.late_repair
    steps += [
        ("record", resolved - 5, engineer, {}),
        ("resolved", resolved, engineer, {}),
        ("customer_signed", resolved + t.sign, engineer, {}),
    ]
    if story == "waiting for a part":
        steps.append(("loaner_returned", resolved + 30, engineer, {}))
    filed = resolved + t.file_days * 1440
    steps += [("filed", filed, MANAGER, {}), ("closed", filed + 30, MANAGER, {})]
    if story == "reopened":
        # The fault came back nine days later: the second trip is on the same request.
        again = filed + 30 + 9 * 1440
        steps += [
            ("reopened", again, AGENT, {"note": "同一故障再次出现。"}),
            ("dispatched", again + t.dispatch, AGENT, {}),
            ("arrived", again + t.travel, engineer, {}),
            ("solution_proposed", again + t.travel + t.think, engineer, {}),
            ("resolved", again + t.travel + t.think + 60, engineer, {}),
            ("closed", again + t.travel + t.think + 60 + 1440, MANAGER, {}),
        ]
    explained = timedelta(minutes=resolved + t.explain) if emergency else None
    return _timed(steps), explained


def _timed(steps: list[tuple[str, int, str, dict[str, object]]]) -> tuple[HistoryStep, ...]:
    """In time order (stable: steps of the same minute keep theirs), as they are recorded."""
    ordered = sorted(steps, key=lambda step: step[1])
    return tuple(
        HistoryStep(kind, timedelta(minutes=m), who, data) for kind, m, who, data in ordered
    )
