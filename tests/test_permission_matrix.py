"""The permission matrix: every web view and every API operation, walked as the users of
hospital A, of hospital B and as each vendor role.

Hospital A's users can neither read nor change anything of hospital B: B's records answer
404 (never 403, which would tell them the record exists), B's data never appears in a list,
and nothing of B changes. The walk is driven by the URL resolver and the OpenAPI schema, and
a view or endpoint that the tables below do not know fails the test, so a new page cannot
slip past the matrix.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import uuid
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from accounts.models import VendorRole
from accounts.services import api_token_create
from accounts.tests.factories import vendor_user
from agenda.services import calendar_feed_create
from assets.acceptance.services import acceptance_certificate_upload
from assets.models import EmergencyProcedure
from assets.operation_log.services import operation_log_record
from assets.services import main_component_replace
from assets.tests.factories import DeviceFactory, MainComponentFactory, ProductModelFactory
from contracts.tests.factories import ContractFactory, MaintenanceAgreementFactory
from core.timeutil import local_today
from customers.models import HospitalRole, ServiceRegion
from customers.tests.factories import (
    ContactFactory,
    DepartmentFactory,
    HospitalFactory,
    hospital_user,
)
from duty.models import Rotation, Shift, ShiftSwap
from exports.models import ExportJob
from maintenance.models import VisitPhoto
from maintenance.services import visit_special_create
from notify.models import WebhookDelivery, WebhookSubscription
from notify.services import notify_users
from parts.loaners.services import loaner_create
from parts.services import part_create, stock_location_create
from regimes.services import regime_document_create, regime_receipt_record, regime_version_add
from reports.models import MonthlyReport
from return_visits.services import return_visit_create, return_visit_record
from service.hotline.services import call_log
from service.repair_records.services import repair_record_save, repair_record_sign
from service.services import service_request_open, service_request_record_event
from training import services as training_services

pytestmark = pytest.mark.django_db

SECRET = "SECRET-B"  # appears in every name of hospital B's records


class World:
    """Two hospitals with one of everything; B's records carry SECRET in their names."""

    def __init__(self) -> None:
        self.model = ProductModelFactory(name="Catalogue model")
        self.a = self._hospital("A", "甲")
        self.b = self._hospital(SECRET, "乙")
        self.vendor = {role: vendor_user(role, username=f"v-{role}") for role in VendorRole}
        self.a_admin = hospital_user(self.a["hospital"], username="a-admin")
        self.a_dept = hospital_user(
            self.a["hospital"],
            HospitalRole.DEPARTMENT_USER,
            departments=[self.a["department"]],
            username="a-dept",
        )
        self.b_admin = hospital_user(self.b["hospital"], username="b-admin")
        self.b_token, _ = api_token_create(user=self.b_admin, name=f"{SECRET} token")
        # An export is its owner's only (issue 14 §3), vendor staff included.
        self.b["export_job"] = ExportJob.objects.create(
            owner=self.b_admin, list_name="devices", format="csv", language="en", time_zone="UTC"
        )

    def _hospital(self, tag: str, zh: str) -> dict:
        hospital = HospitalFactory(name=f"{zh}医院 {tag}")
        department = DepartmentFactory(hospital=hospital, name=f"ICU {tag}")
        contact = ContactFactory(hospital=hospital, department=department, name=f"Zhang {tag}")
        device = DeviceFactory(
            product_model=self.model,
            department=department,
            serial_number=f"SN-{tag}",
            asset_tag=f"AT-{tag}",
            location=f"Room {tag}",
        )
        component = MainComponentFactory(device=device, serial_number=f"MB-{tag}")
        replacement = main_component_replace(
            component=component,
            new_serial_number=f"MB2-{tag}",
            replaced_on=dt.date(2026, 6, 1),
            removal_fate="returned",
        )
        procedure = EmergencyProcedure.objects.create(
            department=department,
            product_model=self.model,
            title=f"Procedure {tag}",
            text="Call the hotline.",
        )
        procedure.document.save("procedure.txt", ContentFile(f"{tag} document".encode()))
        contract = ContractFactory(hospital=hospital, number=f"C-{tag}", devices=[device])
        agreement = MaintenanceAgreementFactory(
            hospital=hospital, number=f"MA-{tag}", devices=[device]
        )
        engineer = vendor_user(VendorRole.ENGINEER, username=f"engineer-{tag}")
        request = service_request_open(
            device=device,
            severity="normal",
            channel="hotline",
            description=f"Fault {tag}",
            reporter_name=f"Reporter {tag}",
            recorded_by=vendor_user(VendorRole.DISPATCHER, username=f"recorder-{tag}"),
            reported_at=timezone.now() - dt.timedelta(hours=2),
        )
        # A step recorded late, for the manager's confirmation.
        event = service_request_record_event(
            request=request,
            type="callback",
            occurred_at=timezone.now() - dt.timedelta(hours=1),
            actor=None,
            late_reason=f"Late {tag}",
        ).events.get()
        record = repair_record_save(
            request=request,
            author=engineer,
            fault_at=timezone.now() - dt.timedelta(hours=3),
            symptoms=f"Symptoms {tag}",
            diagnosis=f"Diagnosis {tag}",
            solution=f"Solution {tag}",
        )
        signature = repair_record_sign(
            record=record,
            role="engineer",
            signer_name=f"Engineer {tag}",
            signature_data_url=_signature_data_url(),
            user=engineer,
        )
        visit = visit_special_create(device=device, user=engineer, reason=f"Abnormal {tag}")
        visit_photo = VisitPhoto.objects.create(
            visit=visit,
            item_key="photo",
            image=ContentFile(b"photo", name="photo.png"),
            sha256="0" * 64,
            uploaded_by=engineer,
            uploaded_at=timezone.now(),
        )
        region = ServiceRegion.objects.create(name=f"Region {tag}", code=f"region-{tag.lower()}")
        hospital.region = region
        hospital.save()
        duty_engineer = vendor_user(VendorRole.ENGINEER, username=f"duty-{tag}")
        duty_shift = Shift.objects.create(
            region=region,
            role="engineer",
            user=duty_engineer,
            starts_at=timezone.now() + dt.timedelta(days=1),
            ends_at=timezone.now() + dt.timedelta(days=1, hours=12),
        )
        duty_swap = ShiftSwap.objects.create(
            shift=duty_shift, proposed_by=duty_engineer, to_user=engineer
        )
        rotation = Rotation.objects.create(
            region=region, name=f"Rotation {tag}", starts_on=dt.date(2026, 1, 1)
        )
        member = hospital_user(hospital, username=f"inbox-{tag}")
        (message,) = notify_users(
            users=[member],
            kind="test",
            subject=f"Subject {tag}",
            body=f"Body {tag}",
            url="/",
            dedupe_key_prefix=f"matrix-{tag}",
        )
        feed, _ = calendar_feed_create(
            owner=member, scope="hospital", hospital=hospital, name=f"Feed {tag}"
        )
        regime_document = regime_document_create(
            hospital=hospital, kind="inspection", title=f"Regime {tag}", created_by=engineer
        )
        regime_version = regime_version_add(
            document=regime_document,
            effective_from=dt.date(2026, 1, 1),
            file=ContentFile(b"%PDF-1.4 regime", name="regime.pdf"),
            created_by=engineer,
        )
        regime_receipt = regime_receipt_record(
            document=regime_document,
            version=regime_version,
            recipient_name=f"Reader {tag}",
            department=department,
            signature_data_url=_signature_data_url(),
            recorded_by=engineer,
        )
        training_plan = training_services.training_plan_create(
            contract=contract, title=f"Training plan {tag}"
        )
        training_session = training_services.training_session_create(
            plan=training_plan,
            lecturer=engineer,
            starts_at=timezone.now() - dt.timedelta(hours=1),
            duration=dt.timedelta(hours=2),
            place=f"Training room {tag}",
            topic_text=f"Topic {tag}",
        )
        attendance = training_services.attendance_record(
            session=training_session,
            name=f"Attendee {tag}",
            department=department,
            signature_data_url=_signature_data_url(),
            recorded_by=engineer,
        )
        training_services.training_sheet_upload(
            session=training_session, file=ContentFile(b"%PDF-1.4 sheet", name="sheet.pdf")
        )
        training_material = training_services.training_material_add(
            session=training_session, file=ContentFile(b"%PDF-1.4 slides", name="slides.pdf")
        )
        return_visit = return_visit_create(
            department=department, month=local_today(hospital.time_zone), user=engineer
        )
        return_visit_record(
            visit=return_visit,
            user=engineer,
            participants=[{"name": f"Participant {tag}", "role": "head nurse"}],
            devices=[{"device": device.pk, "state": "normal"}],
            satisfaction=4,
            comments=f"Comments {tag}",
        )
        spare_part = part_create(
            part_number=f"P-{tag}", name_zh=f"备件 {tag}", name_en=f"Part {tag}"
        )
        loaner = loaner_create(
            product_model=self.model,
            serial_number=f"LN-{tag}",
            location=stock_location_create(kind="central", name=f"Loaner shelf {tag}"),
        )
        webhook_subscription = WebhookSubscription.objects.create(
            name=f"Hook {tag}", url="https://erp.example.com/hook", secret="x" * 20,
            event_kinds=["service.request_opened"],
        )  # fmt: skip
        webhook_delivery = WebhookDelivery.objects.create(
            delivery_id=uuid.uuid4(), subscription=webhook_subscription, source_key=tag,
            event_kind="service.request_opened", body=json.dumps({"data": {"tag": tag}}),
        )  # fmt: skip
        operation_log_entry = operation_log_record(
            device=device,
            recorded_by=hospital_user(hospital, username=f"nurse-{tag}"),
            kind="startup_check",
            result="abnormal",
            note=f"Abnormal start {tag}",
            photo=ContentFile(_png_bytes(), name="photo.png"),
        )
        call = call_log(
            user=vendor_user(VendorRole.DISPATCHER, username=f"agent-{tag}"),
            kind="complaint",
            said=f"Said {tag}",
            caller_name=f"Caller {tag}",
            phone=f"0532-8000 {len(tag):04}",
            device=device,
            contact=contact,
        )
        acceptance_certificate = acceptance_certificate_upload(
            device=device,
            document=SimpleUploadedFile(f"certificate-{tag}.pdf", b"%PDF-1.4\n%%EOF\n"),
            uploaded_by=engineer,
        )
        monthly_report = MonthlyReport(
            hospital=hospital, month=dt.date(2026, 1, 1), generated_at=timezone.now(),
            content_hash="0" * 64, figures={"hospital": hospital.name},
        )  # fmt: skip
        monthly_report.pdf.save("report.pdf", ContentFile(b"%PDF-1.4 report"), save=False)
        monthly_report.save()
        return {
            "acceptance_certificate": acceptance_certificate,
            "monthly_report": monthly_report,
            "webhook_subscription": webhook_subscription,
            "webhook_delivery": webhook_delivery,
            "call": call,
            "operation_log_entry": operation_log_entry,
            "spare_part": spare_part,
            "loaner": loaner,
            "hospital": hospital,
            "department": department,
            "contact": contact,
            "device": device,
            "component": replacement,
            "procedure": procedure,
            "contract": contract,
            "agreement": agreement,
            "request": request,
            "event": event,
            "record": record,
            "signature": signature,
            "message": message,
            "calendar_feed": feed,
            "visit": visit,
            "visit_photo": visit_photo,
            "regime_document": regime_document,
            "regime_version": regime_version,
            "regime_receipt": regime_receipt,
            "training_plan": training_plan,
            "training_session": training_session,
            "training_material": training_material,
            "attendance": attendance,
            "return_visit": return_visit,
            "shift": duty_shift,
            "swap": duty_swap,
            "rotation": rotation,
        }

    def snapshot(self) -> dict:
        """Everything of B that a write could change."""
        b = self.b
        return {
            key: type(obj).objects.filter(pk=obj.pk).values().first() for key, obj in b.items()
        } | {
            "departments": list(b["hospital"].departments.values_list("pk", flat=True)),
            "contacts": list(b["hospital"].contacts.values_list("pk", flat=True)),
            "devices": list(b["hospital"].devices.values_list("pk", flat=True)),
            "contract_devices": list(b["contract"].lines.values_list("device_id", flat=True)),
            "token_revoked": type(self.b_token).objects.get(pk=self.b_token.pk).revoked_at,
            "events": list(b["request"].events.values_list("pk", flat=True)),
            "operation_log": list(b["device"].operation_log.values_list("pk", flat=True)),
            "monthly_reports": list(b["hospital"].monthly_reports.values_list("pk", flat=True)),
        }


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _signature_data_url() -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 80), (60, 20), (200, 15), (280, 60)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@pytest.fixture
def world() -> World:
    return World()


# --- web views --------------------------------------------------------------------------
# Every named URL of the apps, with the record of B its keyword arguments point at.
# None: the URL takes no record (lists, create forms).
WEB_VIEWS: dict[str, dict[str, str] | str | None] = {
    "customers:organisation_edit": None,
    "customers:hospital_list": None,
    "customers:hospital_create": None,
    "customers:hospital_detail": {"pk": "hospital"},
    "customers:hospital_edit": {"pk": "hospital"},
    "customers:department_create": {"hospital_pk": "hospital"},
    "customers:department_detail": {"pk": "department"},
    "customers:department_edit": {"pk": "department"},
    "customers:contact_create": {"hospital_pk": "hospital"},
    "customers:contact_edit": {"pk": "contact"},
    "assets:product_model_list": None,
    "assets:product_model_create": None,
    "assets:product_model_detail": "catalogue",
    "assets:product_model_edit": "catalogue",
    "assets:device_list": None,
    "assets:device_create": None,
    "assets:device_detail": {"pk": "device"},
    "assets:device_edit": {"pk": "device"},
    "assets:device_go_live": {"pk": "device"},
    "assets:device_clear_out_of_use": {"pk": "device"},
    "assets:device_by_public_id": {"public_id": "device.public_id"},
    "assets:device_label": {"pk": "device", "fmt": "=svg"},
    "assets:device_labels": None,
    "assets:options": None,
    "assets:component_add": {"pk": "device"},
    "assets:component_replace": {"pk": "component"},
    "assets:procedure_list": None,
    "assets:procedure_create": None,
    "assets:procedure_detail": {"pk": "procedure"},
    "assets:procedure_receipt": {"pk": "procedure"},
    "assets:procedure_document": {"pk": "procedure"},
    "assets:operation_log": {"pk": "device"},
    "assets:operation_log_create": {"pk": "device"},
    "assets:operation_log_photo": {"pk": "operation_log_entry"},
    "contracts:contract_list": None,
    "contracts:contract_create": None,
    "contracts:contract_detail": {"pk": "contract"},
    "contracts:contract_edit": {"pk": "contract"},
    "contracts:agreement_list": None,
    "contracts:agreement_create": None,
    "contracts:agreement_detail": {"pk": "agreement"},
    "contracts:agreement_edit": {"pk": "agreement"},
    "contracts:device_coverage": {"device_pk": "device"},
    "service:board": None,
    "service:my_jobs": None,
    "service:request_list": None,
    "service:request_create": None,
    "service:intake_devices": None,
    "service:intake_device": None,
    "service:request_detail": {"pk": "request"},
    "service:request_event": {"pk": "request"},
    "service:request_event_confirm": {"pk": "request", "event_pk": "event"},
    "service:request_fault_cause": {"pk": "request"},
    "service:hotline": None,
    "service:hotline_lookup": None,
    "service:hotline_departments": None,
    "service:hotline_devices": None,
    "service:hotline_device": None,
    "service:hotline_calls": None,
    "service:hotline_call": {"pk": "call"},
    "service:hotline_call_action": {"pk": "call"},
    "records:record_edit": {"pk": "request"},
    "records:record_sign": {"pk": "request"},
    "records:record_pdf": {"pk": "request"},
    "records:record_amend": {"pk": "request"},
    "records:record_file": {"pk": "request"},
    "records:signature_image": {"pk": "request", "signature_pk": "signature"},
    "records:root_cause": {"pk": "request"},
    "charges:statement_list": None,
    "charges:statement": {"pk": "request"},
    "charges:statement_accept": {"pk": "request"},
    "charges:statement_dispute": {"pk": "request"},
    "charges:statement_review": {"pk": "request"},
    "charges:statement_send": {"pk": "request"},
    "charges:statement_reply": {"pk": "request"},
    "charges:statement_correct": {"pk": "request"},
    "charges:statement_edit": {"pk": "request"},
    "charges:statement_pdf": {"pk": "request"},
    "charges:credit_note_create": {"pk": "request"},
    "notify:inbox": None,
    "notify:mark_all_read": None,
    "notify:message": {"pk": "message"},
    "notify:preferences": None,
    "notify:deliveries_for": {"about": "=service.servicerequest", "pk": "request"},
    "regimes:overview": None,
    "regimes:hospital_regime": {"hospital_pk": "hospital"},
    "regimes:document_create": {"hospital_pk": "hospital"},
    "regimes:document_detail": {"pk": "regime_document"},
    "regimes:version_create": {"pk": "regime_document"},
    "regimes:receipt_create": {"pk": "regime_document"},
    "regimes:version_file": {"pk": "regime_version"},
    "regimes:receipt_signature": {"pk": "regime_receipt"},
    "accounts:login": None,
    "accounts:logout": None,
    "accounts:token_list": None,
    "accounts:token_revoke": {"pk": "token"},
    "accounts:password_change": None,
    "accounts:password_change_done": None,
    "accounts:password_reset": None,
    "accounts:password_reset_done": None,
    # A link with a user's id and a one-time token: no hospital's record behind it.
    "accounts:password_reset_confirm": {"uidb64": "=MQ", "token": "=set-password"},
    "accounts:password_reset_complete": None,
    "agenda:month": None,
    "agenda:week": None,
    "agenda:feed_list": None,
    "agenda:feed_create": None,
    "agenda:feed_revoke": {"pk": "calendar_feed"},
    # The public feed: its token is its key, so the matrix asks with one nobody holds.
    "agenda:feed_ics": {"token": "=cal_unknown"},
    "maintenance:visit_list": None,
    "maintenance:visits_today": None,
    "maintenance:trips": None,
    "maintenance:completion": None,
    "maintenance:special_create": None,
    "maintenance:visit_detail": {"pk": "visit"},
    "maintenance:checklist_edit": {"pk": "visit"},
    "maintenance:visit_sign": {"pk": "visit"},
    "maintenance:visit_photo_add": {"pk": "visit"},
    "maintenance:visit_photo": {"pk": "visit", "photo_pk": "visit_photo"},
    "maintenance:visit_photo_remove": {"pk": "visit", "photo_pk": "visit_photo"},
    "maintenance:device_visits": {"device_pk": "device"},
    "archive:device_archive": {"pk": "device"},
    "archive:hospital_archive": {"pk": "hospital"},
    "archive:contract_archive": {"pk": "contract"},
    "archive:device_dossier": {"pk": "device"},
    "archive:hospital_dossier": {"pk": "hospital"},
    # A big dossier's job: its random token is its key, its requester its only reader.
    "archive:dossier_job": {"token": "=" + "x" * 32},
    "archive:dossier_job_file": {"token": "=" + "x" * 32},
    "assets:acceptance_certificate_upload": {"pk": "device"},
    "assets:acceptance_certificate_file": {"pk": "acceptance_certificate"},
    # The key figures: the office's for every hospital, a hospital's own for its users.
    "kpis:dashboard": None,
    "kpis:mtbf_devices": None,
    "kpis:export": None,
    "reports:report_list": None,
    "reports:report_pdf": {"pk": "monthly_report"},
    "reports:report_regenerate": {"pk": "monthly_report"},
    # The e-mailed link: its signed token is its key, so the matrix asks with a forged one.
    "reports:report_shared": {"token": "=forged-token"},
    "service:device_my_job": {"device_pk": "device"},
    "training:plan_list": None,
    "training:plan_create": None,
    "training:plan_detail": {"pk": "training_plan"},
    "training:plan_edit": {"pk": "training_plan"},
    "training:session_list": None,
    "training:session_create": {"plan_pk": "training_plan"},
    "training:session_detail": {"pk": "training_session"},
    "training:session_edit": {"pk": "training_session"},
    "training:session_state": {"pk": "training_session"},
    "training:attendance_sign": {"pk": "training_session"},
    "training:sheet_upload": {"pk": "training_session"},
    "training:sheet_file": {"pk": "training_session"},
    "training:material_add": {"pk": "training_session"},
    "training:material_file": {"pk": "training_material"},
    "training:attendance_pdf": {"pk": "training_session"},
    "training:attendance_certificate": {"pk": "attendance"},
    "training:signature_image": {"pk": "attendance"},
    "training:attendance_score": {"pk": "attendance"},
    "return_visits:return_visit_list": None,
    "return_visits:return_visit_detail": {"pk": "return_visit"},
    "return_visits:sheet_edit": {"pk": "return_visit"},
    "return_visits:return_visit_sign": {"pk": "return_visit", "role": "=engineer"},
    "return_visits:return_visit_pdf": {"pk": "return_visit"},
    "return_visits:return_visit_cancel": {"pk": "return_visit"},
    "parts:part_list": None,
    "parts:part_create": None,
    "parts:part_detail": {"pk": "spare_part"},
    "parts:part_edit": {"pk": "spare_part"},
    "parts:import_create": None,
    "parts:import_review": None,
    "parts:import_confirm": None,
    "parts:import_template": None,
    "parts:stock": None,
    "parts:movement_list": None,
    "parts:movement_create": None,
    "parts:my_bag": None,
    "parts:bag_issue": None,
    "parts:bag_reserve": None,
    "parts:loaner_list": None,
    "parts:loaner_create": None,
    "parts:loans_out": None,
    "parts:loans_board": None,
    "parts:loaner_detail": {"pk": "loaner"},
    "parts:loan_create": {"pk": "loaner"},
    "parts:loan_return": {"pk": "loaner"},
    "parts:loaner_send_to_repair": {"pk": "loaner"},
    "parts:loaner_back_in_service": {"pk": "loaner"},
    "parts:loaner_retire": {"pk": "loaner"},
    "parts:request_loans": {"request_id": "request"},
    "parts:request_parts": {"request_id": "request"},
    "parts:request_reserve": {"request_id": "request"},
    "parts:request_unreserve": {"request_id": "request"},
    "parts:repair_parts": {"pk": "request"},
    "parts:repair_part_use": {"pk": "request"},
    "parts:repair_part_return": {"pk": "request", "movement_pk": "=1"},
    "duty:roster": None,
    "duty:shift_create": None,
    "duty:shift_edit": {"pk": "shift"},
    "duty:swap_propose": {"pk": "shift"},
    "duty:generate": None,
    "duty:rotation_list": None,
    "duty:rotation_create": None,
    "duty:rotation_edit": {"pk": "rotation"},
    "duty:my_shifts": None,
    "duty:swaps": None,
    "duty:swap_action": {"pk": "swap", "action": "=accept"},
    "duty:gaps_panel": None,
    "duty:on_duty_panel": None,
    "search:results": None,
    "search:suggest": None,
    "exports:download": None,
    "exports:job_list": None,
    "exports:job_detail": {"pk": "export_job"},
    "exports:job_file": {"pk": "export_job"},
    "exports:job_retry": {"pk": "export_job"},
}
# Create forms that accept a record of B in the query string (they must ignore it or 404).
CREATE_QUERY = {
    "assets:device_labels": "?ids={device}",
    "assets:options": "?kind=departments&hospital={hospital}",
    "assets:procedure_create": "?department={department}&device={device}",
    "contracts:contract_create": "?hospital={hospital}",
    "contracts:agreement_create": "?hospital={hospital}",
    "assets:device_list": "?hospital={hospital}",
    "service:intake_device": "?device={device}",
    "service:hotline_lookup": "?phone=0532-8000+0008&contact={contact}",
    "service:hotline_departments": "?hospital={hospital}",
    "service:hotline_devices": "?q=SN&hospital={hospital}&department={department}",
    "service:hotline_device": "?device={device}",
    "service:hotline_calls": "?hospital={hospital}&day=",
    "service:request_list": "?hospital={hospital}",
    "agenda:month": "?hospital={hospital}",
    "agenda:week": "?hospital={hospital}",
    "agenda:feed_create": "?hospital={hospital}&scope=hospital",
    "maintenance:visit_list": "?hospital={hospital}&device={device}",
    "maintenance:completion": "?hospital={hospital}",
    "maintenance:special_create": "?device={device}",
    "training:plan_list": "?hospital={hospital}",
    "training:plan_create": "?contract={contract}",
    "training:session_list": "?hospital={hospital}&when=all",
    "return_visits:return_visit_list": "?hospital={hospital}&month=2026-01",
    "duty:on_duty_panel": "?hospital={hospital}",
    "duty:roster": "?region=1",
    "duty:rotation_create": "?region=1",
    # "SN-" is in both hospitals' serials (and finds their requests): B's must not show.
    "search:results": "?q=SN-",
    "search:suggest": "?q=SN-",
    "exports:download": "?list=devices&format=csv&hospital={hospital}",
    "kpis:dashboard": "?group_by=hospital&from=2026-01-01&to=2030-12-31",
    "kpis:mtbf_devices": "?from=2026-01-01&to=2030-12-31",
    "kpis:export": "?table=on-time&group_by=hospital&from=2026-01-01&to=2030-12-31&format=csv",
}


# Record views that need a query string to say what they show.
RECORD_QUERY = {"records:record_sign": "?role=engineer"}


def _named_urls() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = pattern.namespace or namespace
                if ns in {"customers", "assets", "contracts", "accounts", "service", "records",
                          "notify", "agenda", "regimes", "maintenance", "training", "charges",
                          "return_visits", "parts", "duty", "archive", "search",
                          "exports", "kpis", "reports"}:  # fmt: skip
                    walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name and namespace:
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, None)
    return names


def _b_record(world: World, ref: str):
    if ref == "token":
        return world.b_token
    if ref == "device.public_id":
        return world.b["device"].public_id
    return world.b[ref]


def _web_url(world: World, name: str) -> str:
    spec = WEB_VIEWS[name]
    if spec is None:
        query = CREATE_QUERY.get(name, "")
        return reverse(name) + query.format(**{k: v.pk for k, v in world.b.items()})
    if isinstance(spec, str):  # "catalogue": the one product model
        return reverse(name, kwargs={"pk": world.model.pk})
    query = RECORD_QUERY.get(name, "")
    kwargs: dict[str, Any] = {}
    for key, ref in spec.items():
        kwargs[key] = ref[1:] if ref.startswith("=") else _b_record(world, ref)
        if hasattr(kwargs[key], "pk"):
            kwargs[key] = kwargs[key].pk
    return reverse(name, kwargs=kwargs) + query


def test_matrix_knows_every_view():
    assert _named_urls() == set(WEB_VIEWS), (
        "Add the new view to WEB_VIEWS: "
        f"unknown {_named_urls() - set(WEB_VIEWS)}, stale {set(WEB_VIEWS) - _named_urls()}"
    )


@pytest.mark.parametrize("who", ["a_admin", "a_dept"])
def test_hospital_a_cannot_read_or_change_hospital_b_in_the_ui(client, world, who):
    client.force_login(getattr(world, who))
    before = world.snapshot()
    for name, spec in WEB_VIEWS.items():
        if name in {"accounts:login", "accounts:logout", "accounts:password_reset_confirm"}:
            continue
        url = _web_url(world, name)
        if spec is None or spec == "catalogue":
            response = client.get(url)
            assert response.status_code in {200, 302, 403, 404, 405}, (name, response.status_code)
            content = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
            body = content.decode(errors="replace")
            assert SECRET not in body, f"{name} shows hospital B's data to {who}"
            continue
        # 405 (a method the view never takes) says nothing about the record; every
        # record URL must answer 404 to at least one of the two.
        codes = [
            getattr(client, method)(url, {"name": "x", "live_on": "2026-01-01"}).status_code
            for method in ("get", "post")
        ]
        assert set(codes) <= {404, 405} and 404 in codes, (name, codes)
    assert world.snapshot() == before


def test_hospital_b_sees_its_own_records(client, world):
    client.force_login(world.b_admin)
    for name in ("customers:hospital_detail", "assets:device_detail", "contracts:contract_detail",
                 "assets:operation_log", "assets:operation_log_create",
                 "assets:operation_log_photo", "assets:acceptance_certificate_file",
                 "archive:hospital_archive", "archive:contract_archive",
                 "archive:device_dossier", "archive:hospital_dossier"):  # fmt: skip
        assert client.get(_web_url(world, name)).status_code == 200, name


def test_the_search_finds_hospital_b_for_its_own_users_only(client, world):
    """The probe of the search (``?q=SN-``) would show B's records: to B's own user it does,
    so their absence for A's users above is the scope's doing."""
    client.force_login(world.b_admin)
    assert SECRET in client.get(_web_url(world, "search:results")).content.decode()
    assert SECRET in client.get("/api/v1/search?q=SN-").content.decode()


# What each vendor role may open (GET) among the forms that change data.
WRITE_FORMS_BY_ROLE = {
    VendorRole.ADMIN: "all",
    VendorRole.MANAGER: "all but organisation",
    VendorRole.ENGINEER: {
        "assets:product_model_create",
        "assets:product_model_edit",
        "assets:device_create",
        "assets:device_edit",
        "assets:component_add",
        "assets:component_replace",
        "assets:device_clear_out_of_use",
        "assets:procedure_create",
        "assets:procedure_receipt",
        "assets:acceptance_certificate_upload",
        "customers:contact_create",
        "customers:contact_edit",
        "service:request_create",
        "records:record_edit",
        "records:record_amend",
        "records:record_sign",
        "records:root_cause",
        "regimes:document_create",
        "regimes:version_create",
        "regimes:receipt_create",
        "agenda:feed_create",
        "maintenance:checklist_edit",
        "maintenance:visit_sign",
        "maintenance:special_create",
        "training:attendance_sign",
        "return_visits:sheet_edit",
        "return_visits:return_visit_sign",
        "parts:movement_create",
        "parts:loan_create",
    },
    VendorRole.DISPATCHER: {
        "customers:contact_create",
        "customers:contact_edit",
        "service:request_create",
    },
}
# Forms only the hospital's own staff fill (the operation log): every vendor role is refused.
HOSPITAL_STAFF_FORMS = {"assets:operation_log_create"}
# Views that only take a POST: a GET says 405 to anyone.
POST_ONLY = {
    "exports:job_retry",
    "service:hotline_call_action",
    "service:request_event",
    "service:request_event_confirm",
    "service:request_fault_cause",
    "records:record_file",
    "charges:statement_accept",
    "charges:statement_dispute",
    "charges:statement_review",
    "charges:statement_send",
    "charges:statement_reply",
    "charges:statement_correct",
    "charges:statement_edit",
    "notify:mark_all_read",
    "agenda:feed_revoke",
    "maintenance:visit_photo_add",
    "maintenance:visit_photo_remove",
    "training:session_state",
    "training:sheet_upload",
    "training:material_add",
    "training:attendance_score",
    "return_visits:return_visit_cancel",
    "parts:bag_issue",
    "parts:bag_reserve",
    "parts:import_confirm",
    "parts:loan_return",
    "parts:loaner_send_to_repair",
    "parts:loaner_back_in_service",
    "parts:loaner_retire",
    "parts:request_reserve",
    "parts:request_unreserve",
    "parts:repair_part_use",
    "parts:repair_part_return",
    "duty:generate",
    "duty:swap_action",
    "reports:report_regenerate",
}
# Pages of the office (administrator, service manager) that only read: the other vendor roles
# are refused (the key figures also show a hospital's users their own).
OFFICE_PAGES = {"duty:rotation_list", "kpis:dashboard", "kpis:mtbf_devices", "kpis:export"}
# The vendor's own pages: a hospital's users are refused outright (403), even for their own
# hospital (the calls log is the vendor's; a hospital reads its calls one by one).
VENDOR_ONLY_PAGES = {"service:hotline_calls", "duty:rotation_list", "duty:rotation_create"}
WRITE_FORMS = {
    name
    for name in WEB_VIEWS
    if name.endswith(("_create", "_edit", "_add", "_replace", "_receipt", "_amend", "_sign"))
    or name
    in {
        "records:root_cause",
        "parts:import_review",
        "assets:device_clear_out_of_use",
        "assets:acceptance_certificate_upload",
    }
} - {"records:record_edit"}  # the record page: read-only for those who may not fill it


@pytest.mark.parametrize("role", list(VendorRole))
def test_vendor_roles_read_everything_and_write_what_their_role_allows(client, world, role):
    client.force_login(world.vendor[role])
    allowed = WRITE_FORMS_BY_ROLE[role]
    for name in WEB_VIEWS:
        if name.startswith("accounts:") or name in POST_ONLY | {
            "assets:device_go_live",
            "assets:device_by_public_id",
            "records:record_pdf",  # exists once the customer signed; B's record is unsigned
            "charges:statement_pdf",  # exists once accepted; B's request is not even resolved
            "return_visits:return_visit_pdf",  # exists once both sides signed; B's has not
            "notify:message",  # a message is its addressee's only, vendor staff included
            "exports:job_detail",  # an export is its owner's only, vendor staff included
            "exports:job_file",
            "agenda:feed_ics",  # a secret address: an unknown token is a 404 to anyone
            "archive:dossier_job",  # the same, and a job is only its requester's
            "archive:dossier_job_file",
            "reports:report_shared",  # the same
        }:
            continue
        url = _web_url(world, name)
        response = client.get(url)
        if name in HOSPITAL_STAFF_FORMS:
            assert response.status_code == 403, (role, name, response.status_code)
        elif name in WRITE_FORMS or name == "customers:organisation_edit":
            if allowed == "all":
                may = True
            elif allowed == "all but organisation":
                may = name != "customers:organisation_edit"
            else:
                may = name in allowed
            # 302: allowed, and sent where the form applies (an amendment needs a signed record).
            expected = {200, 302} if may else {403}
            assert response.status_code in expected, (role, name, response.status_code)
        elif name in OFFICE_PAGES:
            office = role in {VendorRole.ADMIN, VendorRole.MANAGER}
            assert response.status_code == (200 if office else 403), (role, name)
        else:
            assert response.status_code == 200, (role, name, response.status_code)


@pytest.mark.parametrize("who", ["a_admin", "a_dept", "b_admin"])
def test_hospital_users_are_refused_the_vendors_own_pages(client, world, who):
    client.force_login(getattr(world, who))
    for name in sorted(VENDOR_ONLY_PAGES):
        response = client.get(_web_url(world, name))
        assert response.status_code == 403, (who, name, response.status_code)
        assert SECRET not in response.content.decode(errors="replace")


# --- API --------------------------------------------------------------------------------
# A valid body per write operation, so that a refusal is the scope's and not the schema's.
API_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/service-organisation"): {"hotline": "x"},
    ("PUT", "/api/v1/notification-preferences"): {
        "preferences": [{"kind": "sla_at_risk", "channels": ["email"]}]
    },
    ("PATCH", "/api/v1/webhook-subscriptions/{subscription_id}"): {"name": "x"},
    ("POST", "/api/v1/webhook-deliveries/{webhook_delivery_id}/redeliver"): {},
    ("PUT", "/api/v1/sms-gateway"): {"url": "https://sms.example.com/?to={phone}&t={text}"},
    ("PATCH", "/api/v1/hospitals/{hospital_id}"): {"name": "x"},
    ("PATCH", "/api/v1/departments/{department_id}"): {"name": "x"},
    ("PATCH", "/api/v1/contacts/{contact_id}"): {"name": "x"},
    ("PATCH", "/api/v1/product-models/{model_id}"): {"name": "Catalogue model"},
    ("PATCH", "/api/v1/devices/{device_id}"): {"location": "x"},
    ("POST", "/api/v1/devices/{device_id}/go-live"): {"live_on": "2026-02-01"},
    ("POST", "/api/v1/devices/{device_id}/clear-out-of-use"): {"note": "x"},
    ("POST", "/api/v1/devices/{device_id}/operation-log"): {"kind": "event", "event": "moved"},
    ("POST", "/api/v1/devices/{device_id}/components"): {"name": "x", "serial_number": "x"},
    ("POST", "/api/v1/components/{component_id}/replace"): {
        "new_serial_number": "x",
        "replaced_on": "2026-07-01",
        "removal_fate": "returned",
    },
    ("POST", "/api/v1/emergency-procedures/{procedure_id}/receipt"): {
        "received_by": "x",
        "received_at": "2026-02-01T10:00:00+08:00",
    },
    ("POST", "/api/v1/regime-documents/{regime_document_id}/versions"): {
        "effective_from": "2026-02-01",
        "text": "x",
    },
    ("POST", "/api/v1/regime-documents/{regime_document_id}/receipts"): {"recipient_name": "x"},
    ("PATCH", "/api/v1/contracts/{contract_id}"): {"title": "x"},
    ("PATCH", "/api/v1/maintenance-agreements/{agreement_id}"): {"notes": "x"},
    ("PATCH", "/api/v1/service-requests/{request_id}"): {"fault_cause": "quality"},
    ("POST", "/api/v1/hotline/calls/{call_id}/to-request"): {},
    ("POST", "/api/v1/hotline/calls/{call_id}/add-to-request"): {"request_id": 1},
    ("POST", "/api/v1/hotline/calls/{call_id}/solved-by-phone"): {},
    ("POST", "/api/v1/service-requests/{request_id}/events"): {"type": "callback"},
    ("POST", "/api/v1/service-requests/{request_id}/events/{event_id}/confirm"): {},
    ("POST", "/api/v1/service-requests/{request_id}/charges/accept"): {},
    ("POST", "/api/v1/service-requests/{request_id}/charges/dispute"): {"comment": "x"},
    ("POST", "/api/v1/service-requests/{request_id}/charges/review"): {},
    ("POST", "/api/v1/service-requests/{request_id}/charges/send"): {},
    ("POST", "/api/v1/service-requests/{request_id}/charges/answer"): {"message": "x"},
    ("POST", "/api/v1/service-requests/{request_id}/charges/correct"): {"message": "x"},
    ("POST", "/api/v1/service-requests/{request_id}/charges/lines"): {
        "lines": [{"position": 0, "quantity": "1"}]
    },
    ("POST", "/api/v1/visits/{visit_id}/complete"): {"results": {"appearance": "pass"}},
    ("POST", "/api/v1/visits/{visit_id}/sign"): {"signer_name": "x", "signature": "x"},
    ("POST", "/api/v1/training-sessions/{training_session_id}/attendance"): {
        "name": "x",
        "department_text": "x",
    },
    ("PATCH", "/api/v1/training-sessions/{training_session_id}/attendance/{attendance_id}"): {
        "score": 1
    },
    ("POST", "/api/v1/return-visits/{return_visit_id}/sheet"): {
        "participants": [{"name": "x"}],
        "devices": [],
        "satisfaction": 5,
    },
    ("POST", "/api/v1/return-visits/{return_visit_id}/sign"): {
        "role": "hospital",
        "signer_name": "x",
        "signature": "x",
    },
    ("POST", "/api/v1/loaners/{loaner_id}/install"): {"request_id": 1},
    ("POST", "/api/v1/loaners/{loaner_id}/return"): {},
    ("POST", "/api/v1/loaners/{loaner_id}/send-to-repair"): {},
    ("POST", "/api/v1/loaners/{loaner_id}/back-in-service"): {"location_id": 1},
    ("POST", "/api/v1/loaners/{loaner_id}/retire"): {},
    ("POST", "/api/v1/service-requests/{request_id}/credit-notes"): {"reason": "x"},
    ("POST", "/api/v1/service-requests/{request_id}/parts-used"): {"part_id": 1, "quantity": 1},
    ("PATCH", "/api/v1/duty/shifts/{shift_id}"): {"note": "x"},
    ("POST", "/api/v1/duty/shifts/{shift_id}/swaps"): {"to_user_id": 1},
    ("POST", "/api/v1/duty/swaps/{swap_id}/accept"): {},
    ("POST", "/api/v1/duty/swaps/{swap_id}/decline"): {},
    ("POST", "/api/v1/duty/swaps/{swap_id}/approve"): {},
    ("PUT", "/api/v1/service-requests/{request_id}/root-cause"): {
        "cause": "x",
        "measures": "x",
        "explained_to": "x",
        "explained_at": "2026-02-01T10:00:00+08:00",
    },
}
# Create operations: a body that points at B's records (the answer must be 422 or 403).
API_CREATES = {
    ("POST", "/api/v1/hospitals"): lambda b: {"name": "new"},
    ("POST", "/api/v1/webhook-subscriptions"): lambda b: {
        "name": "new",
        "url": "http://169.254.169.254/",
        "secret": "x" * 20,
        "event_kinds": ["service.request_opened"],
    },
    ("POST", "/api/v1/departments"): lambda b: {"hospital_id": b["hospital"].pk, "name": "x"},
    ("POST", "/api/v1/contacts"): lambda b: {"hospital_id": b["hospital"].pk, "name": "x"},
    ("POST", "/api/v1/product-models"): lambda b: {"manufacturer": "m", "name": "new"},
    ("POST", "/api/v1/devices"): lambda b: {
        "product_model_id": b["device"].product_model_id,
        "serial_number": "new",
        "hospital_id": b["hospital"].pk,
        "department_id": b["department"].pk,
    },
    ("POST", "/api/v1/emergency-procedures"): lambda b: {
        "department_id": b["department"].pk,
        "device_id": b["device"].pk,
        "title": "x",
        "text": "x",
    },
    ("POST", "/api/v1/regime-documents"): lambda b: {
        "hospital_id": b["hospital"].pk,
        "kind": "inspection",
        "title": "x",
    },
    ("POST", "/api/v1/contracts"): lambda b: {
        "hospital_id": b["hospital"].pk,
        "number": "new",
        "device_ids": [b["device"].pk],
    },
    ("POST", "/api/v1/service-requests"): lambda b: {
        "device_id": b["device"].pk,
        "description": "x",
    },
    ("POST", "/api/v1/hotline/calls"): lambda b: {
        "kind": "fault",
        "said": "x",
        "device_id": b["device"].pk,
        "contact_id": b["contact"].pk,
    },
    ("POST", "/api/v1/maintenance-plans"): lambda b: {
        "kind": "patrol",
        "contract_id": b["contract"].pk,
        "interval_months": 2,
    },
    ("POST", "/api/v1/visits/special"): lambda b: {"device_id": b["device"].pk, "reason": "x"},
    ("POST", "/api/v1/training-plans"): lambda b: {"contract_id": b["contract"].pk, "title": "x"},
    ("POST", "/api/v1/training-sessions"): lambda b: {
        "plan_id": b["training_plan"].pk,
        "lecturer_id": b["training_session"].lecturer_id,
        "starts_at": "2026-03-02T09:30:00+08:00",
        "duration": "PT1H",
        "place": "x",
        "topic_text": "x",
    },
    ("POST", "/api/v1/return-visits"): lambda b: {
        "department_id": b["department"].pk,
        "month": "2030-01",
    },
    ("POST", "/api/v1/parts"): lambda b: {
        "part_number": "new",
        "name_zh": "x",
        "cost_price": "1.00",
        "list_price": "2.00",
    },
    ("POST", "/api/v1/stock-locations"): lambda b: {"kind": "central", "name": "new"},
    ("POST", "/api/v1/loaners"): lambda b: {
        "product_model_id": b["loaner"].product_model_id,
        "serial_number": "new",
        "location_id": b["loaner"].location_id,
    },
    ("POST", "/api/v1/stock-movements"): lambda b: {
        "kind": "issue",
        "part_id": b["spare_part"].pk,
        "quantity": 1,
        "location_id": 1,
        "request_id": b["request"].pk,
    },
    ("POST", "/api/v1/duty/shifts"): lambda b: {
        "region_id": b["shift"].region_id,
        "role": "engineer",
        "user_id": b["shift"].user_id,
        "starts_at": "2030-01-01T08:00:00+08:00",
        "ends_at": "2030-01-01T20:00:00+08:00",
    },
    ("POST", "/api/v1/maintenance-agreements"): lambda b: {
        "hospital_id": b["hospital"].pk,
        "starts_on": "2028-01-01",
        "ends_on": "2028-12-31",
        "device_ids": [b["device"].pk],
    },
}
API_PARAMS = {
    "hospital_id": "hospital",
    "department_id": "department",
    "contact_id": "contact",
    "device_id": "device",
    "component_id": "component",
    "procedure_id": "procedure",
    "contract_id": "contract",
    "agreement_id": "agreement",
    "request_id": "request",
    "event_id": "event",
    "regime_document_id": "regime_document",
    "visit_id": "visit",
    "training_plan_id": "training_plan",
    "training_session_id": "training_session",
    "attendance_id": "attendance",
    "return_visit_id": "return_visit",
    "loaner_id": "loaner",
    "subscription_id": "webhook_subscription",
    "webhook_delivery_id": "webhook_delivery",
    "shift_id": "shift",
    "swap_id": "swap",
    "call_id": "call",
    "report_id": "monthly_report",
}
GLOBAL_READS = {"/api/v1/service-organisation", "/api/v1/me"}
# The vendor's own business (parts, prices, stock): hospital users are refused outright.
VENDOR_ONLY_READS = {
    "/api/v1/hotline/caller",
    "/api/v1/parts",
    "/api/v1/stock-locations",
    "/api/v1/stock",
    "/api/v1/stock-movements",
    "/api/v1/loaners",
    "/api/v1/webhook-event-kinds",
    "/api/v1/webhook-subscriptions",
    "/api/v1/sms-gateway",
    # The duty roster: a hospital's user may ask only who is on duty now for their hospital.
    "/api/v1/duty/shifts",
    "/api/v1/duty/swaps",
    "/api/v1/duty/gaps",
}
# Reads that need a query to say what they read; "SN-" is in both hospitals' serials.
API_QUERY = {"/api/v1/search": "?q=SN-"}
# The caller's own settings: everyone may change theirs (nothing of anyone else's).
OWN_WRITES = {("PUT", "/api/v1/notification-preferences")}


def _operations(client) -> list[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    ]


def _fill(world: World, path: str) -> str:
    def sub(match: re.Match) -> str:
        param = match.group(1)
        if param == "model_id":
            return str(world.model.pk)
        return str(world.b[API_PARAMS[param]].pk)

    return re.sub(r"\{(\w+)\}", sub, path)


def test_api_matrix_knows_every_operation(client, world):
    client.force_login(world.vendor[VendorRole.ADMIN])
    for method, path in _operations(client):
        params = re.findall(r"\{(\w+)\}", path)
        if method == "GET":
            assert all(p in API_PARAMS or p == "model_id" for p in params), path
        else:
            assert (method, path) in API_BODIES or (method, path) in API_CREATES, (method, path)


@pytest.mark.parametrize("who", ["a_admin", "a_dept"])
@pytest.mark.parametrize("auth", ["session", "token"])
def test_hospital_a_cannot_read_or_change_hospital_b_in_the_api(client, world, who, auth):
    user = getattr(world, who)
    headers = {}
    if auth == "session":
        client.force_login(user)
    else:
        _, raw = api_token_create(user=user, name="matrix")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    before = world.snapshot()
    operations = _operations(client if auth == "session" else _logged_in(client, world))
    if auth == "token":
        client.logout()
    for method, path in operations:
        url = _fill(world, path)
        b_scoped = any(p in API_PARAMS for p in re.findall(r"\{(\w+)\}", path))
        if method == "GET":
            response = client.get(url + API_QUERY.get(path, ""), **headers)
            if b_scoped:
                assert response.status_code == 404, (who, path, response.status_code)
                assert response.json()["detail"]
            else:
                expected = 403 if path in VENDOR_ONLY_READS else 200
                assert response.status_code == expected, (who, path, response.status_code)
                assert SECRET not in response.content.decode(), f"{path} leaks B to {who}"
            continue
        if (method, path) in API_CREATES:
            body = API_CREATES[(method, path)](world.b)
            response = client.generic(
                method, url, _json(body), content_type="application/json", **headers
            )
            assert response.status_code in {403, 422}, (who, path, response.status_code)
            assert SECRET not in response.content.decode()
            continue
        body = API_BODIES[(method, path)]
        response = client.generic(
            method, url, _json(body), content_type="application/json", **headers
        )
        expected = 403 if not b_scoped else 404
        if (method, path) in OWN_WRITES:
            expected = 200
        assert response.status_code == expected, (who, method, path, response.status_code)
    assert world.snapshot() == before


def _logged_in(client, world):
    client.force_login(world.vendor[VendorRole.ADMIN])
    return client


def _json(body) -> str:
    import json

    return json.dumps(body)


def test_api_refuses_anonymous_callers(client, world):
    for method, path in _operations(_logged_in(client, world)):
        client.logout()
        response = client.generic(method, _fill(world, path), "{}", content_type="application/json")
        assert response.status_code == 401, (method, path, response.status_code)
        client.force_login(world.vendor[VendorRole.ADMIN])
