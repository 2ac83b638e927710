"""`make bench`, the search box (issue 14 §4): one box over 1,000,000 service requests and
100,000 devices, p95 under 100 ms asked.

    python -m bench.search [--runs N] [--rebuild]   (python -m bench --only search)

Builds (once; `--rebuild` to start over) a database `medservice_bench_search`
(``BENCH_SEARCH_DATABASE_URL``) in SQL, not through the models, so it takes minutes, not
hours: 500 hospitals with Chinese names (东海市人民医院 among them), 10 departments each,
20 contacts each with a landline or a mobile, 100,000 devices (serial ``SN0000001``…, asset
tag ``ZC-…``, a bed as location), 1,000,000 closed requests with a Chinese symptom from 40
and their numbers ``SR-2020-000001``…; then ANALYZE. Reports p50/p95 of ``GET
/api/v1/search`` (every group, five each) for the typical things typed, as the vendor's
manager and as the equipment administrator of 东海市人民医院, and of the page for a few.

Runs in a ``python -m bench.search --run`` subprocess (its own Django set-up on its own
database), as ``bench/archive.py`` does. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import os
import time

from bench import command_line, ensure_database, measure_in_subprocess, percentiles, setup_django

BENCH_URL = os.environ.get(
    "BENCH_SEARCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/medservice_bench_search"
)
HOSPITALS, DEPARTMENTS, CONTACTS = 500, 10, 20
DEVICES, REQUESTS = 100_000, 1_000_000

CITIES = [
    "东海", "西山", "南湖", "北江", "青州", "临川", "江宁", "安庆", "宁远", "平阳",
    "长乐", "永安", "福清", "龙岩", "建宁", "泰和", "吉安", "萍乡", "瑞金", "赣县",
    "常山", "开化", "兰溪", "义乌", "东阳", "海宁", "桐乡", "德清", "安吉", "嘉善",
    "平湖", "余姚", "慈溪", "奉化", "象山", "宁海", "三门", "天台", "仙居", "温岭",
    "玉环", "乐清", "瑞安", "永嘉", "文成", "泰顺", "苍南", "龙泉", "庆元", "缙云",
]  # fmt: skip
KINDS_OF_HOSPITAL = (
    "人民医院", "中医院", "妇幼保健院", "第一人民医院", "第二人民医院",
    "中心医院", "骨科医院", "肿瘤医院", "儿童医院", "口腔医院",
)  # fmt: skip
DEPARTMENT_NAMES = (
    "重症医学科", "急诊科", "心内科", "呼吸内科", "麻醉科",
    "手术室", "新生儿科", "影像科", "检验科", "血液净化中心",
)  # fmt: skip
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周", "丽强伟芳娜敏静磊洋艳"
SYMPTOMS = (
    "监护仪黑屏，无法开机", "血氧探头报警不停", "呼吸机潮气量偏低", "输液泵堵塞报警",
    "除颤仪充电失败", "心电导联脱落提示", "血压袖带漏气", "屏幕触摸失灵", "电池无法充电",
    "打印机卡纸", "报警音量过低", "开机自检失败，错误代码 E12", "网络连接中断",
    "风扇噪音大", "氧浓度传感器故障", "流量传感器读数漂移", "主板烧坏，有焦味",
    "电源适配器发热", "按键失灵", "显示器花屏", "系统时间错误", "数据无法导出",
    "注射泵推注不准", "麻醉机气路泄漏", "监护仪反复重启", "体温探头读数异常",
    "呼吸机压力报警", "超声探头图像有条纹", "透析机温度报警", "血气分析仪定标失败",
    "设备外壳破损", "电源线损坏", "软件升级后无法启动", "无创血压测量不准",
    "心率显示为零", "报警灯常亮", "蓝牙连接失败", "转运途中掉电", "设备漏液", "自检通过但无波形",
)  # fmt: skip

# What people type: (name, text); the manager sees everything, the administrator one hospital.
QUERIES = (
    ("a request number", "SR-2023-012345"),
    ("a part of a request number", "2023-0123"),
    ("a serial number", "SN0012340"),
    ("a serial prefix", "SN00123"),
    ("an asset tag", "ZC-0045668"),
    ("a UDI", "(01)06971234567895(21)SN0012340"),
    ("a hospital, 2 Chinese characters", "东海"),
    ("a hospital and a department", "东海 重症"),
    ("a symptom word, 2 characters", "黑屏"),
    ("a symptom, 4 characters", "无法开机"),
    ("a rare symptom", "焦味"),
    ("a contact's name", "王丽"),
    ("a landline as typed", "0532-8286 1234"),
    ("a mobile, part of it", "0013 8"),
)


def _built() -> bool:
    from service.models import ServiceRequest

    try:
        return ServiceRequest.objects.filter(number="SR-2024-199999").exists()
    except Exception:
        return False


def build() -> float:
    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    # The search's indexes are built once over the data, not row by row while it goes in.
    call_command("migrate", "search", "zero", verbosity=0)
    from accounts.models import User
    from assets.models import ProductModel
    from customers.models import Hospital, HospitalMembership
    from service.models import SlaPolicy

    manager = User.objects.create_user("bench-manager", password="x", vendor_role="manager")
    names = [f"{city}市{kind}" for kind in KINDS_OF_HOSPITAL for city in CITIES][:HOSPITALS]
    region = Hospital._meta.get_field("region").get_default()
    policy = SlaPolicy.objects.get(key="standard")
    ProductModel.objects.bulk_create(
        ProductModel(manufacturer="迈瑞", name=f"Model {n} 监护仪", category="life_support",
                     gtin="06971234567895" if n == 1 else "")
        for n in range(1, 21)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO customers_hospital
              (created_at, updated_at, name, code, address, phone, time_zone, notes, region_id)
            SELECT now(), now(), name, 'H' || lpad(n::text, 4, '0'), '', '', 'Asia/Shanghai',
                   '', %s
            FROM unnest(%s::text[]) WITH ORDINALITY AS h(name, n)
            """,
            [region, names],
        )
        cursor.execute(
            """
            INSERT INTO customers_department (created_at, updated_at, name, hospital_id)
            SELECT now(), now(), d.name, h.id
            FROM customers_hospital h CROSS JOIN unnest(%s::text[]) AS d(name)
            ORDER BY h.id
            """,
            [list(DEPARTMENT_NAMES)],
        )
        # Landlines of Qingdao and mobiles, one in two; 王丽 of the first hospital has
        # 0532-8286 1234 and someone 138 0013 8000.
        cursor.execute(
            """
            INSERT INTO customers_contact
              (created_at, updated_at, name, title, phone, email, hospital_id, department_id)
            SELECT now(), now(),
                   substr(%s::text, (1 + (h.id + c) %% 10)::int, 1)
                   || substr(%s::text, (1 + (h.id * 7 + c) %% 10)::int, 1),
                   '',
                   CASE WHEN c %% 2 = 0
                        THEN '0532-8' || lpad(((h.id * 31 + c) %% 1000)::text, 3, '0') || ' '
                             || lpad((h.id * 20 + c)::text, 4, '0')
                        ELSE '1' || (3 + c %% 6)::text || lpad((h.id * 20 + c)::text, 9, '0')
                   END,
                   '', h.id, NULL
            FROM customers_hospital h CROSS JOIN generate_series(1, %s) AS c
            """,
            [SURNAMES, GIVEN, CONTACTS],
        )
        cursor.execute(
            """
            UPDATE customers_contact SET name = '王丽', phone = '0532-8286 1234'
            WHERE id = (SELECT min(id) FROM customers_contact)
            """
        )
        cursor.execute(
            """
            UPDATE customers_contact SET phone = '138 0013 8000'
            WHERE id = (SELECT min(id) + 1 FROM customers_contact)
            """
        )
        # Device i sits in department i mod 5,000 (so in every hospital), model i mod 20.
        cursor.execute(
            """
            INSERT INTO assets_device
              (created_at, updated_at, public_id, serial_number, udi, udi_di, udi_lot,
               udi_serial, asset_tag, location, acceptance_certificate_no, status, notes,
               department_id, hospital_id, product_model_id, out_of_use_reason,
               installed_on, accepted_on)
            SELECT now(), now(), gen_random_uuid(), 'SN' || lpad(i::text, 7, '0'),
                   '', CASE WHEN m.rn = 1 THEN '06971234567895' ELSE '' END, '',
                   CASE WHEN m.rn = 1 THEN 'SN' || lpad(i::text, 7, '0') ELSE '' END,
                   'ZC-' || lpad((i * 7)::text, 7, '0'),
                   (1 + i %% 12) || '楼 ' || (1 + i %% 40) || '床',
                   '', 'in_service', '', d.id, d.hospital_id, m.id, '',
                   DATE '2024-01-01', DATE '2024-01-05'
            FROM generate_series(1, %s) AS i
            JOIN (SELECT id, hospital_id, row_number() OVER (ORDER BY id) - 1 AS rn
                  FROM customers_department) d ON d.rn = i %% %s
            JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM assets_productmodel) m
              ON m.rn = 1 + i %% 20
            """,
            [DEVICES, HOSPITALS * DEPARTMENTS],
        )
        # Request i: device i mod 100,000 (ten requests a device), numbered 200,000 a year
        # from 2020, reported one a minute back from now, a symptom of 40.
        cursor.execute(
            """
            INSERT INTO service_servicerequest
              (created_at, updated_at, number, severity, channel, status, is_open,
               reported_at, reporter_name, reporter_phone, description, fault_cause,
               department_id, device_id, hospital_id, recorded_by_id, policy_id)
            SELECT now(), now(),
                   'SR-' || (2020 + (i - 1) / 200000) || '-'
                   || lpad((1 + (i - 1) %% 200000)::text, 6, '0'),
                   'normal', 'hotline', 'closed', false,
                   now() - (%s - i) * interval '1 minute', '', '',
                   (%s::text[])[(1 + i %% 40)::int], '',
                   d.department_id, d.id, d.hospital_id, %s, %s
            FROM generate_series(1, %s) AS i
            JOIN (SELECT id, department_id, hospital_id, row_number() OVER (ORDER BY id) - 1 AS rn
                  FROM assets_device) d ON d.rn = i %% %s
            """,
            [REQUESTS, list(SYMPTOMS), manager.pk, policy.pk, REQUESTS, DEVICES],
        )
    call_command("migrate", "search", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    east = Hospital.objects.get(name="东海市人民医院")
    admin = User.objects.create_user("bench-h-admin", password="x")
    HospitalMembership.objects.create(user=admin, hospital=east, role="equipment_admin")
    return time.perf_counter() - t0


def run(runs: int, rebuild: bool) -> dict[str, str]:
    ensure_database(BENCH_URL, rebuild=rebuild)
    setup_django(BENCH_URL)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    figures: dict[str, str] = {}
    if not _built():
        from django.db import connection

        connection.close()
        ensure_database(BENCH_URL, rebuild=True)
        setup_django(BENCH_URL)
        figures["built in"] = f"{build():.0f} s"
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from medservice.gunicorn_conf import tune_garbage_collector

    for who in ("bench-manager", "bench-h-admin"):
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(User.objects.get(username=who))
        client.get("/api/v1/search", {"q": "东海"})
        tune_garbage_collector()
        for name, text in QUERIES:
            samples, counts = [], ""
            for n in range(runs + 1):
                t0 = time.perf_counter()
                response = client.get("/api/v1/search", {"q": text})
                elapsed = time.perf_counter() - t0
                assert response.status_code == 200, response.content[:300]
                if n:  # the first is the warm-up
                    samples.append(elapsed)
                else:
                    groups = response.json()["groups"]
                    counts = ", ".join(f"{g['kind']} {g['count']}" for g in groups) or "none"
            figures[f"{who}: API, {name} ({text}; {counts})"] = percentiles(samples)
        for name, text in (("page", "东海"), ("page", "无法开机"), ("suggestions", "东海")):
            url = reverse("search:results" if name == "page" else "search:suggest")
            samples = []
            for n in range(runs + 1):
                t0 = time.perf_counter()
                response = client.get(url, {"q": text})
                elapsed = time.perf_counter() - t0
                assert response.status_code == 200, response.content[:300]
                if n:
                    samples.append(elapsed)
            figures[f"{who}: {name} ({text})"] = percentiles(samples)
    return figures


def measure(*, runs: int = 50, rebuild: bool = False) -> dict[str, str]:
    return measure_in_subprocess("bench.search", runs=runs, rebuild=rebuild)


if __name__ == "__main__":
    command_line(__doc__ or "", run, measure, runs=50, width=72)
