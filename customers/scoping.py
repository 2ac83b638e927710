"""Who sees which hospital data: the one place that turns a user into a scope.

Every ``for_user`` queryset method of every app builds its WHERE clause from ``scope_for``.
Vendor staff (and superusers) see every hospital; an equipment administrator sees one
hospital; a department user sees the devices of their departments only. Anyone else sees
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q


@dataclass(frozen=True)
class Scope:
    all_hospitals: bool = False
    # Hospitals seen whole (equipment administrators).
    hospital_ids: frozenset[int] = frozenset()
    # Departments seen individually (department users).
    department_ids: frozenset[int] = frozenset()
    # Hospitals a department user belongs to: their name, zone and contacts are visible.
    member_hospital_ids: frozenset[int] = frozenset()

    @property
    def visible_hospital_ids(self) -> frozenset[int]:
        return self.hospital_ids | self.member_hospital_ids


NOTHING = Scope()
EVERYTHING = Scope(all_hospitals=True)


@dataclass(frozen=True)
class HospitalViewer:
    """A whole hospital's view without an account: what its equipment administrator would
    see. The worker writing a report for a hospital reads through the same scoped selectors
    as the hospital's own users, so the report can show nothing they could not."""

    hospital_id: int
    time_zone: str = "Asia/Shanghai"
    is_authenticated: bool = True
    is_active: bool = True
    is_vendor_staff: bool = False
    pk: None = None

    @property
    def _medservice_scope(self) -> Scope:
        ids = frozenset({self.hospital_id})
        return Scope(hospital_ids=ids, member_hospital_ids=ids)

    def display_time_zone(self) -> str:
        return self.time_zone


def scope_for(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_medservice_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    user._medservice_scope = scope
    return scope


def _compute_scope(user) -> Scope:
    if user.is_vendor_staff:
        return EVERYTHING
    # Imported here: the model module imports this one for its querysets.
    from .models import HospitalMembership, HospitalRole

    membership = HospitalMembership.objects.filter(user=user).first()
    if membership is None:
        return NOTHING
    if membership.role == HospitalRole.EQUIPMENT_ADMIN:
        return Scope(
            hospital_ids=frozenset({membership.hospital_id}),
            member_hospital_ids=frozenset({membership.hospital_id}),
        )
    department_ids = frozenset(
        membership.departments.filter(hospital_id=membership.hospital_id).values_list(
            "pk", flat=True
        )
    )
    return Scope(
        department_ids=department_ids,
        member_hospital_ids=frozenset({membership.hospital_id}),
    )


def scope_q(user, *, hospital: str = "hospital_id", department: str = "department_id") -> Q:
    """The WHERE clause of a model family whose rows belong to a hospital and a department:
    all of them for vendor staff, a whole hospital for its equipment administrator, the
    listed departments for a department user, nothing for anyone else."""
    scope = scope_for(user)
    if scope.all_hospitals:
        return Q()
    return Q(**{f"{hospital}__in": scope.hospital_ids}) | Q(
        **{f"{department}__in": scope.department_ids}
    )
