"""Who may do what with planned maintenance (issue 4). Scope comes first: an edge fetches a
visit through ``Visit.objects.for_user`` (404 outside it), then asks these permissions."""

import rules

from accounts.rules import is_vendor_office, is_vendor_technical
from customers.models import HospitalRole
from customers.rules import is_equipment_admin_of

from .models import Visit


@rules.predicate
def sees_visit(user, visit) -> bool:
    if visit is None or not user.is_authenticated:
        return False
    return Visit.objects.for_user(user).filter(pk=visit.pk).exists()


@rules.predicate
def is_department_user_of(user, visit) -> bool:
    """A department user of the visit's department."""
    if visit is None or not user.is_authenticated:
        return False
    membership = getattr(user, "hospital_membership", None)
    return bool(
        membership
        and membership.role == HospitalRole.DEPARTMENT_USER
        and membership.hospital_id == visit.hospital_id
        and membership.departments.filter(pk=visit.department_id).exists()
    )


rules.add_perm("maintenance.view_visit", sees_visit)
# The vendor's technical staff do the work.
rules.add_perm("maintenance.complete_visit", is_vendor_technical)
# The hospital confirms; an engineer collects the signature on the spot.
rules.add_perm(
    "maintenance.sign_visit", is_vendor_technical | is_equipment_admin_of | is_department_user_of
)
# Something abnormal: the vendor sends someone (hospitals report faults as service requests).
rules.add_perm("maintenance.create_special_visit", is_vendor_technical)
rules.add_perm("maintenance.assign_visit", is_vendor_office)
rules.add_perm("maintenance.change_plan", is_vendor_office)
