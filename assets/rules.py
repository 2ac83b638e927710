"""Who may change the installed base."""

import rules

from accounts.rules import is_vendor_technical
from customers.rules import is_equipment_admin_of
from customers.scoping import scope_for


@rules.predicate
def is_hospital_staff_of(user, obj) -> bool:
    """A user of the hospital who sees ``obj`` (a device, or a record with a hospital and a
    department): its equipment administrator, or a user of its department. Vendor staff
    are never the hospital's staff."""
    if obj is None:
        return False
    scope = scope_for(user)
    if scope.all_hospitals:
        return False
    return obj.hospital_id in scope.hospital_ids or obj.department_id in scope.department_ids


rules.add_perm("assets.add_productmodel", is_vendor_technical)
rules.add_perm("assets.change_productmodel", is_vendor_technical)
rules.add_perm("assets.add_device", is_vendor_technical)
rules.add_perm("assets.change_device", is_vendor_technical)
rules.add_perm("assets.add_maincomponent", is_vendor_technical)
rules.add_perm("assets.add_emergencyprocedure", is_vendor_technical)
# The signed acceptance certificate is filed by the vendor's office or engineers; the
# hospital's users see it (scoped) but do not upload it.
rules.add_perm("assets.add_acceptancecertificate", is_vendor_technical)
# The department receives the procedure: its hospital's equipment administrator may record
# the receipt as well as the vendor's staff.
rules.add_perm("assets.change_emergencyprocedure", is_vendor_technical | is_equipment_admin_of)
# A device out of use after a failed safety check is declared fit again by the vendor's
# engineers and managers only, never by the hospital.
rules.add_perm("assets.clear_out_of_use", is_vendor_technical)
# The operation log is the hospital's own record of use: its staff write it; the
# vendor's staff read it (in the device's archive) but do not write on the hospital's behalf.
rules.add_perm("assets.add_operationlogentry", is_hospital_staff_of)
