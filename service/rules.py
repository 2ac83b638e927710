"""Who may open service requests and record their steps."""

import rules

from accounts.rules import is_dispatcher, is_vendor_office, is_vendor_staff, is_vendor_technical
from customers.models import HospitalMembership
from customers.scoping import scope_for


@rules.predicate
def is_hospital_user(user) -> bool:
    return bool(user.is_authenticated and HospitalMembership.objects.filter(user=user).exists())


# Hospitals report faults on their own devices (the device is already in their scope).
rules.add_perm("service.add_servicerequest", is_vendor_staff | is_hospital_user)
# Timeline steps are the vendor's: agents call back and dispatch, engineers do the rest.
rules.add_perm("service.add_serviceevent", is_vendor_staff)
rules.add_perm("service.change_servicerequest", is_vendor_technical)
rules.add_perm("service.add_rootcausereport", is_vendor_technical)
rules.add_perm("service.change_slapolicy", is_vendor_office)


# --- the repair record: who fills, signs and files it -------------------
@rules.predicate
def is_request_customer(user, service_request) -> bool:
    """A user of the request's hospital who sees it: its equipment administrator, or a
    user of the request's department. Vendor staff are never the customer."""
    if service_request is None:
        return False
    scope = scope_for(user)
    if scope.all_hospitals:
        return False
    return (
        service_request.hospital_id in scope.hospital_ids
        or service_request.department_id in scope.department_ids
    )


# The vendor's engineers (and their managers) write, amend and sign as engineer.
can_fill_record = is_vendor_technical
# The customer signs on their own account or on the engineer's phone.
can_sign_as_customer = is_request_customer | is_vendor_technical
# Filing is the company's office archiving the signed form, not the engineer.
can_file_record = is_vendor_office | is_dispatcher
