"""Who may do what with a return visit. Seeing one is scoping
(``ReturnVisit.objects.for_user``); these are the actions."""

import rules

from accounts.rules import is_vendor_office, is_vendor_technical
from customers.scoping import scope_for


@rules.predicate
def is_return_visit_customer(user, visit) -> bool:
    """A user of the visit's hospital who sees it: its equipment administrator, or a user
    of the visit's department. Vendor staff are never the hospital's side."""
    if visit is None or not user.is_authenticated:
        return False
    scope = scope_for(user)
    if scope.all_hospitals:
        return False
    return visit.hospital_id in scope.hospital_ids or visit.department_id in scope.department_ids


# Engineers (and their managers) plan ad-hoc visits, fill in the sheet and sign for the vendor.
rules.add_perm("return_visits.add_returnvisit", is_vendor_technical)
rules.add_perm("return_visits.record_sheet", is_vendor_technical)
rules.add_perm("return_visits.sign_as_engineer", is_vendor_technical)
# The hospital signs on its own account, or on the engineer's phone.
rules.add_perm("return_visits.sign_as_hospital", is_return_visit_customer | is_vendor_technical)
rules.add_perm("return_visits.cancel_returnvisit", is_vendor_office)

SIGN_PERMS = {
    "engineer": "return_visits.sign_as_engineer",
    "hospital": "return_visits.sign_as_hospital",
}
