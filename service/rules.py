"""Who may open service requests and record their steps."""

import rules

from accounts.rules import is_vendor_office, is_vendor_staff, is_vendor_technical
from customers.models import HospitalMembership


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
