"""Who may change what about the vendor's organisation and its customers."""

import rules

from accounts.rules import is_vendor_admin, is_vendor_office, is_vendor_staff

from .models import Hospital, HospitalRole


def _hospital_id_of(obj) -> int | None:
    if isinstance(obj, Hospital):
        return obj.pk
    if hasattr(obj, "hospital_id"):
        return obj.hospital_id
    department = getattr(obj, "department", None)
    return department.hospital_id if department is not None else None


@rules.predicate
def is_equipment_admin_of(user, obj) -> bool:
    """The hospital's equipment administrator; ``obj`` is a hospital or has one."""
    if obj is None or not user.is_authenticated:
        return False
    hospital_id = _hospital_id_of(obj)
    membership = getattr(user, "hospital_membership", None)
    return bool(
        membership
        and membership.role == HospitalRole.EQUIPMENT_ADMIN
        and membership.hospital_id == hospital_id
    )


rules.add_perm("customers.change_serviceorganisation", is_vendor_admin)
rules.add_perm("customers.add_hospital", is_vendor_office)
rules.add_perm("customers.change_hospital", is_vendor_office)
rules.add_perm("customers.add_department", is_vendor_office | is_equipment_admin_of)
rules.add_perm("customers.change_department", is_vendor_office | is_equipment_admin_of)
rules.add_perm("customers.add_contact", is_vendor_staff | is_equipment_admin_of)
rules.add_perm("customers.change_contact", is_vendor_staff | is_equipment_admin_of)
