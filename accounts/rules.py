"""Role predicates for vendor staff; the apps combine them into permissions."""

import rules

from .models import VendorRole


def _role(role: str):
    @rules.predicate(name=f"has_vendor_role_{role}")
    def predicate(user) -> bool:
        return bool(user and user.is_authenticated and user.effective_vendor_role == role)

    return predicate


is_vendor_admin = _role(VendorRole.ADMIN)
is_service_manager = _role(VendorRole.MANAGER)
is_engineer = _role(VendorRole.ENGINEER)
is_dispatcher = _role(VendorRole.DISPATCHER)

is_vendor_office = is_vendor_admin | is_service_manager
is_vendor_technical = is_vendor_office | is_engineer
is_vendor_staff = is_vendor_technical | is_dispatcher
