"""Reads of planned maintenance: which plan rules apply to a device (templates, then the
contract's own numbers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from assets.models import Device, DeviceStatus

from .models import ContractPlanOverride, MaintenancePlanTemplate, Visit
from .schedule import PlanRule, VisitKind


def device_contract_id(device: Device) -> int | None:
    line = getattr(device, "contract_line", None)  # reverse one-to-one: None when absent
    return line.contract_id if line is not None else None


@dataclass
class PlanBook:
    """The active templates and some contracts' overrides, read once and asked per device.

    Per kind the most specific active template applies: the device's product model, else its
    category, else the template for every device."""

    templates: list[MaintenancePlanTemplate]
    overrides: dict[tuple[int, str], ContractPlanOverride] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_model: dict[tuple[str, int], MaintenancePlanTemplate] = {}
        self._by_category: dict[tuple[str, str], MaintenancePlanTemplate] = {}
        self._for_all: dict[str, MaintenancePlanTemplate] = {}
        for template in self.templates:
            if template.product_model_id is not None:
                self._by_model[(template.kind, template.product_model_id)] = template
            elif template.category:
                self._by_category[(template.kind, template.category)] = template
            else:
                self._for_all[template.kind] = template

    def template_for(self, device: Device, kind: str) -> MaintenancePlanTemplate | None:
        return (
            self._by_model.get((kind, device.product_model_id))
            or self._by_category.get((kind, device.product_model.category))
            or self._for_all.get(kind)
        )

    def rules_for(self, device: Device, contract_id: int | None) -> list[PlanRule]:
        anchor = device.live_on or device.accepted_on
        if anchor is None or device.status == DeviceStatus.RETIRED:
            return []
        rules = []
        for kind in VisitKind:
            template = self.template_for(device, kind.value)
            if template is None:
                continue
            numbers: ContractPlanOverride | MaintenancePlanTemplate = template
            if contract_id is not None:
                numbers = self.overrides.get((contract_id, kind.value), template)
            rules.append(
                PlanRule(
                    kind,
                    anchor,
                    interval_months=numbers.interval_months,
                    tolerance_days=numbers.tolerance_days,
                )
            )
        return rules


def plan_book(*, contract_ids: Iterable[int] = ()) -> PlanBook:
    """Two queries: the active templates, and the overrides of ``contract_ids``."""
    ids = {pk for pk in contract_ids if pk is not None}
    overrides = ContractPlanOverride.objects.filter(contract_id__in=ids) if ids else []
    return PlanBook(
        templates=list(MaintenancePlanTemplate.objects.filter(active=True).order_by("pk")),
        overrides={(o.contract_id, o.kind): o for o in overrides},
    )


def plan_rules_for(device: Device) -> list[PlanRule]:
    """The plan rules of one device; none when it has no go-live or acceptance date or is
    retired."""
    contract_id = device_contract_id(device)
    book = plan_book(contract_ids=[contract_id] if contract_id else [])
    return book.rules_for(device, contract_id)


def checklist_for(visit: Visit, *, book: PlanBook | None = None) -> list[dict[str, Any]]:
    """The union of the checklists of the templates of the visit's kinds for its device,
    by item key, the larger kind first (an overhaul's item wins over a patrol's)."""
    book = book or plan_book()
    kinds = sorted(visit.kinds or [visit.main_kind], key=lambda k: -VisitKind(k).rank)
    items: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        template = book.template_for(visit.device, kind)
        for item in template.checklist if template is not None else []:
            items.setdefault(item["key"], dict(item))
    return list(items.values())
