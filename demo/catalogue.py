"""What the demo is made of, as plain data: the seed's vendor, its staff, its product
catalogue, and three hospitals in Qingdao with their departments and contracts.

Hospital and product names are invented; the vendor is the one in the seed
(``after-sales-service-plan.zh.txt`` §二（一）).
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import VendorRole
from assets.models import ProductCategory, RiskClass

DEMO_PASSWORD = "medservice-demo"  # noqa: S105 (published demo password)

ORGANISATION = {
    "name": "青岛青盾医疗科技有限公司",
    "address": "山东省青岛市城阳区夏庄街道联东 U谷产业园 5号楼 101 户",
    "hotline": "400-0532-120",
    "manager_name": "李志强",
    "manager_phone": "0532-8766-1200",
    "email": "service@qingdun-med.example",
}

# username, surname, given name, role
VENDOR_STAFF: list[tuple[str, str, str, str]] = [
    ("admin", "王", "建国", VendorRole.ADMIN),
    ("manager", "李", "志强", VendorRole.MANAGER),
    ("engineer1", "张", "伟", VendorRole.ENGINEER),
    ("engineer2", "刘", "洋", VendorRole.ENGINEER),
    ("engineer3", "陈", "磊", VendorRole.ENGINEER),
    ("engineer4", "杨", "帆", VendorRole.ENGINEER),
    ("engineer5", "赵", "鹏", VendorRole.ENGINEER),
    ("engineer6", "孙", "浩", VendorRole.ENGINEER),
    ("hotline", "周", "丽", VendorRole.DISPATCHER),
    # The second region's manager on duty (one manager per region at a time).
    ("manager2", "吴", "敏", VendorRole.MANAGER),
]


def gtin_with_check_digit(body: str) -> str:
    """Append the GS1 mod-10 check digit (weights 3, 1, 3, … from the right)."""
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class ProductModelSpec:
    manufacturer: str
    name: str
    category: str
    risk_class: str
    main_components: tuple[str, ...]
    serial_prefix: str
    gtin_body: str = ""  # 13 digits (a GTIN-13 with a leading 0); the check digit is computed
    weight: float = 1.0  # how common the model is in the installed base
    procedure_per_device: bool = False  # big systems get their own emergency procedure

    @property
    def gtin(self) -> str:
        return gtin_with_check_digit(self.gtin_body) if self.gtin_body else ""


QINGDUN, DONGYUE, LANHAI = "青盾 Qingdun", "东岳 Dongyue", "蓝海 Lanhai"
C, R = ProductCategory, RiskClass
PRODUCT_MODELS: dict[str, ProductModelSpec] = {
    "ct": ProductModelSpec(
        QINGDUN, "QD-CT64 64排螺旋CT", C.IMAGING, R.CLASS_III,
        ("X射线球管", "高压发生器", "探测器模块", "滑环"), "QCT", "0697123450001", 0.35, True,
    ),
    "dr": ProductModelSpec(
        QINGDUN, "QD-DR600 数字化X射线摄影系统", C.IMAGING, R.CLASS_II,
        ("平板探测器", "X射线球管", "高压发生器"), "QDR", "0697123450002", 0.6,
    ),
    "vent": ProductModelSpec(
        QINGDUN, "QV-800 重症呼吸机", C.LIFE_SUPPORT, R.CLASS_III,
        ("主控板", "涡轮风机", "流量传感器", "氧电池"), "QVT", "0697123450003", 2.0,
    ),
    "monitor": ProductModelSpec(
        QINGDUN, "QM-12 多参数监护仪", C.MONITORING, R.CLASS_II,
        ("主控板", "显示屏", "血氧模块"), "QPM", "0697123450004", 4.0,
    ),
    "defib": ProductModelSpec(
        QINGDUN, "QD-D5 除颤监护仪", C.LIFE_SUPPORT, R.CLASS_III,
        ("高压电容", "主控板", "电池组"), "QDF", "0697123450005", 1.5,
    ),
    "pump": ProductModelSpec(
        QINGDUN, "QP-300 输液泵", C.THERAPY, R.CLASS_II,
        ("泵送机构", "主控板"), "QIP", "0697123450006", 3.0,
    ),
    "anaes": ProductModelSpec(
        QINGDUN, "QA-7 麻醉机", C.SURGICAL, R.CLASS_III,
        ("呼吸机模块", "挥发罐", "流量计组件"), "QAN", "", 1.2,
    ),
    "us": ProductModelSpec(
        DONGYUE, "DY-U8 彩色多普勒超声诊断仪", C.IMAGING, R.CLASS_II,
        ("主机板", "凸阵探头", "相控阵探头", "显示器"), "DYU", "0694455660018", 1.0,
    ),
    "hema": ProductModelSpec(
        DONGYUE, "DY-BC56 全自动血液细胞分析仪", C.LABORATORY, R.CLASS_II,
        ("光学检测模块", "液路系统", "主控板"), "DYB", "", 0.7,
    ),
    "bga": ProductModelSpec(
        LANHAI, "LH-G20 血气分析仪", C.LABORATORY, R.CLASS_II,
        ("电极模块", "主控板"), "LHG", "", 0.8,
    ),
    "ecg": ProductModelSpec(
        LANHAI, "LH-E12 十二导心电图机", C.MONITORING, R.CLASS_II,
        ("主控板", "热敏打印头"), "LHE", "0693322110047", 1.0,
    ),
}  # fmt: skip
del C, R


@dataclass(frozen=True)
class DepartmentSpec:
    name: str
    building: str
    models: tuple[str, ...]
    # False: the department has not received an emergency procedure, so its devices are
    # accepted but cannot go live. ``pending`` says whether one was at least written.
    procedure: bool = True
    pending: bool = False


@dataclass(frozen=True)
class ContractSpec:
    number: str
    title: str
    accepted_months_ago: tuple[int, int]
    devices: int
    warranty_months: int = 12
    extended_months: int = 0
    not_accepted: int = 0  # installed in the last three weeks, no acceptance certificate yet
    engineers: tuple[str, str] = ("engineer1", "engineer2")
    down_share: float = 0.05
    retired_share: float = 0.0
    replaced_share: float = 0.0  # devices with a replaced main component
    # What the project bought: only these departments / models (empty: any).
    departments: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    @property
    def recent(self) -> bool:
        return self.accepted_months_ago[1] < 12


@dataclass(frozen=True)
class HospitalSpec:
    key: str  # the username prefix of its users: h1-admin, h1-icu
    name: str
    code: str
    address: str
    phone: str
    admin_name: str  # the equipment administrator (设备科科长)
    department_user_name: str  # the ICU head nurse
    department_user_departments: tuple[str, ...]
    departments: tuple[DepartmentSpec, ...]
    contracts: tuple[ContractSpec, ...]  # the first one is the oldest

    def department(self, name: str) -> DepartmentSpec:
        return next(d for d in self.departments if d.name == name)


ICU = DepartmentSpec("重症医学科", "住院部5楼", ("vent", "monitor", "pump", "defib", "bga"))
ER = DepartmentSpec("急诊科", "急诊楼1楼", ("vent", "monitor", "defib", "pump", "us"))
RADIOLOGY = DepartmentSpec("放射科", "医技楼1楼", ("ct", "dr"))
THEATRE = DepartmentSpec("手术室", "外科楼4楼", ("anaes", "monitor", "defib"))
CARDIOLOGY = DepartmentSpec("心内科", "住院部8楼", ("ecg", "monitor", "defib", "pump", "us"))
LAB = DepartmentSpec("检验科", "医技楼2楼", ("hema", "bga"))
RESPIRATORY = DepartmentSpec("呼吸内科", "住院部7楼", ("vent", "monitor"))

HOSPITALS: tuple[HospitalSpec, ...] = (
    HospitalSpec(
        key="h1",
        name="青岛东海中心医院",
        code="DHZX",
        address="山东省青岛市市南区东海西路 38 号",
        phone="0532-8291-0000",
        admin_name="孙立华",
        department_user_name="高文静",
        department_user_departments=("重症医学科", "急诊科"),
        departments=(ICU, ER, RADIOLOGY, THEATRE, CARDIOLOGY, LAB, RESPIRATORY),
        contracts=(
            ContractSpec(
                "HT-DHZX-01", "急救与重症设备采购项目（一期）", (52, 78), 26,
                retired_share=0.08, replaced_share=0.3,
            ),
            ContractSpec(
                "HT-DHZX-02", "医学影像设备采购项目", (26, 33), 10, extended_months=24,
                models=("ct", "dr", "us"),
                engineers=("engineer1", "engineer3"), replaced_share=0.2,
            ),
            ContractSpec(
                "HT-DHZX-03", "手术室设备更新项目", (14, 21), 10, extended_months=12,
                departments=("手术室",),
            ),
            ContractSpec(
                "HT-DHZX-04", "重症监护能力提升项目", (1, 10), 16, not_accepted=5,
                departments=("重症医学科", "呼吸内科", "急诊科"),
                replaced_share=0.1,
            ),
        ),
    ),
    HospitalSpec(
        key="h2",
        name="青岛市城阳滨河医院",
        code="CYBH",
        address="山东省青岛市城阳区正阳中路 166 号",
        phone="0532-8790-2000",
        admin_name="韩振东",
        department_user_name="林晓燕",
        department_user_departments=("重症医学科",),
        departments=(
            ICU, ER, RADIOLOGY, THEATRE, LAB,
            DepartmentSpec("超声科", "门诊楼3楼", ("us",), procedure=False, pending=True),
        ),
        contracts=(
            ContractSpec(
                "HT-CYBH-01", "院区设备整体采购项目", (48, 70), 23,
                engineers=("engineer3", "engineer4"),
                retired_share=0.1, replaced_share=0.3,
            ),
            ContractSpec(
                "HT-CYBH-02", "急诊急救设备采购项目", (25, 32), 12, extended_months=24,
                departments=("急诊科",),
                engineers=("engineer3", "engineer4"),
            ),
            ContractSpec(
                "HT-CYBH-03", "检验及重症设备补充采购", (14, 20), 8, extended_months=12,
                departments=("检验科", "重症医学科"),
                engineers=("engineer3", "engineer4"), replaced_share=0.2,
            ),
            ContractSpec(
                "HT-CYBH-04", "超声及监护设备采购项目", (1, 10), 18, not_accepted=4,
                departments=("超声科", "重症医学科"), models=("us", "monitor"),
                engineers=("engineer4", "engineer5"),
            ),
        ),
    ),
    HospitalSpec(
        key="h3",
        name="即墨区龙山人民医院",
        code="JMLS",
        address="山东省青岛市即墨区龙山街道振华街 90 号",
        phone="0532-8851-3000",
        admin_name="曹建民",
        department_user_name="宋春燕",
        department_user_departments=("重症医学科", "新生儿科"),
        departments=(
            ICU, ER, RADIOLOGY, THEATRE, CARDIOLOGY,
            DepartmentSpec("新生儿科", "妇儿楼3楼", ("vent", "monitor", "pump"), procedure=False),
        ),
        contracts=(
            ContractSpec(
                "HT-JMLS-01", "县域医共体设备采购项目", (50, 75), 22,
                engineers=("engineer5", "engineer6"),
                retired_share=0.1, replaced_share=0.3,
            ),
            ContractSpec(
                "HT-JMLS-02", "胸痛中心建设设备采购", (15, 22), 12, extended_months=12,
                departments=("急诊科", "心内科"),
                engineers=("engineer5", "engineer6"),
            ),
            ContractSpec(
                "HT-JMLS-03", "新生儿及重症设备采购项目", (1, 10), 20, not_accepted=6,
                departments=("新生儿科", "重症医学科"),
                engineers=("engineer5", "engineer6"), replaced_share=0.1,
            ),
            ContractSpec(
                "HT-JMLS-04", "影像设备升级项目", (27, 34), 8, extended_months=24,
                models=("ct", "dr"),
                engineers=("engineer6", "engineer2"),
            ),
        ),
    ),
)  # fmt: skip

# --- service requests -------------------------------------------------------------------
# What a department reports, per product model (the symptom is the request's description).
SYMPTOMS: dict[str, tuple[str, ...]] = {
    "ct": (
        "扫描中断，提示X射线球管过热",
        "机架旋转时有异常噪音，图像出现环形伪影",
        "高压发生器报错 E-217，无法曝光",
    ),
    "dr": (
        "平板探测器无法连接，无法采集图像",
        "曝光后图像全黑",
        "限束器报警，无法复位",
    ),
    "vent": (
        "呼吸机报警：流量传感器故障",
        "潮气量输送不准，低压报警频繁",
        "开机自检失败，涡轮风机无法启动",
        "氧浓度监测值异常偏低",
    ),
    "monitor": (
        "屏幕无显示，按键无反应",
        "血氧模块无读数",
        "无创血压测量反复失败",
    ),
    "defib": (
        "自检报错，充电时间过长",
        "电池组无法充电",
        "放电失败，提示高压电容故障",
    ),
    "pump": (
        "输液流速误差超限",
        "管路阻塞报警频繁误报",
        "泵门无法锁紧",
    ),
    "anaes": (
        "挥发罐泄漏报警",
        "呼吸机模块气道压力异常",
        "流量计读数漂移",
    ),
    "us": (
        "凸阵探头图像出现缺失条带",
        "开机后主机反复重启",
        "显示器花屏",
    ),
    "hema": (
        "光学检测模块报错，计数异常",
        "液路堵塞，吸样失败",
    ),
    "bga": (
        "电极模块定标失败",
        "吸样后无结果输出",
    ),
    "ecg": (
        "热敏打印头打印空白",
        "导联脱落误报警",
    ),
}

# 故障成因分析: the root cause of an emergency, the measures taken, and the fault
# cause it implies, per product model ("*": any other model).
ROOT_CAUSES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "vent": (
        ("流量传感器受潮，读数漂移触发报警",
         "更换流量传感器；指导科室按规程及时排放管路冷凝水", "quality"),
        ("涡轮风机轴承磨损，转速不足", "更换涡轮风机，完成整机性能检测", "quality"),
        ("湿化罐加水过量，液体倒灌入呼气阀",
         "清洁并更换呼气阀；向科室说明湿化罐水位要求", "non_quality"),
    ),
    "defib": (
        ("电池组老化，容量不足以完成充电",
         "更换电池组；建议科室每月执行一次充放电维护", "quality"),
        ("高压电容击穿", "更换高压电容并完成放电能量校准", "quality"),
    ),
    "anaes": (
        ("挥发罐密封圈老化导致泄漏", "更换挥发罐密封圈，完成泄漏测试", "quality"),
        ("流量计组件受碰撞移位", "校正并固定流量计组件；提醒科室转运时注意防撞", "non_quality"),
    ),
    "ct": (
        ("X射线球管散热油泵故障，球管过热保护", "更换散热油泵，完成球管预热与图像质量检测",
         "quality"),
        ("机房空调故障，环境温度过高", "协助医院恢复机房空调；复测设备正常", "non_quality"),
    ),
    "*": (
        ("主控板电源模块电容老化，供电不稳", "更换主控板电源模块，复测各项参数均正常",
         "quality"),
        ("设备使用中被液体溅入，接口短路",
         "更换受损接口板；向科室说明防护要求", "non_quality"),
    ),
}  # fmt: skip

PAUSE_NOTES = {
    "waiting_for_customer": "科室正在使用设备抢救患者，待停机后检修",
    "customer_requested_delay": "科室要求改为明日上午停机检修",
    "site_not_accessible": "手术室正在手术，暂不能进入",
}
