"""Who may open service requests and record their steps."""

import rules

from accounts.rules import (
    is_dispatcher,
    is_engineer,
    is_vendor_office,
    is_vendor_staff,
    is_vendor_technical,
)
from customers.models import HospitalMembership
from customers.scoping import scope_for

from .timeline import EventType


@rules.predicate
def is_hospital_user(user) -> bool:
    return bool(user.is_authenticated and HospitalMembership.objects.filter(user=user).exists())


# Hospitals report faults on their own devices (the device is already in their scope).
rules.add_perm("service.add_servicerequest", is_vendor_staff | is_hospital_user)
# Timeline steps are the vendor's: agents call back and dispatch, engineers do the rest.
# Whether *this* user may record *this* step is ``service.record_<step>`` below.
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


# --- who records which step of the timeline ---------------------------------------------
@rules.predicate
def is_assigned_engineer(user, service_request) -> bool:
    """An engineer the request is dispatched to (or its contract's dedicated engineer)."""
    if service_request is None or not is_engineer(user):
        return False
    return service_request.engineers.filter(pk=user.pk).exists()


# What happened on site is recorded by who was there; the clock may also be stopped and
# restarted by a manager who agreed the delay with the hospital; the hotline calls back and
# dispatches; the office files, closes and reopens. ``customer_signed`` is recorded by
# signing the repair record (``service.repair_records.services``), never as a bare step.
# (R-3.5, R-6.6, R-6.7; the duty roster's on-duty engineer will join the call-back.)
STEP_RECORDERS = {
    EventType.CALLBACK: is_dispatcher | is_vendor_office | is_assigned_engineer,
    EventType.DISPATCHED: is_dispatcher | is_vendor_office,
    EventType.ARRIVED: is_assigned_engineer,
    EventType.DEPARTED: is_assigned_engineer,
    EventType.SOLUTION_PROPOSED: is_assigned_engineer,
    EventType.RESOLVED: is_assigned_engineer,
    EventType.REMOTE_RESOLVED: is_assigned_engineer | is_vendor_office,
    EventType.PAUSED: is_assigned_engineer | is_vendor_office,
    EventType.RESUMED: is_assigned_engineer | is_vendor_office,
    EventType.LOANER_INSTALLED: is_assigned_engineer | is_vendor_office,
    EventType.CUSTOMER_SIGNED: can_sign_as_customer,
    EventType.FILED: can_file_record,
    EventType.CLOSED: is_vendor_office | is_dispatcher,
    EventType.REOPENED: is_vendor_office | is_dispatcher,
    # Whoever answers the hotline adds a call to the request it is about (issue 13 §3).
    EventType.CALL: is_vendor_staff,
}
for _step, _who in STEP_RECORDERS.items():
    rules.add_perm(f"service.record_{_step.value}", _who)

# The hotline desk (issue 13 §3, R-6.6): every vendor role answers the hotline (engineers
# on duty at night too); a hospital's users read their own hospital's calls only.
rules.add_perm("service.add_call", is_vendor_staff)
rules.add_perm("service.change_call", is_vendor_staff)

# A step recorded late meets a promise only once a manager vouches for it.
rules.add_perm("service.confirm_late_step", is_vendor_office)


def may_record_step(user, service_request, step: str) -> bool:
    return bool(user.has_perm(f"service.record_{step}", service_request))
